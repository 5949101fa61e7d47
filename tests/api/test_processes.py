"""Procedures through the API: national staff read the catalogue, authorities the procedures
they may file, owners check files against the editor's validator and publish new versions."""

from __future__ import annotations

from engine import service
from engine.service import users
from engine.service.catalogue import editing
from engine.service.people import accounts
from tests.api.conftest import problem_of
from tests.procedures.conftest import GUERET
from tests.procedures.test_demande_ingenierie import DEPOT

PROCESS = "demande_ingenierie"
BPMN = f"{PROCESS}/{PROCESS}.bpmn"
BASE = "/api/v1/processes"
ALL = {"demande_ingenierie", "fabriques_territoire", "pass_numerique", "territoires_en_renouveau"}


def files_of(client, number: int = 1, process_id: str = PROCESS) -> dict[str, str]:
    response = client.get(f"{BASE}/{process_id}/versions/{number}/files")
    assert response.status_code == 200, response.get_data(as_text=True)
    return {f["name"]: f["content"] for f in response.get_json()}


def broken(files: dict[str, str]) -> dict[str, str]:
    """The request's files with a condition left unfinished (the validator's `condition`)."""
    text = files[BPMN].replace('decision_prefet == "transmission"', "decision_prefet ==")
    assert text != files[BPMN]
    return {**files, BPMN: text}


def test_national_staff_see_the_whole_catalogue(api_for):
    for login in ("anct.national", "responsable.fabriques", "admin"):
        response = api_for(login).get(BASE)
        assert response.status_code == 200, login
        found = {p["id"]: p for p in response.get_json()}
        assert set(found) == ALL, login
    request = found[PROCESS]
    assert request["version"] == request["latest_version"] == 1
    assert request["retired"] is False and request["name"]


def test_an_authority_sees_what_it_may_file_and_its_start_form(api_for):
    client = api_for("mairie.gueret")
    listed = {p["id"] for p in client.get(BASE).get_json()}
    assert PROCESS in listed and listed <= ALL
    detail = client.get(f"{BASE}/{PROCESS}")
    assert detail.status_code == 200
    form = detail.get_json()["start_form"]
    assert form["type"] == "object" and form["properties"]
    assert client.get(f"{BASE}/{PROCESS}/versions").status_code == 403


def test_a_prefet_files_nothing_and_sees_no_procedure(api_for):
    client = api_for("prefet.creuse")
    assert client.get(BASE).get_json() == []
    assert problem_of(client.get(f"{BASE}/{PROCESS}"))["status"] == 404


def test_the_detail_gives_the_start_form_and_the_description(api_for):
    client = api_for("anct.national")
    body = client.get(f"{BASE}/{PROCESS}").get_json()
    assert body["id"] == PROCESS and body["version"] == 1
    assert "préfet" in body["description"]
    assert body["start_form"]["type"] == "object"
    assert (
        body["start_form"]
        == api_for("mairie.gueret").get(f"{BASE}/{PROCESS}").get_json()["start_form"]
    )


def test_versions_and_their_files(api_for):
    client = api_for("anct.national")
    versions = client.get(f"{BASE}/{PROCESS}/versions").get_json()
    assert len(versions) == 1
    (first,) = versions
    assert first["number"] == 1 and first["current"] is True
    assert first["deployed_at"] and len(first["content_hash"]) == 64
    listed = client.get(f"{BASE}/{PROCESS}/versions/1/files").get_json()
    kinds = {f["name"]: f["kind"] for f in listed}
    assert kinds[BPMN] == "bpmn"
    assert kinds["forms/demande_ingenierie/qualifier.json"] == "form"
    assert "<bpmn:definitions" in next(f["content"] for f in listed if f["name"] == BPMN)
    assert problem_of(client.get(f"{BASE}/{PROCESS}/versions/9/files"))["status"] == 404


def test_unknown_process_is_a_404_problem(api_for):
    client = api_for("responsable.processus")
    for path in ("inconnue", "inconnue/versions", "inconnue/versions/1/files"):
        assert problem_of(client.get(f"{BASE}/{path}"))["status"] == 404, path
    for path in ("inconnue/validate", "inconnue/versions"):
        response = client.post(f"{BASE}/{path}", json={"files": {"a.bpmn": "<x/>"}})
        assert problem_of(response)["status"] == 404, path


def test_the_owner_validates_valid_and_invalid_files(api_for):
    owner = api_for("responsable.processus")
    files = files_of(owner)
    valid = owner.post(f"{BASE}/{PROCESS}/validate", json={"files": files})
    assert valid.status_code == 200
    assert valid.get_json()["valid"] is True
    assert all(p["severity"] == "warning" for p in valid.get_json()["problems"])
    invalid = owner.post(f"{BASE}/{PROCESS}/validate", json={"files": broken(files)})
    assert invalid.status_code == 200
    body = invalid.get_json()
    assert body["valid"] is False
    assert ("f_transmission", "condition", "error") in {
        (p["element_id"], p["rule"], p["severity"]) for p in body["problems"]
    }
    assert {p["file"] for p in body["problems"] if p["severity"] == "error"} == {BPMN}


def test_the_owner_publishes_a_new_version_that_new_dossiers_start_on(api_for, platform):
    owner = api_for("responsable.processus")
    files = files_of(owner)
    changed = {**files, BPMN: files[BPMN].replace('"P14D"', '"P21D"')}
    response = owner.post(f"{BASE}/{PROCESS}/versions", json={"files": changed})
    assert response.status_code == 201, response.get_data(as_text=True)
    published = response.get_json()
    assert published["number"] == 2 and published["current"] is True
    assert published["deployed_by"] == "responsable.processus"

    detail = api_for("anct.national").get(f"{BASE}/{PROCESS}").get_json()
    assert detail["version"] == detail["latest_version"] == 2
    numbers = [v["number"] for v in owner.get(f"{BASE}/{PROCESS}/versions").get_json()]
    assert numbers == [2, 1]
    assert '"P21D"' in files_of(owner, 2)[BPMN]
    assert '"P14D"' in files_of(owner, 1)[BPMN]
    started = service.start(platform, PROCESS, data=DEPOT, actor="mairie.gueret", **GUERET)
    assert started.version == 2

    again = owner.post(f"{BASE}/{PROCESS}/versions", json={"files": changed})
    assert again.status_code == 200 and again.get_json()["number"] == 2


def test_invalid_files_are_not_published(api_for):
    owner = api_for("admin")
    response = owner.post(f"{BASE}/{PROCESS}/versions", json={"files": broken(files_of(owner))})
    body = problem_of(response)
    assert response.status_code == 422 and body["code"] == "definition_invalide"
    assert f"files.{BPMN}" in body["errors"]
    assert "f_transmission" in {p["element_id"] for p in body["problems"]}
    versions = owner.get(f"{BASE}/{PROCESS}/versions").get_json()
    assert [v["number"] for v in versions] == [1]
    page = owner.get(f"{BASE}/{PROCESS}/versions")
    assert page.status_code == 200


def test_publishing_while_a_draft_is_open_in_the_editor_is_a_conflict(api_for, platform):
    owner = api_for("responsable.processus")
    files = files_of(owner)
    viewer = users.viewer_of(platform, accounts.get_account(platform, "responsable.processus"))
    editing.open_draft(platform, viewer, PROCESS)
    response = owner.post(f"{BASE}/{PROCESS}/versions", json={"files": files})
    assert problem_of(response)["status"] == 409


def test_only_the_procedures_owners_and_administrators_check_and_publish(api_for):
    files = files_of(api_for("anct.national"))
    other_owner = api_for("responsable.fabriques")
    refused = other_owner.post(f"{BASE}/{PROCESS}/versions", json={"files": files})
    assert problem_of(refused)["status"] == 403
    refused = other_owner.post(f"{BASE}/{PROCESS}/validate", json={"files": files})
    assert problem_of(refused)["status"] == 403
    for login in ("prefet.creuse", "anct.national", "mairie.gueret"):
        refused = api_for(login).post(f"{BASE}/{PROCESS}/validate", json={"files": files})
        assert problem_of(refused)["status"] == 403, login
    own = other_owner.post(
        f"{BASE}/fabriques_territoire/validate",
        json={"files": files_of(other_owner, process_id="fabriques_territoire")},
    )
    assert own.status_code == 200 and own.get_json()["valid"] is True


def test_malformed_bodies_are_422_problems(api_for):
    owner = api_for("responsable.processus")
    for body in (
        {},
        {"files": "pas un objet"},
        {"files": {"a.bpmn": 3}},
        {"files": {}, "inconnu": 1},
        {"files": {"a.bpmn": "<x/>"}, "notes": "pas gardées"},
    ):
        for path in ("validate", "versions"):
            response = owner.post(f"{BASE}/{PROCESS}/{path}", json=body)
            assert problem_of(response)["status"] == 422, (path, body)
    missing = problem_of(owner.post(f"{BASE}/{PROCESS}/validate", json={}))
    assert "files" in missing["errors"]
    bad_name = owner.post(f"{BASE}/{PROCESS}/validate", json={"files": {"../x.bpmn": "<x/>"}})
    assert problem_of(bad_name)["status"] == 422


def test_the_openapi_document_describes_the_operations(api_for):
    spec = api_for(None).get("/api/v1/openapi.json").get_json()
    operations = {
        (path, method): operation
        for path, item in spec["paths"].items()
        # The migration plans under the same prefix have their own tests (test_migrations).
        if path.startswith(BASE) and "/migrations" not in path
        for method, operation in item.items()
        if method in ("get", "post")
    }
    assert set(operations) == {
        (BASE, "get"),
        (f"{BASE}/{{process_id}}", "get"),
        (f"{BASE}/{{process_id}}/versions", "get"),
        (f"{BASE}/{{process_id}}/versions", "post"),
        (f"{BASE}/{{process_id}}/versions/{{number}}/files", "get"),
        (f"{BASE}/{{process_id}}/validate", "post"),
    }
    for operation in operations.values():
        assert operation["security"] == [{"jeton": []}]
        assert operation["summary"] and "\n" not in operation["summary"]
    published = operations[(f"{BASE}/{{process_id}}/versions", "post")]["responses"]
    assert {"201", "200", "422"} <= set(published)

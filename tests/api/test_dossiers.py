"""Dossiers through the API: filing (once per idempotency key), the search with a cursor, and
one dossier as its page shows it, with its ETag — under the pages' authorization."""

from __future__ import annotations

import threading

import pytest

from tests.api.conftest import problem_of
from tests.procedures.test_demande_ingenierie import DEPOT

FILE = {"process_id": "demande_ingenierie", "territory": "23", "data": DEPOT}


def test_the_town_files_a_request_and_reads_it_back(api_for):
    town = api_for("mairie.gueret")
    response = town.post("/api/v1/dossiers", json=FILE)
    assert response.status_code == 201, response.get_json()
    dossier = response.get_json()
    reference = dossier["reference"]
    assert reference.startswith("ING-23-")
    assert response.headers["Location"] == f"/api/v1/dossiers/{reference}"
    assert dossier["status"] == "en_cours"
    assert dossier["organisation"] == "Commune de Guéret"
    assert [task["bpmn_id"] for task in dossier["tasks"]] == ["qualifier_besoin"]
    assert dossier["data"]["intitule_projet"] == DEPOT["intitule_projet"]
    assert dossier["history"][0]["kind"] == "dossier_cree"
    again = town.get(f"/api/v1/dossiers/{reference}")
    assert again.status_code == 200
    assert again.get_json()["reference"] == reference
    assert again.headers["ETag"] == response.headers["ETag"]


def test_the_form_is_checked_as_on_the_portal(api_for):
    town = api_for("mairie.gueret")
    data = {**DEPOT, "siren": "123456789"}
    body = problem_of(town.post("/api/v1/dossiers", json={**FILE, "data": data}))
    assert body["status"] == 422
    assert "data.siren" in body["errors"]
    assert town.get("/api/v1/dossiers").get_json()["total"] == 0


def test_a_town_cannot_file_for_another_territory(api_for):
    town = api_for("mairie.gueret")
    charleville = {**FILE, "data": {**DEPOT, "commune": "08105"}}
    body = problem_of(town.post("/api/v1/dossiers", json=charleville))
    assert body["status"] == 422
    assert "data.commune" in body["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"territory": "23", "data": DEPOT}, "process_id"),
        ({**FILE, "data": "pas un objet"}, "data"),
        ({**FILE, "process_id": 12}, "process_id"),
    ],
)
def test_malformed_bodies_are_422_problems_naming_the_field(api_for, body, field):
    response = api_for("mairie.gueret").post("/api/v1/dossiers", json=body)
    problem = problem_of(response)
    assert problem["status"] == 422
    assert field in problem["errors"]


def test_a_body_that_is_not_json_is_a_problem(api_for):
    response = api_for("mairie.gueret").post(
        "/api/v1/dossiers", data="{pas du json", content_type="application/json"
    )
    assert problem_of(response)["status"] in (400, 422)


def test_an_unknown_process_is_a_problem(api_for):
    response = api_for("mairie.gueret").post(
        "/api/v1/dossiers", json={**FILE, "process_id": "inconnu"}
    )
    assert problem_of(response)["status"] == 404


def test_the_same_key_and_body_give_back_the_same_dossier(api_for):
    town = api_for("mairie.gueret")
    key = {"Idempotency-Key": "si-gueret-2026-0001"}
    first = town.post("/api/v1/dossiers", json=FILE, headers=key)
    second = town.post("/api/v1/dossiers", json=FILE, headers=key)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["reference"] == second.get_json()["reference"]
    assert town.get("/api/v1/dossiers").get_json()["total"] == 1


def test_the_same_key_with_another_body_is_refused(api_for):
    town = api_for("mairie.gueret")
    key = {"Idempotency-Key": "si-gueret-2026-0002"}
    first = town.post("/api/v1/dossiers", json=FILE, headers=key)
    changed = {**FILE, "data": {**DEPOT, "intitule_projet": "Un autre projet"}}
    body = problem_of(town.post("/api/v1/dossiers", json=changed, headers=key))
    assert body["status"] == 422
    assert first.get_json()["reference"] in body["detail"]
    assert town.get("/api/v1/dossiers").get_json()["total"] == 1


def test_keys_belong_to_their_caller(api_for, platform):
    """Two systems choosing the same key each file their own dossier."""
    key = {"Idempotency-Key": "commune-0001"}
    town = api_for("mairie.gueret").post("/api/v1/dossiers", json=FILE, headers=key)
    national = api_for("anct.national").post(
        "/api/v1/dossiers", json={**FILE, "siren": "212309603"}, headers=key
    )
    assert national.status_code in (201, 403, 422)
    if national.status_code == 201:
        assert national.get_json()["reference"] != town.get_json()["reference"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_ten_concurrent_retries_file_one_dossier(api_for, platform, app):
    token = api_for("mairie.gueret").token
    barrier = threading.Barrier(10)
    answers: list[tuple[int, str | None]] = []

    def retry() -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/api/v1/dossiers", json=FILE,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "retry-storm"},
        )  # fmt: skip
        answers.append((response.status_code, (response.get_json() or {}).get("reference")))

    threads = [threading.Thread(target=retry) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in answers) == [200] * 9 + [201]
    assert len({reference for _, reference in answers}) == 1
    assert api_for("mairie.gueret").get("/api/v1/dossiers").get_json()["total"] == 1


def test_the_search_pages_with_a_cursor_and_keeps_to_the_callers_scope(api_for, dossiers):
    national = api_for("anct.national")
    first = national.get("/api/v1/dossiers?limit=1").get_json()
    assert first["total"] == 2 and len(first["items"]) == 1 and first["next_cursor"]
    rest = national.get(f"/api/v1/dossiers?limit=1&cursor={first['next_cursor']}").get_json()
    assert rest["next_cursor"] is None
    seen = {first["items"][0]["reference"], rest["items"][0]["reference"]}
    assert seen == {dossiers["gueret"], dossiers["ardenne"]}
    creuse = api_for("prefet.creuse").get("/api/v1/dossiers").get_json()
    assert [item["reference"] for item in creuse["items"]] == [dossiers["gueret"]]
    by_territory = national.get("/api/v1/dossiers?territory=08").get_json()
    assert [item["reference"] for item in by_territory["items"]] == [dossiers["ardenne"]]


def test_a_bad_cursor_or_filter_is_a_422_problem(api_for, dossiers):
    national = api_for("anct.national")
    assert "cursor" in problem_of(national.get("/api/v1/dossiers?cursor=zzz"))["errors"]
    assert "limit" in problem_of(national.get("/api/v1/dossiers?limit=0"))["errors"]
    assert "status" in problem_of(national.get("/api/v1/dossiers?status=perdu"))["errors"]


def test_a_dossier_outside_the_callers_scope_is_unknown(api_for, dossiers):
    response = api_for("prefet.ardennes").get(f"/api/v1/dossiers/{dossiers['gueret']}")
    assert problem_of(response)["status"] == 404
    other_town = api_for("ardenne.metropole").get(f"/api/v1/dossiers/{dossiers['gueret']}")
    assert other_town.status_code == 404


def test_the_etag_answers_304_until_the_dossier_moves(api_for, dossiers, platform):
    from engine import service

    prefet = api_for("prefet.creuse")
    path = f"/api/v1/dossiers/{dossiers['gueret']}"
    etag = prefet.get(path).headers["ETag"]
    assert prefet.get(path, headers={"If-None-Match": etag}).status_code == 304
    viewer = service.Viewer.command_line()
    task = service.get_instance(platform, dossiers["gueret"], viewer).tasks[0]
    service.claim(platform, viewer, task["id"])
    assert prefet.get(path, headers={"If-None-Match": etag}).status_code == 200

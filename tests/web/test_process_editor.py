"""Process owners edit a procedure in the browser: a draft in the database, saved with optimistic
locking, validated by the server, reviewed as semantic changes and published as a new
immutable version that new dossiers start on at once (the browser side is tested in
tests/browser/)."""

from __future__ import annotations

import io
import json
import re
import zipfile

from engine import service
from engine.service.catalogue.starter import starter_files
from tests.procedures.conftest import GUERET
from tests.procedures.test_demande_ingenierie import DEPOT
from tests.web.conftest import post_form
from tests.web.pages import seen

PROCESS = "demande_ingenierie"
BPMN = f"{PROCESS}/{PROCESS}.bpmn"
DATA_CSRF = re.compile(r'data-csrf="([^"]+)"')


def open_editor(client, process_id: str = PROCESS) -> str:
    """Open the draft from the process page as an owner does; the CSRF token of the editor."""
    answer = post_form(client, f"/processus/{process_id}/brouillon/ouvrir", {},
                       page=f"/processus/{process_id}/")  # fmt: skip
    assert answer.status_code == 302, answer.get_data(as_text=True)
    page = client.get(f"/processus/{process_id}/brouillon")
    assert page.status_code == 200
    return DATA_CSRF.search(page.get_data(as_text=True)).group(1)


def draft(client, process_id: str = PROCESS) -> dict:
    answer = client.get(f"/processus/{process_id}/brouillon/contenu")
    assert answer.status_code == 200
    return answer.get_json()


def save(client, token: str, files: dict, lock: int, process_id: str = PROCESS):
    return client.put(
        f"/processus/{process_id}/brouillon/contenu",
        json={"files": files, "lock_version": lock},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )


def test_an_owner_changes_a_deadline_reviews_it_and_publishes_version_2(
    client_for, platform, operator
):
    owner = client_for("responsable.processus")
    token = open_editor(owner)
    loaded = draft(owner)
    assert loaded["main"] == BPMN and loaded["lock_version"] == 1
    assert "forms/demande_ingenierie/qualifier.json" in loaded["files"]
    files = dict(loaded["files"])
    files[BPMN] = files[BPMN].replace('"P14D"', '"P21D"')

    broken = dict(files)
    broken[BPMN] = broken[BPMN].replace('decision_prefet == "transmission"', "decision_prefet ==")
    checked = owner.post(f"/processus/{PROCESS}/brouillon/verifier", json={"files": broken},
                         headers={"X-CSRFToken": token})  # fmt: skip
    problems = checked.get_json()["problems"]
    assert {(p["element_id"], p["rule"], p["severity"]) for p in problems} >= {
        ("f_transmission", "condition", "error")
    }
    saved = save(owner, token, files, 1)
    assert (saved.status_code, saved.get_json()) == (200, {"lock_version": 2})

    review = owner.get(f"/processus/{PROCESS}/brouillon/publier")
    changed = seen(review, "elements-modifies")
    assert "rappel_prefet" in changed and '« "P14D" » → « "P21D" »' in changed
    answer = post_form(owner, f"/processus/{PROCESS}/brouillon/publier", {"lock_version": "2"},
                       page=f"/processus/{PROCESS}/brouillon/publier")  # fmt: skip
    assert answer.status_code == 302
    page = owner.get(f"/processus/{PROCESS}/")
    assert "Version 2 publiée" in seen(page, "")
    assert "En service" in seen(page, "version-2")
    journal = seen(page, "journal")
    assert "Version publiée : version 2" in journal and "Brouillon ouvert" in journal

    started = service.start(platform, PROCESS, data=DEPOT, actor="mairie.gueret", **GUERET)
    assert started.version == 2
    old = owner.get(f"/processus/{PROCESS}/versions/1.zip")
    with zipfile.ZipFile(io.BytesIO(old.data)) as archive:
        assert '"P14D"' in archive.read(BPMN).decode()
        assert "forms/demande_ingenierie/qualifier.json" in archive.namelist()
    assert owner.get(f"/processus/{PROCESS}/brouillon/contenu").status_code == 404


def test_the_second_of_two_owners_saving_the_same_draft_is_told_and_nothing_is_lost(
    client_for,
):
    first, second = client_for("responsable.processus"), client_for("admin")
    token = open_editor(first)
    other_token = open_editor(second)
    files = draft(first)["files"]
    mine = {**files, BPMN: files[BPMN].replace('"P14D"', '"P10D"')}
    theirs = {**files, BPMN: files[BPMN].replace('"P14D"', '"P30D"')}
    assert save(first, token, mine, 1).status_code == 200
    refused = save(second, other_token, theirs, 1)
    assert refused.status_code == 409
    assert "responsable.processus a enregistré ce brouillon" in refused.get_json()["message"]
    kept = draft(first)
    assert '"P10D"' in kept["files"][BPMN] and kept["lock_version"] == 2


def test_saving_without_the_csrf_header_or_with_unsafe_xml_is_refused(client_for):
    owner = client_for("responsable.processus")
    token = open_editor(owner)
    files = draft(owner)["files"]
    no_token = owner.put(f"/processus/{PROCESS}/brouillon/contenu",
                         json={"files": files, "lock_version": 1})  # fmt: skip
    assert no_token.status_code == 400
    entity = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    unsafe = save(owner, token, {**files, BPMN: entity}, 1)
    assert unsafe.status_code == 422
    assert "DTD" in unsafe.get_json()["message"]
    badly_named = save(owner, token, {**files, "../../etc/cron.bpmn": files[BPMN]}, 1)
    assert badly_named.status_code == 422
    assert draft(owner)["lock_version"] == 1


def test_a_form_preview_is_rendered_by_the_server_with_its_problems(client_for):
    owner = client_for("responsable.processus")
    token = open_editor(owner)
    form = {"type": "object", "properties": {"avis": {"type": "string", "title": "Votre avis"}}}
    shown = owner.post(f"/processus/{PROCESS}/brouillon/apercu", json={"form": json.dumps(form)},
                       headers={"X-CSRFToken": token}).get_json()  # fmt: skip
    assert "Votre avis" in shown["html"] and shown["problems"] == []
    wrong = owner.post(f"/processus/{PROCESS}/brouillon/apercu", json={"form": "{"},
                       headers={"X-CSRFToken": token}).get_json()  # fmt: skip
    assert wrong["html"] == "" and "JSON invalide" in wrong["problems"][0]


def test_an_owner_creates_a_procedure_from_nothing_and_a_collectivite_can_file_it(
    client_for, platform
):
    owner = client_for("responsable.processus")
    answer = post_form(owner, "/processus/nouvelle",
                       {"process_id": "petites_villes", "name": "Petites villes de demain"})  # fmt: skip
    assert answer.status_code == 302 and answer.location.endswith(
        "/processus/petites_villes/brouillon"
    )
    refused = post_form(owner, "/processus/nouvelle", {"process_id": "Petites Villes", "name": "x"})
    assert refused.status_code == 422
    assert "Identifiant refusé" in seen(refused, "")
    review = owner.get("/processus/petites_villes/brouillon/publier")
    assert "Première version" in seen(review, "")
    published = post_form(owner, "/processus/petites_villes/brouillon/publier",
                          {"lock_version": "1"}, page="/processus/petites_villes/brouillon/publier")  # fmt: skip
    assert published.status_code == 302
    offers = seen(client_for("mairie.gueret").get("/portail/"), "offres")
    assert "Petites villes de demain" in offers
    assert "responsable.processus" in seen(owner.get("/processus/petites_villes/"), "responsables")


def test_only_owners_and_administrators_edit_national_staff_read(client_for):
    other_owner = client_for("responsable.fabriques")
    assert other_owner.get(f"/processus/{PROCESS}/").status_code == 200
    refused = post_form(other_owner, f"/processus/{PROCESS}/brouillon/ouvrir", {},
                        page=f"/processus/{PROCESS}/")  # fmt: skip
    assert refused.status_code == 403
    assert other_owner.get(f"/processus/{PROCESS}/brouillon/contenu").status_code in (403, 404)
    national = client_for("anct.national")
    page = national.get(f"/processus/{PROCESS}/")
    assert page.status_code == 200 and "Modifier la procédure" not in page.get_data(as_text=True)
    assert national.get(f"/processus/{PROCESS}/versions/1.zip").status_code == 200
    assert client_for("prefet.creuse").get(f"/processus/{PROCESS}/").status_code == 403
    fabriques = client_for("responsable.fabriques")
    assert post_form(fabriques, "/processus/fabriques_territoire/brouillon/ouvrir", {},
                     page="/processus/fabriques_territoire/").status_code == 302  # fmt: skip


def test_an_import_of_a_zip_replaces_the_draft_and_is_logged(client_for):
    owner = client_for("responsable.processus")
    files = starter_files("petites_villes", "Petites villes de demain")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        archive.writestr("__MACOSX/._x.bpmn", "ignored")
    token_page = "/processus/"
    answer = owner.post("/processus/importer", data={
        "fichiers": (io.BytesIO(buffer.getvalue()), "petites_villes.zip"),
        "csrf_token": _token(owner, token_page),
    }, content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert answer.location.endswith("/processus/petites_villes/brouillon")
    imported = draft(owner, "petites_villes")
    assert set(imported["files"]) == set(files)
    assert "Fichiers importés" in seen(owner.get("/processus/petites_villes/"), "journal")


def _token(client, page: str) -> str:
    from tests.web.conftest import csrf_token

    return csrf_token(client, page)

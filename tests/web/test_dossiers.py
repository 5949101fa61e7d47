"""Dossier pages, their diagram routes and the search, as each demo account sees them."""

from __future__ import annotations

import csv
import io
import re

import pytest

from engine import service
from engine.service.dossiers import search as dossier_search
from tests.procedures.conftest import GUERET, person
from tests.procedures.test_demande_ingenierie import (
    COMPLEMENTS,
    DEPOT,
    NON_RECEVABLE,
)
from tests.web.pages import seen

PREFET_23 = person("prefet.creuse", "prefet", "23")


def text(answer, testid: str | None = None) -> str:
    """What a person reads on the page (or in the element with this data-testid)."""
    return seen(answer, testid or "")


section = text


# ---------------------------------------------------------------- the dossier page


@pytest.mark.parametrize(
    "login", ["prefet.creuse", "mairie.gueret", "anct.national", "comite.membre"]
)
def test_the_dossier_page_shows_the_dossier(client_for, dossiers, login):
    page = client_for(login).get(f"/dossiers/{dossiers['gueret']}")
    assert page.status_code == 200
    seen = text(page)
    assert f"Dossier {dossiers['gueret']}" in seen
    assert "Demande d'accompagnement en ingénierie sur mesure" in seen
    assert "En cours" in section(page, "statut")
    assert "Creuse (23)" in section(page, "territoire")
    assert "Commune de Guéret (SIREN 212309603)" in section(page, "demandeur")
    data = section(page, "donnees")
    for label, value in [
        ("Intitulé du projet", "Revitalisation commerciale du centre-ville de Guéret"),
        ("Champs d'intervention", "Revitalisation commerciale, Habitat, Mobilité"),
        ("Type d'accompagnement souhaité", "Montage de projet"),
        ("Prénom et nom", "Sophie Lemaire"),
        ("Date de démarrage souhaitée", "01/09/2026"),
    ]:
        assert f"{label} {value}" in data
    history = section(page, "historique")
    assert "Sophie Lemaire Dossier déposé" in history
    assert "Plateforme Étape automatique Enregistrer la demande" in history
    tasks = section(page, "taches")
    assert "Qualifier le besoin" in tasks and "Préfet (délégué territorial)" in tasks
    assert "23 mars 2026" in tasks
    timers = section(page, "echeances")
    assert "14 jours sans décision" in timers and "16 mars 2026" in timers
    assert "30 jours sans décision" in timers and "1er avril 2026" in timers


def test_only_those_who_may_act_get_the_task_link(client_for, dossiers, platform):
    [task] = [
        t for t in service.list_tasks(platform, PREFET_23) if t["instance"] == dossiers["gueret"]
    ]
    link = f'href="/taches/{task["id"]}"'
    assert link in client_for("prefet.creuse").get(f"/dossiers/{dossiers['gueret']}").get_data(
        as_text=True
    )
    for login in ("mairie.gueret", "anct.national"):
        assert link not in client_for(login).get(f"/dossiers/{dossiers['gueret']}").get_data(
            as_text=True
        )


def test_the_page_works_without_javascript_and_loads_the_diagram_from_files(client_for, dossiers):
    page = client_for("prefet.creuse").get(f"/dossiers/{dossiers['gueret']}")
    body = page.get_data(as_text=True)
    assert "<noscript>" in body and "toutes les informations du dossier restent lisibles" in body
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", body, flags=re.S)
    assert scripts and all(
        'src="' in attributes and not inline.strip() for attributes, inline in scripts
    )
    assert "bpmn-js/dist/bpmn-navigated-viewer.production.min.js" in body
    assert f'data-bpmn-url="/dossiers/{dossiers["gueret"]}/schema.bpmn"' in body
    assert f'data-etats-url="/dossiers/{dossiers["gueret"]}/etats.json"' in body
    client = client_for(None)
    script = client.get("/static/dossier-schema.js")
    assert script.status_code == 200 and "addMarker" in script.get_data(as_text=True)
    style = client.get("/static/dossier.css")
    assert style.status_code == 200 and ".etat-en-cours" in style.get_data(as_text=True)


@pytest.mark.parametrize("login", ["prefet.ardennes", "ardenne.metropole", "expert.cerema"])
@pytest.mark.parametrize("suffix", ["", "/schema.bpmn", "/etats.json"])
def test_outside_the_scope_a_dossier_does_not_exist(client_for, dossiers, login, suffix):
    answer = client_for(login).get(f"/dossiers/{dossiers['gueret']}{suffix}")
    assert answer.status_code == 404
    body = answer.get_data(as_text=True)
    assert "Dossier introuvable" in body and "Revitalisation" not in body and "<bpmn" not in body


@pytest.mark.parametrize("suffix", ["", "/schema.bpmn", "/etats.json"])
def test_anonymous_visitors_are_sent_to_sign_in(client_for, dossiers, suffix):
    answer = client_for(None).get(f"/dossiers/{dossiers['gueret']}{suffix}")
    assert answer.status_code in (302, 401)
    assert "Revitalisation" not in answer.get_data(as_text=True)


def test_unknown_dossier_is_a_french_404(client_for, dossiers):
    answer = client_for("anct.national").get("/dossiers/ING-23-2026-99999")
    assert answer.status_code == 404 and "Dossier introuvable" in answer.get_data(as_text=True)


def test_the_diagram_routes_serve_the_bpmn_and_the_states(client_for, dossiers, platform):
    client = client_for("mairie.gueret")
    xml = client.get(f"/dossiers/{dossiers['gueret']}/schema.bpmn")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert '<bpmn:process id="demande_ingenierie"' in xml.get_data(as_text=True)
    states = client.get(f"/dossiers/{dossiers['gueret']}/etats.json").get_json()
    assert states["current"] == ["qualifier_besoin"]
    assert {"depot", "enregistrer_demande"} <= set(states["completed"])
    assert {"rappel_prefet", "escalade_prefet"} <= set(states["pending"])

    [task] = [
        t for t in service.list_tasks(platform, PREFET_23) if t["instance"] == dossiers["gueret"]
    ]
    service.complete(platform, PREFET_23, task["id"], COMPLEMENTS)
    states = client.get(f"/dossiers/{dossiers['gueret']}/etats.json").get_json()
    assert states["current"] == ["completer_demande"]
    assert "qualifier_besoin" in states["completed"]
    page = client.get(f"/dossiers/{dossiers['gueret']}")
    assert "Préfecture de la Creuse Tâche traitée Qualifier le besoin" in section(
        page, "historique"
    )
    assert "Compléter la demande" in section(page, "taches")


def test_a_finished_dossier_shows_its_outcome(client_for, dossiers, platform):
    [task] = [
        t for t in service.list_tasks(platform, PREFET_23) if t["instance"] == dossiers["gueret"]
    ]
    service.complete(platform, PREFET_23, task["id"], NON_RECEVABLE)
    page = client_for("mairie.gueret").get(f"/dossiers/{dossiers['gueret']}")
    assert "Terminé" in section(page, "statut")
    seen = text(page)
    assert "Issue : Non recevable" in seen
    assert "Aucune tâche en cours." in seen and "Aucune échéance en attente." in seen
    assert "Dossier terminé" in section(page, "historique")
    states = (
        client_for("mairie.gueret").get(f"/dossiers/{dossiers['gueret']}/etats.json").get_json()
    )
    assert states["current"] == [] and "fin_non_recevable" in states["completed"]


# ---------------------------------------------------------------- search


def results(answer) -> list[str]:
    return re.findall(
        r'<a href="/dossiers/([A-Z]+-[0-9AB]+-\d{4}-\d{5})">', answer.get_data(as_text=True)
    )


def count(answer) -> str:
    return section(answer, "compte").strip()


def test_a_prefet_searches_only_their_departement(client_for, dossiers):
    client = client_for("prefet.creuse")
    everything = client.get("/dossiers/")
    assert everything.status_code == 200
    assert results(everything) == [dossiers["gueret"]] and count(everything).startswith(
        "1 dossier trouvé"
    )
    for query in (
        "organisation=ardenne",
        "siren=200041630",
        "territoire=08",
        f"reference={dossiers['ardenne']}",
    ):
        answer = client.get(f"/dossiers/?{query}")
        assert answer.status_code == 200, query
        assert results(answer) == [] and count(answer).startswith("0 dossier trouvé"), query
        assert "Ardenne" not in section(answer, "compte")


def test_national_staff_search_by_each_filter(client_for, dossiers):
    client = client_for("anct.national")
    assert sorted(results(client.get("/dossiers/"))) == sorted(dossiers.values())
    assert count(client.get("/dossiers/")).startswith("2 dossiers trouvés")
    for query, expected in [
        ("organisation=ARDENNE", ["ardenne"]),
        ("organisation=commune+de", ["gueret"]),
        ("siren=212309603", ["gueret"]),
        ("territoire=23", ["gueret"]),
        ("reference=ING-08", ["ardenne"]),
        ("statut=en_cours&procedure=demande_ingenierie", ["ardenne", "gueret"]),
        ("statut=terminee", []),
        ("procedure=pass_numerique", []),
    ]:
        assert sorted(results(client.get(f"/dossiers/?{query}"))) == sorted(
            dossiers[name] for name in expected
        ), query


def test_the_search_form_keeps_its_values_and_names_errors_next_to_fields(client_for, dossiers):
    client = client_for("anct.national")
    answer = client.get("/dossiers/?territoire=99&organisation=Gu%C3%A9ret")
    assert answer.status_code == 422
    body = answer.get_data(as_text=True)
    assert 'value="Guéret"' in body
    assert re.search(
        r'id="recherche-territoire"[^>]*aria-invalid="true"[^>]*aria-describedby="recherche-territoire-erreur"',
        body,
    )
    assert (
        '<p id="recherche-territoire-erreur" class="fr-error-text">Code de département inconnu.</p>'
        in body
    )
    assert results(answer) == []


def test_search_pages(client_for, platform):
    for number in range(21):
        service.start(
            platform, "demande_ingenierie", data={**DEPOT, "intitule_projet": f"Projet {number}"},
            organisation="Commune de Guéret", **GUERET,
        )  # fmt: skip
    client = client_for("prefet.creuse")
    first = client.get("/dossiers/?statut=en_cours")
    assert len(results(first)) == 20 and count(first).startswith("21 dossiers trouvés")
    body = first.get_data(as_text=True)
    assert 'href="/dossiers/?page=2&amp;statut=en_cours"' in body
    second = client.get("/dossiers/?statut=en_cours&page=2")
    assert len(results(second)) == 1
    assert not set(results(first)) & set(results(second))


@pytest.mark.parametrize("login", ["mairie.gueret", "admin"])
def test_the_search_is_for_staff(client_for, dossiers, login):
    assert client_for(login).get("/dossiers/").status_code == 403


def test_an_expert_search_finds_nothing_unassigned(client_for, dossiers):
    answer = client_for("expert.cerema").get("/dossiers/")
    assert answer.status_code == 200 and results(answer) == []
    assert count(answer).startswith("0 dossier trouvé")


# ---------------------------------------------------------------- CSV export of the search


def exported(answer) -> list[list[str]]:
    """The rows of a CSV export as a French spreadsheet reads them (BOM, `;`)."""
    assert answer.status_code == 200, answer.status_code
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = answer.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


HEADER = [
    "Référence", "Procédure", "Statut", "Issue", "Territoire", "Organisation", "SIREN",
    "Déposé le", "Dernière activité", "Terminé le", "Aide en cours (€)", "Versé (€)",
]  # fmt: skip
#: The amount columns of the engineering request's forms (see tests/web/test_labels.py).
AMOUNTS = ["Coût estimé de l'accompagnement (€)"]


def test_the_export_is_the_search_as_a_csv_for_french_spreadsheets(
    client_for, dossiers, monkeypatch
):
    client = client_for("anct.national")
    answer = client.get("/dossiers/export.csv")
    assert answer.headers["Content-Disposition"] == 'attachment; filename="dossiers-2026-03-02.csv"'
    assert answer.headers["Cache-Control"] == "private, no-store"
    assert b"\r\n" in answer.get_data()
    rows = exported(answer)
    assert rows[0] == HEADER + AMOUNTS
    assert sorted(rows[1:]) == sorted([
        [dossiers["gueret"], "Demande d'accompagnement en ingénierie sur mesure", "En cours", "",
         "Creuse (23)", "Commune de Guéret", "212309603", "02/03/2026 09:00", "02/03/2026 09:00",
         "", "", "", ""],
        [dossiers["ardenne"], "Demande d'accompagnement en ingénierie sur mesure", "En cours", "",
         "Ardennes (08)", "CA Ardenne Métropole", "200041630", "02/03/2026 09:00",
         "02/03/2026 09:00", "", "", "", ""],
    ])  # fmt: skip
    assert answer.headers["X-Dossiers-Trouves"] == "2"
    # The same filters as the page.
    for query, expected in [
        ("organisation=ardenne", ["ardenne"]),
        ("siren=212309603&statut=en_cours", ["gueret"]),
        ("territoire=8", ["ardenne"]),
        ("reference=ING-23", ["gueret"]),
        ("statut=terminee", []),
    ]:
        rows = exported(client.get(f"/dossiers/export.csv?{query}"))
        assert rows[0] == HEADER + (AMOUNTS if expected else []), query
        assert [row[0] for row in rows[1:]] == [dossiers[name] for name in expected], query

    # At most EXPORT_LIMIT dossiers, the newest; the page says so.
    monkeypatch.setattr(dossier_search, "EXPORT_LIMIT", 1)
    answer = client.get("/dossiers/export.csv")
    assert [row[0] for row in exported(answer)[1:]] == [dossiers["ardenne"]]
    assert answer.headers["X-Dossiers-Trouves"] == "2"
    assert section(client.get("/dossiers/"), "export") == (
        "Exporter (CSV) Les 1 plus récents des 2 dossiers trouvés : "
        "précisez les critères pour exporter les autres."
    )


def test_a_finished_dossier_is_exported_with_its_outcome(client_for, dossiers, platform, clock):
    [task] = [
        t for t in service.list_tasks(platform, PREFET_23) if t["instance"] == dossiers["gueret"]
    ]
    clock.set("2026-03-12T10:00:00+01:00")
    service.complete(platform, PREFET_23, task["id"], NON_RECEVABLE)
    rows = exported(client_for("prefet.creuse").get("/dossiers/export.csv"))
    assert rows[1:] == [
        [dossiers["gueret"], "Demande d'accompagnement en ingénierie sur mesure", "Terminé",
         "Non recevable", "Creuse (23)", "Commune de Guéret", "212309603", "02/03/2026 09:00",
         "12/03/2026 10:00", "12/03/2026 10:00", "", "", ""],
    ]  # fmt: skip


def test_the_export_keeps_to_the_scope_of_whoever_asks(client_for, dossiers):
    prefet = client_for("prefet.ardennes")
    rows = exported(prefet.get("/dossiers/export.csv"))
    assert [row[0] for row in rows[1:]] == [dossiers["ardenne"]]
    for query in (
        "organisation=Gu%C3%A9ret",
        "siren=212309603",
        "territoire=23",
        f"reference={dossiers['gueret']}",
    ):
        answer = prefet.get(f"/dossiers/export.csv?{query}")
        assert exported(answer) == [HEADER], query
        body = answer.get_data(as_text=True)
        assert "Guéret" not in body and "212309603" not in body, query
        assert dossiers["gueret"] not in body and answer.headers["X-Dossiers-Trouves"] == "0"
    # An expert exports the dossiers of their missions only: none here.
    assert exported(client_for("expert.cerema").get("/dossiers/export.csv")) == [HEADER]
    for login in ("mairie.gueret", "ardenne.metropole", "admin"):
        answer = client_for(login).get("/dossiers/export.csv")
        assert answer.status_code == 403, login
        assert "Guéret" not in answer.get_data(as_text=True)
    anonymous = client_for(None).get("/dossiers/export.csv")
    assert anonymous.status_code == 302 and anonymous.location.startswith("/connexion")


def test_the_export_neutralises_spreadsheet_formulas(client_for, platform):
    names = {
        "=HYPERLINK(\"https://example.org\";\"Cliquez\")": "'=HYPERLINK(\"https://example.org\";\"Cliquez\")",
        "+33 5 55 51 47 00": "'+33 5 55 51 47 00",
        "-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
        "@SOMME(A1:A9)": "'@SOMME(A1:A9)",
        "Commune d'Ahun = 2 + 2": "Commune d'Ahun = 2 + 2",
    }  # fmt: skip
    for name in names:
        service.start(
            platform, "demande_ingenierie", data=DEPOT, organisation=name, **GUERET
        )  # fmt: skip
    rows = exported(client_for("prefet.creuse").get("/dossiers/export.csv"))
    assert sorted(row[5] for row in rows[1:]) == sorted(names.values())


def test_the_search_page_offers_the_export_of_its_filters(client_for, dossiers):
    client = client_for("prefet.creuse")
    page = client.get("/dossiers/?organisation=gu%C3%A9ret&statut=en_cours&page=1&siren=")
    body = page.get_data(as_text=True)
    link = re.search(r'<a [^>]*href="([^"]+)"[^>]*>Exporter \(CSV\)</a>', body)
    assert link, "pas de lien d'export"
    href = link.group(1).replace("&amp;", "&")
    assert href == "/dossiers/export.csv?organisation=gu%C3%A9ret&statut=en_cours"
    rows = exported(client.get(href))
    assert [row[0] for row in rows[1:]] == [dossiers["gueret"]]
    # Refused filters are refused by the export as by the page.
    assert client.get("/dossiers/export.csv?siren=123").status_code == 422
    assert client.get("/dossiers/export.csv?territoire=99").status_code == 422

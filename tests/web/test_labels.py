"""No code reaches a person: outcomes, lanes, actors, history, script variables and the CSV
export read in French, from the one table of engine.labels (issue 12, defect 7)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from engine import labels, service
from engine.scheduler.firing import fire_due
from tests.procedures import test_pass_numerique as pass_numerique
from tests.procedures.conftest import PROCESSES, person
from tests.procedures.test_demande_ingenierie import COMPLEMENTS, NON_RECEVABLE
from tests.web.pages import seen

PREFET_23 = person("prefet.creuse", "prefet", "23")
#: A snake_case word: how a code looks (`non_recevable`, `equipe_nationale`, `date_depot`).
CODE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
#: Codes written as one word, which the pattern above cannot tell from French.
ONE_WORD_CODES = ("minuterie", "prefet", "collectivite", "comite")


def codes_in(text: str) -> set[str]:
    words = set(re.findall(r"\b\w+\b", text))
    return set(CODE.findall(text)) | {code for code in ONE_WORD_CODES if code in words}


def task_of(platform, reference: str) -> dict:
    [task] = [t for t in service.list_tasks(platform, PREFET_23) if t["instance"] == reference]
    return task


def exported(answer) -> list[list[str]]:
    assert answer.status_code == 200, answer.status_code
    body = answer.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body, newline=""), delimiter=";"))


def test_every_outcome_and_lane_of_the_procedures_has_its_label():
    """A procedure's end events and lanes are codes the pages show: each has its label."""
    outcomes, lanes = set(), set()
    for path in Path(PROCESSES).glob("*/*.bpmn"):
        text = path.read_text(encoding="utf-8")
        outcomes |= set(re.findall(r'name="outcome" value="([^"]+)"', text))
        lanes |= set(re.findall(r'<bpmn:lane [^>]*name="([^"]+)"', text))
    assert outcomes and lanes
    assert outcomes - set(labels.OUTCOMES) == set()
    assert lanes - set(labels.ROLES) == set()
    assert labels.outcome("code_inconnu") == "Code inconnu"
    assert labels.outcome("code_inconnu", "Nom de la fin") == "Nom de la fin"


def test_a_closed_dossier_reads_in_words_on_its_page_its_notice_and_the_export(
    client_for, dossiers, platform
):
    reference = dossiers["gueret"]
    service.complete(platform, PREFET_23, task_of(platform, reference)["id"], NON_RECEVABLE)
    for login in ("mairie.gueret", "prefet.creuse"):
        page = client_for(login).get(f"/dossiers/{reference}")
        assert "Issue : Non recevable" in seen(page, "issue")
        assert "Dossier terminé Non recevable" in seen(page, "historique")
        assert codes_in(seen(page)) == set(), login
    notices = seen(client_for("mairie.gueret").get("/notifications"), "notifications")
    assert f"[ANCT] Dossier {reference} : Non recevable" in notices
    assert "non_recevable" not in notices
    [row] = exported(
        client_for("prefet.creuse").get(f"/dossiers/export.csv?reference={reference}")
    )[1:]
    assert row[2:4] == ["Terminé", "Non recevable"]


def test_a_timer_acts_as_the_platform_not_as_minuterie(client_for, dossiers, platform, clock):
    reference = dossiers["gueret"]
    service.complete(platform, PREFET_23, task_of(platform, reference)["id"], COMPLEMENTS)
    clock.set("2026-04-20T09:00:00+02:00")
    assert fire_due(platform).claimed >= 1
    page = client_for("anct.national").get(f"/dossiers/{reference}")
    history = seen(page, "historique")
    assert "Plateforme (échéance atteinte)" in history and "minuterie" not in history
    assert "Dossier terminé Classée sans suite" in history
    assert codes_in(seen(page)) == set()


def test_script_variables_and_assignees_read_as_words(client_for, dossiers, platform):
    reference = dossiers["gueret"]
    service.claim(platform, PREFET_23, task_of(platform, reference)["id"])
    page = client_for("anct.national").get(f"/dossiers/{reference}")
    assert "Date de dépôt" in seen(page) and "date_depot" not in seen(page)
    details = service.get_instance(platform, reference, service.Viewer.command_line())
    recorded = details.data["date_depot"]  # ISO, as the script wrote it
    day, month, year = recorded[8:10], recorded[5:7], recorded[:4]
    assert f"{day}/{month}/{year}" in seen(page) and recorded not in seen(page, "donnees")
    assert "Préfecture de la Creuse" in seen(page, "taches")
    assert "prefet.creuse" not in seen(page, "taches")


def test_the_diagram_names_its_lanes_by_role(client_for, dossiers):
    xml = client_for("mairie.gueret").get(f"/dossiers/{dossiers['gueret']}/schema.bpmn")
    body = xml.get_data(as_text=True)
    assert 'name="Équipe nationale"' in body and 'name="Préfet (délégué territorial)"' in body
    assert not re.search(r'<bpmn:lane [^>]*name="(equipe_nationale|prefet|collectivite)"', body)
    assert '<bpmn:process id="demande_ingenierie"' in body


def test_the_export_gives_the_amounts_of_each_procedure(client_for, dossiers, platform):
    application = service.start(
        platform, "pass_numerique", actor="depot", organisation="CA du Grand Guéret",
        data={
            **pass_numerique.CANDIDATURE, "campagne": "PASS-NUMERIQUE-DEMO",
            "lieux_qualifies": [{"nom": "Médiathèque", "commune": "23096", "statut": "qualifie"}],
        },
        territory="23", siren="200034825",
    ).reference  # fmt: skip
    rows = exported(client_for("anct.national").get("/dossiers/export.csv"))
    header = rows[0]
    for column in (
        "Coût estimé de l'accompagnement (€)",
        "Valeur unitaire d'un pass (€)",
        "Coût total du projet (€)",
        "Cofinancement demandé à l'État (€)",
        "Cofinancement accordé par l'État (€)",
    ):
        assert column in header
    by_reference = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    mine = by_reference[application]
    assert mine["Coût total du projet (€)"] == "200000"
    assert mine["Cofinancement demandé à l'État (€)"] == "100000"
    assert mine["Valeur unitaire d'un pass (€)"] == "10"
    assert mine["Cofinancement accordé par l'État (€)"] == ""
    assert by_reference[dossiers["gueret"]]["Coût total du projet (€)"] == ""
    assert mine["Statut"] == "En cours"

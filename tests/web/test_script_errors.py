"""A procedure's script refusing or failing on a submission (issue 12, defect 3).

A business rule (`refuser("…")`) shows its message on the form; an unexpected script error
shows a French message; in both cases the form comes back with what the person typed, nothing
is filed, and the page never shows a traceback or an exception name. The technical error goes
to the logs.
"""

from __future__ import annotations

import logging
from html import unescape

import pytest

from engine import service
from tests.procedures.conftest import ARDENNE_METROPOLE, GUERET, only_task, person
from tests.procedures.test_demande_ingenierie import DEPOT
from tests.procedures.test_pass_numerique import CANDIDATURE
from tests.web.conftest import post_form
from tests.web.test_dossiers import text
from tests.web.test_portal import as_form, field_group

TECHNICAL = ("Traceback", "ValueError", "KeyError", "Erreur dans le script", "ligne ")
COMITE = person("comite.membre", "comite")
PREFET_08 = person("prefet.ardennes", "prefet", "08")
PREFET_23 = person("prefet.creuse", "prefet", "23")


def shows_nothing_technical(answer) -> None:
    body = answer.get_data(as_text=True)
    for word in TECHNICAL:
        assert word not in body, f"« {word} » montré à la personne"


# ---------------------------------------------------------------- a business rule: refuser()


@pytest.fixture
def jury_task(platform) -> str:
    """A pass numérique application asking 70 000 € of the State, at the national jury."""
    asked = {**CANDIDATURE, "campagne": "PASS-NUMERIQUE-DEMO", "cofinancement_etat": 70000,
             "part_collectivite": 130000}  # fmt: skip
    reference = service.start(
        platform, "pass_numerique", data=asked, actor="ardenne.metropole", **ARDENNE_METROPOLE
    ).reference
    avis = only_task(platform, PREFET_08, reference, "avis_prefet")
    service.complete(platform, PREFET_08, avis["id"], {"avis_prefet": "favorable"})
    return only_task(platform, COMITE, reference, "deliberer_jury")["id"]


def test_a_grant_above_the_amount_asked_is_refused_on_the_form(client_for, platform, jury_task):
    client = client_for("comite.membre")
    page = f"/taches/{jury_task}"
    refused = post_form(client, page, {"decision_jury": "retenu", "montant_accorde": "80000"})
    assert refused.status_code == 422
    shows_nothing_technical(refused)
    group = unescape(field_group(refused, "montant_accorde"))
    assert "Le montant accordé dépasse le cofinancement demandé à l'État" in group
    assert 'value="80000"' in group and 'aria-invalid="true"' in group
    assert 'value="retenu" checked' in field_group(refused, "decision_jury")
    # Nothing was kept: the jury's task is still open, and a correct amount goes through.
    assert only_task(platform, COMITE, refused_reference(platform), "deliberer_jury")
    granted = post_form(client, page, {"decision_jury": "retenu", "montant_accorde": "70000"})
    assert granted.status_code == 302


def refused_reference(platform) -> str:
    [task] = [t for t in service.list_tasks(platform, COMITE) if t["bpmn_id"] == "deliberer_jury"]
    return task["instance"]


# ---------------------------------------------------------------- an unexpected script error

BROKEN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Definitions_essai_panne" targetNamespace="http://anct.gouv.fr/bpmn/tests">
  <bpmn:process id="essai_panne" name="Essai d'un script en panne" isExecutable="true">
    <bpmn:extensionElements>
      <spiffworkflow:properties>
        <spiffworkflow:property name="referencePrefix" value="ESS"/>
        <spiffworkflow:property name="startForm" value="demande_ingenierie/depot.json"/>
      </spiffworkflow:properties>
    </bpmn:extensionElements>
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_collectivite" name="collectivite">
        <bpmn:flowNodeRef>depot</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>calculer_depot</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="Lane_prefet" name="prefet">
        <bpmn:flowNodeRef>avis</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>calculer_avis</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>fin</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="depot"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="calculer_depot" name="Calculer au dépôt">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>if intitule_projet == "Panne":
    resultat = {}["absent"]</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="avis" name="Donner l'avis">
      <bpmn:extensionElements>
        <spiffworkflow:formJsonSchemaFilename>pass_numerique/avis_prefet.json</spiffworkflow:formJsonSchemaFilename>
      </bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:scriptTask id="calculer_avis" name="Calculer après l'avis">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:script>if avis_prefet == "reserve":
    resultat = {}["absent"]</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="fin" name="Avis donné"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="depot" targetRef="calculer_depot"/>
    <bpmn:sequenceFlow id="f2" sourceRef="calculer_depot" targetRef="avis"/>
    <bpmn:sequenceFlow id="f3" sourceRef="avis" targetRef="calculer_avis"/>
    <bpmn:sequenceFlow id="f4" sourceRef="calculer_avis" targetRef="fin"/>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def broken(platform, tmp_path) -> service.Services:
    folder = tmp_path / "essai_panne"
    folder.mkdir()
    (folder / "essai_panne.bpmn").write_text(BROKEN, encoding="utf-8")
    service.deploy_path(platform, folder)
    return platform


def technical_log(caplog) -> str:
    return "\n".join(
        r.getMessage() + (str(r.exc_info) if r.exc_info else "")
        for r in caplog.records
        if r.levelno >= logging.ERROR
    )


def test_a_failing_task_script_shows_the_form_again_and_logs_the_error(client_for, broken, caplog):
    reference = service.start(
        broken, "essai_panne", data=DEPOT, actor="mairie.gueret", **GUERET
    ).reference
    task = only_task(broken, PREFET_23, reference, "avis")
    client = client_for("prefet.creuse")
    typed = {"avis_prefet": "reserve", "motivation_prefet": "Plan de financement fragile."}
    with caplog.at_level(logging.ERROR, logger="anct.web"):
        failed = post_form(client, f"/taches/{task['id']}", typed)
    assert failed.status_code == 422
    shows_nothing_technical(failed)
    assert "la procédure a rencontré une erreur inattendue" in text(failed, "message")
    assert "Vos informations sont conservées" in text(failed, "message")
    assert 'value="reserve" checked' in field_group(failed, "avis_prefet")
    assert "Plan de financement fragile." in unescape(field_group(failed, "motivation_prefet"))
    # The developers have what they need: the element, the exception and its traceback.
    logged = technical_log(caplog)
    assert "calculer_avis" in logged and "KeyError" in logged and "Traceback" in logged
    # Nothing was kept.
    assert only_task(broken, PREFET_23, reference, "avis")["id"] == task["id"]


def test_a_failing_filing_script_shows_the_form_again_and_logs_the_error(
    client_for, broken, caplog
):
    client = client_for("mairie.gueret")
    path = "/portail/deposer/essai_panne"
    with caplog.at_level(logging.ERROR, logger="anct.web"):
        failed = post_form(client, path, {**as_form(DEPOT), "intitule_projet": "Panne",
                                          "_action": "deposer"})  # fmt: skip
    assert failed.status_code == 422
    shows_nothing_technical(failed)
    assert "la procédure a rencontré une erreur inattendue" in text(failed)
    assert 'value="Panne"' in field_group(failed, "intitule_projet")
    assert 'value="Commune de Guéret"' in field_group(failed, "nom_demandeur")
    logged = technical_log(caplog)
    assert "calculer_depot" in logged and "KeyError" in logged and "Traceback" in logged
    assert service.list_tasks(broken, PREFET_23) == []

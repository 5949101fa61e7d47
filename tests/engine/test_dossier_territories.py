"""The process property `territoires`: the départements a dossier covers besides its own.

A small process over the Pas-de-Calais whose scripts widen then narrow the départements it
covers: after each step, the préfets of exactly those départements see the dossier (its page,
the search), through the rows the step wrote in its own transaction (`dossier_territories`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import service
from engine.errors import NotFound, ScriptError
from engine.service.dossiers.search import SearchFilter, search

LENS = {"territory": "62", "siren": "246200364"}
OPERATOR = service.Viewer.command_line()


def prefet(code: str) -> service.Viewer:
    return service.Viewer(f"prefet.{code}", (service.Grant("prefet", code),))


def script(task_id: str, body: str, incoming: str, outgoing: str) -> str:
    return f"""
    <bpmn:scriptTask id="{task_id}" name="{task_id}">
      <bpmn:incoming>{incoming}</bpmn:incoming>
      <bpmn:outgoing>{outgoing}</bpmn:outgoing>
      <bpmn:script>{body}</bpmn:script>
    </bpmn:scriptTask>"""


def task(task_id: str, incoming: str, outgoing: str) -> str:
    return f"""
    <bpmn:userTask id="{task_id}" name="{task_id}">
      <bpmn:incoming>{incoming}</bpmn:incoming>
      <bpmn:outgoing>{outgoing}</bpmn:outgoing>
    </bpmn:userTask>"""


def flow(ident: str, source: str, target: str) -> str:
    return f'<bpmn:sequenceFlow id="{ident}" sourceRef="{source}" targetRef="{target}"/>'


PROCESS = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Definitions_couverture" targetNamespace="http://anct.gouv.fr/bpmn/tests">
  <bpmn:process id="couverture" name="Couverture" isExecutable="true">
    <bpmn:extensionElements>
      <spiffworkflow:properties>
        <spiffworkflow:property name="referencePrefix" value="COU"/>
        <spiffworkflow:property name="territoires" value="departements"/>
      </spiffworkflow:properties>
    </bpmn:extensionElements>
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_prefet" name="prefet">
        <bpmn:flowNodeRef>premiere</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>deuxieme</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>troisieme</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    {task("premiere", "f1", "f2")}
    {script("etendre", 'departements = departements + ["02"]', "f2", "f3")}
    {task("deuxieme", "f3", "f4")}
    {script("restreindre", 'departements = ["62"]', "f4", "f5")}
    {task("troisieme", "f5", "f6")}
    <bpmn:endEvent id="fin"><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>
    {flow("f1", "debut", "premiere")}{flow("f2", "premiere", "etendre")}
    {flow("f3", "etendre", "deuxieme")}{flow("f4", "deuxieme", "restreindre")}
    {flow("f5", "restreindre", "troisieme")}{flow("f6", "troisieme", "fin")}
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def couverture(services, tmp_path: Path) -> service.Services:
    (tmp_path / "couverture.bpmn").write_text(PROCESS, encoding="utf-8")
    service.deploy_path(services, tmp_path)
    return services


def seen_by(services, reference: str) -> list[str]:
    """The départements (among 02, 59, 62, 75) whose préfet sees the dossier, on its page
    and in the search: both must agree."""
    found = []
    for code in ("02", "59", "62", "75"):
        viewer = prefet(code)
        try:
            service.get_instance(services, reference, viewer)
            on_page = True
        except NotFound:
            on_page = False
        listed = reference in [i["reference"] for i in search(services, viewer).items]
        assert on_page == listed, code
        if on_page:
            found.append(code)
    return found


def complete(services, reference: str) -> None:
    [open_task] = service.get_instance(services, reference, OPERATOR).tasks
    service.complete(services, prefet("62"), open_task["id"], {})


def test_the_prefets_of_the_departements_covered_see_the_dossier_step_by_step(couverture):
    started = service.start(couverture, "couverture", data={"departements": ["62", "59"]}, **LENS)
    reference = started.reference
    assert seen_by(couverture, reference) == ["59", "62"]
    # A task of the dossier stays in the département it was given: the Nord's préfet sees
    # the dossier, not the Pas-de-Calais's task.
    assert service.list_tasks(couverture, prefet("59")) == []
    complete(couverture, reference)
    assert seen_by(couverture, reference) == ["02", "59", "62"]
    assert reference in [
        i["reference"] for i in search(couverture, OPERATOR, SearchFilter(territory="02")).items
    ]
    complete(couverture, reference)
    assert seen_by(couverture, reference) == ["62"]
    complete(couverture, reference)
    assert service.get_instance(couverture, reference, OPERATOR).status == "terminee"
    assert seen_by(couverture, reference) == ["62"]


@pytest.mark.parametrize(
    ("departements", "message"),
    [(["62", "99"], "Code de département inconnu"), (12, "liste de codes de département")],
)
def test_an_unknown_departement_refuses_the_step_and_nothing_is_kept(
    couverture, departements, message
):
    with pytest.raises(ScriptError, match=message):
        service.start(couverture, "couverture", data={"departements": departements}, **LENS)
    assert search(couverture, OPERATOR).total == 0

"""The library's depth limit must never close a dossier without an outcome."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import service
from engine.errors import ProcessIncident
from engine.store.models import HumanTask, ProcessInstance

CREUSE = {"territory": "23", "siren": "212309603"}


def test_short_loop_reaches_its_end_event(deployed, operator):
    started = service.start(deployed, "boucle", data={"tours": 20, "tour": 0}, **CREUSE)
    details = service.get_instance(deployed, started.reference, operator)
    assert (details.status, details.outcome, details.data["tour"]) == (
        "terminee",
        "tours_termines",
        20,
    )


def test_loop_of_400_turns_is_an_incident_not_a_closed_dossier(deployed):
    with pytest.raises(ProcessIncident, match="sans atteindre d'événement de fin"):
        service.start(deployed, "boucle", data={"tours": 400, "tour": 0}, **CREUSE)
    with deployed.db.connect() as connection:
        assert (
            connection.execute(select(func.count()).select_from(ProcessInstance)).scalar_one() == 0
        )
        assert connection.execute(select(func.count()).select_from(HumanTask)).scalar_one() == 0


def test_library_really_reports_completion_without_end_event():
    """Keeps the guard honest: if a SpiffWorkflow upgrade fixes the hazard, this test says so."""
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    from engine.clock import ManualClock
    from engine.definitions import build_specs, prepare, read_sources
    from engine.runtime.runner import Runner
    from tests.conftest import FIXTURES

    [bundle] = prepare(read_sources(FIXTURES / "boucle.bpmn"))
    spec, subprocesses = build_specs(bundle.files, bundle.process_id)
    runner = Runner(ManualClock("2026-01-01T00:00:00+00:00"))
    workflow: BpmnWorkflow = runner.new_workflow(spec, subprocesses, {"tours": 400, "tour": 0})
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert [t for t in workflow.tasks.values() if not t.has_state(TaskState.FINISHED_MASK)]


def test_human_step_that_would_loop_forever_marks_the_instance(deployed, operator, tmp_path):
    """A task completion whose following steps loop: the step is refused, the dossier flagged."""
    from tests.conftest import FIXTURES

    boucle = (FIXTURES / "boucle.bpmn").read_text(encoding="utf-8")
    content = boucle.replace(
        'id="boucle" name="Boucle de scripts"', 'id="boucle_humaine" name="Boucle après saisie"'
    )
    content = content.replace(
        '<bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="compter" />',
        '<bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="saisir" />\n'
        '    <bpmn:sequenceFlow id="f0" sourceRef="saisir" targetRef="compter" />',
    )
    content = content.replace(
        '<bpmn:scriptTask id="compter"',
        '<bpmn:userTask id="saisir" name="Saisir le nombre de tours"><bpmn:incoming>f1</bpmn:incoming>'
        '<bpmn:outgoing>f0</bpmn:outgoing></bpmn:userTask>\n    <bpmn:scriptTask id="compter"',
    )
    content = content.replace(
        "<bpmn:incoming>f1</bpmn:incoming>\n      <bpmn:incoming>f_encore",
        "<bpmn:incoming>f0</bpmn:incoming>\n      <bpmn:incoming>f_encore",
    )
    content = content.replace(
        '<bpmn:process id="boucle_humaine" name="Boucle après saisie" isExecutable="true">',
        '<bpmn:process id="boucle_humaine" name="Boucle après saisie" isExecutable="true">\n'
        '    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="collectivite"><bpmn:flowNodeRef>saisir</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>',
    )
    path = tmp_path / "boucle_humaine.bpmn"
    path.write_text(content, encoding="utf-8")
    service.deploy_path(deployed, path)
    started = service.start(deployed, "boucle_humaine", data={"tour": 0}, **CREUSE)
    [task] = service.get_instance(deployed, started.reference, operator).tasks
    with pytest.raises(ProcessIncident):
        service.complete(deployed, operator, task["id"], {"tours": 400})
    details = service.get_instance(deployed, started.reference, operator)
    assert details.status == "incident" and details.outcome is None
    assert "événement de fin" in details.incident
    assert [t["id"] for t in details.tasks] == [task["id"]], (
        "the task is still open, nothing was lost"
    )
    assert details.history[-1]["kind"] == "incident"

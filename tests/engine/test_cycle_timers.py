"""Recurring timers follow the calendar and every firing is in the dossier's history."""

from __future__ import annotations

from datetime import UTC, datetime

from engine import service

CYCLE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="suivi" name="Suivi mensuel" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="equipe_nationale">
      <bpmn:flowNodeRef>mission</bpmn:flowNodeRef><bpmn:flowNodeRef>rapport</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="mission" name="Conduire la mission"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="chaque_mois" name="Chaque mois" attachedToRef="mission" cancelActivity="false">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition id="t"><bpmn:timeCycle>"R3/2027-01-31T09:00:00+01:00/P1M"</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="rapport" name="Rapport mensuel"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="fin_rapport" name="Rapport remis"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="fin" name="Mission terminée"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="mission" />
    <bpmn:sequenceFlow id="f2" sourceRef="mission" targetRef="fin" />
    <bpmn:sequenceFlow id="f3" sourceRef="chaque_mois" targetRef="rapport" />
    <bpmn:sequenceFlow id="f4" sourceRef="rapport" targetRef="fin_rapport" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_monthly_cycle_keeps_to_the_end_of_month_and_logs_each_firing(
    services, operator, clock, tmp_path
):
    path = tmp_path / "suivi.bpmn"
    path.write_text(CYCLE, encoding="utf-8")
    service.deploy_path(services, path)
    clock.set("2027-01-30T09:00:00+01:00")
    started = service.start(services, "suivi", territory="23", siren="212309603")
    expected = ["2027-01-31T08:00:00", "2027-02-28T08:00:00", "2027-03-31T08:00:00"]
    for turn, due in enumerate(expected, start=1):
        [timer] = service.get_instance(services, started.reference, operator).timers
        assert timer["due_at"] == datetime.fromisoformat(due).replace(tzinfo=UTC)
        clock.set(timer["due_at"])
        clock.advance(minutes=-1)
        service.advance(services, started.reference)
        assert len(service.get_instance(services, started.reference, operator).tasks) == turn
        clock.advance(minutes=2)
        service.advance(services, started.reference)
        details = service.get_instance(services, started.reference, operator)
        assert [t["bpmn_id"] for t in details.tasks].count("rapport") == turn
        assert [e["kind"] for e in details.history].count("minuterie") == turn
    assert service.get_instance(services, started.reference, operator).timers == []


def test_an_instance_advanced_late_fires_every_missed_turn_in_order(
    services, operator, clock, tmp_path
):
    path = tmp_path / "suivi.bpmn"
    path.write_text(CYCLE, encoding="utf-8")
    service.deploy_path(services, path)
    clock.set("2027-01-30T09:00:00+01:00")
    started = service.start(services, "suivi", territory="23", siren="212309603")
    clock.set("2027-06-01T09:00:00+02:00")  # the scheduler was away for four months
    service.advance(services, started.reference)
    details = service.get_instance(services, started.reference, operator)
    assert [t["bpmn_id"] for t in details.tasks].count("rapport") == 3
    assert [e["kind"] for e in details.history].count("minuterie") == 3
    assert details.timers == []

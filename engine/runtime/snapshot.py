"""What the outside world sees of a workflow at one moment: open human tasks and waiting timers.

The step runner takes a snapshot before and after a step; the difference is what the store
writes (tasks opened and closed, timers set, moved and gone), without re-reading anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from ..definitions.timers import next_due


@dataclass(frozen=True)
class OpenTask:
    id: str
    bpmn_id: str
    name: str
    role: str
    form_ref: str | None
    properties: dict[str, str]


@dataclass(frozen=True)
class WaitingTimer:
    id: str
    bpmn_id: str
    name: str
    kind: str
    due_at: datetime


@dataclass(frozen=True)
class Snapshot:
    tasks: dict[str, OpenTask]
    timers: dict[str, WaitingTimer]


def human_tasks(workflow: BpmnWorkflow) -> list[Any]:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def take(workflow: BpmnWorkflow) -> Snapshot:
    tasks = {}
    for task in human_tasks(workflow):
        spec = task.task_spec
        extensions = getattr(spec, "extensions", {}) or {}
        tasks[str(task.id)] = OpenTask(
            id=str(task.id),
            bpmn_id=spec.bpmn_id,
            name=spec.bpmn_name or spec.bpmn_id,
            role=spec.lane or "",
            form_ref=extensions.get("formJsonSchemaFilename"),
            properties=dict(extensions.get("properties", {})),
        )
    timers = {}
    for task in list(workflow.event_manager.tasks.values()):
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, TimerEventDefinition) or not task.has_state(
            TaskState.WAITING
        ):
            continue
        due = next_due(definition.details(task).value)
        if due is None:
            continue
        if isinstance(definition, CycleTimerEventDefinition):
            kind = "cycle"
        elif isinstance(definition, TimeDateEventDefinition):
            kind = "date"
        else:
            kind = "duree"
        spec = task.task_spec
        timers[str(task.id)] = WaitingTimer(
            id=str(task.id),
            bpmn_id=spec.bpmn_id,
            name=spec.bpmn_name or spec.bpmn_id,
            kind=kind,
            due_at=due,
        )
    return Snapshot(tasks, timers)

"""One engine step on one instance: load, run, diff, save in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Connection, select

from ..definitions.timers import duration_after, to_moment
from ..errors import EngineError, NotFound, ScriptError
from ..runtime import snapshot
from ..runtime.jsondata import changes, to_json
from ..runtime.runner import StepLog, current_data, outcome_of
from ..store.models import ProcessInstance
from ..store.steps import StepWrite, TaskRow, TimerRow, save_step
from .context import Services

RUNNING, COMPLETED, INCIDENT = "en_cours", "terminee", "incident"


@dataclass
class LoadedInstance:
    id: int
    reference: str
    process_id: str
    process_version_id: int
    territory: str
    siren: str
    status: str
    lock_version: int
    data: dict[str, Any]
    state: str


_COLUMNS = (
    ProcessInstance.id, ProcessInstance.reference, ProcessInstance.process_id,
    ProcessInstance.process_version_id, ProcessInstance.territory, ProcessInstance.siren,
    ProcessInstance.status, ProcessInstance.lock_version, ProcessInstance.data, ProcessInstance.state,
)  # fmt: skip


def load(
    connection: Connection, *, instance_id: int | None = None, reference: str | None = None
) -> LoadedInstance:
    query = select(*_COLUMNS)
    if instance_id is not None:
        query = query.where(ProcessInstance.id == instance_id)
    else:
        query = query.where(ProcessInstance.reference == (reference or "").strip().upper())
    row = connection.execute(query).first()
    if row is None:
        raise NotFound(f"Dossier introuvable : « {reference or instance_id} ».")
    return LoadedInstance(**row._asdict())


def open_workflow(services: Services, instance: LoadedInstance) -> BpmnWorkflow:
    spec, subprocess_specs = services.specs(instance.process_version_id)
    return services.codec.loads(
        instance.state, spec, subprocess_specs, services.runner.script_engine
    )


def commit(
    services: Services,
    connection: Connection,
    instance: LoadedInstance,
    workflow: BpmnWorkflow,
    before: snapshot.Snapshot,
    log: StepLog,
    *,
    actor: str | None,
    now: datetime,
    completed_task: str | None = None,
    audit: list[dict[str, Any]] | None = None,
) -> int:
    """Write the step computed in memory; returns the new lock version."""
    after = snapshot.take(workflow)
    data = to_json(current_data(workflow))
    completed = workflow.is_completed()
    step = StepWrite(
        instance_id=instance.id,
        process_id=instance.process_id,
        territory=instance.territory,
        siren=instance.siren,
        lock_version=instance.lock_version,
        now=now,
        state=services.codec.dumps(workflow),
        data=data,
        status=COMPLETED if completed else RUNNING,
        outcome=outcome_of(workflow) if completed else None,
        completed_task=completed_task,
        completed_by=actor if completed_task else None,
    )
    for task_id, task in after.tasks.items():
        if task_id not in before.tasks:
            step.opened_tasks.append(_task_row(services, workflow, task, now))
    step.cancelled_tasks = [t for t in before.tasks if t not in after.tasks and t != completed_task]
    for timer_id, timer in after.timers.items():
        previous = before.timers.get(timer_id)
        if previous is None:
            step.new_timers.append(
                TimerRow(timer.id, timer.bpmn_id, timer.name, timer.kind, timer.due_at)
            )
        elif previous.due_at != timer.due_at:
            step.moved_timers[timer_id] = timer.due_at
    for timer_id in before.timers:
        if timer_id not in after.timers:
            task = workflow.get_task_from_id(UUID(timer_id))
            fired = task is not None and task.has_state(TaskState.COMPLETED)
            (step.fired_timers if fired else step.cancelled_timers).append(timer_id)
    events = list(audit or [])
    diff = changes(instance.data, data)
    if diff:
        if events and events[-1].get("changes") is None:
            events[-1]["changes"] = diff
        else:
            events.append({"kind": "donnees", "actor": actor, "changes": diff})
    events.extend({**e, "actor": None} for e in log.events)
    if completed:
        events.append({"kind": "dossier_termine", "label": step.outcome})
    step.audit = events
    return save_step(connection, step)


def _task_row(
    services: Services, workflow: BpmnWorkflow, task: snapshot.OpenTask, now: datetime
) -> TaskRow:
    properties = task.properties
    due_at = None
    assignee = None
    spiff_task = workflow.get_task_from_id(UUID(task.id))
    if properties.get("due"):
        due_at = _due(services, spiff_task, properties["due"], now, task)
    if properties.get("assignee"):
        value = _evaluate(services, spiff_task, properties["assignee"], task, "assignee")
        assignee = str(value) if value else None
    return TaskRow(task.id, task.bpmn_id, task.name, task.role, task.form_ref, assignee, due_at)


def _due(
    services: Services, spiff_task: Any, expression: str, now: datetime, task: snapshot.OpenTask
) -> datetime:
    """`due` is an ISO duration ("P15D") from now, or an expression giving a date or duration."""
    text = expression.strip()
    value = (
        text if text.upper().startswith("P") else _evaluate(services, spiff_task, text, task, "due")
    )
    try:
        if isinstance(value, timedelta):
            return now + value
        if isinstance(value, str) and value.strip().upper().startswith("P"):
            return duration_after(value, now)
        return to_moment(value)
    except EngineError as exc:
        raise ScriptError(
            f"« {task.name} » ({task.bpmn_id}) : échéance invalide : {exc.message}"
        ) from None


def _evaluate(
    services: Services, spiff_task: Any, expression: str, task: snapshot.OpenTask, what: str
) -> Any:
    try:
        return services.runner.script_engine.environment.evaluate(expression, spiff_task.data)
    except EngineError as exc:
        raise ScriptError(
            f"« {task.name} » ({task.bpmn_id}) : propriété « {what} » : {exc.message}"
        ) from None

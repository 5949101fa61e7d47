"""One engine step on one instance: load, run, diff, save in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Connection, bindparam, select

from .. import labels
from ..definitions.timers import duration_after, to_moment
from ..definitions.validation import escalation_roles
from ..errors import EngineError, InvalidInput, NotFound, ScriptError
from ..notifications.compose import (
    DEADLINE,
    DECISION,
    ESCALATION,
    NEW_TASK,
    REMINDER,
    Dossier,
    Event,
    compose,
)
from ..notifications.recipients import Target
from ..roles import ASSIGNED_ONLY, COLLECTIVITE
from ..runtime import snapshot
from ..runtime.jsondata import changes, to_json
from ..runtime.runner import (
    MOTIVE,
    StepLog,
    current_data,
    outcome_label,
    outcome_motive,
    outcome_of,
)
from ..store.models import HumanTask, ProcessInstance, User
from ..store.steps import StepWrite, TaskRow, TimerRow, save_step
from ..territory import check_siren
from .context import Services
from .task_names import task_name

logger = logging.getLogger(__name__)

RUNNING, COMPLETED, INCIDENT = "en_cours", "terminee", "incident"


@dataclass
class LoadedInstance:
    id: int | None
    reference: str
    process_id: str
    process_version_id: int
    territory: str
    siren: str
    status: str
    lock_version: int
    data: dict[str, Any]
    state: str


_INSTANCE = ProcessInstance.__table__
_TASK = HumanTask.__table__
_INSTANCE_COLUMNS = [
    _INSTANCE.c[name]
    for name in (
        "id", "reference", "process_id", "process_version_id", "territory", "siren", "status",
        "lock_version", "data", "state",
    )
]  # fmt: skip
_BY_ID = select(*_INSTANCE_COLUMNS).where(_INSTANCE.c.id == bindparam("key"))
_BY_REFERENCE = select(*_INSTANCE_COLUMNS).where(_INSTANCE.c.reference == bindparam("key"))
_TASK_WITH_INSTANCE = (
    select(_TASK, *[c.label(f"i_{c.name}") for c in _INSTANCE_COLUMNS])
    .join(_INSTANCE, _INSTANCE.c.id == _TASK.c.instance_id)
    .where(_TASK.c.id == bindparam("task_id"))
)


def load(
    connection: Connection, *, instance_id: int | None = None, reference: str | None = None
) -> LoadedInstance:
    if instance_id is not None:
        row = connection.execute(_BY_ID, {"key": instance_id}).first()
    else:
        row = connection.execute(_BY_REFERENCE, {"key": (reference or "").strip().upper()}).first()
    if row is None:
        raise NotFound(f"Dossier introuvable : « {reference or instance_id} ».")
    return LoadedInstance(**row._asdict())


def load_task(connection: Connection, task_id: str) -> tuple[Any, LoadedInstance] | None:
    """A human task row and its instance, in one query."""
    row = connection.execute(_TASK_WITH_INSTANCE, {"task_id": str(task_id).strip()}).first()
    if row is None:
        return None
    values = row._asdict()
    instance = LoadedInstance(**{c.name: values[f"i_{c.name}"] for c in _INSTANCE_COLUMNS})
    return row, instance


def open_workflow(
    services: Services, instance: LoadedInstance, connection: Connection
) -> BpmnWorkflow:
    spec, subprocess_specs = services.specs(instance.process_version_id, connection)
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
    new_instance: dict[str, Any] | None = None,
) -> tuple[int, int]:
    """Write the step computed in memory; returns (instance id, new lock version)."""
    after = snapshot.take(workflow)
    data = to_json(current_data(workflow, instance.data, log))
    completed = workflow.is_completed()
    motive = outcome_motive(workflow) if completed else None
    if motive:
        data[MOTIVE] = motive
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
        new_instance=new_instance,
    )
    for task_id, task in after.tasks.items():
        if task_id not in before.tasks:
            step.opened_tasks.append(_task_row(services, workflow, task, now))
    _check_designations(connection, step.opened_tasks)
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
            # Gone from the waiting timers: fired unless cancelled or pruned with its branch (a
            # bounded cycle's last firing leaves its task READY, not COMPLETED).
            fired = task is not None and not task.has_state(TaskState.CANCELLED)
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
    reference = instance.reference or (new_instance or {}).get("reference", "")
    notices = _events(connection, workflow, instance, before, step)
    for notice in notices:
        target = notice.target
        if target.territory and target.region is None:
            region = services.territories.region_scope(target.territory)
            notice.target = replace(target, region=region)
    if notices:
        dossier = Dossier(
            reference=reference,
            procedure=workflow.spec.description or instance.process_id,
            territory=services.territories.label(instance.territory),
        )
        outgoing = compose(
            connection, dossier, notices, base_url=services.base_url, now=now, actor=actor
        )
        step.notifications, step.emails = outgoing.notifications, outgoing.emails
    return save_step(connection, step)


def _events(
    connection: Connection,
    workflow: BpmnWorkflow,
    instance: LoadedInstance,
    before: snapshot.Snapshot,
    step: StepWrite,
) -> list[Event]:
    """What people hear of this step: new tasks, reminders, deadlines passed, the decision."""
    events = []
    for task in step.opened_tasks:
        territory, siren = task.territory or instance.territory, task.siren or instance.siren
        target = Target(task.role, territory, siren, task.assignee)
        events.append(
            Event(NEW_TASK, target, task_id=task.id, task_name=task.name, due_at=task.due_at)
        )
    watched: dict[str, str] = {}
    escalations: dict[str, list[str]] = {}
    for timer_id in [*step.fired_timers, *step.moved_timers]:
        previous = before.timers.get(timer_id)
        if previous is None or previous.due_at > step.now:
            continue
        timer, tasks = _watched_by(workflow, timer_id, before)
        for task_id in tasks:
            if task_id in step.cancelled_tasks:
                watched[task_id] = DEADLINE
            elif task_id != step.completed_task:
                watched.setdefault(task_id, REMINDER)
            properties = (getattr(timer.task_spec, "extensions", {}) or {}).get("properties", {})
            for role in escalation_roles(properties.get("escalade")):
                escalations.setdefault(task_id, []).append(role)
    if watched:
        rows = connection.execute(
            select(_TASK).where(_TASK.c.id.in_(list(watched)), _TASK.c.status == "ouverte")
        ).all()
        for row in rows:
            about = {"task_id": row.id, "task_name": row.name, "due_at": row.due_at}
            target = Target(row.role, row.territory, row.siren, row.assignee)
            events.append(Event(watched[row.id], target, **about))
            for role in escalations.get(row.id, []):
                events.append(Event(ESCALATION, Target(role, row.territory, row.siren), **about))
    if step.status == COMPLETED:
        events.append(
            Event(
                DECISION, Target(COLLECTIVITE, None, instance.siren),
                outcome=labels.outcome(step.outcome, outcome_label(workflow)),
                motive=step.data.get(MOTIVE),
            )
        )  # fmt: skip
    return events


def _watched_by(
    workflow: BpmnWorkflow, timer_id: str, before: snapshot.Snapshot
) -> tuple[Any, list[str]]:
    """The timer task, and the human tasks (open before the step) it watches as a boundary."""
    timer = workflow.get_task_from_id(UUID(timer_id))
    if timer is None or not isinstance(timer.task_spec, BoundaryEvent) or timer.parent is None:
        return timer, []
    found = []
    for sibling in timer.parent.children:
        if isinstance(sibling.task_spec, BoundaryEvent):
            continue
        pending = [sibling]
        while pending:
            task = pending.pop()
            if str(task.id) in before.tasks:
                found.append(str(task.id))
            pending.extend(task.children)
    return timer, found


def _check_designations(connection: Connection, tasks: list[TaskRow]) -> None:
    """Refuse the step rather than open a task nobody can reach: one named after an account
    that does not exist or is closed, or an expert's task naming nobody (experts see only
    what is given to them)."""
    named = {task.assignee for task in tasks if task.assignee}
    active = (
        set(
            connection.execute(
                select(User.login).where(User.login.in_(named), User.active.is_(True))
            ).scalars()
        )
        if named
        else set()
    )
    for task in tasks:
        if task.assignee and task.assignee not in active:
            raise ScriptError(
                f"« {task.name} » : la personne désignée (« {task.assignee} ») n'a pas de "
                "compte actif sur la plateforme."
            )
        if not task.assignee and task.role in ASSIGNED_ONLY:
            raise ScriptError(
                f"« {task.name} » : la procédure ne désigne personne pour cette tâche, "
                "qui ne serait visible de personne."
            )


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
    siren = territory = None
    try:
        if properties.get("siren"):
            siren = check_siren(_evaluate(services, spiff_task, properties["siren"], task, "siren"))
        if properties.get("territoire"):
            value = _evaluate(services, spiff_task, properties["territoire"], task, "territoire")
            territory = services.territories.departement(value).code
    except InvalidInput as exc:
        raise ScriptError(f"« {task.name} » ({task.bpmn_id}) : {exc.message}") from None
    return TaskRow(
        task.id, task.bpmn_id, _named(services, spiff_task, task), task.role, task.form_ref,
        assignee, due_at, siren, territory,
    )  # fmt: skip


def _named(services: Services, spiff_task: Any, task: snapshot.OpenTask) -> str:
    """The task's name, with the signatory its `pour` property names (see task_names).

    A name is never worth refusing a step: when the data does not name the signatory (an
    optional field left empty), the task keeps its BPMN name, which says for whom in general.
    """
    expression = task.properties.get("pour")
    if not expression:
        return task.name
    try:
        whom = services.runner.script_engine.environment.evaluate(expression, spiff_task.data)
    except EngineError as exc:
        logger.info("« %s » (%s) : propriété « pour » : %s", task.name, task.bpmn_id, exc.message)
        return task.name
    return task_name(task.name, whom)


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

"""The step kernel: what one engine step changed, computed in memory from the workflow.

Given the workflow after it ran, the snapshot taken before and the instance it belongs to, it
gives the step's write (task rows, timer rows, events, data) and the notices people should get.
It reads no database: the unit of work (`engine.service.unit_of_work`) checks what needs the
store (accounts named by the step, open tasks whose deadline passed) and saves the write.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from .. import labels
from ..definitions.bpmn_checks import escalation_roles
from ..definitions.timers import duration_after, to_moment
from ..errors import EngineError, InvalidInput, ScriptError
from ..notifications.compose import (
    DEADLINE,
    DECISION,
    ESCALATION,
    NEW_TASK,
    REMINDER,
    TASK_CANCELLED,
    Event,
)
from ..notifications.recipients import Target
from ..roles import COLLECTIVITE
from ..store.instances import COMPLETED, RUNNING, LoadedInstance
from ..store.steps import StepWrite, TaskRow, TimerRow
from ..territory import Territories, check_siren
from . import snapshot
from .codec import WorkflowCodec
from .jsondata import changes, to_json
from .runner import MOTIVE, Runner, StepLog, current_data, outcome_label, outcome_motive, outcome_of
from .task_names import task_name
from .territories import step_territories

logger = logging.getLogger(__name__)


@dataclass
class Deadline:
    """A task open before the step whose timer passed: remind its holder or, if the timer
    closed it, say the deadline passed; escalate to the roles the timer names."""

    kind: str
    escalate_to: list[str] = field(default_factory=list)


@dataclass
class Step:
    write: StepWrite
    #: New tasks, in the order they opened.
    opened: list[Event]
    #: Task id → what its passed deadline means; the unit of work reads the tasks' rows.
    deadlines: dict[str, Deadline]
    #: The decision the requesting authority hears of, once the dossier ends.
    decision: Event | None


@dataclass(frozen=True)
class Closing:
    """A dossier closed from outside its diagram (withdrawn by its authority, classed « sans
    suite », its grant renounced or cancelled): no end event gives its outcome and motive, the
    person closing it does."""

    outcome: str
    #: Why, in words: kept in `motif_issue` like an end event's `motif` (None: not given).
    motive: str | None = None


def close_workflow(workflow: BpmnWorkflow) -> None:
    """Cancel every unfinished task of the workflow, its sub-processes and call activities
    included (SpiffWorkflow's `cancel` walks them), with the timers waiting on them: the
    workflow is then completed without an end event, which only a `Closing` step may save."""
    workflow.cancel()
    left = [
        task
        for tasks in (workflow.tasks, *(sp.tasks for sp in workflow.subprocesses.values()))
        for task in tasks.values()
        if not task.has_state(TaskState.FINISHED_MASK)
    ]
    if left or not workflow.is_completed():
        raise EngineError(
            f"Le dossier n'a pas pu être clos : {len(left)} étape(s) du processus ne se sont "
            "pas arrêtées. Rien n'a été enregistré ; signalez-le à l'équipe qui gère la "
            "procédure."
        )


def amend_data(workflow: BpmnWorkflow, changes: dict[str, Any]) -> None:
    """Change variables of a running dossier from outside its diagram (a grant reduced by
    the national team: `montant_accorde`), so that what runs next reads the new values.

    SpiffWorkflow keeps data per task and a task copies its parent's data when it becomes
    ready: every unfinished task takes the changes, and so does every finished task that an
    unfinished one will copy from (the branch a join is waiting on). Finished work keeps the
    data it ran with."""
    workflows = (workflow, *workflow.subprocesses.values())
    for task in (task for flow in workflows for task in flow.tasks.values()):
        unfinished = not task.has_state(TaskState.FINISHED_MASK)
        if unfinished or any(not c.has_state(TaskState.FINISHED_MASK) for c in task.children):
            task.data.update(changes)


@dataclass(frozen=True)
class Evaluation:
    """What the kernel evaluates task properties with: the sandboxed scripts and the territory
    data (a task for another département or organisation)."""

    runner: Runner
    territories: Territories
    codec: WorkflowCodec

    def evaluate(self, expression: str, data: dict[str, Any]) -> Any:
        return self.runner.script_engine.environment.evaluate(expression, data)


def compute_step(
    workflow: BpmnWorkflow,
    before: snapshot.Snapshot,
    log: StepLog,
    instance: LoadedInstance,
    evaluation: Evaluation,
    *,
    now: datetime,
    actor: str | None,
    completed_task: str | None = None,
    audit: list[dict[str, Any]] | None = None,
    new_instance: dict[str, Any] | None = None,
    migrated_to: int | None = None,
    closing: Closing | None = None,
) -> Step:
    """`migrated_to`: the step moved the instance onto that version (see runtime.migration);
    its open tasks and timers keep their rows, relabelled, and no deadline is announced.
    `closing`: the workflow was closed by `close_workflow`; the outcome and motive are its."""
    after = snapshot.take(workflow)
    data = to_json(current_data(workflow, instance.data, log))
    completed = workflow.is_completed()
    if closing is not None and not completed:
        raise EngineError("Le dossier n'a pas pu être clos : son processus est toujours en cours.")
    motive = outcome_motive(workflow) if completed and closing is None else None
    if closing is not None:
        motive = closing.motive
    if motive:
        data[MOTIVE] = motive
    write = StepWrite(
        instance_id=instance.id,
        process_id=instance.process_id,
        territory=instance.territory,
        siren=instance.siren,
        lock_version=instance.lock_version,
        now=now,
        state=evaluation.codec.dumps(workflow),
        data=data,
        status=COMPLETED if completed else RUNNING,
        outcome=closing.outcome if closing else (outcome_of(workflow) if completed else None),
        completed_task=completed_task,
        completed_by=actor if completed_task else None,
        new_instance=new_instance,
        closed=closing is not None,
    )
    write.territories = step_territories(
        workflow.spec, evaluation.evaluate, evaluation.territories, instance, data,
        migrated=migrated_to is not None,
    )  # fmt: skip
    write.opened_tasks = [
        _task_row(evaluation, workflow, task, now)
        for task_id, task in after.tasks.items()
        if task_id not in before.tasks
    ]
    write.cancelled_tasks = [
        t for t in before.tasks if t not in after.tasks and t != completed_task
    ]
    _diff_timers(workflow, before, after, write)
    if migrated_to is not None:
        write.process_version_id = migrated_to
        _relabel(evaluation, workflow, before, after, write)
    write.audit = _audit(instance, data, write, log, actor, audit)
    return Step(
        write,
        opened=[_opened(task, instance) for task in write.opened_tasks],
        deadlines={} if migrated_to is not None else _deadlines(workflow, before, write),
        decision=_decision(workflow, instance, write) if completed else None,
    )


def deadline_notices(deadlines: dict[str, Deadline], open_rows: list[Any]) -> list[Event]:
    """The reminders, passed deadlines and escalations of the tasks still open among those
    `deadlines` names (rows of `human_tasks`)."""
    events = []
    for row in open_rows:
        deadline = deadlines[row.id]
        about = {"task_id": row.id, "task_name": row.name, "due_at": row.due_at}
        events.append(
            Event(deadline.kind, Target(row.role, row.territory, row.siren, row.assignee), **about)
        )
        for role in deadline.escalate_to:
            events.append(Event(ESCALATION, Target(role, row.territory, row.siren), **about))
    return events


def cancelled_notices(
    rows: list[Any], instance: LoadedInstance, outcome: str, motive: str | None
) -> list[Event]:
    """Tell the holders of the tasks a closing cancelled (rows of `human_tasks`, open before
    it) that they have nothing more to do, and why. The requesting authority's own tasks are
    left out: it hears of the closing itself."""
    events = []
    for row in rows:
        if row.role == COLLECTIVITE and (row.siren or instance.siren) == instance.siren:
            continue
        target = Target(row.role, row.territory, row.siren, row.assignee)
        events.append(
            Event(
                TASK_CANCELLED, target, task_id=row.id, task_name=row.name, outcome=outcome,
                motive=motive,
            )
        )  # fmt: skip
    return events


def _diff_timers(
    workflow: BpmnWorkflow, before: snapshot.Snapshot, after: snapshot.Snapshot, write: StepWrite
) -> None:
    for timer_id, timer in after.timers.items():
        previous = before.timers.get(timer_id)
        if previous is None:
            write.new_timers.append(
                TimerRow(timer.id, timer.bpmn_id, timer.name, timer.kind, timer.due_at)
            )
        elif previous.due_at != timer.due_at:
            write.moved_timers[timer_id] = timer.due_at
    for timer_id in before.timers:
        if timer_id not in after.timers:
            task = workflow.get_task_from_id(UUID(timer_id))
            # Gone from the waiting timers: fired unless cancelled or pruned with its branch (a
            # bounded cycle's last firing leaves its task READY, not COMPLETED).
            fired = task is not None and not task.has_state(TaskState.CANCELLED)
            (write.fired_timers if fired else write.cancelled_timers).append(timer_id)


def _relabel(
    evaluation: Evaluation,
    workflow: BpmnWorkflow,
    before: snapshot.Snapshot,
    after: snapshot.Snapshot,
    write: StepWrite,
) -> None:
    """The open tasks and timers that stayed but whose element changed id, name or form."""
    for task_id, task in after.tasks.items():
        previous = before.tasks.get(task_id)
        if previous is not None and _label(task) != _label(previous):
            name = _named(evaluation, workflow.get_task_from_id(UUID(task_id)), task)
            write.relabelled_tasks.append(
                TaskRow(task.id, task.bpmn_id, name, task.role, task.form_ref, None, None)
            )
    for timer_id, timer in after.timers.items():
        previous = before.timers.get(timer_id)
        if previous is not None and (timer.bpmn_id, timer.name, timer.kind) != (
            previous.bpmn_id,
            previous.name,
            previous.kind,
        ):
            write.relabelled_timers.append(
                TimerRow(timer.id, timer.bpmn_id, timer.name, timer.kind, timer.due_at)
            )


def _label(task: snapshot.OpenTask) -> tuple[str, str, str | None, str | None]:
    """What a task row's element, name and form are made of (`pour` names the signatory)."""
    return task.bpmn_id, task.name, task.form_ref, task.properties.get("pour")


def _audit(
    instance: LoadedInstance,
    data: dict[str, Any],
    write: StepWrite,
    log: StepLog,
    actor: str | None,
    audit: list[dict[str, Any]] | None,
) -> list[dict[str, Any]]:
    events = list(audit or [])
    diff = changes(instance.data, data)
    if diff:
        if events and events[-1].get("changes") is None:
            events[-1]["changes"] = diff
        else:
            events.append({"kind": "donnees", "actor": actor, "changes": diff})
    events.extend({**e, "actor": None} for e in log.events)
    if write.status == COMPLETED:
        events.append({"kind": "dossier_termine", "label": write.outcome})
    return events


def _opened(task: TaskRow, instance: LoadedInstance) -> Event:
    territory, siren = task.territory or instance.territory, task.siren or instance.siren
    target = Target(task.role, territory, siren, task.assignee)
    return Event(NEW_TASK, target, task_id=task.id, task_name=task.name, due_at=task.due_at)


def _decision(workflow: BpmnWorkflow, instance: LoadedInstance, write: StepWrite) -> Event:
    return Event(
        DECISION,
        Target(COLLECTIVITE, None, instance.siren),
        outcome=labels.outcome(write.outcome, outcome_label(workflow)),
        motive=write.data.get(MOTIVE),
    )


def _deadlines(
    workflow: BpmnWorkflow, before: snapshot.Snapshot, write: StepWrite
) -> dict[str, Deadline]:
    """Tasks watched by a timer that fell due: reminded if still open, else past deadline."""
    watched: dict[str, str] = {}
    escalations: dict[str, list[str]] = {}
    for timer_id in [*write.fired_timers, *write.moved_timers]:
        previous = before.timers.get(timer_id)
        if previous is None or previous.due_at > write.now:
            continue
        timer, tasks = _watched_by(workflow, timer_id, before)
        for task_id in tasks:
            if task_id in write.cancelled_tasks:
                watched[task_id] = DEADLINE
            elif task_id != write.completed_task:
                watched.setdefault(task_id, REMINDER)
            properties = (getattr(timer.task_spec, "extensions", {}) or {}).get("properties", {})
            escalations.setdefault(task_id, []).extend(escalation_roles(properties.get("escalade")))
    return {
        task_id: Deadline(kind, escalations.get(task_id, [])) for task_id, kind in watched.items()
    }


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


def _task_row(
    evaluation: Evaluation, workflow: BpmnWorkflow, task: snapshot.OpenTask, now: datetime
) -> TaskRow:
    properties = task.properties
    spiff_task = workflow.get_task_from_id(UUID(task.id))
    due_at = (
        _due(evaluation, spiff_task, properties["due"], now, task)
        if properties.get("due")
        else None
    )
    assignee = None
    if properties.get("assignee"):
        value = _evaluate(evaluation, spiff_task, properties["assignee"], task, "assignee")
        assignee = str(value) if value else None
    siren = territory = None
    try:
        if properties.get("siren"):
            siren = check_siren(
                _evaluate(evaluation, spiff_task, properties["siren"], task, "siren")
            )
        if properties.get("territoire"):
            value = _evaluate(evaluation, spiff_task, properties["territoire"], task, "territoire")
            territory = evaluation.territories.departement(value).code
    except InvalidInput as exc:
        raise ScriptError(f"« {task.name} » ({task.bpmn_id}) : {exc.message}") from None
    return TaskRow(
        task.id, task.bpmn_id, _named(evaluation, spiff_task, task), task.role, task.form_ref,
        assignee, due_at, siren, territory,
    )  # fmt: skip


def _named(evaluation: Evaluation, spiff_task: Any, task: snapshot.OpenTask) -> str:
    """The task's name, with the signatory its `pour` property names (see task_names).

    A name is never worth refusing a step: when the data does not name the signatory (an
    optional field left empty), the task keeps its BPMN name, which says for whom in general.
    """
    expression = task.properties.get("pour")
    if not expression:
        return task.name
    try:
        whom = evaluation.evaluate(expression, spiff_task.data)
    except EngineError as exc:
        logger.info("« %s » (%s) : propriété « pour » : %s", task.name, task.bpmn_id, exc.message)
        return task.name
    return task_name(task.name, whom)


def _due(
    evaluation: Evaluation, spiff_task: Any, expression: str, now: datetime, task: snapshot.OpenTask
) -> datetime:
    """`due` is an ISO duration ("P15D") from now, or an expression giving a date or duration."""
    text = expression.strip()
    value = (
        text
        if text.upper().startswith("P")
        else _evaluate(evaluation, spiff_task, text, task, "due")
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
    evaluation: Evaluation, spiff_task: Any, expression: str, task: snapshot.OpenTask, what: str
) -> Any:
    try:
        return evaluation.evaluate(expression, spiff_task.data)
    except EngineError as exc:
        raise ScriptError(
            f"« {task.name} » ({task.bpmn_id}) : propriété « {what} » : {exc.message}"
        ) from None

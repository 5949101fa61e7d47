"""Running SpiffWorkflow steps under our rules: sandboxed scripts, our clock, no silent end.

SpiffWorkflow's task iterator stops at depth 1 000: past it, a looping instance reports itself
completed without reaching an end event. We check after every step that a completed workflow
really reached an end event with every token, and refuse to let a tree grow near the limit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from ..clock import TIMER_NOW, Clock
from ..definitions.timers import CYCLE_FIRINGS
from ..errors import EngineError, ProcessIncident, ScriptError
from .script_engine import SandboxedScriptEngine, operating
from .snapshot import take

logger = logging.getLogger(__name__)

#: The operators a step's service tasks may call, by name (`engine.definitions.operators`).
Operators = Mapping[str, Callable[..., Any]] | None

#: Deepest task tree we let an instance reach; the library silently stops at 1 000.
MAX_TREE_DEPTH = 900
#: Timer moments replayed in one step at most (a monthly cycle left for eight years).
MAX_CATCH_UP = 100

_AUDITED = {
    "ScriptTask": "script",
    "BusinessRuleTask": "decision",
    "IntermediateCatchEvent": "evenement",
    "BoundaryEvent": "evenement",
    "EndEvent": "fin",
    "StartEvent": "debut",
}


@dataclass
class StepLog:
    """What the engine did by itself during a step (scripts, decisions, timers, end)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    #: What each task completed during the step wrote, in completion order.
    writes: list[dict[str, Any]] = field(default_factory=list)

    def record_writes(self, task: Any) -> None:
        parent = task.parent.data if task.parent is not None else {}
        changed = {k: v for k, v in task.data.items() if k not in parent or parent[k] != v}
        if changed:
            self.writes.append(changed)

    def record(self, task: Any) -> None:
        self.record_writes(task)
        spec = task.task_spec
        kind = _AUDITED.get(type(spec).__name__)
        if kind is None:
            return
        definition = getattr(spec, "event_definition", None)
        if isinstance(definition, CycleTimerEventDefinition):
            return  # recorded at each firing by record_timer
        if isinstance(definition, TimerEventDefinition):
            kind = "minuterie"
        elif kind == "evenement":
            return
        self.events.append(
            {
                "kind": kind,
                "task_id": str(task.id),
                "bpmn_id": spec.bpmn_id,
                "label": spec.bpmn_name or spec.bpmn_id,
            }
        )

    def record_timer(self, task: Any) -> None:
        spec = task.task_spec
        self.events.append(
            {"kind": "minuterie", "task_id": str(task.id), "bpmn_id": spec.bpmn_id,
             "label": spec.bpmn_name or spec.bpmn_id}
        )  # fmt: skip


class Runner:
    def __init__(self, clock: Clock, time_limit: float = 1.0) -> None:
        self.clock = clock
        self.script_engine = SandboxedScriptEngine(clock, time_limit)

    def new_workflow(
        self, spec: BpmnProcessSpec, subprocess_specs: dict[str, Any], data: dict[str, Any]
    ) -> BpmnWorkflow:
        workflow = BpmnWorkflow(spec, dict(subprocess_specs), script_engine=self.script_engine)
        workflow.task_tree.data.update(data)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        return workflow

    def advance(
        self, workflow: BpmnWorkflow, log: StepLog | None = None, *, operators: Operators = None
    ) -> StepLog:
        """Run every automatic task and timer that is due now; raise before anything is kept.

        Timers that fell due since the instance last ran fire in the order of their due dates,
        each seeing its own moment: a yearly report due before the end of a follow-up period is
        not lost because both passed before the scheduler came by. Service tasks call
        `operators`, bound by the caller to the step's transaction.
        """
        log = log or StepLog()
        firings: list[Any] = []
        token = CYCLE_FIRINGS.set(firings)
        try:
            with operating(operators):
                self._catch_up(workflow, log)
                workflow.refresh_timers()
                workflow.do_engine_steps(did_complete_task=log.record)
        except EngineError:
            raise
        except (SpiffWorkflowException, WorkflowException) as exc:
            raise _unwrap(exc) from None
        finally:
            CYCLE_FIRINGS.reset(token)
        for task in firings:
            log.record_timer(task)
        check_health(workflow)
        return log

    def _catch_up(self, workflow: BpmnWorkflow, log: StepLog) -> None:
        now = self.clock.now()
        workflow.do_engine_steps(did_complete_task=log.record)
        previous = None
        for _ in range(MAX_CATCH_UP):
            due = [t.due_at for t in take(workflow).timers.values() if t.due_at < now]
            if not due or min(due) == previous:
                return
            previous = min(due)
            moment = TIMER_NOW.set(previous)
            try:
                workflow.refresh_timers()
                workflow.do_engine_steps(did_complete_task=log.record)
            finally:
                TIMER_NOW.reset(moment)

    def complete(
        self,
        workflow: BpmnWorkflow,
        task_id: str,
        data: dict[str, Any],
        *,
        operators: Operators = None,
    ) -> StepLog:
        task = workflow.get_task_from_id(UUID(task_id))
        log = StepLog()
        try:
            task.data.update(data)
            task.run()
            log.record_writes(task)
        except EngineError:
            raise
        except (SpiffWorkflowException, WorkflowException) as exc:
            raise _unwrap(exc) from None
        return self.advance(workflow, log, operators=operators)


def _unwrap(exc: BaseException) -> EngineError:
    """Find our own error inside the library's wrapping, or describe the library's error."""
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, EngineError):
            return current
        current = getattr(current, "exception", None) or current.__cause__ or current.__context__
    task = getattr(exc, "task", None) or getattr(exc, "task_spec", None)
    where = ""
    if task is not None:
        spec = getattr(task, "task_spec", task)
        where = f"« {getattr(spec, 'bpmn_name', None) or getattr(spec, 'bpmn_id', '')} » : "
    return ScriptError(f"{where}le moteur a refusé l'étape ({exc})", cause=exc)


def _depth(task: Any) -> int:
    depth = 0
    while task is not None:
        depth += 1
        task = task.parent
    return depth


def check_health(workflow: BpmnWorkflow) -> None:
    """Raise ProcessIncident when the library's depth limit could hide unfinished work."""
    unfinished = [t for t in workflow.tasks.values() if not t.has_state(TaskState.FINISHED_MASK)]
    if workflow.is_completed():
        if not workflow.success and not unfinished:
            return  # cancelled: closed from outside its diagram (kernel.close_workflow)
        reached_end = any(
            isinstance(t.task_spec, EndEvent) and t.has_state(TaskState.COMPLETED)
            for t in workflow.tasks.values()
        )
        if unfinished or not reached_end:
            raise ProcessIncident(
                "L'instance s'est arrêtée sans atteindre d'événement de fin "
                f"({len(unfinished)} tâche(s) inachevée(s)) : le processus boucle probablement "
                "trop longtemps. Remplacez la boucle par une minuterie cyclique ou un sous-dossier."
            )
        return
    deepest = max(
        (_depth(t) for t in unfinished if t.has_state(TaskState.READY | TaskState.WAITING)),
        default=0,
    )
    if deepest > MAX_TREE_DEPTH:
        raise ProcessIncident(
            f"L'historique de l'instance est trop profond ({deepest} niveaux, au plus "
            f"{MAX_TREE_DEPTH}) : le processus boucle probablement sans fin."
        )


def _last_end(workflow: BpmnWorkflow) -> Any:
    ends = [
        t
        for t in workflow.tasks.values()
        if isinstance(t.task_spec, EndEvent) and t.has_state(TaskState.COMPLETED)
    ]
    return max(ends, key=lambda t: t.last_state_change) if ends else None


def outcome_of(workflow: BpmnWorkflow) -> str | None:
    """The `outcome` property of the end event the top-level process reached (else its id)."""
    end = _last_end(workflow)
    if end is None:
        return None
    properties = (getattr(end.task_spec, "extensions", {}) or {}).get("properties", {})
    return properties.get("outcome") or end.task_spec.bpmn_id


def outcome_label(workflow: BpmnWorkflow) -> str | None:
    """The name people read for that end event (« Dossier orienté localement »)."""
    end = _last_end(workflow)
    if end is None:
        return None
    return end.task_spec.bpmn_name or outcome_of(workflow)


#: Where the dossier keeps, once closed, why in words (the end event's `motif` property).
MOTIVE = "motif_issue"


def outcome_motive(workflow: BpmnWorkflow) -> str | None:
    """Why the dossier ended, in words, from the `motif` property of the end event reached: an
    expression on the dossier's data (`motif`, the admissibility table's reason; `motif_comite`;
    or a quoted text). The person told of a refusal reads it on the dossier page, in the
    notification and the e-mail. None without the property, or when it gives nothing (a
    closure is never refused for want of its explanation)."""
    end = _last_end(workflow)
    if end is None:
        return None
    properties = (getattr(end.task_spec, "extensions", {}) or {}).get("properties", {})
    expression = properties.get("motif")
    if not expression:
        return None
    try:
        value = workflow.script_engine.environment.evaluate(expression, end.data)
    except EngineError as exc:
        logger.warning("« %s » : propriété « motif » : %s", end.task_spec.bpmn_id, exc.message)
        return None
    text = str(value).strip() if value is not None else ""
    return text[:2000] or None


def current_data(workflow: BpmnWorkflow, previous: dict[str, Any], log: StepLog) -> dict[str, Any]:
    """The dossier's data: what it held, updated with what each task of the step wrote.

    SpiffWorkflow keeps data per task; on parallel branches the last task's copy misses what the
    other branches wrote (a reminder's flag, a report), so the dossier view accumulates writes
    (a variable a script deletes therefore stays here with its last value).
    """
    data = dict(previous)
    for changes in log.writes:
        data.update(changes)
    data.update(workflow.data)
    return data

"""Moving a running workflow onto another version of its procedure, keeping what it holds.

SpiffWorkflow's own `migrate_workflow` resets the migrated tasks (their data copied again from the
parent, their timers re-armed). Here nothing that is definite is reset: every task keeps its id,
state, data and internal data (so a timer keeps its due date unless the plan re-arms it), only its
spec changes (by BPMN id, or as the plan maps it). What is merely predicted (the FUTURE, LIKELY and
MAYBE tasks below a waiting one) is dropped and predicted again from the target's diagram, so a task
added after the current one is taken. Finished tasks whose element is gone from the target are
spliced out of the tree (their children hang from their parent); the dossier's history keeps them.

Every reason to refuse is looked for before anything changes; the caller gets either the refusals
or the migrated workflow, never half of one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity, SubWorkflowTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

from ..clock import TIMER_NOW

#: States of a task the workflow is waiting at (as opposed to finished or merely predicted).
ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
PREDICTED = TaskState.FUTURE | TaskState.PREDICTED_MASK

#: Why a dossier cannot move (rule → what the person reads, completed with the element).
NO_TARGET = "sans_cible"
TYPE_CHANGE = "type"
SCOPE_CHANGE = "portee"
MULTI_INSTANCE = "multi_instance"
CALL_ACTIVITY = "appel"
JOIN = "jonction"
FORM = "formulaire"
ROLE = "role"
ATTACHED = "evenements_attaches"


@dataclass(frozen=True)
class Element:
    """An element of a version where a dossier can wait: a human task, a catching event, a
    join, a sub-process (what a plan maps)."""

    id: str
    name: str
    kind: str
    scope: str
    #: Elements may be mapped onto each other only with the same `type_key`.
    type_key: str
    lane: str | None = None
    #: A timer's expression (its deadline as written in the diagram).
    timer: str | None = None


@dataclass(frozen=True)
class Refusal:
    element_id: str
    element_name: str
    rule: str
    reason: str


@dataclass
class Rules:
    """What the owner decided: source element id → target element id where they differ from
    the automatic mapping by id, and the timers (source ids) re-armed rather than kept."""

    mapping: Mapping[str, str] = field(default_factory=dict)
    rearm: frozenset[str] = frozenset()

    def target_of(self, element_id: str) -> str:
        return self.mapping.get(element_id) or element_id


@dataclass
class Outcome:
    refusals: list[Refusal]
    workflow: BpmnWorkflow | None = None
    #: Source element id → target element id of the tasks the dossier waits at.
    moved: dict[str, str] = field(default_factory=dict)
    #: Timers (source ids) whose due date was computed again.
    rearmed: list[str] = field(default_factory=list)


#: Checks the values already entered that a target form reads: (form ref, task data) → problems.
FormCheck = Callable[[str, dict[str, Any]], list[str]]


def elements(spec: Any, subprocess_specs: Mapping[str, Any]) -> list[Element]:
    """The elements of a version a dossier can wait at, main process first."""
    found = []
    for scope, process in [(spec.name, spec), *sorted(subprocess_specs.items())]:
        for task_spec in process.task_specs.values():
            kind = _kind(task_spec)
            if kind is None or not getattr(task_spec, "bpmn_id", None):
                continue
            if task_spec.name.endswith(" [child]"):
                continue
            definition = getattr(task_spec, "event_definition", None)
            found.append(
                Element(
                    id=task_spec.bpmn_id,
                    name=task_spec.bpmn_name or task_spec.bpmn_id,
                    kind=kind,
                    scope=scope,
                    type_key=_type_key(task_spec),
                    lane=getattr(task_spec, "lane", None),
                    timer=getattr(definition, "expression", None)
                    if isinstance(definition, TimerEventDefinition)
                    else None,
                )
            )
    return found


def migrate(
    workflow: BpmnWorkflow,
    target_spec: Any,
    target_subprocess_specs: Mapping[str, Any],
    rules: Rules,
    *,
    now: datetime,
    check_form: FormCheck | None = None,
) -> Outcome:
    """The workflow moved onto the target specs, or the reasons it cannot be.

    The workflow given is changed in place only when there is no refusal."""
    scopes = _scopes(workflow, target_spec, target_subprocess_specs)
    target_scope_of = {
        task_spec.name: scope
        for scope, process in [(target_spec.name, target_spec), *target_subprocess_specs.items()]
        for task_spec in process.task_specs.values()
    }
    refusals: list[Refusal] = []
    aligned: list[_Alignment] = []
    for sub, target in scopes:
        if target is None:
            if sub.get_tasks(state=ACTIVE):
                refusals.append(_refuse(sub.spec, SCOPE_CHANGE, "le sous-processus n'existe plus"))
            continue
        aligned.append(_align(sub, target, rules, target_scope_of, refusals, check_form))
    if refusals:
        return Outcome(refusals)
    outcome = Outcome([], workflow)
    for alignment in aligned:
        _apply(alignment, rules, now, outcome)
    workflow.spec = target_spec
    workflow.subprocess_specs = dict(target_subprocess_specs)
    return outcome


def _scopes(
    workflow: BpmnWorkflow, target_spec: Any, target_subprocess_specs: Mapping[str, Any]
) -> list[tuple[Any, Any]]:
    """(workflow or sub-workflow, its target spec or None) for the main process and each
    sub-process instance."""
    found = [(workflow, target_spec)]
    for sub in workflow.subprocesses.values():
        found.append((sub, target_subprocess_specs.get(sub.spec.name)))
    return found


@dataclass
class _Alignment:
    """What moving one (sub-)workflow does: each kept task → its target spec, the finished
    tasks spliced out, the predicted ones predicted again."""

    sub: Any
    target: Any
    specs: dict[Any, Any]
    splice: list[Any]
    predicted: list[Any]


def _align(
    sub: Any,
    target: Any,
    rules: Rules,
    target_scope_of: Mapping[str, str],
    refusals: list[Refusal],
    check_form: FormCheck | None,
) -> _Alignment:
    """How the (sub-)workflow moves onto `target`; refusals are appended for the waiting
    tasks that cannot move."""
    alignment = _Alignment(sub, target, {}, [], _predicted_below_active(sub))
    pruned = {task.id for task in alignment.predicted}
    for task in sub.get_tasks(skip_subprocesses=True):
        if task.id in pruned:
            continue
        name = _target_name(task.task_spec, rules)
        candidate = target.task_specs.get(name)
        if task.has_state(ACTIVE | TaskState.FUTURE):
            problem = _check_active(task, name, candidate, rules, target_scope_of, check_form)
            if problem is not None:
                if problem not in refusals:
                    refusals.append(problem)
                continue
            alignment.specs[task] = candidate
        elif candidate is None:
            alignment.splice.append(task)
        else:
            alignment.specs[task] = candidate
    return alignment


def _target_name(source: Any, rules: Rules) -> str:
    """The target spec name of a source spec: structural specs (`X.BoundaryEventSplit`,
    `X [child]`) follow their element."""
    name = source.name
    bpmn_id = getattr(source, "bpmn_id", None)
    if bpmn_id and name == bpmn_id:
        return rules.target_of(bpmn_id)
    for suffix in (".BoundaryEventSplit", ".BoundaryEventJoin", " [child]"):
        if name.endswith(suffix):
            return rules.target_of(name[: -len(suffix)]) + suffix
    return name


def _check_active(
    task: Any,
    name: str,
    candidate: Any,
    rules: Rules,
    target_scope_of: Mapping[str, str],
    check_form: FormCheck | None,
) -> Refusal | None:
    """Why a waiting (or definite future) task cannot become `candidate`, the target spec
    called `name`; None if it can."""
    source = task.task_spec
    if candidate is None:
        elsewhere = target_scope_of.get(name)
        if elsewhere is not None:
            return _refuse(source, SCOPE_CHANGE, f"l'élément est passé dans « {elsewhere} »")
        return _refuse(source, NO_TARGET, "il n'a pas d'équivalent dans la version cible")
    if _type_key(source) != _type_key(candidate):
        return _refuse(
            source,
            TYPE_CHANGE,
            f"il deviendrait « {_kind(candidate) or type(candidate).__name__} » "
            f"au lieu de « {_kind(source) or type(source).__name__} »",
        )
    if not task.has_state(ACTIVE):
        return None
    if isinstance(source, CallActivity):
        return _refuse(source, CALL_ACTIVITY, "un appel de processus en cours ne se migre pas")
    if isinstance(source, LoopTask) and _loop_definition(source) != _loop_definition(candidate):
        return _refuse(
            source, MULTI_INSTANCE, "instances multiples en cours dont la définition a changé"
        )
    if getattr(source, "lane", None) != getattr(candidate, "lane", None) and _is_human(task):
        return _refuse(
            source,
            ROLE,
            f"la tâche ouverte passerait du rôle « {source.lane} » au rôle « {candidate.lane} »",
        )
    if _attached(source) != _attached(candidate) and _is_human(task):
        return _refuse(
            source, ATTACHED, "les événements attachés à la tâche ouverte ne sont plus les mêmes"
        )
    arrived = task.parent
    if (
        isinstance(source, Join)
        and task.has_state(TaskState.WAITING)
        and arrived is not None
        and arrived.has_state(TaskState.COMPLETED)
        and _target_name(arrived.task_spec, rules) not in {s.name for s in candidate.inputs}
    ):
        return _refuse(source, JOIN, "des branches déjà arrivées ne mènent plus à cette jonction")
    if check_form is not None and _is_human(task):
        form = (getattr(candidate, "extensions", {}) or {}).get("formJsonSchemaFilename")
        if form:
            problems = check_form(form, task.data)
            if problems:
                return _refuse(
                    source, FORM, "les données déjà saisies ne sont plus valides : "
                    + " ; ".join(problems[:3]),
                )  # fmt: skip
    return None


def _apply(alignment: _Alignment, rules: Rules, now: datetime, outcome: Outcome) -> None:
    sub = alignment.sub
    for task in alignment.predicted:
        _remove(sub, task)
    for task in alignment.splice:
        _splice(sub, task)
    rearm = []
    for task, candidate in alignment.specs.items():
        source_id = getattr(task.task_spec, "bpmn_id", None)
        if task.has_state(ACTIVE) and (_is_human(task) or _is_timer(task.task_spec)):
            outcome.moved[source_id] = candidate.bpmn_id
            if task.has_state(TaskState.WAITING) and source_id in rules.rearm:
                rearm.append((task, source_id))
        task.task_spec = candidate
    sub.spec = alignment.target
    token = TIMER_NOW.set(now)
    try:
        for task, source_id in rearm:
            _rearm(task)
            outcome.rearmed.append(source_id)
        for task in list(sub.get_tasks(state=ACTIVE, skip_subprocesses=True)):
            _predict(task)
    finally:
        TIMER_NOW.reset(token)


def _predicted_below_active(sub: Any) -> list[Any]:
    """The predicted tasks hanging below a waiting task, to predict again."""
    found: dict[Any, Any] = {}
    for task in sub.get_tasks(state=ACTIVE, skip_subprocesses=True):
        pending = [child for child in task.children if child.has_state(PREDICTED)]
        while pending:
            child = pending.pop()
            if child.id not in found:
                found[child.id] = child
                pending.extend(child.children)
    return list(found.values())


def _remove(sub: Any, task: Any) -> None:
    parent = sub.tasks.get(task._parent)
    if parent is not None and task.id in parent._children:
        parent._children.remove(task.id)
    sub.tasks.pop(task.id, None)


def _splice(sub: Any, task: Any) -> None:
    """Take a finished task out of the tree, its children going to its parent."""
    parent = sub.tasks.get(task._parent)
    if parent is None:
        return
    index = parent._children.index(task.id)
    parent._children[index : index + 1] = list(task._children)
    for child in task.children:
        child._parent = parent.id
    if sub.last_task is task:
        sub.last_task = parent
    sub.tasks.pop(task.id, None)


def _rearm(task: Any) -> None:
    """Forget the timer's computed due date and compute it from now (TIMER_NOW)."""
    task.internal_data.pop("event_value", None)
    task.internal_data.pop("event_fired", None)
    definition = task.task_spec.event_definition
    if isinstance(definition, CycleTimerEventDefinition):
        definition.cycle_complete(task)
    else:
        definition.has_fired(task)


def _predict(task: Any) -> None:
    """Predict again what follows a waiting task, from the target's diagram."""
    spec = task.task_spec
    if isinstance(spec, LoopTask) and task.has_state(TaskState.STARTED):
        present = {child.task_spec.name for child in task.children}
        for output in spec.outputs:
            if output.name not in present:
                child = task._add_child(output, TaskState.FUTURE)
                output._predict(child, mask=TaskState.NOT_FINISHED_MASK)
        return
    spec._predict(task, mask=TaskState.NOT_FINISHED_MASK)


def _is_human(task: Any) -> bool:
    return bool(getattr(task.task_spec, "manual", False))


def _is_timer(spec: Any) -> bool:
    return isinstance(getattr(spec, "event_definition", None), TimerEventDefinition)


def _attached(spec: Any) -> list[str]:
    """The events attached to a task (its boundary events), by id."""
    split = next((s for s in spec.inputs if isinstance(s, BoundaryEventSplit)), None)
    if split is None:
        return []
    return sorted(getattr(s, "bpmn_id", None) or s.name for s in split.outputs if s is not spec)


def _loop_definition(spec: Any) -> tuple[Any, ...]:
    """What a multi-instance is made of, comparable between two parses of the diagrams (the
    data references are objects without equality: they are compared by their variables)."""
    child = spec._wf_spec.task_specs.get(getattr(spec, "task_spec", "") or "")
    return (
        type(spec).__name__,
        *(
            _described(getattr(spec, name, None))
            for name in (
                "cardinality", "data_input", "data_output", "input_item", "output_item",
                "condition",
            )
        ),
        type(child).__name__ if child is not None else None,
    )  # fmt: skip


def _described(value: Any) -> Any:
    """A loop's expression as written, or a data reference as the variable it names."""
    if value is None or isinstance(value, str):
        return value
    if hasattr(value, "bpmn_id"):
        return (type(value).__name__, value.bpmn_id)
    return str(value)


def _type_key(spec: Any) -> str:
    """Elements of the same key may be mapped onto each other. Multi-instances share one key
    whether parallel or sequential: a change between the two is a change of their definition
    (refused while they run, with that reason), not of their type."""
    if isinstance(spec, LoopTask):
        return "MultiInstance"
    definition = getattr(spec, "event_definition", None)
    if isinstance(definition, CycleTimerEventDefinition):
        event = ":cycle"
    elif isinstance(definition, TimerEventDefinition):
        event = ":minuterie"
    elif definition is not None:
        event = ":" + type(definition).__name__
    else:
        event = ""
    return type(spec).__name__ + event


def _kind(spec: Any) -> str | None:
    """What a person calls the element, for those a dossier can wait at."""
    definition = getattr(spec, "event_definition", None)
    if isinstance(spec, BoundaryEventSplit) or spec.name.endswith(".BoundaryEventJoin"):
        return None
    if isinstance(spec, CatchingEvent):
        if isinstance(definition, TimerEventDefinition):
            return "minuterie attachée" if type(spec).__name__ == "BoundaryEvent" else "minuterie"
        if type(spec).__name__ in ("StartEvent",):
            return None
        return "événement attendu"
    if isinstance(spec, CallActivity):
        return "appel de processus"
    if isinstance(spec, LoopTask):
        return "tâche à instances multiples"
    if isinstance(spec, SubWorkflowTask):
        return "sous-processus"
    if getattr(spec, "manual", False):
        return "tâche utilisateur"
    if isinstance(spec, ParallelGateway):
        return "jonction parallèle"
    if isinstance(spec, InclusiveGateway):
        return "jonction inclusive"
    return None


def _refuse(spec: Any, rule: str, reason: str) -> Refusal:
    element_id = getattr(spec, "bpmn_id", None) or spec.name
    name = getattr(spec, "bpmn_name", None) or element_id
    return Refusal(element_id, name, rule, f"« {name} » ({element_id}) : {reason}")

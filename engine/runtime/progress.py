"""Where a workflow stands on its diagram: the BPMN elements done, current and still ahead."""

from __future__ import annotations

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

_CURRENT = TaskState.READY | TaskState.STARTED | TaskState.ERROR
_PREDICTED = TaskState.FUTURE | TaskState.LIKELY


def element_states(workflow: BpmnWorkflow) -> tuple[set[str], set[str], set[str]]:
    """(completed, current, pending) BPMN ids, over the workflow and its subprocesses."""
    completed, current, waiting, predicted = set(), set(), set(), set()
    for sub in (workflow, *workflow.subprocesses.values()):
        for task in sub.tasks.values():
            bpmn_id = getattr(task.task_spec, "bpmn_id", None)
            if not bpmn_id:
                continue
            if task.has_state(TaskState.COMPLETED):
                completed.add(bpmn_id)
            elif task.has_state(_CURRENT):
                current.add(bpmn_id)
            elif task.has_state(TaskState.WAITING):
                waiting.add(bpmn_id)
            elif task.has_state(_PREDICTED):
                predicted.add(bpmn_id)
    waiting -= current
    completed -= current | waiting
    pending = waiting | (predicted - current - completed)
    return completed, current, pending

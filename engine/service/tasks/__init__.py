"""Human tasks: the inbox (`inbox`), the page of a task (`page`), what people do with a task
(`commands`) and the checks they share (`access`)."""

from .access import ASSIGNING_ROLES, OPEN
from .commands import assign, claim, complete, releasable, release
from .inbox import (
    BY_CREATION,
    BY_DUE,
    BY_REFERENCE,
    ORDERS,
    OVERDUE,
    THIS_WEEK,
    InboxFacets,
    TaskCounts,
    TaskFilter,
    TaskKind,
    count_tasks,
    inbox_facets,
    list_tasks,
)
from .page import TaskPage, task_form

__all__ = [
    "ASSIGNING_ROLES", "BY_CREATION", "BY_DUE", "BY_REFERENCE", "OPEN", "ORDERS", "OVERDUE",
    "THIS_WEEK", "InboxFacets", "TaskCounts", "TaskFilter", "TaskKind", "TaskPage", "assign",
    "claim", "complete", "count_tasks", "inbox_facets", "list_tasks", "releasable", "release",
    "task_form",
]  # fmt: skip

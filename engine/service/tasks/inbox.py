"""The inbox of a user: open tasks in their scope, filtered and ordered, their counts and facets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...errors import InvalidInput
from ...runtime.task_names import kind_name
from ...store import catalogue
from ...store import tasks as store
from ...store.tasks import (
    BY_CREATION,
    BY_DUE,
    BY_REFERENCE,
    DUES,
    ORDERS,
    OVERDUE,
    THIS_WEEK,
    Selection,
)
from ..context import Services
from ..dossiers.instances import task_summary
from ..viewer import Viewer

__all__ = [
    "BY_CREATION", "BY_DUE", "BY_REFERENCE", "ORDERS", "OVERDUE", "THIS_WEEK", "InboxFacets",
    "TaskCounts", "TaskFilter", "TaskKind", "count_tasks", "inbox_dict", "inbox_facets",
    "list_tasks",
]  # fmt: skip


@dataclass(frozen=True)
class TaskFilter:
    role: str | None = None
    territory: str | None = None
    process_id: str | None = None
    #: The task's element in its procedure (`qualifier_besoin`).
    bpmn_id: str | None = None
    assignee: str | None = None
    #: Only the tasks nobody has taken.
    unassigned: bool = False
    #: "en_retard" (due date passed) or "cette_semaine" (due within 7 days, not yet overdue).
    due: str | None = None
    #: "echeance" (tasks without due date last), "creation" or "reference".
    order: str = BY_DUE
    descending: bool = False
    limit: int = 200
    offset: int = 0


@dataclass(frozen=True)
class TaskCounts:
    """How many open tasks of the viewer's inbox match, and how many each quick filter would
    show: the due filters keep the current assignment filter and the other way round (each
    count is what clicking its tag gives)."""

    total: int
    overdue: int
    this_week: int
    mine: int
    unassigned: int


def _check_due(due: str | None) -> None:
    if due is not None and due not in DUES:
        raise InvalidInput(
            f"Filtre d'échéance inconnu : « {due} » (attendu : {OVERDUE}, {THIS_WEEK})."
        )


def _check_order(order: str) -> None:
    if order not in ORDERS:
        raise InvalidInput(f"Tri inconnu : « {order} » (attendu : {', '.join(ORDERS)}).")


def _selection(services: Services, viewer: Viewer, filters: TaskFilter) -> Selection:
    """Open tasks of the viewer's inbox, narrowed by the filters (a territory by its code)."""
    territory = (
        services.territories.departement(filters.territory).code if filters.territory else None
    )
    return Selection(
        viewer.task_filter(), role=filters.role, territory=territory,
        process_id=filters.process_id, bpmn_id=filters.bpmn_id, due=filters.due,
        assignee=filters.assignee, unassigned=filters.unassigned,
    )  # fmt: skip


def list_tasks(
    services: Services, viewer: Viewer, filters: TaskFilter | None = None
) -> list[dict[str, Any]]:
    """Open tasks the viewer may act on, oldest due first (tasks without due date last).

    Each task carries its dossier's reference (`instance`), requesting authority
    (`organisation`), procedure name, territory label and the name of whoever holds it.
    """
    filters = filters or TaskFilter()
    now = services.clock.now()
    selection = _selection(services, viewer, filters)
    _check_due(filters.due)
    _check_order(filters.order)
    with services.read() as connection:
        rows = store.open_tasks(
            connection, selection, now, order=filters.order, descending=filters.descending,
            limit=filters.limit, offset=filters.offset,
        )  # fmt: skip
    return [inbox_dict(services, row, now) for row in rows]


def inbox_dict(services: Services, row: Any, now: datetime) -> dict[str, Any]:
    return {
        **task_summary(row, row.reference, now),
        "organisation": row.organisation,
        "process_name": row.process_name,
        "territory_label": services.territories.label(row.territory),
        "assignee_name": row.assignee_name,
    }


def count_tasks(
    services: Services, viewer: Viewer, filters: TaskFilter | None = None
) -> TaskCounts:
    """The counts of the viewer's inbox under these filters, in one statement; never a task
    outside the viewer's scope (the same condition as `list_tasks`)."""
    filters = filters or TaskFilter()
    now = services.clock.now()
    _check_due(filters.due)
    selection = _selection(services, viewer, filters)
    with services.read() as connection:
        counts = store.open_counts(connection, selection, now, viewer.login)
    return TaskCounts(*counts)


@dataclass(frozen=True)
class TaskKind:
    """A task of a procedure that has open tasks in the viewer's inbox, with how many."""

    process_id: str
    process_name: str
    bpmn_id: str
    name: str
    count: int


@dataclass(frozen=True)
class InboxFacets:
    """What an inbox can be filtered by: the kinds of task in it, and its territories."""

    kinds: list[TaskKind]
    #: (code, « Creuse (23) », count), by code.
    territories: list[tuple[str, str, int]] = field(default_factory=list)

    def procedures(self) -> list[tuple[str, str, int]]:
        """(process id, name, count) of the procedures with open tasks, by name."""
        totals: dict[tuple[str, str], int] = {}
        for kind in self.kinds:
            key = (kind.process_id, kind.process_name)
            totals[key] = totals.get(key, 0) + kind.count
        return sorted(((p, n, c) for (p, n), c in totals.items()), key=lambda t: t[1])


def inbox_facets(services: Services, viewer: Viewer, *, territories: bool = False) -> InboxFacets:
    """The procedures, tasks (and territories, if asked) of the viewer's open tasks."""
    scope = viewer.task_filter()
    with services.read() as connection:
        kinds = store.open_kinds(connection, scope)
        names = catalogue.process_names(connection)
        places = store.open_territories(connection, scope) if territories else []
    found = [
        TaskKind(process_id, names.get(process_id, process_id), bpmn_id, kind_name(first, last), n)
        for process_id, bpmn_id, first, last, n in kinds
    ]
    found.sort(key=lambda k: (k.process_name, k.name))
    return InboxFacets(
        found,
        sorted((code, services.territories.label(code), n) for code, n in places),
    )

"""The inbox of a user: open tasks in their scope, filtered and ordered, their counts and facets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    select,
    true,
)

from ...errors import InvalidInput
from ...runtime.task_names import kind_name
from ...store.models import (
    HumanTask,
    ProcessInstance,
    ProcessVersion,
    User,
)
from ..context import Services
from ..dossiers.instances import task_summary
from ..viewer import Viewer
from .access import OPEN

OVERDUE, THIS_WEEK = "en_retard", "cette_semaine"
#: Orders of an inbox: by due date (the default), by creation, by dossier reference.
BY_DUE, BY_CREATION, BY_REFERENCE = "echeance", "creation", "reference"
ORDERS = (BY_DUE, BY_CREATION, BY_REFERENCE)
WEEK = timedelta(days=7)


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


def _due_condition(due: str | None, now: datetime) -> ColumnElement[bool] | None:
    if due is None:
        return None
    if due == OVERDUE:
        return HumanTask.due_at < now
    if due == THIS_WEEK:
        return and_(HumanTask.due_at >= now, HumanTask.due_at < now + WEEK)
    raise InvalidInput(f"Filtre d'échéance inconnu : « {due} » (attendu : {OVERDUE}, {THIS_WEEK}).")


def _assignment_condition(filters: TaskFilter) -> ColumnElement[bool] | None:
    if filters.assignee:
        return HumanTask.assignee == filters.assignee
    if filters.unassigned:
        return HumanTask.assignee.is_(None)
    return None


def _scope_conditions(
    services: Services, viewer: Viewer, filters: TaskFilter
) -> list[ColumnElement[bool]]:
    """Open tasks of the viewer's inbox, narrowed by role, territory, procedure and task."""
    conditions = [HumanTask.status == OPEN, viewer.task_filter()]
    if filters.role:
        conditions.append(HumanTask.role == filters.role)
    if filters.territory:
        code = services.territories.departement(filters.territory).code
        conditions.append(HumanTask.territory == code)
    if filters.process_id:
        conditions.append(HumanTask.process_id == filters.process_id)
    if filters.bpmn_id:
        conditions.append(HumanTask.bpmn_id == filters.bpmn_id)
    return conditions


def _order_by(filters: TaskFilter) -> list[Any]:
    if filters.order not in ORDERS:
        raise InvalidInput(f"Tri inconnu : « {filters.order} » (attendu : {', '.join(ORDERS)}).")
    column = {
        BY_DUE: HumanTask.due_at,
        BY_CREATION: HumanTask.created_at,
        BY_REFERENCE: ProcessInstance.reference,
    }[filters.order]
    direction = column.desc() if filters.descending else column.asc()
    nulls_last = [HumanTask.due_at.is_(None)] if filters.order == BY_DUE else []
    return [*nulls_last, direction, HumanTask.created_at, HumanTask.id]


_ASSIGNEE = User.__table__.alias("assignee_account")


def task_rows(*columns: Any) -> Any:
    """Tasks with what inboxes and the task page show of them: the dossier's reference and
    requesting authority, the procedure's name and the name of whoever holds the task."""
    return (
        select(
            HumanTask.__table__,
            ProcessInstance.reference,
            ProcessInstance.organisation,
            ProcessVersion.name.label("process_name"),
            _ASSIGNEE.c.name.label("assignee_name"),
            *columns,
        )
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .join(_ASSIGNEE, _ASSIGNEE.c.login == HumanTask.assignee, isouter=True)
    )


def list_tasks(
    services: Services, viewer: Viewer, filters: TaskFilter | None = None
) -> list[dict[str, Any]]:
    """Open tasks the viewer may act on, oldest due first (tasks without due date last).

    Each task carries its dossier's reference (`instance`), requesting authority
    (`organisation`), procedure name, territory label and the name of whoever holds it.
    """
    filters = filters or TaskFilter()
    now = services.clock.now()
    conditions = _scope_conditions(services, viewer, filters)
    for extra in (_due_condition(filters.due, now), _assignment_condition(filters)):
        if extra is not None:
            conditions.append(extra)
    query = (
        task_rows()
        .where(*conditions)
        .order_by(*_order_by(filters))
        .limit(filters.limit)
        .offset(filters.offset)
    )
    with services.read() as connection:
        rows = connection.execute(query).all()
    return [inbox_dict(services, row, now) for row in rows]


def inbox_dict(services: Services, row: Any, now: datetime) -> dict[str, Any]:
    return {
        **task_summary(row, row.reference, now),
        "organisation": row.organisation,
        "process_name": row.process_name,
        "territory_label": services.territories.label(row.territory),
        "assignee_name": row.assignee_name,
    }


def _sum(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def count_tasks(
    services: Services, viewer: Viewer, filters: TaskFilter | None = None
) -> TaskCounts:
    """The counts of the viewer's inbox under these filters, in one statement; never a task
    outside the viewer's scope (the same condition as `list_tasks`)."""
    filters = filters or TaskFilter()
    now = services.clock.now()
    due = _due_condition(filters.due, now)
    due = true() if due is None else due
    assigned = _assignment_condition(filters)
    assigned = true() if assigned is None else assigned
    query = select(
        _sum(and_(due, assigned)),
        _sum(and_(_due_condition(OVERDUE, now), assigned)),
        _sum(and_(_due_condition(THIS_WEEK, now), assigned)),
        _sum(and_(HumanTask.assignee == viewer.login, due)),
        _sum(and_(HumanTask.assignee.is_(None), due)),
    ).where(*_scope_conditions(services, viewer, filters))
    with services.read() as connection:
        row = connection.execute(query).one()
    return TaskCounts(*(int(value or 0) for value in row))


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
    scope = [HumanTask.status == OPEN, viewer.task_filter()]
    count = func.count().label("n")
    with services.read() as connection:
        kinds = connection.execute(
            select(
                HumanTask.process_id,
                HumanTask.bpmn_id,
                func.min(HumanTask.name),
                func.max(HumanTask.name),
                count,
            )
            .where(*scope)
            .group_by(HumanTask.process_id, HumanTask.bpmn_id)
        ).all()
        names = dict(
            connection.execute(
                select(ProcessVersion.process_id, ProcessVersion.name).order_by(
                    ProcessVersion.version
                )
            ).all()
        )
        places = (
            connection.execute(
                select(HumanTask.territory, count).where(*scope).group_by(HumanTask.territory)
            ).all()
            if territories
            else []
        )
    found = [
        TaskKind(process_id, names.get(process_id, process_id), bpmn_id, kind_name(first, last), n)
        for process_id, bpmn_id, first, last, n in kinds
    ]
    found.sort(key=lambda k: (k.process_name, k.name))
    return InboxFacets(
        found,
        sorted((code, services.territories.label(code), n) for code, n in places),
    )

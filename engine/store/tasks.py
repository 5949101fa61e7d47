"""The statements over human tasks (`human_tasks`) as people meet them: inboxes, the page of one
task, claiming, releasing and assigning.

The service layer (engine/service/tasks/) decides who may see or take a task and checks every
filter; these functions only read and write rows, inside the connection or transaction the
caller holds. Which tasks a person reaches comes in as an opaque `Condition`
(engine/store/scope_filters.py), so that the scope rule stays in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    true,
    update,
)

from .models import (
    AuditEvent,
    HumanTask,
    Notification,
    ProcessInstance,
    ProcessVersion,
    User,
    UserGrant,
)
from .scope_filters import Condition

#: The status of a task still to be done (`human_tasks.status`).
OPEN = "ouverte"
OVERDUE, THIS_WEEK = "en_retard", "cette_semaine"
#: Orders of an inbox: by due date, by creation, by dossier reference.
BY_DUE, BY_CREATION, BY_REFERENCE = "echeance", "creation", "reference"
ORDERS = (BY_DUE, BY_CREATION, BY_REFERENCE)
DUES = (OVERDUE, THIS_WEEK)
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Selection:
    """Which open tasks of an inbox a query reads: those `scope` reaches, narrowed by the
    other fields (None, False: not narrowed). `due` is one of DUES, `territory` a code."""

    scope: Condition
    role: str | None = None
    territory: str | None = None
    process_id: str | None = None
    bpmn_id: str | None = None
    due: str | None = None
    assignee: str | None = None
    unassigned: bool = False


_ASSIGNEE = User.__table__.alias("assignee_account")


def _task_rows(*columns: Any) -> Any:
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


_TASK_PAGE = _task_rows(
    ProcessInstance.data.label("instance_data"),
    ProcessInstance.process_version_id,
    ProcessInstance.territory.label("instance_territory"),
    ProcessInstance.siren.label("instance_siren"),
).where(HumanTask.id == bindparam("task_id"))
_ASSIGN = (
    update(HumanTask.__table__)
    .where(HumanTask.id == bindparam("task_id"), HumanTask.status == OPEN)
    .values(assignee=bindparam("assignee"))
)
_INSERT_AUDIT = insert(AuditEvent.__table__)


def _due_condition(due: str | None, now: datetime) -> ColumnElement[bool] | None:
    if due == OVERDUE:
        return HumanTask.due_at < now
    if due == THIS_WEEK:
        return and_(HumanTask.due_at >= now, HumanTask.due_at < now + WEEK)
    return None


def _assignment_condition(selection: Selection) -> ColumnElement[bool] | None:
    if selection.assignee:
        return HumanTask.assignee == selection.assignee
    if selection.unassigned:
        return HumanTask.assignee.is_(None)
    return None


def _scope_conditions(selection: Selection) -> list[ColumnElement[bool]]:
    conditions = [HumanTask.status == OPEN, selection.scope]
    if selection.role:
        conditions.append(HumanTask.role == selection.role)
    if selection.territory:
        conditions.append(HumanTask.territory == selection.territory)
    if selection.process_id:
        conditions.append(HumanTask.process_id == selection.process_id)
    if selection.bpmn_id:
        conditions.append(HumanTask.bpmn_id == selection.bpmn_id)
    return conditions


def _order_by(order: str, descending: bool) -> list[Any]:
    column = {
        BY_DUE: HumanTask.due_at,
        BY_CREATION: HumanTask.created_at,
        BY_REFERENCE: ProcessInstance.reference,
    }[order]
    direction = column.desc() if descending else column.asc()
    # The expression index ix_human_tasks_open_role_due (models.py) follows this order.
    nulls_last = [HumanTask.due_at.is_(None)] if order == BY_DUE else []
    return [*nulls_last, direction, HumanTask.created_at, HumanTask.id]


def open_tasks(
    connection: Connection, selection: Selection, now: datetime, *, order: str = BY_DUE,
    descending: bool = False, limit: int = 200, offset: int = 0,
) -> list[Row[Any]]:  # fmt: skip
    """Every column of the selected tasks, with the dossier's reference and organisation, the
    procedure's name (process_name) and the holder's (assignee_name); `order` one of ORDERS,
    tasks without due date last by due date, ties by creation then id."""
    conditions = _scope_conditions(selection)
    for extra in (_due_condition(selection.due, now), _assignment_condition(selection)):
        if extra is not None:
            conditions.append(extra)
    query = (
        _task_rows()
        .where(*conditions)
        .order_by(*_order_by(order, descending))
        .limit(limit)
        .offset(offset)
    )
    return list(connection.execute(query).all())


def _sum(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def open_counts(
    connection: Connection, selection: Selection, now: datetime, login: str
) -> tuple[int, int, int, int, int]:
    """In one statement: the selected tasks, then (keeping the selection's assignment filter)
    the overdue and due-this-week ones, then (keeping its due filter) those held by `login`
    and those nobody holds."""
    due = _due_condition(selection.due, now)
    due = true() if due is None else due
    assigned = _assignment_condition(selection)
    assigned = true() if assigned is None else assigned
    query = select(
        _sum(and_(due, assigned)),
        _sum(and_(_due_condition(OVERDUE, now), assigned)),
        _sum(and_(_due_condition(THIS_WEEK, now), assigned)),
        _sum(and_(HumanTask.assignee == login, due)),
        _sum(and_(HumanTask.assignee.is_(None), due)),
    ).where(*_scope_conditions(selection))
    row = connection.execute(query).one()
    total, overdue, this_week, mine, unassigned = (int(value or 0) for value in row)
    return total, overdue, this_week, mine, unassigned


def open_kinds(connection: Connection, scope: Condition) -> list[tuple[str, str, str, str, int]]:
    """(process_id, bpmn_id, first name, last name, count) of the open tasks `scope` reaches,
    per element of a procedure (its name may differ between versions)."""
    rows = connection.execute(
        select(
            HumanTask.process_id,
            HumanTask.bpmn_id,
            func.min(HumanTask.name),
            func.max(HumanTask.name),
            func.count().label("n"),
        )
        .where(HumanTask.status == OPEN, scope)
        .group_by(HumanTask.process_id, HumanTask.bpmn_id)
    ).all()
    return [(process_id, bpmn_id, first, last, n) for process_id, bpmn_id, first, last, n in rows]


def open_territories(connection: Connection, scope: Condition) -> list[tuple[str, int]]:
    """(territory code, count) of the open tasks `scope` reaches."""
    rows = connection.execute(
        select(HumanTask.territory, func.count().label("n"))
        .where(HumanTask.status == OPEN, scope)
        .group_by(HumanTask.territory)
    ).all()
    return [(code, n) for code, n in rows]


def task_page_row(connection: Connection, task_id: str) -> Row[Any] | None:
    """What `open_tasks` reads of one task, whatever its status, with its dossier's
    instance_data, process_version_id, instance_territory and instance_siren."""
    return connection.execute(_TASK_PAGE, {"task_id": task_id}).first()


def holders(connection: Connection, role: str, territory: str, siren: str) -> list[tuple[str, str]]:
    """(login, name) of the active accounts holding `role` nationally, over `territory` or over
    `siren`, by name."""
    rows = connection.execute(
        select(User.login, User.name)
        .join(UserGrant, UserGrant.login == User.login)
        .where(
            User.active.is_(True),
            UserGrant.role == role,
            UserGrant.scope.in_(("", territory, siren)),
        )
        .distinct()
        .order_by(User.name, User.login)
    ).all()
    return [(row.login, row.name) for row in rows]


def take(connection: Connection, task_id: str, login: str) -> bool:
    """Give an open task to `login` unless someone else holds it; whether it is theirs now."""
    taken = connection.execute(
        _ASSIGN.where(or_(HumanTask.assignee.is_(None), HumanTask.assignee == login)),
        {"task_id": task_id, "assignee": login},
    )
    return taken.rowcount == 1


def set_assignee(connection: Connection, task_id: str, assignee: str | None) -> None:
    """Give an open task to `assignee` (None: back to its role's inbox), whoever holds it."""
    connection.execute(_ASSIGN, {"task_id": task_id, "assignee": assignee})


def insert_audit(connection: Connection, values: dict[str, Any]) -> None:
    """One line of a dossier's history."""
    connection.execute(_INSERT_AUDIT, values)


def insert_notification(connection: Connection, values: dict[str, Any]) -> None:
    connection.execute(insert(Notification.__table__), values)

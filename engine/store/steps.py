"""Writing one engine step: a handful of statements in the caller's transaction.

The instance row is updated first, guarded by its lock version: a concurrent step that got
there first makes the update touch no row, and the whole transaction is abandoned as a conflict
before anything else is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..errors import Conflict
from . import dossier_territories
from .models import (
    AuditEvent,
    HumanTask,
    Notification,
    OutboxMessage,
    ProcessInstance,
    ReferenceCounter,
    Timer,
    User,
)


@dataclass
class TaskRow:
    id: str
    bpmn_id: str
    name: str
    role: str
    form_ref: str | None
    assignee: str | None
    due_at: datetime | None
    #: The task's own organisation and département when they differ from the instance's.
    siren: str | None = None
    territory: str | None = None


@dataclass
class TimerRow:
    id: str
    bpmn_id: str
    name: str
    kind: str
    due_at: datetime


@dataclass
class StepWrite:
    """Everything a step changed, computed in memory from before/after snapshots.

    `instance_id` is None for the first step of an instance: the row is then inserted with
    `new_instance` (reference, version, creation) instead of updated.
    """

    instance_id: int | None
    process_id: str
    territory: str
    siren: str
    lock_version: int
    now: datetime
    state: str
    data: dict[str, Any]
    status: str
    outcome: str | None = None
    opened_tasks: list[TaskRow] = field(default_factory=list)
    completed_task: str | None = None
    completed_by: str | None = None
    cancelled_tasks: list[str] = field(default_factory=list)
    new_timers: list[TimerRow] = field(default_factory=list)
    moved_timers: dict[str, datetime] = field(default_factory=dict)
    fired_timers: list[str] = field(default_factory=list)
    cancelled_timers: list[str] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    new_instance: dict[str, Any] | None = None
    #: A migration: the version the instance now runs on, and the open tasks and waiting timers
    #: that kept their identity but took another element's id, name or form.
    process_version_id: int | None = None
    relabelled_tasks: list[TaskRow] = field(default_factory=list)
    relabelled_timers: list[TimerRow] = field(default_factory=list)
    #: Rows for `notifications` and `outbox`, without instance id and step key.
    notifications: list[dict[str, Any]] = field(default_factory=list)
    emails: list[dict[str, Any]] = field(default_factory=list)
    #: The dossier was closed from outside its diagram (withdrawal, « sans suite »...): no
    #: task or timer of it may stay open, whatever the snapshots said.
    closed: bool = False
    #: The départements the dossier covers besides its own, when the step changed them (the
    #: process property `territoires`); None: unchanged, or the process declares none.
    territories: list[str] | None = None


_INSTANCES = ProcessInstance.__table__
_TASKS = HumanTask.__table__
_TIMERS = Timer.__table__
_AUDIT = AuditEvent.__table__
_COUNTERS = ReferenceCounter.__table__

# Statements are built once: building them costs more than running them on a fast server.
_INSERT_INSTANCE = insert(_INSTANCES).returning(_INSTANCES.c.id)
_UPDATE_INSTANCE = (
    update(_INSTANCES)
    .where(_INSTANCES.c.id == bindparam("b_id"), _INSTANCES.c.lock_version == bindparam("b_lock"))
    .values(
        {
            name: bindparam(name)
            for name in ("state", "data", "status", "outcome", "lock_version", "updated_at")
        }
        | {"completed_at": bindparam("completed_at"), "incident": None}
    )
)
_COMPLETE_TASK = (
    update(_TASKS)
    .where(_TASKS.c.id == bindparam("b_id"), _TASKS.c.status == "ouverte")
    .values(status="terminee", completed_at=bindparam("at"), completed_by=bindparam("by"))
)
_CANCEL_TASKS = (
    update(_TASKS)
    .where(_TASKS.c.id.in_(bindparam("ids", expanding=True)), _TASKS.c.status == "ouverte")
    .values(status="annulee", completed_at=bindparam("at"))
)
_INSERT_TASKS = insert(_TASKS)
_CANCEL_OPEN_TASKS = (
    update(_TASKS)
    .where(_TASKS.c.instance_id == bindparam("b_id"), _TASKS.c.status == "ouverte")
    .values(status="annulee", completed_at=bindparam("at"))
)
_CANCEL_PENDING_TIMERS = (
    update(_TIMERS)
    .where(
        _TIMERS.c.instance_id == bindparam("b_id"),
        _TIMERS.c.status.in_(("en_attente", "incident")),
    )
    .values(status="annulee", updated_at=bindparam("at"), locked_by=None, locked_until=None)
)
_INSERT_TIMERS = insert(_TIMERS)
_MOVE_TIMER = (
    update(_TIMERS)
    .where(_TIMERS.c.id == bindparam("b_id"))
    .values(
        due_at=bindparam("due_at"),
        status="en_attente",
        updated_at=bindparam("updated_at"),
        locked_by=None,
        locked_until=None,
        attempts=0,
        last_error=None,
    )
)
_END_TIMERS = (
    update(_TIMERS)
    .where(_TIMERS.c.id.in_(bindparam("ids", expanding=True)))
    .values(
        status=bindparam("status"), updated_at=bindparam("at"), locked_by=None, locked_until=None
    )
)
_MOVE_VERSION = (
    update(_INSTANCES)
    .where(_INSTANCES.c.id == bindparam("b_id"))
    .values(process_version_id=bindparam("version_id"))
)
_RELABEL_TASK = (
    update(_TASKS)
    .where(_TASKS.c.id == bindparam("b_id"))
    .values(bpmn_id=bindparam("bpmn_id"), name=bindparam("name"), form_ref=bindparam("form_ref"))
)
_RELABEL_TIMER = (
    update(_TIMERS)
    .where(_TIMERS.c.id == bindparam("b_id"))
    .values(bpmn_id=bindparam("bpmn_id"), name=bindparam("name"), kind=bindparam("kind"))
)
_INSERT_AUDIT = insert(_AUDIT)
_INSERT_NOTIFICATIONS = insert(Notification.__table__)
_INSERT_EMAILS = insert(OutboxMessage.__table__)
_AUDIT_DEFAULTS = {"actor": None, "task_id": None, "bpmn_id": None, "label": None, "changes": None}
_COUNTER_INSERTS = {
    name: dialect.insert(_COUNTERS)
    .values(
        prefix=bindparam("prefix"),
        territory=bindparam("territory"),
        year=bindparam("year"),
        value=1,
    )
    .on_conflict_do_update(
        index_elements=["prefix", "territory", "year"], set_={"value": _COUNTERS.c.value + 1}
    )
    .returning(_COUNTERS.c.value)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def next_reference_number(connection: Connection, prefix: str, territory: str, year: int) -> int:
    statement = _COUNTER_INSERTS[connection.dialect.name]
    return connection.execute(
        statement, {"prefix": prefix, "territory": territory, "year": year}
    ).scalar_one()


def save_step(connection: Connection, step: StepWrite) -> tuple[int, int]:
    """Write the step; return (instance id, new lock version).

    Raises Conflict, before anything else is written, if someone changed the instance first.
    """
    new_version = step.lock_version + 1
    values = {
        "state": step.state,
        "data": step.data,
        "status": step.status,
        "outcome": step.outcome,
        "lock_version": new_version,
        "updated_at": step.now,
        "completed_at": step.now if step.status == "terminee" else None,
    }
    if step.instance_id is None:
        step.instance_id = connection.execute(
            _INSERT_INSTANCE, {**values, **(step.new_instance or {})}
        ).scalar_one()
    else:
        result = connection.execute(
            _UPDATE_INSTANCE, {**values, "b_id": step.instance_id, "b_lock": step.lock_version}
        )
        if result.rowcount != 1:
            raise Conflict(
                "Le dossier a été modifié par quelqu'un d'autre entre-temps : "
                "rechargez-le et recommencez."
            )
    if step.process_version_id is not None:
        _save_migration(connection, step)
    if step.territories is not None:
        dossier_territories.replace(connection, step.instance_id, step.territories)
    if step.completed_task:
        done = connection.execute(
            _COMPLETE_TASK, {"b_id": step.completed_task, "at": step.now, "by": step.completed_by}
        )
        if done.rowcount != 1:
            raise Conflict("Cette tâche a déjà été traitée.")
    if step.cancelled_tasks:
        connection.execute(_CANCEL_TASKS, {"ids": step.cancelled_tasks, "at": step.now})
    if step.opened_tasks:
        shared = {
            "instance_id": step.instance_id,
            "process_id": step.process_id,
            "territory": step.territory,
            "siren": step.siren,
            "status": "ouverte",
            "created_at": step.now,
            "completed_at": None,
            "completed_by": None,
        }
        rows = [
            {**task.__dict__, **shared, "siren": task.siren or step.siren,
             "territory": task.territory or step.territory, "designated": task.assignee}
            for task in step.opened_tasks
        ]  # fmt: skip
        connection.execute(_INSERT_TASKS, rows)
    _save_timers(connection, step)
    if step.closed:
        for statement in (_CANCEL_OPEN_TASKS, _CANCEL_PENDING_TIMERS):
            connection.execute(statement, {"b_id": step.instance_id, "at": step.now})
    if step.audit:
        shared = {"instance_id": step.instance_id, "at": step.now, "lock_version": new_version}
        connection.execute(
            _INSERT_AUDIT, [{**_AUDIT_DEFAULTS, **event, **shared} for event in step.audit]
        )
    if step.notifications:
        connection.execute(
            _INSERT_NOTIFICATIONS,
            [{**row, "instance_id": step.instance_id} for row in step.notifications],
        )
    if step.emails:
        key = step_key(step.instance_id, new_version)
        connection.execute(
            _INSERT_EMAILS,
            [{**row, "instance_id": step.instance_id, "step_key": key} for row in step.emails],
        )
    return step.instance_id, new_version


def _save_migration(connection: Connection, step: StepWrite) -> None:
    connection.execute(
        _MOVE_VERSION, {"b_id": step.instance_id, "version_id": step.process_version_id}
    )
    if step.relabelled_tasks:
        connection.execute(
            _RELABEL_TASK,
            [{"b_id": t.id, "bpmn_id": t.bpmn_id, "name": t.name, "form_ref": t.form_ref}
             for t in step.relabelled_tasks],
        )  # fmt: skip
    if step.relabelled_timers:
        connection.execute(
            _RELABEL_TIMER,
            [{"b_id": t.id, "bpmn_id": t.bpmn_id, "name": t.name, "kind": t.kind}
             for t in step.relabelled_timers],
        )  # fmt: skip


def step_key(instance_id: int, lock_version: int) -> str:
    """Names one step of one instance: the lock version it wrote is unique to it."""
    return f"etape:{instance_id}:{lock_version}"


def _save_timers(connection: Connection, step: StepWrite) -> None:
    if step.new_timers:
        shared = {
            "instance_id": step.instance_id,
            "status": "en_attente",
            "attempts": 0,
            "updated_at": step.now,
            "locked_by": None,
            "locked_until": None,
            "last_error": None,
        }
        connection.execute(
            _INSERT_TIMERS, [{**timer.__dict__, **shared} for timer in step.new_timers]
        )
    for timer_id, due_at in step.moved_timers.items():
        connection.execute(
            _MOVE_TIMER, {"b_id": timer_id, "due_at": due_at, "updated_at": step.now}
        )
    for ids, status in ((step.fired_timers, "declenchee"), (step.cancelled_timers, "annulee")):
        if ids:
            connection.execute(_END_TIMERS, {"ids": ids, "status": status, "at": step.now})


_ACTIVE_AMONG = select(User.login).where(
    User.login.in_(bindparam("logins", expanding=True)), User.active.is_(True)
)


def active_logins(connection: Connection, logins: set[str]) -> set[str]:
    """Those of the accounts named that exist and are open (whom a step may give a task)."""
    if not logins:
        return set()
    return set(connection.execute(_ACTIVE_AMONG, {"logins": sorted(logins)}).scalars())

"""Writing one engine step: a handful of statements in the caller's transaction.

The instance row is updated first, guarded by its lock version: a concurrent step that got
there first makes the update touch no row, and the whole transaction is abandoned as a conflict
before anything else is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, update
from sqlalchemy.dialects import postgresql, sqlite

from ..errors import Conflict
from .models import AuditEvent, HumanTask, ProcessInstance, ReferenceCounter, Timer


@dataclass
class TaskRow:
    id: str
    bpmn_id: str
    name: str
    role: str
    form_ref: str | None
    assignee: str | None
    due_at: datetime | None


@dataclass
class TimerRow:
    id: str
    bpmn_id: str
    name: str
    kind: str
    due_at: datetime


@dataclass
class StepWrite:
    """Everything a step changed, computed in memory from before/after snapshots."""

    instance_id: int
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


def next_reference_number(connection: Connection, prefix: str, territory: str, year: int) -> int:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(ReferenceCounter).values(
        prefix=prefix, territory=territory, year=year, value=1
    )
    statement = statement.on_conflict_do_update(
        index_elements=["prefix", "territory", "year"],
        set_={"value": ReferenceCounter.value + 1},
    ).returning(ReferenceCounter.value)
    return connection.execute(statement).scalar_one()


def insert_instance(connection: Connection, **values: Any) -> int:
    return connection.execute(
        insert(ProcessInstance).values(**values).returning(ProcessInstance.id)
    ).scalar_one()


def save_step(connection: Connection, step: StepWrite) -> int:
    """Write the step; return the new lock version. Raises Conflict if someone was first."""
    new_version = step.lock_version + 1
    result = connection.execute(
        update(ProcessInstance)
        .where(
            ProcessInstance.id == step.instance_id,
            ProcessInstance.lock_version == step.lock_version,
        )
        .values(
            state=step.state,
            data=step.data,
            status=step.status,
            outcome=step.outcome,
            lock_version=new_version,
            updated_at=step.now,
            completed_at=step.now if step.status == "terminee" else None,
            incident=None,
        )
    )
    if result.rowcount != 1:
        raise Conflict(
            "Le dossier a été modifié par quelqu'un d'autre entre-temps : rechargez-le et recommencez."
        )
    if step.completed_task:
        done = connection.execute(
            update(HumanTask)
            .where(HumanTask.id == step.completed_task, HumanTask.status == "ouverte")
            .values(status="terminee", completed_at=step.now, completed_by=step.completed_by)
        )
        if done.rowcount != 1:
            raise Conflict("Cette tâche a déjà été traitée.")
    if step.cancelled_tasks:
        connection.execute(
            update(HumanTask)
            .where(HumanTask.id.in_(step.cancelled_tasks), HumanTask.status == "ouverte")
            .values(status="annulee", completed_at=step.now)
        )
    if step.opened_tasks:
        connection.execute(
            insert(HumanTask),
            [
                {
                    **task.__dict__,
                    "instance_id": step.instance_id,
                    "process_id": step.process_id,
                    "territory": step.territory,
                    "siren": step.siren,
                    "status": "ouverte",
                    "created_at": step.now,
                }
                for task in step.opened_tasks
            ],
        )
    _save_timers(connection, step)
    if step.audit:
        connection.execute(
            insert(AuditEvent),
            [
                {
                    "instance_id": step.instance_id,
                    "at": step.now,
                    "lock_version": new_version,
                    "actor": None,
                    "task_id": None,
                    "bpmn_id": None,
                    "label": None,
                    "changes": None,
                    **event,
                }
                for event in step.audit
            ],
        )
    return new_version


def _save_timers(connection: Connection, step: StepWrite) -> None:
    if step.new_timers:
        connection.execute(
            insert(Timer),
            [
                {
                    **timer.__dict__,
                    "instance_id": step.instance_id,
                    "status": "en_attente",
                    "attempts": 0,
                    "updated_at": step.now,
                }
                for timer in step.new_timers
            ],
        )
    for timer_id, due_at in step.moved_timers.items():
        connection.execute(
            update(Timer)
            .where(Timer.id == timer_id)
            .values(due_at=due_at, status="en_attente", updated_at=step.now)
        )
    for ids, status in ((step.fired_timers, "declenchee"), (step.cancelled_timers, "annulee")):
        if ids:
            connection.execute(
                update(Timer)
                .where(Timer.id.in_(ids))
                .values(status=status, updated_at=step.now, locked_by=None, locked_until=None)
            )

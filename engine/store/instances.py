"""Reading one instance for a step or for the dossier page, and recording that it cannot go
further."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select, update

from ..errors import NotFound
from .models import AuditEvent, HumanTask, ProcessInstance, ProcessVersion, Timer, User

#: Statuses of a dossier (`process_instances.status`).
RUNNING, COMPLETED, INCIDENT = "en_cours", "terminee", "incident"


@dataclass
class LoadedInstance:
    """The instance row a step starts from; its `lock_version` guards the step's write."""

    id: int | None
    reference: str
    process_id: str
    process_version_id: int
    territory: str
    siren: str
    status: str
    lock_version: int
    data: dict[str, Any]
    state: str


_INSTANCE = ProcessInstance.__table__
_TASK = HumanTask.__table__
_COLUMNS = [
    _INSTANCE.c[name]
    for name in (
        "id", "reference", "process_id", "process_version_id", "territory", "siren", "status",
        "lock_version", "data", "state",
    )
]  # fmt: skip
_BY_ID = select(*_COLUMNS).where(_INSTANCE.c.id == bindparam("key"))
_BY_REFERENCE = select(*_COLUMNS).where(_INSTANCE.c.reference == bindparam("key"))
_TASK_WITH_INSTANCE = (
    select(_TASK, *[c.label(f"i_{c.name}") for c in _COLUMNS])
    .join(_INSTANCE, _INSTANCE.c.id == _TASK.c.instance_id)
    .where(_TASK.c.id == bindparam("task_id"))
)


def load(
    connection: Connection, *, instance_id: int | None = None, reference: str | None = None
) -> LoadedInstance:
    if instance_id is not None:
        row = connection.execute(_BY_ID, {"key": instance_id}).first()
    else:
        row = connection.execute(_BY_REFERENCE, {"key": (reference or "").strip().upper()}).first()
    if row is None:
        raise NotFound(f"Dossier introuvable : « {reference or instance_id} ».")
    return LoadedInstance(**row._asdict())


def load_task(connection: Connection, task_id: str) -> tuple[Any, LoadedInstance] | None:
    """A human task row and its instance, in one query."""
    row = connection.execute(_TASK_WITH_INSTANCE, {"task_id": str(task_id).strip()}).first()
    if row is None:
        return None
    values = row._asdict()
    instance = LoadedInstance(**{c.name: values[f"i_{c.name}"] for c in _COLUMNS})
    return row, instance


def from_row(row: Any) -> LoadedInstance:
    """The step's view of a full `process_instances` row read for another purpose."""
    return LoadedInstance(**{c.name: getattr(row, c.name) for c in _COLUMNS})


def mark_incident(
    connection: Connection, instance: LoadedInstance, message: str, actor: str | None, now: datetime
) -> None:
    """Set the instance aside with the reason; its stored workflow stays as it was. A step
    that moved the instance meanwhile wins: nothing is recorded then."""
    updated = connection.execute(
        update(ProcessInstance)
        .where(
            ProcessInstance.id == instance.id,
            ProcessInstance.lock_version == instance.lock_version,
        )
        .values(
            status=INCIDENT,
            incident=message,
            updated_at=now,
            lock_version=instance.lock_version + 1,
        )
    )
    if updated.rowcount == 1:
        connection.execute(
            AuditEvent.__table__.insert().values(
                instance_id=instance.id, at=now, actor=actor, kind="incident",
                label=message[:300], lock_version=instance.lock_version + 1,
            )
        )  # fmt: skip


_OPEN_AMONG = select(_TASK).where(
    _TASK.c.id.in_(bindparam("ids", expanding=True)), _TASK.c.status == "ouverte"
)


def open_tasks_among(connection: Connection, task_ids: list[str]) -> list[Any]:
    """The rows of those tasks still open (whom to remind, at what due date)."""
    return connection.execute(_OPEN_AMONG, {"ids": task_ids}).all() if task_ids else []


_DOSSIER = (
    select(
        _INSTANCE,
        ProcessVersion.name.label("process_name"),
        ProcessVersion.version,
        ProcessVersion.content_hash,
    )
    .join(ProcessVersion, ProcessVersion.id == _INSTANCE.c.process_version_id)
    .where(_INSTANCE.c.reference == bindparam("reference"))
)


def dossier_row(connection: Connection, reference: str) -> Row[Any] | None:
    """Every column of a dossier with its version's name (`process_name`), number and hash;
    None when no dossier bears that reference. Whether the reader may see it is not asked."""
    return connection.execute(_DOSSIER, {"reference": str(reference).strip().upper()}).first()


def has_task_assigned(connection: Connection, instance_id: int, login: str) -> bool:
    """Whether a task of the dossier is, or was, assigned to `login` by name."""
    query = (
        select(HumanTask.id)
        .where(HumanTask.instance_id == instance_id, HumanTask.assignee == login)
        .limit(1)
    )
    return connection.execute(query).first() is not None


def open_tasks_of(connection: Connection, instance_id: int) -> list[Row[Any]]:
    """The dossier's open task rows, oldest first."""
    return list(
        connection.execute(
            select(_TASK)
            .where(HumanTask.instance_id == instance_id, HumanTask.status == "ouverte")
            .order_by(HumanTask.created_at)
        ).all()
    )


def pending_timers_of(connection: Connection, instance_id: int) -> list[Row[Any]]:
    """The dossier's waiting timer rows, the first due first."""
    return list(
        connection.execute(
            select(Timer.__table__)
            .where(Timer.instance_id == instance_id, Timer.status == "en_attente")
            .order_by(Timer.due_at)
        ).all()
    )


def history_of(connection: Connection, instance_id: int) -> list[Row[Any]]:
    """The dossier's audit events, in the order they were recorded."""
    return list(
        connection.execute(
            select(AuditEvent.__table__)
            .where(AuditEvent.instance_id == instance_id)
            .order_by(AuditEvent.id)
        ).all()
    )


def names_of(connection: Connection, logins: Collection[str]) -> dict[str, str]:
    """login → name of those accounts (a login without an account is left out)."""
    if not logins:
        return {}
    rows = connection.execute(select(User.login, User.name).where(User.login.in_(list(logins))))
    return {row.login: row.name for row in rows}

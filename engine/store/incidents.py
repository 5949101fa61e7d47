"""The statements behind the incidents page: timers, dossiers and e-mails that stopped, and
putting a timer or an e-mail back in the queue.

The service layer (engine/service/dossiers/incidents.py) decides who may see and retry them
and names the statuses (those of the outbox belong to engine/notifications, above this floor);
these functions only read and write rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from .models import OutboxMessage, ProcessInstance, ProcessVersion, Timer

_INSTANCE = ProcessInstance.__table__


def timers_in(connection: Connection, status: str) -> list[Row[Any]]:
    """Every column of the timers in `status`, oldest change first, each with its dossier's
    `reference`."""
    return list(
        connection.execute(
            select(Timer.__table__, _INSTANCE.c.reference)
            .join(_INSTANCE, _INSTANCE.c.id == Timer.instance_id)
            .where(Timer.status == status)
            .order_by(Timer.updated_at)
        ).all()
    )


def dossiers_in(connection: Connection, status: str) -> list[Row[Any]]:
    """reference, process_id, incident and updated_at of the dossiers in `status`, oldest
    change first."""
    return list(
        connection.execute(
            select(_INSTANCE.c.reference, _INSTANCE.c.process_id, _INSTANCE.c.incident,
                   _INSTANCE.c.updated_at)
            .where(_INSTANCE.c.status == status)
            .order_by(_INSTANCE.c.updated_at)
        ).all()
    )  # fmt: skip


def emails_in(connection: Connection, status: str) -> list[Row[Any]]:
    """Every column of the outbox messages in `status`, in the order they were queued."""
    return list(
        connection.execute(
            select(OutboxMessage.__table__)
            .where(OutboxMessage.status == status)
            .order_by(OutboxMessage.id)
        ).all()
    )


def requeue_timer(
    connection: Connection, timer_id: str, *, from_status: str, to_status: str, now: datetime
) -> int:
    """The number of timers requeued (0: none in `from_status` by that id), their attempts
    and lease cleared."""
    return connection.execute(
        update(Timer)
        .where(Timer.id == timer_id, Timer.status == from_status)
        .values(status=to_status, attempts=0, locked_by=None, locked_until=None, updated_at=now)
    ).rowcount


def requeue_email(
    connection: Connection, message_id: int, *, from_status: str, to_status: str, now: datetime
) -> int:
    """The number of messages requeued (0: none in `from_status` by that id), due at `now`."""
    return connection.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == from_status)
        .values(status=to_status, attempts=0, next_attempt_at=now)
    ).rowcount


def dossier_heading(connection: Connection, instance_id: int) -> Row[Any] | None:
    """reference, territory and the version's name of a dossier, or None."""
    return connection.execute(
        select(ProcessInstance.reference, ProcessInstance.territory, ProcessVersion.name)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .where(ProcessInstance.id == instance_id)
    ).first()

"""Claiming due timer rows so that each is fired by exactly one worker.

The claim itself is `store.leases.claim_due` (shared with the outbox); the due-date index keeps
a sweep's cost proportional to the due rows, not the pending ones.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, bindparam, update

from ..store.leases import claim_due
from ..store.models import Timer

_TIMERS = Timer.__table__
PENDING, FIRED, INCIDENT = "en_attente", "declenchee", "incident"


def claim(
    connection: Connection, now: datetime, worker: str, limit: int, lease: timedelta
) -> list[tuple[str, int, int]]:
    """(timer id, instance id, attempts) of the due rows this worker now holds."""
    rows = claim_due(
        connection, _TIMERS, _TIMERS.c.due_at, now=now, worker=worker, limit=limit, lease=lease,
        returning=[_TIMERS.c.id, _TIMERS.c.instance_id, _TIMERS.c.attempts], pending=PENDING,
    )  # fmt: skip
    return [(row.id, row.instance_id, row.attempts) for row in rows]


_RELEASE = (
    update(_TIMERS)
    .where(and_(_TIMERS.c.id == bindparam("b_id"), _TIMERS.c.locked_by == bindparam("worker")))
    .values(
        locked_until=bindparam("retry_at"), last_error=bindparam("error"), status=bindparam("status"),
        updated_at=bindparam("at"),
    )
)  # fmt: skip


def record_failure(
    connection: Connection, timer_id: str, worker: str, error: str, retry_at: datetime | None,
    at: datetime,
) -> bool:  # fmt: skip
    """Keep the row for a retry at `retry_at`, or mark it an incident when retries are spent.

    False if the row is no longer this worker's (its lease ran out and another took it).
    """
    return connection.execute(
        _RELEASE,
        {
            "b_id": timer_id, "worker": worker, "retry_at": retry_at, "error": error[:2000],
            "status": PENDING if retry_at is not None else INCIDENT, "at": at,
        },
    ).rowcount == 1  # fmt: skip

"""Claiming due timer rows so that each is fired by exactly one worker.

On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets any number of workers claim disjoint rows at once;
a lease (`locked_until`) makes a row claimable again if its worker died mid-firing. On SQLite
the write transaction (BEGIN IMMEDIATE) serializes claims; the statements are otherwise the same.
The due-date index keeps a sweep's cost proportional to the due rows, not the pending ones.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, bindparam, or_, select, update

from ..store.models import Timer

_TIMERS = Timer.__table__
PENDING, FIRED, INCIDENT = "en_attente", "declenchee", "incident"


def claim(
    connection: Connection, now: datetime, worker: str, limit: int, lease: timedelta
) -> list[tuple[str, int, int]]:
    """(timer id, instance id, attempts) of the due rows this worker now holds."""
    candidates = (
        select(_TIMERS.c.id)
        .where(
            _TIMERS.c.status == PENDING,
            _TIMERS.c.due_at <= now,
            or_(_TIMERS.c.locked_until.is_(None), _TIMERS.c.locked_until < now),
        )
        .order_by(_TIMERS.c.due_at)
        .limit(limit)
    )
    if connection.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    statement = (
        update(_TIMERS)
        .where(_TIMERS.c.id.in_(candidates.scalar_subquery()))
        .values(locked_by=worker, locked_until=now + lease, attempts=_TIMERS.c.attempts + 1)
        .returning(_TIMERS.c.id, _TIMERS.c.instance_id, _TIMERS.c.attempts)
    )
    return [tuple(row) for row in connection.execute(statement)]


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
) -> None:  # fmt: skip
    """Keep the row for a retry at `retry_at`, or mark it an incident when retries are spent."""
    connection.execute(
        _RELEASE,
        {
            "b_id": timer_id, "worker": worker, "retry_at": retry_at, "error": error[:2000],
            "status": PENDING if retry_at is not None else INCIDENT, "at": at,
        },
    )  # fmt: skip

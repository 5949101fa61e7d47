"""Claiming due rows under a lease, for the timers and the outbox alike.

On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets any number of workers claim disjoint rows at once;
a lease (`locked_until`) makes a row claimable again if its worker died holding it. On SQLite
the write transaction (BEGIN IMMEDIATE) serializes claims; the statements are otherwise the same.
An index on (status, due column) keeps a claim's cost proportional to the due rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, Connection, Row, Select, Table, or_, select, update


def due_candidates(
    table: Table, due: Column[Any], *, now: datetime, limit: int, pending: str, skip_locked: bool
) -> Select[Any]:
    """The ids a claim takes (also what the timer benchmark explains)."""
    candidates = (
        select(table.c.id)
        .where(
            table.c.status == pending,
            due <= now,
            or_(table.c.locked_until.is_(None), table.c.locked_until < now),
        )
        .order_by(due, table.c.id)
        .limit(limit)
    )
    return candidates.with_for_update(skip_locked=True) if skip_locked else candidates


def claim_due(
    connection: Connection,
    table: Table,
    due: Column[Any],
    *,
    now: datetime,
    worker: str,
    limit: int,
    lease: timedelta,
    returning: list[Column[Any]],
    pending: str,
) -> list[Row[Any]]:
    """The rows with status `pending`, due by `now` and not held, now held by `worker`.

    Each claim counts as an attempt. Rows come back in due order (RETURNING alone has none).
    """
    candidates = due_candidates(table, due, now=now, limit=limit, pending=pending,
                                skip_locked=connection.dialect.name == "postgresql")  # fmt: skip
    statement = (
        update(table)
        .where(table.c.id.in_(candidates.scalar_subquery()))
        .values(locked_by=worker, locked_until=now + lease, attempts=table.c.attempts + 1)
        .returning(due, *returning)
    )
    rows = list(connection.execute(statement))
    rows.sort(key=lambda row: (row[0], row.id))
    return rows

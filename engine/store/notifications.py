"""The statements over a person's notifications (`notifications`) and the e-mails waiting in
the outbox (`outbox_messages`) outside a step.

A step writes its own through engine/store/steps.py; these are for the rest (a person reading
their list, an incident told to the watchers). They only read and write rows, inside the
connection or transaction the caller holds.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from .models import Notification, OutboxMessage, ProcessInstance


def notifications_of(
    connection: Connection, login: str, *, unread_only: bool, limit: int,
    before_id: int | None = None, notification_id: int | None = None,
) -> list[Row[Any]]:  # fmt: skip
    """Every column of the person's notifications, newest first (older than `before_id`, or
    only `notification_id`), each with its dossier's `reference` (None when it names no
    dossier)."""
    query = (
        select(Notification.__table__, ProcessInstance.reference)
        .join(ProcessInstance, ProcessInstance.id == Notification.instance_id, isouter=True)
        .where(Notification.login == login)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    return list(connection.execute(query).all())


def unread_count(connection: Connection, login: str) -> int:
    return connection.execute(
        select(func.count())
        .select_from(Notification)
        .where(Notification.login == login, Notification.read_at.is_(None))
    ).scalar_one()


def mark_read(
    connection: Connection, login: str, now: datetime, ids: Collection[int] | None = None
) -> int:
    """The number marked: the person's unread ones among `ids` (None: all of them)."""
    statement = (
        update(Notification)
        .where(Notification.login == login, Notification.read_at.is_(None))
        .values(read_at=now)
    )
    if ids is not None:
        statement = statement.where(Notification.id.in_(list(ids)))
    return connection.execute(statement).rowcount


def insert_notifications(connection: Connection, rows: list[dict[str, Any]]) -> None:
    connection.execute(insert(Notification), rows)


def insert_emails(connection: Connection, rows: list[dict[str, Any]]) -> None:
    connection.execute(insert(OutboxMessage), rows)

"""A person's notifications: the list, the unread count, marking read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from ..store.models import Notification, ProcessInstance
from .context import Services
from .viewer import Viewer


def list_notifications(
    services: Services, viewer: Viewer, *, unread_only: bool = False, limit: int = 50
) -> list[dict[str, Any]]:
    """Newest first; only the viewer's own (a notification names its addressee)."""
    query = (
        select(Notification.__table__, ProcessInstance.reference)
        .join(ProcessInstance, ProcessInstance.id == Notification.instance_id, isouter=True)
        .where(Notification.login == viewer.login)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    with services.read() as connection:
        return [
            {
                "id": row.id, "kind": row.kind, "subject": row.subject, "body": row.body,
                "link": row.link, "dossier": row.reference, "task_id": row.task_id,
                "created_at": row.created_at.isoformat(),
                "read_at": row.read_at.isoformat() if row.read_at else None,
            }
            for row in connection.execute(query)
        ]  # fmt: skip


def unread_count(services: Services, viewer: Viewer) -> int:
    with services.read() as connection:
        return connection.execute(
            select(func.count())
            .select_from(Notification)
            .where(Notification.login == viewer.login, Notification.read_at.is_(None))
        ).scalar_one()


def mark_read(services: Services, viewer: Viewer, ids: list[int] | None = None) -> int:
    """Mark some (or all) of the viewer's notifications read; returns how many changed."""
    statement = (
        update(Notification)
        .where(Notification.login == viewer.login, Notification.read_at.is_(None))
        .values(read_at=services.clock.now())
    )
    if ids is not None:
        statement = statement.where(Notification.id.in_(ids))
    with services.write() as connection:
        return connection.execute(statement).rowcount

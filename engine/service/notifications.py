"""A person's notifications: the list, the unread count, marking read."""

from __future__ import annotations

from typing import Any

from ..errors import NotFound
from ..store import notifications as store
from .context import Services
from .viewer import Viewer


def list_notifications(
    services: Services, viewer: Viewer, *, unread_only: bool = False, limit: int = 50,
    before_id: int | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Newest first (older than `before_id`, for the next page); only the viewer's own (a
    notification names its addressee)."""
    with services.read() as connection:
        rows = store.notifications_of(
            connection, viewer.login, unread_only=unread_only, limit=limit, before_id=before_id
        )
    return [_notice(row) for row in rows]


def get_notification(services: Services, viewer: Viewer, notification_id: int) -> dict[str, Any]:
    """One of the viewer's notifications; someone else's is as unknown as a missing one."""
    with services.read() as connection:
        rows = store.notifications_of(
            connection, viewer.login, unread_only=False, limit=1, notification_id=notification_id
        )
    if not rows:
        raise NotFound(f"Notification introuvable : « {notification_id} ».")
    return _notice(rows[0])


def _notice(row: Any) -> dict[str, Any]:
    return {
        "id": row.id, "kind": row.kind, "subject": row.subject, "body": row.body,
        "link": row.link, "dossier": row.reference, "task_id": row.task_id,
        "created_at": row.created_at.isoformat(),
        "read_at": row.read_at.isoformat() if row.read_at else None,
    }  # fmt: skip


def unread_count(services: Services, viewer: Viewer) -> int:
    with services.read() as connection:
        return store.unread_count(connection, viewer.login)


def mark_read(services: Services, viewer: Viewer, ids: list[int] | None = None) -> int:
    """Mark some (or all) of the viewer's notifications read; returns how many changed."""
    now = services.clock.now()
    with services.write() as connection:
        return store.mark_read(connection, viewer.login, now, ids)

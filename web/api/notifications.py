"""The caller's notifications: the list (newest first, unread only if asked) and marking one read.

The same service functions as the notifications page (engine/service/notifications.py): a
person only ever reaches their own notifications; someone else's is a 404, as one that does not
exist.
"""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from engine.service import notifications

from ..access import services
from .blueprints import SECURITY, authenticated
from .caller import viewer

blueprint = authenticated("api_notifications", __name__, "/api/v1/notifications", "Notifications")

DEFAULT_LIMIT, MAX_LIMIT = 50, 100


class NotificationQuerySchema(Schema):
    unread = fields.Boolean(
        load_default=False, metadata={"description": "Seulement les notifications non lues"}
    )
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT),
        metadata={"description": f"Taille de la page (1 à {MAX_LIMIT})"},
    )
    before = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1),
        metadata={"description": "Curseur : `next_before` de la page précédente"},
    )


class NotificationSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"example": "tache_confiee"})
    subject = fields.String(required=True)
    body = fields.String(required=True)
    link = fields.String(required=True, metadata={"description": "Page du site concernée"})
    dossier = fields.String(allow_none=True, metadata={"description": "Référence du dossier"})
    task_id = fields.String(allow_none=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    read_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    read = fields.Boolean(required=True)


class NotificationPageSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    limit = fields.Integer(required=True)
    next_before = fields.Integer(
        allow_none=True, metadata={"description": "À renvoyer dans `before` (null : fin)"}
    )
    unread_count = fields.Integer(required=True, metadata={"description": "Non lues en tout"})


def _shown(notice: dict[str, Any]) -> dict[str, Any]:
    return {**notice, "read": notice["read_at"] is not None}


@blueprint.get("")
@blueprint.doc(security=SECURITY)
@blueprint.arguments(NotificationQuerySchema, location="query", as_kwargs=True)
@blueprint.response(200, NotificationPageSchema)
def index(unread: bool, limit: int, before: int | None) -> ResponseReturnValue:
    """Vos notifications, les plus récentes d'abord.

    `unread=true` : seulement les non lues. Pagination par curseur : `limit` (1 à 100), puis
    `before` = le `next_before` de la page précédente.
    """
    found = notifications.list_notifications(
        services(), viewer(), unread_only=unread, limit=limit + 1, before_id=before
    )
    page = found[:limit]
    return {
        "items": [_shown(n) for n in page],
        "limit": limit,
        "next_before": page[-1]["id"] if len(found) > limit else None,
        "unread_count": notifications.unread_count(services(), viewer()),
    }


@blueprint.post("/<int:notification_id>/read")
@blueprint.doc(security=SECURITY)
@blueprint.response(200, NotificationSchema)
@blueprint.alt_response(404, description="Notification introuvable (ou adressée à un autre)")
def mark_read(notification_id: int) -> ResponseReturnValue:
    """Marquer une notification comme lue.

    Sans effet si elle l'était déjà. Celle d'une autre personne : 404.
    """
    notifications.get_notification(services(), viewer(), notification_id)
    notifications.mark_read(services(), viewer(), [notification_id])
    return _shown(notifications.get_notification(services(), viewer(), notification_id))

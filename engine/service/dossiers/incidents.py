"""What went wrong without anyone at a screen: timers out of retries, e-mails not delivered,
dossiers stopped on an incident. National staff and process owners see them and retry."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from ...errors import Forbidden, NotFound
from ...notifications.compose import INCIDENT, Dossier, Event, compose
from ...notifications.outbox import FAILED as MAIL_FAILED
from ...notifications.outbox import PENDING as MAIL_PENDING
from ...notifications.recipients import Target
from ...roles import EQUIPE_NATIONALE, RESPONSABLE_PROCESSUS
from ...store import incidents as store
from ...store import notifications as notices
from ...store.instances import INCIDENT as DOSSIER_IN_INCIDENT
from ..context import Services
from ..viewer import Viewer

#: Who is told of incidents and may retry them: national roles without a scope.
WATCHERS = (EQUIPE_NATIONALE, RESPONSABLE_PROCESSUS)
TIMER_INCIDENT, TIMER_PENDING = "incident", "en_attente"


def _check(viewer: Viewer) -> None:
    if viewer.operator:
        return
    if not any(g.role in WATCHERS and g.scope is None for g in viewer.grants):
        raise Forbidden("Les incidents sont réservés à l'équipe nationale et aux responsables.")


def list_incidents(services: Services, viewer: Viewer) -> dict[str, list[dict[str, Any]]]:
    _check(viewer)
    with services.read() as connection:
        timers = store.timers_in(connection, TIMER_INCIDENT)
        stopped = store.dossiers_in(connection, DOSSIER_IN_INCIDENT)
        emails = store.emails_in(connection, MAIL_FAILED)
    return {
        "minuteries": [
            {"id": t.id, "dossier": t.reference, "bpmn_id": t.bpmn_id, "name": t.name,
             "due_at": t.due_at.isoformat(), "attempts": t.attempts, "error": t.last_error}
            for t in timers
        ],
        "dossiers": [
            {"dossier": i.reference, "process_id": i.process_id, "error": i.incident,
             "since": i.updated_at.isoformat()}
            for i in stopped
        ],
        "courriels": [
            {"id": m.id, "to": m.to_address, "subject": m.subject, "attempts": m.attempts,
             "error": m.last_error}
            for m in emails
        ],
    }  # fmt: skip


def retry_timer(services: Services, viewer: Viewer, timer_id: str) -> None:
    """Give an incident timer a fresh set of attempts, due at once (after the cause is fixed)."""
    _check(viewer)
    with services.write() as connection:
        changed = store.requeue_timer(
            connection, timer_id.strip(), from_status=TIMER_INCIDENT, to_status=TIMER_PENDING,
            now=services.clock.now(),
        )  # fmt: skip
    if changed != 1:
        raise NotFound(f"Aucune minuterie en incident : « {timer_id} ».")


def retry_email(services: Services, viewer: Viewer, message_id: int) -> None:
    _check(viewer)
    with services.write() as connection:
        changed = store.requeue_email(
            connection, message_id, from_status=MAIL_FAILED, to_status=MAIL_PENDING,
            now=services.clock.now(),
        )  # fmt: skip
    if changed != 1:
        raise NotFound(f"Aucun courriel en échec : « {message_id} ».")


def notify_incident(
    services: Services, connection: Connection, instance_id: int, error: str, key: str
) -> None:
    """Tell the watchers, in the caller's transaction; `key` names the incident for the outbox."""
    row = store.dossier_heading(connection, instance_id)
    if row is None:
        return
    dossier = Dossier(row.reference, row.name, services.territories.label(row.territory))
    events = [Event(INCIDENT, Target(role), error=error) for role in WATCHERS]
    outgoing = compose(
        connection, dossier, events, base_url=services.base_url, now=services.clock.now()
    )
    if outgoing.notifications:
        notices.insert_notifications(
            connection, [{**n, "instance_id": instance_id} for n in outgoing.notifications]
        )
    if outgoing.emails:
        notices.insert_emails(
            connection,
            [{**e, "instance_id": instance_id, "step_key": key} for e in outgoing.emails],
        )

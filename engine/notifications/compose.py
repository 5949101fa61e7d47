"""Events of a step turned into notification rows and e-mails, from French templates.

One notification per event and person; one e-mail per person and step, listing that person's
events, so that the outbox can refuse a second e-mail for the same (step, addressee).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import Connection

from .. import l10n
from .recipients import Person, Target, resolve

TEMPLATES = Path(__file__).parent / "templates"

#: Kinds of events, each with its template `<kind>.txt` (first line: the subject).
NEW_TASK, REMINDER, ESCALATION, DEADLINE, DECISION, INCIDENT = (
    "nouvelle_tache", "relance", "escalade", "echeance", "decision", "incident",
)  # fmt: skip
#: A task that a closing of its dossier cancelled; a grant lowered by the national team.
TASK_CANCELLED, GRANT_REDUCED = "tache_annulee", "aide_reduite"


_ENVIRONMENT = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=False,  # noqa: S701 - plain-text e-mails; the web escapes what it shows
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)
#: « 15 mars 2026 à 09 h 00 », in Paris time (engine.l10n); nothing for no moment.
_ENVIRONMENT.filters["datetime_text"] = lambda moment: l10n.datetime_text(moment) if moment else ""


@dataclass(frozen=True)
class Dossier:
    reference: str
    procedure: str
    territory: str


@dataclass
class Event:
    kind: str
    target: Target
    task_id: str | None = None
    task_name: str | None = None
    due_at: datetime | None = None
    outcome: str | None = None
    #: Why the dossier ended, in words (a decision's reason), when the procedure gives it.
    motive: str | None = None
    error: str | None = None
    #: A grant's amount before and after a change, in words (« 20 000,00 € »); for a decision,
    #: the amount granted.
    previous_amount: str | None = None
    amount: str | None = None
    #: A grant's conditions, in words, when its end event gives them (`conditions`).
    conditions: str | None = None


@dataclass
class Outgoing:
    """Rows for `notifications` and `outbox`, without the instance id and step key."""

    notifications: list[dict[str, Any]] = field(default_factory=list)
    emails: list[dict[str, Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.notifications or self.emails)


def compose(
    connection: Connection,
    dossier: Dossier,
    events: list[Event],
    *,
    base_url: str,
    now: datetime,
    actor: str | None = None,
) -> Outgoing:
    """The notifications and e-mails of these events; the actor is not told what they did."""
    outgoing = Outgoing()
    if not events:
        return outgoing
    people = resolve(connection, [event.target for event in events])
    per_person: dict[str, tuple[Person, list[dict[str, Any]]]] = {}
    for event in events:
        item = _render(event, dossier, base_url)
        for person in people.get(event.target, []):
            if person.login == actor and event.kind in (NEW_TASK, REMINDER, TASK_CANCELLED):
                continue
            outgoing.notifications.append(
                {
                    "login": person.login, "task_id": event.task_id, "kind": event.kind,
                    "subject": item["subject"], "body": item["body"], "link": item["link"],
                    "created_at": now, "read_at": None,
                }
            )  # fmt: skip
            per_person.setdefault(person.login, (person, []))[1].append(item)
    for person, items in per_person.values():
        if not person.email:
            continue
        outgoing.emails.append(
            {
                "login": person.login, "to_address": person.email,
                "subject": _subject(items, dossier),
                "body": _ENVIRONMENT.get_template("courriel.txt").render(
                    person=person, items=items, dossier=dossier, base_url=base_url
                ),
                "status": "a_envoyer", "attempts": 0, "next_attempt_at": now,
                "locked_by": None, "locked_until": None, "last_error": None,
                "created_at": now, "sent_at": None,
            }
        )  # fmt: skip
    return outgoing


def _render(event: Event, dossier: Dossier, base_url: str) -> dict[str, str]:
    base = base_url.rstrip("/")
    if event.task_id and event.kind in (NEW_TASK, REMINDER):
        link = f"{base}/taches/{event.task_id}"
    else:
        link = f"{base}/dossiers/{dossier.reference}"
    text = _ENVIRONMENT.get_template(f"{event.kind}.txt").render(
        event=event, dossier=dossier, link=link
    )
    subject, _, body = text.strip().partition("\n")
    return {"subject": subject.strip()[:300], "body": body.strip(), "link": link}


def _subject(items: list[dict[str, str]], dossier: Dossier) -> str:
    if len(items) == 1:
        return items[0]["subject"]
    return f"[ANCT] Dossier {dossier.reference} : {len(items)} nouveautés"

"""Sending the outbox after commit: claimed under a lease, retried with backoff, sent once.

Rows are claimed like timers (`store.leases`: `FOR UPDATE SKIP LOCKED` on PostgreSQL, a lease
that expires if the sender dies). A message is marked sent right after the server accepted it. Its Message-ID
is derived from the row, so in the one window no database can close (the server accepted, the
process died before the mark) the repeat carries the same Message-ID and mail systems drop it.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from smtplib import SMTPConnectError, SMTPServerDisconnected
from typing import Protocol

from sqlalchemy import Connection, and_, bindparam, update

from ..clock import Clock
from ..store.leases import claim_due
from ..store.models import OutboxMessage
from .mailer import Mailer

log = logging.getLogger("anct.courriels")

_OUTBOX = OutboxMessage.__table__
PENDING, SENT, FAILED = "a_envoyer", "envoye", "echec"
#: Longer than a batch can take: BATCH messages at the SMTP timeout each (see mailer).
LEASE = timedelta(minutes=5)
BATCH = 10
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
#: Attempts over about a day before a message is given up as failed (and shown as such).
MAX_ATTEMPTS = 30


@dataclass
class SendingReport:
    sent: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


#: Errors that say the server is out of reach: the rest of the batch waits for the next attempt.
SERVER_DOWN = (ConnectionError, TimeoutError, SMTPConnectError, SMTPServerDisconnected)


class Transactions(Protocol):
    """What sending needs from its caller (the services context passes itself): a clock and
    short write transactions. Declared here so that this floor imports nothing above it."""

    clock: Clock

    def write(self) -> AbstractContextManager[Connection]: ...


def message_id(row_id: int, domain: str) -> str:
    return f"<anct-outbox-{row_id}@{domain}>"


def claim(connection: Connection, now: datetime, worker: str, limit: int) -> list[dict]:
    rows = claim_due(
        connection, _OUTBOX, _OUTBOX.c.next_attempt_at, now=now, worker=worker, limit=limit,
        lease=LEASE, pending=PENDING,
        returning=[_OUTBOX.c[name] for name in
                   ("id", "to_address", "subject", "body", "attempts", "created_at")],
    )  # fmt: skip
    return [row._asdict() for row in rows]


_MINE = and_(_OUTBOX.c.id == bindparam("b_id"), _OUTBOX.c.locked_by == bindparam("worker"))
_MARK_SENT = (
    update(_OUTBOX)
    .where(_MINE)
    .values(status=SENT, sent_at=bindparam("at"), locked_by=None, locked_until=None)
)
_MARK_FAILED = (
    update(_OUTBOX)
    .where(_MINE)
    .values(
        status=bindparam("status"), next_attempt_at=bindparam("retry_at"),
        last_error=bindparam("error"), locked_by=None, locked_until=None,
    )
)  # fmt: skip


def build_message(row: dict, sender: str, domain: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row["to_address"]
    message["Subject"] = row["subject"]
    message["Date"] = format_datetime(row["created_at"])
    message["Message-ID"] = message_id(row["id"], domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row["body"])
    return message


def send_pending(
    services: Transactions, mailer: Mailer, *, worker: str, sender: str, limit: int = BATCH
) -> SendingReport:
    """Send what is due in the outbox at the services' clock; any number of senders may run."""
    domain = sender.rpartition("@")[2].strip(">") or "anct.gouv.fr"
    with services.write() as connection:
        rows = claim(connection, services.clock.now(), worker, limit)
    report = SendingReport()
    for index, row in enumerate(rows):
        try:
            mailer.send(build_message(row, sender, domain))
        except SERVER_DOWN as error:
            message = f"serveur de courrier injoignable : {type(error).__name__} : {error}"
            for waiting in rows[index:]:
                _record_failure(services, waiting, worker, message, report)
            break
        except Exception as error:  # a refusal of this message alone: retried alone
            _record_failure(services, row, worker, f"{type(error).__name__} : {error}", report)
            continue
        with services.write() as connection:
            connection.execute(
                _MARK_SENT, {"b_id": row["id"], "worker": worker, "at": services.clock.now()}
            )
        report.sent.append(row["id"])
    return report


def _record_failure(
    services: Transactions, row: dict, worker: str, error: str, report: SendingReport
) -> None:
    now = services.clock.now()
    attempts = row["attempts"]
    if attempts >= MAX_ATTEMPTS:
        status, retry_at = FAILED, now
        report.failed.append(row["id"])
    else:
        status = PENDING
        retry_at = now + min(FIRST_RETRY * (2 ** (attempts - 1)), MAX_RETRY)
        report.retried.append(row["id"])
    log.warning("Courriel %s vers %s non envoyé (%s) : %s", row["id"], row["to_address"],
                status, error)  # fmt: skip
    with services.write() as connection:
        connection.execute(
            _MARK_FAILED,
            {"b_id": row["id"], "worker": worker, "status": status, "retry_at": retry_at,
             "error": error[:2000]},
        )  # fmt: skip

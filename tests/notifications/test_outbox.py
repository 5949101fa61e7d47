"""The outbox against a real SMTP server: down then up, crashes of the sender, refusals, races.

Nothing is lost (every queued e-mail is delivered once the server answers) and nothing is sent
twice for one (step, addressee).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import service
from engine.notifications import outbox
from engine.scheduler.worker import send_mail
from engine.service.dossiers import incidents
from engine.store.models import OutboxMessage
from tests.notifications.test_notifications import GUERET, deposer
from tests.procedures.conftest import PROCESSES
from tests.procedures.test_demande_ingenierie import DEPOT, DEPOT_ARDENNES

PREFECTURE = "pref-ingenierie@creuse.gouv.fr"


@pytest.fixture
def ingenierie(mailed: service.Services) -> service.Services:
    service.deploy_path(mailed, PROCESSES / "demande_ingenierie")
    return mailed


def queued(services: service.Services) -> list[tuple[str, int]]:
    with services.read() as connection:
        return [
            (row.status, row.attempts)
            for row in connection.execute(
                select(OutboxMessage.status, OutboxMessage.attempts).order_by(OutboxMessage.id)
            )
        ]


def test_a_server_down_delays_the_mail_and_loses_nothing(ingenierie, smtp, clock):
    smtp.stop()
    deposer(ingenierie)
    assert send_mail(ingenierie) == 0
    assert queued(ingenierie) == [("a_envoyer", 1)]
    with ingenierie.read() as connection:
        row = connection.execute(select(OutboxMessage.__table__)).one()
    assert "injoignable" in row.last_error
    assert row.next_attempt_at == clock.now() + outbox.FIRST_RETRY
    smtp.start()
    clock.advance(seconds=29)
    assert send_mail(ingenierie) == 0, "not before its backoff"
    clock.advance(seconds=1)
    assert send_mail(ingenierie) == 1
    assert queued(ingenierie) == [("envoye", 2)]
    assert [m["To"] for m in smtp.inbox.messages] == [PREFECTURE]
    clock.advance(hours=1)
    assert send_mail(ingenierie) == 0
    assert len(smtp.inbox.messages) == 1


def test_backoff_doubles_then_the_mail_is_an_incident_that_can_be_retried(
    ingenierie, smtp, clock, monkeypatch
):
    monkeypatch.setattr(outbox, "MAX_ATTEMPTS", 3)
    smtp.stop()
    deposer(ingenierie)
    waits = []
    for _ in range(3):
        send_mail(ingenierie)
        with ingenierie.read() as connection:
            due = connection.execute(select(OutboxMessage.next_attempt_at)).scalar_one()
        waits.append(due - clock.now())
        clock.set(due)
    assert waits == [timedelta(seconds=30), timedelta(seconds=60), timedelta(0)]
    assert queued(ingenierie) == [("echec", 3)]
    national = service.Viewer("anct.national", (service.Grant("equipe_nationale"),))
    (failed,) = incidents.list_incidents(ingenierie, national)["courriels"]
    assert failed["to"] == PREFECTURE and "injoignable" in failed["error"]
    smtp.start()
    assert send_mail(ingenierie) == 0, "a failed mail waits for someone to retry it"
    incidents.retry_email(ingenierie, national, failed["id"])
    assert send_mail(ingenierie) == 1
    assert len(smtp.inbox.messages) == 1


def test_a_sender_killed_after_the_commit_loses_nothing(ingenierie, smtp, database_url, clock):
    """A real process commits a step then dies by SIGKILL before any e-mail leaves."""
    script = textwrap.dedent(
        f"""
        import os, signal
        from engine import service
        from engine.clock import ManualClock
        from engine.config import Settings
        services = service.create_services(
            Settings(database_url={database_url!r}), clock=ManualClock({clock.now().isoformat()!r})
        )
        service.start(services, "demande_ingenierie", data={DEPOT!r}, actor="mairie.gueret",
                      territory={GUERET["territory"]!r}, siren={GUERET["siren"]!r})
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    assert queued(ingenierie) == [("a_envoyer", 0)]
    assert send_mail(ingenierie) == 1
    assert [m["To"] for m in smtp.inbox.messages] == [PREFECTURE]


def test_a_sender_dead_while_holding_mail_leaves_it_to_another_after_its_lease(
    ingenierie, smtp, clock
):
    deposer(ingenierie)
    with ingenierie.write() as connection:
        (held,) = outbox.claim(connection, clock.now(), "mort:1", 10)
    assert send_mail(ingenierie) == 0, "held by the dead sender"
    clock.advance(outbox.LEASE + timedelta(seconds=1))
    assert send_mail(ingenierie) == 1
    (message,) = smtp.inbox.messages
    assert message["Message-ID"] == outbox.message_id(held["id"], "anct.gouv.fr")


def test_a_repeat_after_an_unrecorded_success_carries_the_same_message_id(ingenierie, smtp, clock):
    """The one window no database closes: the server accepted, the sender died before the mark.

    The repeat is the same message (same Message-ID), which mail systems deliver once.
    """
    deposer(ingenierie)

    class DiesAfterSending:
        def send(self, message):
            smtp.mailer.send(message)
            raise SystemExit("tué juste après l'envoi")

    with pytest.raises(SystemExit):
        outbox.send_pending(
            ingenierie, DiesAfterSending(), worker="mort:2", sender="x@anct.gouv.fr"
        )
    clock.advance(outbox.LEASE + timedelta(seconds=1))
    assert send_mail(ingenierie) == 1
    first, repeat = smtp.inbox.messages
    assert first["Message-ID"] == repeat["Message-ID"]
    assert queued(ingenierie) == [("envoye", 2)]


def test_a_refused_recipient_is_retried_alone(ingenierie, smtp, clock):
    refused = "pref-ingenierie@creuse.gouv.fr"
    smtp.inbox.refuse.add(refused)
    deposer(ingenierie)  # to the Creuse préfet: refused by the server
    service.start(
        ingenierie, "demande_ingenierie", data=DEPOT_ARDENNES,
        territory="08", siren="200041630", actor="ardenne.metropole",
    )  # fmt: skip
    assert send_mail(ingenierie) == 1
    assert [m["To"] for m in smtp.inbox.messages] == ["pref-ingenierie@ardennes.gouv.fr"]
    assert queued(ingenierie) == [("a_envoyer", 1), ("envoye", 1)]
    smtp.inbox.refuse.clear()
    clock.advance(seconds=30)
    assert send_mail(ingenierie) == 1
    assert sorted(m["To"] for m in smtp.inbox.messages) == [
        "pref-ingenierie@ardennes.gouv.fr", refused,
    ]  # fmt: skip


@pytest.mark.postgresql
def test_racing_senders_deliver_each_mail_exactly_once(postgresql_database, smtp, clock):
    from engine.config import Settings
    from engine.service.people import accounts
    from tests.conftest import _truncate
    from tests.notifications.conftest import PEOPLE

    _truncate(postgresql_database)
    services = service.create_services(Settings(database_url=postgresql_database), clock=clock)
    for login, role, scope, address in PEOPLE:
        accounts.create_user(services, login, name=login, grants=[(role, scope)], email=address)
    service.deploy_path(services, PROCESSES / "demande_ingenierie")
    for _ in range(120):
        deposer(services)
    with services.read() as connection:
        total = connection.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()
    assert total == 120
    errors: list[BaseException] = []

    def sender(name: str) -> None:
        try:
            while outbox.send_pending(
                services, smtp.mailer, worker=name, sender="x@anct.gouv.fr", limit=7
            ).sent:
                pass
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=sender, args=(f"envoi-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    ids = [m["Message-ID"] for m in smtp.inbox.messages]
    assert len(ids) == 120 and len(set(ids)) == 120
    assert set(queued(services)) == {("envoye", 1)}
    services.close()

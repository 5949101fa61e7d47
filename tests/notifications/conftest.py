"""A real SMTP server (aiosmtpd) on a free local port, which tests can stop and restart."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from engine import service
from engine.notifications.mailer import SmtpMailer
from engine.service.people import accounts

SENDER = "Plateforme ANCT <ne-pas-repondre@anct.gouv.fr>"


@dataclass
class Inbox:
    """What the server accepted, parsed."""

    messages: list[Message] = field(default_factory=list)
    #: Addresses the server refuses (550) while they are here.
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:
        if address in self.refuse:
            return "550 5.1.1 Destinataire refusé"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


class SmtpServer:
    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.inbox = Inbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def mailer(self) -> SmtpMailer:
        return SmtpMailer("127.0.0.1", self.port, timeout=5)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailed(services: service.Services, smtp: SmtpServer) -> service.Services:
    """The services, sending through the test server, with the people of the scenarios."""
    services.mailer = smtp.mailer
    services.mail_from = SENDER
    services.base_url = "https://anct.example.fr"
    for login, role, scope, address in PEOPLE:
        accounts.create_user(
            services, login, name=login.replace(".", " ").title(), grants=[(role, scope)],
            email=address,
        )  # fmt: skip
    return services


PEOPLE = [
    ("mairie.gueret", "collectivite", "212309603", "dgs@ville-gueret.fr"),
    ("ardenne.metropole", "collectivite", "200041630", "contact@ardenne-metropole.fr"),
    ("prefet.creuse", "prefet", "23", "pref-ingenierie@creuse.gouv.fr"),
    ("sous-prefet.creuse", "prefet", "23", None),
    ("prefet.ardennes", "prefet", "08", "pref-ingenierie@ardennes.gouv.fr"),
    ("anct.national", "equipe_nationale", None, "instruction@anct.gouv.fr"),
    ("responsable.processus", "responsable_processus", None, "processus@anct.gouv.fr"),
    ("comite.membre", "comite", None, "comite@anct.gouv.fr"),
]

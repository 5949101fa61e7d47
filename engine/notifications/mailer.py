"""Where e-mails go: an SMTP server in production, files in the instance folder by default.

The embedded default has no mail server; writing each message as an .eml file keeps it readable
(and nothing is lost) until an SMTP server is configured.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand the message over or raise; a return means the server accepted it."""
        ...


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    use_ssl: bool = False
    timeout: float = 15.0

    def send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        if self.use_ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.starttls:
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(message)


@dataclass(frozen=True)
class FolderMailer:
    folder: Path

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("@", "_").replace("/", "_")
        target = self.folder / f"{name}.eml"
        partial = target.with_suffix(".tmp")
        partial.write_bytes(bytes(message))
        partial.replace(target)

"""Everything the services need, built once per process (CLI command, web app, worker).

Built by the composition root (`root.create_services`); this module imports no service, so every
service may depend on it."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, text
from sqlalchemy.exc import OperationalError

from ..attachments.blobs import BlobStore
from ..clock import Clock
from ..config import Settings
from ..definitions import build_specs
from ..definitions.bundle import FORMS
from ..forms import make_validator
from ..notifications.mailer import Mailer
from ..runtime.codec import WorkflowCodec
from ..runtime.runner import Runner
from ..store.db import reader, writer
from ..store.models import ProcessVersion
from ..territory import Territories

#: The database is out of reach: what the entry points turn into a one-line message.
DatabaseUnreachable = OperationalError

_VERSION_FILES = select(
    ProcessVersion.files, ProcessVersion.process_id, ProcessVersion.content_hash
).where(ProcessVersion.id == bindparam("version_id"))


@dataclass
class Services:
    db: Engine
    clock: Clock
    territories: Territories
    runner: Runner
    forms_path: Path | None = None
    base_url: str = Settings.base_url
    mailer: Mailer | None = None
    mail_from: str = Settings.mail_from
    codec: WorkflowCodec = field(default_factory=WorkflowCodec)
    #: Where attached files' bytes go (None: the default folder, <instance>/pieces).
    blobs: BlobStore | None = None
    attachment_max_bytes: int = Settings.attachment_max_bytes
    _validators: dict[tuple[int, str], Any] = field(default_factory=dict, repr=False)
    _specs: dict[int, tuple[Any, dict[str, Any]]] = field(default_factory=dict, repr=False)
    _writer: Engine | None = field(default=None, repr=False)
    _reader: Engine | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def write(self) -> Any:
        """A write transaction (`with services.write() as connection:`), one per step."""
        if self._writer is None:
            self._writer = writer(self.db)
        return self._writer.begin()

    def read(self) -> Connection:
        """A connection for one read statement (`with services.read() as connection:`)."""
        if self._reader is None:
            self._reader = reader(self.db)
        return self._reader.connect()

    def specs(self, version_id: int, connection: Connection) -> tuple[Any, dict[str, Any]]:
        """Parsed specs of a deployed version; versions are immutable, so cached for good.

        Read through the caller's connection: on SQLite a second connection would wait for the
        write lock the caller may hold.
        """
        cached = self._specs.get(version_id)
        if cached is not None:
            return cached
        row = connection.execute(_VERSION_FILES, {"version_id": version_id}).one()
        specs = build_specs(row.files, row.process_id, row.content_hash)
        with self._lock:
            self._specs[version_id] = specs
        return specs

    def form_validator(self, version_id: int, ref: str, connection: Connection) -> Any:
        """The validator of a form as deployed with a version (cached like the specs)."""
        key = (version_id, ref)
        validator = self._validators.get(key)
        if validator is None:
            files = connection.execute(_VERSION_FILES, {"version_id": version_id}).one().files
            text = files.get(FORMS + ref)
            if text is None:
                raise KeyError(ref)
            validator = make_validator(json.loads(text), self.territories)
            with self._lock:
                self._validators[key] = validator
        return validator

    def blob_store(self) -> BlobStore:
        """The configured blob store, or the default folder for a context built by hand."""
        if self.blobs is None:
            self.blobs = Settings().blob_store()
        return self.blobs

    def ping(self) -> str:
        """Run a trivial statement (raises if the database is out of reach); the dialect's name."""
        with self.db.connect() as connection:
            connection.execute(text("SELECT 1"))
        return self.db.dialect.name

    def close(self) -> None:
        self.db.dispose()

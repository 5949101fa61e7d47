"""Everything the services need, built once per process (CLI command, web app, worker).

Built by the composition root (`root.create_services`); this module imports no service, so every
service may depend on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from ..attachments.blobs import BlobStore
from ..clock import Clock
from ..config import Settings
from ..notifications.mailer import Mailer
from ..runtime.codec import WorkflowCodec
from ..runtime.runner import Runner
from ..store import db
from ..store.db import reader, writer
from ..territory import Territories
from .version_catalogue import VersionCatalogue

#: The database is out of reach: what the entry points turn into a one-line message.
DatabaseUnreachable = OperationalError


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
    #: The deployed versions and what is derived from them: the one cache of versions.
    versions: VersionCatalogue = field(init=False, repr=False)
    _writer: Engine | None = field(default=None, repr=False)
    _reader: Engine | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.versions = VersionCatalogue(self.territories)

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
        """Parsed specs of a deployed version (kept by the version catalogue)."""
        return self.versions.specs(version_id, connection)

    def form_validator(self, version_id: int, ref: str, connection: Connection) -> Any:
        """The validator of a form as deployed with a version (kept by the version catalogue)."""
        return self.versions.form_validator(version_id, ref, connection)

    def blob_store(self) -> BlobStore:
        """The configured blob store, or the default folder for a context built by hand."""
        if self.blobs is None:
            self.blobs = Settings().blob_store()
        return self.blobs

    def ping(self) -> str:
        """Run a trivial statement (raises if the database is out of reach); the dialect's name."""
        return db.ping(self.db)

    def close(self) -> None:
        self.db.dispose()

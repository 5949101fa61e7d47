"""Everything the services need, built once per process (CLI command, web app, worker)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from ..clock import Clock, SystemClock
from ..config import Settings
from ..definitions import build_specs
from ..runtime.codec import WorkflowCodec
from ..runtime.runner import Runner
from ..store.db import make_engine
from ..store.migrate import upgrade
from ..store.models import ProcessVersion
from ..territory import Territories, territories_at


@dataclass
class Services:
    db: Engine
    clock: Clock
    territories: Territories
    runner: Runner
    codec: WorkflowCodec = field(default_factory=WorkflowCodec)
    _specs: dict[int, tuple[Any, dict[str, Any]]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def create(
        cls, settings: Settings | None = None, *, clock: Clock | None = None, migrate: bool = True
    ) -> Services:
        """Connect to the configured database and bring its schema up to date."""
        settings = settings or Settings.from_env()
        clock = clock or SystemClock()
        db = make_engine(settings.resolved_database_url())
        if migrate:
            upgrade(db)
        return cls(
            db=db,
            clock=clock,
            territories=territories_at(settings.reference_data_path),
            runner=Runner(clock, settings.script_time_limit),
        )

    def specs(self, version_id: int) -> tuple[Any, dict[str, Any]]:
        """Parsed specs of a deployed version; versions are immutable, so cached for good."""
        cached = self._specs.get(version_id)
        if cached is not None:
            return cached
        with self.db.connect() as connection:
            row = connection.execute(
                select(
                    ProcessVersion.files, ProcessVersion.process_id, ProcessVersion.content_hash
                ).where(ProcessVersion.id == version_id)
            ).one()
        specs = build_specs(row.files, row.process_id, row.content_hash)
        with self._lock:
            self._specs[version_id] = specs
        return specs

    def close(self) -> None:
        self.db.dispose()

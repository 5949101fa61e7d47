"""The composition root: the one place that wires the services context of a process.

It joins what the lower floors only declare: the database (migrated), the clock, the runner, the
mailer and the blob store. The CLI, the web application, the workers and the tests build their
context here; no service imports this module. The operators BPMN service tasks call are bound to
each step by the unit of work (`unit_of_work`, `operators.bind`).
"""

from __future__ import annotations

from ..clock import Clock, SystemClock
from ..config import Settings
from ..runtime.runner import Runner
from ..store.db import make_engine
from ..store.migrate import upgrade
from ..territory import territories_at
from .context import Services


def create_services(
    settings: Settings | None = None, *, clock: Clock | None = None, migrate: bool = True
) -> Services:
    """Connect to the configured database and bring its schema up to date."""
    settings = settings or Settings.from_env()
    clock = clock or SystemClock()
    db = make_engine(settings.resolved_database_url())
    if migrate:
        upgrade(db)
    return Services(
        db=db,
        clock=clock,
        territories=territories_at(settings.reference_data_path),
        runner=Runner(clock, settings.script_time_limit),
        forms_path=settings.forms_path,
        base_url=settings.base_url,
        mailer=settings.mailer(),
        mail_from=settings.mail_from,
        blobs=settings.blob_store(),
        attachment_max_bytes=settings.attachment_max_bytes,
    )

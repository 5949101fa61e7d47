"""The catalogue of procedures: which version each starts new dossiers on, which are retired.

Retiring a procedure stops new dossiers (it is no longer offered, filing it is refused) while
its running dossiers go on to their end; reinstating it offers it again. Only the procedure's
owners (and administrators, and the command line) do either; national staff read the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from ...errors import Conflict, NotFound
from ...store import catalogue as store
from ...store import process_editing
from ...store.instances import INCIDENT, RUNNING
from ..context import Services
from ..viewer import Viewer
from . import ownership


@dataclass(frozen=True)
class CatalogueEntry:
    """One procedure as its owners see it."""

    process_id: str
    name: str
    current: int
    latest: int
    versions: int
    running: int
    retired_at: datetime | None
    retired_by: str | None
    owners: tuple[str, ...] = ()
    has_draft: bool = False
    #: The person reading may edit, publish and retire it.
    may_edit: bool = False

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


def entries(services: Services, viewer: Viewer) -> list[CatalogueEntry]:
    """Every deployed procedure, retired ones included, by name, with its owners and whether
    it has an open draft (national staff read it; owners and administrators change it)."""
    ownership.require_reader(viewer)
    with services.read() as connection:
        rows = store.entries(connection, (RUNNING, INCIDENT))
        owners = process_editing.owners(connection)
        drafts = process_editing.drafts(connection)
    return [
        CatalogueEntry(
            row.process_id, row.name, row.version, row.latest, row.versions, row.running,
            row.retired_at, row.retired_by, tuple(owners.get(row.process_id, ())),
            row.process_id in drafts,
            ownership.may_edit_owned_by(viewer, owners.get(row.process_id, ())),
        )
        for row in rows
    ]  # fmt: skip


def _entry(connection: Connection, process_id: str) -> tuple[object, str]:
    found = store.retirement(connection, process_id)
    if found is None:
        raise NotFound(f"Procédure inconnue : « {process_id} ».")
    return found.retired_at, found.name


def retire(services: Services, viewer: Viewer, process_id: str) -> str:
    """Stop new dossiers of a procedure; its running dossiers go on. Returns its name."""
    now = services.clock.now()
    with services.write() as connection:
        ownership.require_editor(connection, viewer, process_id)
        retired_at, name = _entry(connection, process_id)
        if retired_at is not None:
            raise Conflict(f"La procédure « {name} » est déjà retirée.")
        store.set_retirement(connection, process_id, now, viewer.login, now)
        ownership.record(connection, process_id, "retrait", "", at=now, actor=viewer.login)
    return name


def reinstate(services: Services, viewer: Viewer, process_id: str) -> str:
    """Offer a retired procedure again, on its current version. Returns its name."""
    now = services.clock.now()
    with services.write() as connection:
        ownership.require_editor(connection, viewer, process_id)
        retired_at, name = _entry(connection, process_id)
        if retired_at is None:
            raise Conflict(f"La procédure « {name} » n'est pas retirée.")
        store.set_retirement(connection, process_id, None, None, now)
        ownership.record(
            connection, process_id, "remise_en_service", "", at=now, actor=viewer.login
        )
    return name

"""The catalogue of procedures: which version each starts new dossiers on, which are retired.

Retiring a procedure stops new dossiers (it is no longer offered, filing it is refused) while
its running dossiers go on to their end; reinstating it offers it again. Only process owners
(and administrators, and the command line) do either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select, update

from ...errors import Conflict, Forbidden, NotFound
from ...roles import ADMIN, RESPONSABLE_PROCESSUS
from ...store.instances import INCIDENT, RUNNING
from ...store.models import Process, ProcessInstance, ProcessVersion
from ..context import Services
from ..viewer import Viewer

_CATALOGUE = Process.__table__
#: Who manages the catalogue (besides the command line).
MANAGERS = (RESPONSABLE_PROCESSUS, ADMIN)


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

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


def may_manage(viewer: Viewer) -> bool:
    return viewer.operator or any(
        grant.role in MANAGERS and grant.scope is None for grant in viewer.grants
    )


def _require_manager(viewer: Viewer) -> None:
    if not may_manage(viewer):
        raise Forbidden("Seuls les responsables de processus gèrent le catalogue des procédures.")


def entries(services: Services, viewer: Viewer) -> list[CatalogueEntry]:
    """Every deployed procedure, retired ones included, by name."""
    _require_manager(viewer)
    current = ProcessVersion.__table__.alias("courante")
    counts = (
        select(
            ProcessVersion.process_id,
            func.max(ProcessVersion.version).label("latest"),
            func.count().label("versions"),
        )
        .group_by(ProcessVersion.process_id)
        .subquery()
    )
    running = (
        select(ProcessInstance.process_id, func.count().label("running"))
        .where(ProcessInstance.status.in_((RUNNING, INCIDENT)))
        .group_by(ProcessInstance.process_id)
        .subquery()
    )
    query = (
        select(
            _CATALOGUE.c.process_id,
            current.c.name,
            current.c.version,
            counts.c.latest,
            counts.c.versions,
            func.coalesce(running.c.running, 0).label("running"),
            _CATALOGUE.c.retired_at,
            _CATALOGUE.c.retired_by,
        )
        .join(current, current.c.id == _CATALOGUE.c.current_version_id)
        .join(counts, counts.c.process_id == _CATALOGUE.c.process_id)
        .outerjoin(running, running.c.process_id == _CATALOGUE.c.process_id)
        .order_by(current.c.name)
    )
    with services.read() as connection:
        rows = connection.execute(query).all()
    return [
        CatalogueEntry(
            row.process_id,
            row.name,
            row.version,
            row.latest,
            row.versions,
            row.running,
            row.retired_at,
            row.retired_by,
        )
        for row in rows
    ]


def _entry(connection: Connection, process_id: str) -> tuple[object, str]:
    found = connection.execute(
        select(_CATALOGUE.c.retired_at, ProcessVersion.name)
        .join(ProcessVersion, ProcessVersion.id == _CATALOGUE.c.current_version_id)
        .where(_CATALOGUE.c.process_id == process_id)
    ).first()
    if found is None:
        raise NotFound(f"Procédure inconnue : « {process_id} ».")
    return found.retired_at, found.name


def retire(services: Services, viewer: Viewer, process_id: str) -> str:
    """Stop new dossiers of a procedure; its running dossiers go on. Returns its name."""
    _require_manager(viewer)
    now = services.clock.now()
    with services.write() as connection:
        retired_at, name = _entry(connection, process_id)
        if retired_at is not None:
            raise Conflict(f"La procédure « {name} » est déjà retirée.")
        connection.execute(
            update(_CATALOGUE)
            .where(_CATALOGUE.c.process_id == process_id)
            .values(retired_at=now, retired_by=viewer.login, updated_at=now)
        )
    return name


def reinstate(services: Services, viewer: Viewer, process_id: str) -> str:
    """Offer a retired procedure again, on its current version. Returns its name."""
    _require_manager(viewer)
    now = services.clock.now()
    with services.write() as connection:
        retired_at, name = _entry(connection, process_id)
        if retired_at is None:
            raise Conflict(f"La procédure « {name} » n'est pas retirée.")
        connection.execute(
            update(_CATALOGUE)
            .where(_CATALOGUE.c.process_id == process_id)
            .values(retired_at=None, retired_by=None, updated_at=now)
        )
    return name

"""Everything the page of one procedure shows: its versions with their dossiers, its owners,
its open draft and its audit log, and whether the person reading may edit it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ...errors import NotFound
from ...store import catalogue as catalogue_rows
from ...store import process_editing as store
from ..context import Services
from ..viewer import Viewer
from . import ownership
from .ownership import AuditEntry


@dataclass(frozen=True)
class VersionRow:
    version: int
    name: str
    content_hash: str
    published_at: datetime
    published_by: str | None
    running: int
    finished: int
    current: bool


@dataclass(frozen=True)
class DraftState:
    lock_version: int
    updated_at: datetime
    updated_by: str | None


@dataclass(frozen=True)
class ProcessPage:
    process_id: str
    name: str
    versions: list[VersionRow]
    owners: list[str]
    draft: DraftState | None
    audit: list[AuditEntry]
    may_edit: bool

    @property
    def current(self) -> VersionRow | None:
        return next((v for v in self.versions if v.current), None)


def process_page(services: Services, viewer: Viewer, process_id: str) -> ProcessPage:
    ownership.require_reader(viewer)
    with services.read() as connection:
        current = catalogue_rows.current_version(connection, process_id)
        rows = catalogue_rows.versions(connection, process_id)
        draft = store.draft(connection, process_id)
        if not rows and draft is None:
            raise NotFound(f"Procédure introuvable : « {process_id} ».")
        owners = store.owners(connection, [process_id]).get(process_id, [])
        audit = store.audit(connection, process_id)
    versions = [
        VersionRow(
            r.version, r.name, r.content_hash, r.deployed_at, r.deployed_by, int(r.running),
            int(r.dossiers) - int(r.running), current is not None and r.id == current.id,
        )
        for r in rows
    ]  # fmt: skip
    name = versions[0].name if versions else process_id
    state = DraftState(draft.lock_version, draft.updated_at, draft.updated_by) if draft else None
    entries = [AuditEntry(a.at, a.actor, a.action, a.detail) for a in audit]
    may_edit = ownership.may_edit_owned_by(viewer, owners)
    return ProcessPage(process_id, name, versions, owners, state, entries, may_edit)

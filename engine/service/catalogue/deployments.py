"""Deploying process definitions as immutable, numbered versions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from ...definitions import ProcessBundle, prepare, read_sources
from ...definitions.bundle import forms_in
from ...errors import Conflict, NotFound
from ...store import catalogue as store
from ..context import Services
from ..version_catalogue import specs_of

#: What a deployment did to a process: a new version, nothing (its current content), an
#: earlier version made current again, or an earlier content left aside (`restore=False`).
NEW, UNCHANGED, RESTORED, KEPT_ASIDE = "nouvelle", "inchangee", "retablie", "ecartee"


@dataclass(frozen=True)
class DeployedVersion:
    process_id: str
    name: str
    version: int
    content_hash: str
    new: bool
    status: str = NEW
    #: The version new dossiers start on after this deployment.
    current: int = 0
    retired: bool = False

    @property
    def summary(self) -> str:
        """« version 1 rétablie (remplace la version 2) », in French, for the command line."""
        text = {
            NEW: f"version {self.version}  nouvelle version",
            UNCHANGED: f"version {self.version}  inchangée",
            RESTORED: f"version {self.version}  rétablie : les nouveaux dossiers y démarrent",
            KEPT_ASIDE: (
                f"version {self.version}  contenu déjà déployé, la version {self.current} "
                "reste en service"
            ),
        }[self.status]
        return text + ("  (procédure retirée)" if self.retired else "")


def deploy_path(
    services: Services, path: Path, actor: str | None = None, *, restore: bool = True
) -> list[DeployedVersion]:
    return deploy(services, read_sources(path), actor, restore=restore)


def deploy(
    services: Services, sources: Mapping[str, bytes], actor: str | None = None, *,
    restore: bool = True,
) -> list[DeployedVersion]:  # fmt: skip
    """Validate every file first, then record a version per changed process, all in one
    transaction: an invalid file deploys nothing, the same content deploys nothing new.

    A content equal to an earlier version makes that version current again (`restore`), as an
    owner going back expects; a server deploying its folder at start-up passes
    `restore=False`, so that a restart never undoes a later publication.
    """
    forms = forms_in(services.forms_path) if services.forms_path else None
    bundles = prepare(sources, forms, parse=specs_of)
    now = services.clock.now()
    results = []
    with services.write() as connection:
        for bundle in bundles:
            results.append(record_bundle(connection, bundle, now, actor, restore))
    return results


def record_bundle(  # type: ignore[no-untyped-def]
    connection: Connection, bundle: ProcessBundle, now, actor, restore: bool
) -> DeployedVersion:
    entry = store.process_row(connection, bundle.process_id)
    retired = entry is not None and entry.retired_at is not None
    versions = {row.id: row for row in store.versions_of(connection, bundle.process_id)}
    current = versions[entry.current_version_id].version if entry is not None else 0
    same = [row for row in versions.values() if row.content_hash == bundle.content_hash]

    def result(version: int, status: str, now_current: int) -> DeployedVersion:
        return DeployedVersion(
            bundle.process_id, bundle.name, version, bundle.content_hash, status == NEW, status,
            now_current, retired,
        )  # fmt: skip

    if same:
        (known,) = same
        if entry is not None and entry.current_version_id == known.id:
            return result(known.version, UNCHANGED, known.version)
        if not restore:
            return result(known.version, KEPT_ASIDE, current)
        _make_current(connection, bundle.process_id, known.id, entry is not None, now)
        return result(known.version, RESTORED, known.version)
    version = max((row.version for row in versions.values()), default=0) + 1
    inserted = store.insert_version(
        connection,
        process_id=bundle.process_id,
        version=version,
        content_hash=bundle.content_hash,
        name=bundle.name,
        reference_prefix=bundle.reference_prefix,
        files=bundle.files,
        deployed_at=now,
        deployed_by=actor,
        start_form=bundle.start_form,
    )
    _make_current(connection, bundle.process_id, inserted, entry is not None, now)
    return result(version, NEW, version)


def _make_current(
    connection: Connection, process_id: str, version_id: int, listed: bool, now: datetime
) -> None:
    if listed:
        store.set_current(connection, process_id, version_id, now)
    else:
        store.insert_process(connection, process_id, version_id, now)


@dataclass(frozen=True)
class ProcessSummary:
    process_id: str
    name: str
    version: int
    version_id: int
    reference_prefix: str
    deployed_at: object
    start_form: str | None = None


def current_versions(services: Services, *, retired: bool = False) -> list[ProcessSummary]:
    """The version each process starts new dossiers on, by process id; retired processes
    only with `retired` (their dossiers are still searched and named)."""
    with services.read() as connection:
        rows = store.current_versions(connection, retired=retired)
    return [_summary(row) for row in rows]


def _summary(row: Any) -> ProcessSummary:
    return ProcessSummary(
        row.process_id, row.name, row.version, row.id, row.reference_prefix, row.deployed_at,
        row.start_form,
    )  # fmt: skip


def current_version_in(connection: Connection, process_id: str) -> ProcessSummary:
    """The version a new dossier of this process starts on; refused if the process is
    unknown (NotFound) or retired (Conflict: running dossiers go on, no new one starts)."""
    row = store.current_version(connection, process_id)
    if row is None:
        raise NotFound(
            f"Procédure inconnue : « {process_id} » (déployez-la d'abord avec `anct deploy`)."
        )
    if row.retired_at is not None:
        raise Conflict(
            f"La procédure « {row.name} » est retirée : elle n'accepte plus de nouveaux "
            "dossiers (ceux en cours continuent)."
        )
    return _summary(row)


def current_version(services: Services, process_id: str) -> ProcessSummary:
    with services.read() as connection:
        return current_version_in(connection, process_id)

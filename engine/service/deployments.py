"""Deploying process definitions as immutable, numbered versions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, bindparam, func, insert, select

from ..definitions import ProcessBundle, prepare, read_sources
from ..definitions.bundle import forms_in
from ..errors import NotFound
from ..store.models import ProcessVersion
from .context import Services


@dataclass(frozen=True)
class DeployedVersion:
    process_id: str
    name: str
    version: int
    content_hash: str
    new: bool


def deploy_path(services: Services, path: Path, actor: str | None = None) -> list[DeployedVersion]:
    return deploy(services, read_sources(path), actor)


def deploy(
    services: Services, sources: Mapping[str, bytes], actor: str | None = None
) -> list[DeployedVersion]:
    """Validate every file first, then record a version per changed process, all in one
    transaction: an invalid file deploys nothing, the same content deploys nothing new."""
    bundles = prepare(sources, forms_in(services.forms_path) if services.forms_path else None)
    now = services.clock.now()
    results = []
    with services.write() as connection:
        for bundle in bundles:
            results.append(_record(connection, bundle, now, actor))
    return results


def _record(connection, bundle: ProcessBundle, now, actor) -> DeployedVersion:  # type: ignore[no-untyped-def]
    existing = connection.execute(
        select(ProcessVersion.version).where(
            ProcessVersion.process_id == bundle.process_id,
            ProcessVersion.content_hash == bundle.content_hash,
        )
    ).scalar()
    if existing is not None:
        return DeployedVersion(bundle.process_id, bundle.name, existing, bundle.content_hash, False)
    latest = connection.execute(
        select(func.max(ProcessVersion.version)).where(
            ProcessVersion.process_id == bundle.process_id
        )
    ).scalar()
    version = (latest or 0) + 1
    connection.execute(
        insert(ProcessVersion).values(
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
    )
    return DeployedVersion(bundle.process_id, bundle.name, version, bundle.content_hash, True)


@dataclass(frozen=True)
class ProcessSummary:
    process_id: str
    name: str
    version: int
    version_id: int
    reference_prefix: str
    deployed_at: object
    start_form: str | None = None


def latest_versions(services: Services) -> list[ProcessSummary]:
    newest = (
        select(ProcessVersion.process_id, func.max(ProcessVersion.version).label("version"))
        .group_by(ProcessVersion.process_id)
        .subquery()
    )
    query = (
        select(ProcessVersion.__table__)
        .join(
            newest,
            (ProcessVersion.process_id == newest.c.process_id)
            & (ProcessVersion.version == newest.c.version),
        )
        .order_by(ProcessVersion.process_id)
    )
    with services.read() as connection:
        rows = connection.execute(query).all()
    return [
        ProcessSummary(
            r.process_id, r.name, r.version, r.id, r.reference_prefix, r.deployed_at, r.start_form
        )
        for r in rows
    ]


_LATEST = (
    select(ProcessVersion.__table__)
    .where(ProcessVersion.process_id == bindparam("process_id"))
    .order_by(ProcessVersion.version.desc())
    .limit(1)
)


def latest_version_in(connection: Connection, process_id: str) -> ProcessSummary:
    row = connection.execute(_LATEST, {"process_id": process_id}).first()
    if row is None:
        raise NotFound(
            f"Procédure inconnue : « {process_id} » (déployez-la d'abord avec `anct deploy`)."
        )
    return ProcessSummary(
        row.process_id, row.name, row.version, row.id, row.reference_prefix, row.deployed_at,
        row.start_form,
    )  # fmt: skip


def latest_version(services: Services, process_id: str) -> ProcessSummary:
    with services.read() as connection:
        return latest_version_in(connection, process_id)

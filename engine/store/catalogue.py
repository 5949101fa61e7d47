"""The statements over procedures (`processes`) and their deployed versions (`process_versions`).

A version, once inserted, is never changed: deploying again inserts a new one or points the
procedure at an earlier one. The service layer (engine/service/catalogue/, version_catalogue.py)
decides which version is current and who may retire a procedure; these functions only read and
write rows, inside the connection or transaction the caller holds.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, case, func, insert, select, update

from .instances import COMPLETED
from .models import Process, ProcessInstance, ProcessVersion

_CATALOGUE = Process.__table__
_VERSIONS = ProcessVersion.__table__
_CURRENT = (
    select(_VERSIONS, _CATALOGUE.c.retired_at)
    .join(_CATALOGUE, _CATALOGUE.c.current_version_id == ProcessVersion.id)
    .where(_CATALOGUE.c.process_id == bindparam("process_id"))
)
_FILES = select(
    ProcessVersion.files,
    ProcessVersion.process_id,
    ProcessVersion.content_hash,
    ProcessVersion.start_form,
).where(ProcessVersion.id == bindparam("version_id"))


def entries(connection: Connection, live_statuses: Collection[str]) -> list[Row[Any]]:
    """Every procedure by the name of its current version: process_id, name, version (the
    current one), latest, versions (how many), running (its dossiers in `live_statuses`),
    retired_at, retired_by."""
    current = _VERSIONS.alias("courante")
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
        .where(ProcessInstance.status.in_(tuple(live_statuses)))
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
    return list(connection.execute(query).all())


def retirement(connection: Connection, process_id: str) -> Row[Any] | None:
    """retired_at and the current version's name of one procedure, or None if unknown."""
    return connection.execute(
        select(_CATALOGUE.c.retired_at, ProcessVersion.name)
        .join(ProcessVersion, ProcessVersion.id == _CATALOGUE.c.current_version_id)
        .where(_CATALOGUE.c.process_id == process_id)
    ).first()


def set_retirement(
    connection: Connection, process_id: str, retired_at: datetime | None,
    retired_by: str | None, now: datetime,
) -> None:  # fmt: skip
    """Retire a procedure (`retired_at` set) or reinstate it (None)."""
    connection.execute(
        update(_CATALOGUE)
        .where(_CATALOGUE.c.process_id == process_id)
        .values(retired_at=retired_at, retired_by=retired_by, updated_at=now)
    )


def process_row(connection: Connection, process_id: str) -> Row[Any] | None:
    """Every column of one procedure's catalogue entry, or None if never deployed."""
    return connection.execute(
        select(_CATALOGUE).where(_CATALOGUE.c.process_id == process_id)
    ).first()


def versions_of(connection: Connection, process_id: str) -> list[Row[Any]]:
    """id, version and content_hash of every deployed version of a procedure."""
    return list(
        connection.execute(
            select(ProcessVersion.id, ProcessVersion.version, ProcessVersion.content_hash).where(
                ProcessVersion.process_id == process_id
            )
        ).all()
    )


def insert_version(connection: Connection, **values: Any) -> int:
    """The id of the new version."""
    inserted = connection.execute(insert(ProcessVersion).values(**values))
    return int(inserted.inserted_primary_key[0])


def set_current(connection: Connection, process_id: str, version_id: int, now: datetime) -> None:
    """Point a listed procedure at one of its versions."""
    connection.execute(
        update(_CATALOGUE)
        .where(_CATALOGUE.c.process_id == process_id)
        .values(current_version_id=version_id, updated_at=now)
    )


def insert_process(connection: Connection, process_id: str, version_id: int, now: datetime) -> None:
    """List a procedure deployed for the first time, on its first version."""
    connection.execute(
        insert(_CATALOGUE).values(
            process_id=process_id, current_version_id=version_id, updated_at=now
        )
    )


def current_versions(connection: Connection, *, retired: bool = False) -> list[Row[Any]]:
    """Every column of each procedure's current version, by process id; the retired
    procedures' only with `retired`."""
    query = (
        select(_VERSIONS)
        .join(_CATALOGUE, _CATALOGUE.c.current_version_id == ProcessVersion.id)
        .order_by(ProcessVersion.process_id)
    )
    if not retired:
        query = query.where(_CATALOGUE.c.retired_at.is_(None))
    return list(connection.execute(query).all())


def current_version(connection: Connection, process_id: str) -> Row[Any] | None:
    """Every column of a procedure's current version and its retired_at, or None if unknown."""
    return connection.execute(_CURRENT, {"process_id": process_id}).first()


def version_files(connection: Connection, version_id: int) -> Row[Any]:
    """files, process_id, content_hash and start_form of a version (NoResultFound if none)."""
    return connection.execute(_FILES, {"version_id": version_id}).one()


def process_names(connection: Connection) -> dict[str, str]:
    """process id → the name of its latest version."""
    return dict(
        connection.execute(  # type: ignore[arg-type]
            select(ProcessVersion.process_id, ProcessVersion.name).order_by(ProcessVersion.version)
        ).all()
    )


def versions(connection: Connection, process_id: str) -> list[Row]:
    """Every version of a procedure, newest first, with its running and finished dossiers."""
    running = func.sum(case((ProcessInstance.status == COMPLETED, 0), else_=1))
    counts = (
        select(
            ProcessInstance.process_version_id.label("version_id"),
            func.count().label("dossiers"),
            running.label("running"),
        )
        .where(ProcessInstance.process_id == process_id)
        .group_by(ProcessInstance.process_version_id)
        .subquery()
    )
    query = (
        select(
            ProcessVersion.id,
            ProcessVersion.version,
            ProcessVersion.name,
            ProcessVersion.content_hash,
            ProcessVersion.deployed_at,
            ProcessVersion.deployed_by,
            func.coalesce(counts.c.dossiers, 0).label("dossiers"),
            func.coalesce(counts.c.running, 0).label("running"),
        )
        .outerjoin(counts, counts.c.version_id == ProcessVersion.id)
        .where(ProcessVersion.process_id == process_id)
        .order_by(ProcessVersion.version.desc())
    )
    return list(connection.execute(query))


def version_files_by_number(connection: Connection, process_id: str, version: int) -> Row | None:
    query = select(ProcessVersion.id, ProcessVersion.version, ProcessVersion.files).where(
        ProcessVersion.process_id == process_id, ProcessVersion.version == version
    )
    return connection.execute(query).first()


def running_by_version(connection: Connection, process_id: str) -> dict[int, int]:
    """Running dossiers (not finished) per version number."""
    query = (
        select(ProcessVersion.version, func.count(ProcessInstance.id))
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .where(ProcessInstance.process_id == process_id, ProcessInstance.status != COMPLETED)
        .group_by(ProcessVersion.version)
    )
    return {version: count for version, count in connection.execute(query)}

"""The statements behind editing procedures: owners, the open draft of each, the audit log.

The service layer (engine/service/catalogue/) decides who may edit and checks every file; these
functions only read and write rows, inside the transaction the caller holds. A draft is saved
only if its `lock_version` is still the one the editor loaded (optimistic locking).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from .models import DefinitionDraft, ProcessAudit, ProcessOwner


def owners(
    connection: Connection, process_ids: Iterable[str] | None = None
) -> dict[str, list[str]]:
    """Logins of the owners of each procedure (all procedures when `process_ids` is None)."""
    query = select(ProcessOwner.process_id, ProcessOwner.login).order_by(
        ProcessOwner.process_id, ProcessOwner.login
    )
    if process_ids is not None:
        query = query.where(ProcessOwner.process_id.in_(list(process_ids)))
    found: dict[str, list[str]] = {}
    for row in connection.execute(query):
        found.setdefault(row.process_id, []).append(row.login)
    return found


def is_owner(connection: Connection, process_id: str, login: str) -> bool:
    query = select(ProcessOwner.login).where(
        ProcessOwner.process_id == process_id, ProcessOwner.login == login
    )
    return connection.execute(query).first() is not None


def add_owner(
    connection: Connection, process_id: str, login: str, now: datetime, by: str | None
) -> None:
    connection.execute(
        insert(ProcessOwner).values(
            process_id=process_id, login=login, granted_at=now, granted_by=by
        )
    )


def remove_owner(connection: Connection, process_id: str, login: str) -> int:
    return connection.execute(
        delete(ProcessOwner).where(
            ProcessOwner.process_id == process_id, ProcessOwner.login == login
        )
    ).rowcount


def draft(connection: Connection, process_id: str, *, for_update: bool = False) -> Row | None:
    query = select(DefinitionDraft).where(DefinitionDraft.process_id == process_id)
    if for_update:
        query = query.with_for_update()
    return connection.execute(query).first()


def drafts(connection: Connection) -> dict[str, Row]:
    """Every open draft, without its files (the catalogue lists them)."""
    query = select(
        DefinitionDraft.process_id,
        DefinitionDraft.lock_version,
        DefinitionDraft.base_version_id,
        DefinitionDraft.updated_at,
        DefinitionDraft.updated_by,
    )
    return {row.process_id: row for row in connection.execute(query)}


def insert_draft(connection: Connection, **values: Any) -> None:
    connection.execute(insert(DefinitionDraft).values(**values))


def update_draft(
    connection: Connection, process_id: str, expected_lock: int, **values: Any
) -> bool:
    """False when someone saved since `expected_lock` was read: nothing is written then."""
    result = connection.execute(
        update(DefinitionDraft)
        .where(
            DefinitionDraft.process_id == process_id,
            DefinitionDraft.lock_version == expected_lock,
        )
        .values(lock_version=expected_lock + 1, **values)
    )
    return result.rowcount == 1


def delete_draft(connection: Connection, process_id: str) -> int:
    return connection.execute(
        delete(DefinitionDraft).where(DefinitionDraft.process_id == process_id)
    ).rowcount


def record(
    connection: Connection,
    process_id: str,
    action: str,
    detail: str,
    *,
    at: datetime,
    actor: str | None,
) -> None:
    connection.execute(
        insert(ProcessAudit).values(
            process_id=process_id, at=at, actor=actor, action=action, detail=detail
        )
    )


def audit(connection: Connection, process_id: str, limit: int = 200) -> list[Row]:
    query = (
        select(ProcessAudit.at, ProcessAudit.actor, ProcessAudit.action, ProcessAudit.detail)
        .where(ProcessAudit.process_id == process_id)
        .order_by(ProcessAudit.id.desc())
        .limit(limit)
    )
    return list(connection.execute(query))

"""The statements over drafts (`drafts`), and the one look-up at dossiers a new form's
département is guessed from.

The service layer (engine/service/dossiers/drafts.py) decides what a draft keeps and whose it
is; these functions only read and write rows, always by (id, login) so that a person reaches
their own drafts only.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from .models import Draft, ProcessInstance


def latest_territory(connection: Connection, sirens: Collection[str]) -> str | None:
    """The département of the newest dossier of one of these organisations, or None."""
    return connection.execute(
        select(ProcessInstance.territory)
        .where(ProcessInstance.siren.in_(list(sirens)))
        .order_by(ProcessInstance.created_at.desc())
        .limit(1)
    ).scalar()


def insert_draft(connection: Connection, **values: Any) -> int:
    return connection.execute(insert(Draft).values(**values).returning(Draft.id)).scalar_one()


def update_draft(connection: Connection, draft_id: int, login: str, **values: Any) -> int:
    """The number of drafts changed: 0 when `login` has no such draft."""
    return connection.execute(
        update(Draft).where(Draft.id == draft_id, Draft.login == login).values(**values)
    ).rowcount


def drafts_of(connection: Connection, login: str) -> list[Row[Any]]:
    """Every column of the person's drafts, last changed first."""
    return list(
        connection.execute(
            select(Draft.__table__)
            .where(Draft.login == login)
            .order_by(Draft.updated_at.desc(), Draft.id.desc())
        ).all()
    )


def draft_row(connection: Connection, draft_id: int, login: str) -> Row[Any] | None:
    return connection.execute(
        select(Draft.__table__).where(Draft.id == draft_id, Draft.login == login)
    ).first()


def delete_draft(connection: Connection, draft_id: int, login: str) -> int:
    """The number of drafts deleted: 0 when `login` has no such draft."""
    return connection.execute(
        delete(Draft).where(Draft.id == draft_id, Draft.login == login)
    ).rowcount

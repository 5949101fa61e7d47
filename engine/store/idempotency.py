"""The statements over the idempotency keys of dossiers started through the API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Row, insert, select, update

from .models import IdempotencyKey


def claim(connection: Connection, login: str, key: str, fingerprint: str, now: datetime) -> None:
    """Take the key in the caller's transaction. A concurrent holder makes this wait for its
    commit (PostgreSQL) or the database lock (SQLite), then fail with an IntegrityError."""
    connection.execute(
        insert(IdempotencyKey).values(
            login=login, key=key, fingerprint=fingerprint, reference=None, created_at=now
        )
    )


def settle(connection: Connection, login: str, key: str, reference: str) -> None:
    connection.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.login == login, IdempotencyKey.key == key)
        .values(reference=reference)
    )


def find(connection: Connection, login: str, key: str) -> Row | None:
    query = select(IdempotencyKey).where(IdempotencyKey.login == login, IdempotencyKey.key == key)
    return connection.execute(query).first()

"""The statements over personal API tokens (`api_tokens`): rows only; engine/service/people/
tokens.py decides who may create, see and revoke them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from .models import ApiToken


def insert_token(connection: Connection, **values: Any) -> int:
    return connection.execute(insert(ApiToken).values(**values).returning(ApiToken.id)).scalar_one()


def by_hash(connection: Connection, token_hash: str) -> Row | None:
    return connection.execute(select(ApiToken).where(ApiToken.token_hash == token_hash)).first()


def by_id(connection: Connection, token_id: int) -> Row | None:
    return connection.execute(select(ApiToken).where(ApiToken.id == token_id)).first()


def of_login(connection: Connection, login: str) -> list[Row]:
    """The person's tokens, newest first (revoked and expired ones included: they are history)."""
    query = select(ApiToken).where(ApiToken.login == login).order_by(ApiToken.id.desc())
    return list(connection.execute(query))


def every(connection: Connection, limit: int = 500) -> list[Row]:
    return list(connection.execute(select(ApiToken).order_by(ApiToken.id.desc()).limit(limit)))


def revoke(connection: Connection, token_id: int, now: datetime, by: str | None) -> int:
    """1 when the token was live and is now revoked, 0 otherwise."""
    return connection.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=by)
    ).rowcount


def touch(connection: Connection, token_id: int, now: datetime) -> None:
    connection.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))

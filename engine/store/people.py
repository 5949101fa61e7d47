"""The statements over accounts (`users`) and their grants (`user_grants`).

The service layer (engine/service/people/) decides who may do what and checks every field; these
functions only read and write rows, inside the connection or transaction the caller holds.
A grant's scope is stored as "" when national (the primary key cannot hold NULL) and read back
as None.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from .models import User, UserGrant


def login_exists(connection: Connection, login: str) -> bool:
    return connection.execute(select(User.login).where(User.login == login)).first() is not None


def logins(connection: Connection) -> set[str]:
    """The login of every account, active or not."""
    return set(connection.execute(select(User.login)).scalars())


def insert_user(connection: Connection, **values: Any) -> None:
    connection.execute(insert(User).values(**values))


def update_user(connection: Connection, login: str, **values: Any) -> int:
    """The number of accounts changed: 0 when there is no such login."""
    return connection.execute(update(User).where(User.login == login).values(**values)).rowcount


def insert_grants(
    connection: Connection, login: str, grants: Iterable[tuple[str, str | None]]
) -> None:
    connection.execute(
        insert(UserGrant),
        [{"login": login, "role": role, "scope": scope or ""} for role, scope in grants],
    )


def delete_grants(connection: Connection, login: str) -> None:
    connection.execute(delete(UserGrant).where(UserGrant.login == login))


def user_row(connection: Connection, login: str) -> Row[Any] | None:
    """Every column of one account, or None."""
    return connection.execute(select(User.__table__).where(User.login == login)).first()


def grants_of(connection: Connection, login: str) -> list[tuple[str, str | None]]:
    """(role, scope) of one account, ordered by role then scope; scope None when national."""
    rows = connection.execute(
        select(UserGrant.role, UserGrant.scope)
        .where(UserGrant.login == login)
        .order_by(UserGrant.role, UserGrant.scope)
    ).all()
    return [(row.role, row.scope or None) for row in rows]


def all_users(connection: Connection) -> list[Row[Any]]:
    """Every account, by login."""
    return list(connection.execute(select(User.__table__).order_by(User.login)).all())


def all_grants(connection: Connection) -> list[tuple[str, str, str | None]]:
    """(login, role, scope) of every grant, ordered by role then scope."""
    rows = connection.execute(
        select(UserGrant.login, UserGrant.role, UserGrant.scope).order_by(
            UserGrant.role, UserGrant.scope
        )
    ).all()
    return [(row.login, row.role, row.scope or None) for row in rows]


def active_login_for_email(connection: Connection, email: str) -> str | None:
    return connection.execute(
        select(User.login).where(User.email == email, User.active.is_(True))
    ).scalar_one_or_none()


def credentials(connection: Connection, login: str) -> Row[Any] | None:
    """What signing in reads: password_hash, active, failed_logins, locked_until."""
    return connection.execute(
        select(User.password_hash, User.active, User.failed_logins, User.locked_until)
        .where(User.login == login)
    ).first()  # fmt: skip


def record_failures(
    connection: Connection, login: str, failed_logins: int, locked_until: datetime | None
) -> None:
    """The wrong passwords in a row, and the end of the lock-out they earned (None: none)."""
    update_user(connection, login, failed_logins=failed_logins, locked_until=locked_until)


def active_holders(connection: Connection, roles: Collection[str]) -> list[tuple[str, str, str]]:
    """(role, login, name) of the active accounts holding one of `roles`, ordered by name."""
    rows = connection.execute(
        select(UserGrant.role, User.login, User.name)
        .join(User, User.login == UserGrant.login)
        .where(User.active.is_(True), UserGrant.role.in_(list(roles)))
        .distinct()
        .order_by(User.name, User.login)
    ).all()
    return [(row.role, row.login, row.name) for row in rows]

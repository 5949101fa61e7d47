"""Personal API tokens: what another system sends as `Authorization: Bearer TOKEN`.

A token acts as its person, with exactly their grants: the API checks the same rules as the
pages. The secret is 256 random bits shown once; only its SHA-256 is stored (a slow hash such as
argon2 protects guessable passwords, and would cost every API call for nothing here). A token
always expires; its person or an administrator revokes it at any time, and an inactive account's
tokens stop working with it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ...errors import Forbidden, InvalidInput, NotFound
from ...roles import ADMIN
from ...store import api_tokens as store
from ...store import people as people_rows
from ..context import Services
from ..viewer import Viewer

PREFIX = "anct_"
DEFAULT_DAYS = 90
MAX_DAYS = 366
MAX_NAME = 200
#: How often a token's last use is written (not on every call: the API is read-heavy).
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class TokenRecord:
    id: int
    login: str
    name: str
    created_at: datetime
    created_by: str | None
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    def live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "login": self.login, "name": self.name,
            "created_at": self.created_at.isoformat(), "expires_at": self.expires_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
        }  # fmt: skip


@dataclass(frozen=True)
class NewToken:
    record: TokenRecord
    #: The secret, to show once: it cannot be read back.
    secret: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _record(row: Any) -> TokenRecord:
    return TokenRecord(
        row.id, row.login, row.name, row.created_at, row.created_by, row.expires_at,
        row.revoked_at, row.last_used_at,
    )  # fmt: skip


def _is_admin(viewer: Viewer) -> bool:
    return viewer.operator or any(g.role == ADMIN and g.scope is None for g in viewer.grants)


def _may_manage(viewer: Viewer, login: str) -> bool:
    return viewer.login == login or _is_admin(viewer)


def create(
    services: Services, viewer: Viewer, login: str, *, name: str, days: int = DEFAULT_DAYS
) -> NewToken:
    """A new token for `login` (the viewer's own, or anyone's for an administrator)."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = "Donnez un nom au jeton (par exemple le système qui l'utilisera)."
    elif len(name) > MAX_NAME:
        errors["name"] = f"Le nom du jeton compte au plus {MAX_NAME} caractères."
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
        errors["days"] = f"La durée de validité va de 1 à {MAX_DAYS} jours."
    if errors:
        raise InvalidInput(" ".join(errors.values()), fields=errors)
    if not _may_manage(viewer, login):
        raise Forbidden("Vous ne pouvez créer un jeton que pour votre propre compte.")
    secret = PREFIX + secrets.token_urlsafe(32)
    now = services.clock.now()
    with services.write() as connection:
        if not people_rows.login_exists(connection, login):
            raise NotFound(f"Compte introuvable : « {login} ».")
        token_id = store.insert_token(
            connection, login=login, name=name, token_hash=_hash(secret), created_at=now,
            created_by=viewer.login, expires_at=now + timedelta(days=days),
        )  # fmt: skip
        row = store.by_id(connection, token_id)
    return NewToken(_record(row), secret)


def list_tokens(
    services: Services, viewer: Viewer, login: str | None = None, *, everyone: bool = False
) -> list[TokenRecord]:
    """The tokens of `login` (default: the viewer's), or everyone's for an administrator."""
    with services.read() as connection:
        if everyone:
            if not _is_admin(viewer):
                raise Forbidden("Seul un administrateur voit les jetons de tous les comptes.")
            rows = store.every(connection)
        else:
            login = login or viewer.login
            if not _may_manage(viewer, login):
                raise Forbidden("Vous ne pouvez voir que vos propres jetons.")
            rows = store.of_login(connection, login)
    return [_record(row) for row in rows]


def revoke(services: Services, viewer: Viewer, token_id: int) -> TokenRecord:
    """Revoke a live token of the viewer's (or anyone's, for an administrator); a token that
    is someone else's is « introuvable », as if it did not exist."""
    with services.write() as connection:
        row = store.by_id(connection, token_id)
        if row is None or not _may_manage(viewer, row.login):
            raise NotFound(f"Jeton introuvable : « {token_id} ».")
        if store.revoke(connection, token_id, services.clock.now(), viewer.login) != 1:
            raise InvalidInput("Ce jeton est déjà révoqué.", field="token")
        row = store.by_id(connection, token_id)
    return _record(row)


def authenticate(services: Services, secret: str) -> TokenRecord | None:
    """The live token this secret is, else None (unknown, revoked or expired: the caller says
    the same thing in every case)."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    now = services.clock.now()
    with services.read() as connection:
        row = store.by_hash(connection, _hash(secret))
    if row is None:
        return None
    record = _record(row)
    if not record.live(now):
        return None
    if record.last_used_at is None or now - record.last_used_at > TOUCH_EVERY:
        with services.write() as connection:
            store.touch(connection, record.id, now)
    return record

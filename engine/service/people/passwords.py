"""Passwords: argon2 hashes, the length rules, and signing in with a lock-out.

Only the hash is stored. Signing in costs the same whether or not the login exists, and a run
of wrong passwords suspends the account for a while: guessing costs hours, not seconds.
"""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ... import l10n
from ...errors import Forbidden, InvalidInput, NotFound
from ...store import people as store
from ..context import Services

#: Replaced by a cheap hasher in the tests (tests/web/conftest.py).
_HASHER = PasswordHasher()
MAX_PASSWORD = 1000
MIN_PASSWORD = 10
MAX_FAILURES = 5
LOCK_TIME = timedelta(minutes=15)


def hash_password(password: str) -> str:
    """The argon2 hash stored for a password of at least MIN_PASSWORD characters."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"Le mot de passe doit compter au moins {MIN_PASSWORD} caractères.", field="password"
        )
    return _HASHER.hash(password)


def check_password(password: str | None) -> str:
    """A password typed in the admin form: present, neither too short nor absurdly long."""
    password = password or ""
    if not password:
        raise InvalidInput("Le mot de passe est obligatoire.", field="password")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"Le mot de passe doit compter au moins {MIN_PASSWORD} caractères.", field="password"
        )
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(
            f"Le mot de passe compte au plus {MAX_PASSWORD} caractères.", field="password"
        )
    return password


def authenticate(services: Services, login: str, password: str) -> str:
    """The login (as stored) if the password is right; refused with one message whatever the
    reason. The viewer it signs in as is engine/service/users.py's `viewer_for`.

    After MAX_FAILURES wrong passwords in a row the account waits LOCK_TIME, even for the right
    password: guessing costs hours, not seconds. The answer never says whether a login exists.
    """
    login = (login or "").strip().lower()
    now = services.clock.now()
    refused = InvalidInput("Identifiant ou mot de passe incorrect.")
    with services.write() as connection:
        row = store.credentials(connection, login)
        if row is None or not row.password_hash or not row.active:
            _HASHER.hash("temps constant")  # same cost whether or not the login exists
            raise refused
        if row.locked_until is not None and row.locked_until > now:
            raise Forbidden(
                "Trop d'essais infructueux : connexion suspendue jusqu'à "
                f"{l10n.time_text(row.locked_until)} (heure de Paris)."
            )
        try:
            _HASHER.verify(row.password_hash, password or "")
        except (VerificationError, InvalidHashError):
            failures = row.failed_logins + 1
            locked = now + LOCK_TIME if failures >= MAX_FAILURES else None
            store.record_failures(connection, login, 0 if locked else failures, locked)
            failed = True
        else:
            failed = False
            if row.failed_logins or row.locked_until:
                store.record_failures(connection, login, 0, None)
    if failed:  # raised outside the block so that the count is committed
        raise refused
    return login


def set_password(services: Services, login: str, password: str) -> None:
    """A new password; it also lifts a lock-out."""
    password_hash = hash_password(password)
    with services.write() as connection:
        changed = store.update_user(
            connection, login, password_hash=password_hash, failed_logins=0, locked_until=None
        )
    if changed != 1:
        raise NotFound(f"Utilisateur introuvable : « {login} ».")

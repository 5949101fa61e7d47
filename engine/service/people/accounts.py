"""Accounts: who may sign in, under which name, with which grants.

An account is created with at least one grant, every field and grant checked before anything is
written; it is never deleted (its login stays in the history of the dossiers), only deactivated.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from ...errors import Conflict, InvalidInput, NotFound
from ...store import people as store
from ..context import Services
from ..viewer import Grant
from .grants import normalise_grants
from .passwords import hash_password

_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,199}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_NAME = 300


@dataclass(frozen=True)
class Account:
    login: str
    name: str
    email: str | None
    organisation: str | None
    active: bool
    grants: tuple[Grant, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "login": self.login, "name": self.name, "email": self.email,
            "organisation": self.organisation, "active": self.active,
            "grants": [{"role": g.role, "scope": g.scope} for g in self.grants],
        }  # fmt: skip


def create_user(
    services: Services,
    login: str,
    *,
    name: str,
    grants: list[tuple[str, str | None]],
    email: str | None = None,
    password: str | None = None,
    organisation: str | None = None,
) -> Account:
    """Create an account; refused, with nothing written, if any field or grant is invalid."""
    login = check_login(login)
    email = check_email(email)
    if not (name or "").strip():
        raise InvalidInput("Le nom de la personne est obligatoire.")
    if not grants:
        raise InvalidInput("Donnez au moins un rôle.")
    checked = normalise_grants(services, grants)
    password_hash = hash_password(password) if password is not None else None
    with services.write() as connection:
        if store.login_exists(connection, login):
            raise Conflict(f"L'identifiant « {login} » existe déjà.")
        store.insert_user(
            connection, login=login, name=name.strip(), email=email, password_hash=password_hash,
            active=True, organisation=(organisation or "").strip() or None,
            created_at=services.clock.now(),
        )  # fmt: skip
        store.insert_grants(connection, login, [(g.role, g.scope) for g in checked])
    return get_account(services, login)


def set_grants(services: Services, login: str, grants: list[tuple[str, str | None]]) -> Account:
    """Replace every grant of an account by these (checked first, nothing written if one fails)."""
    checked = normalise_grants(services, grants)
    with services.write() as connection:
        if not store.login_exists(connection, login):
            raise NotFound(f"Utilisateur introuvable : « {login} ».")
        store.delete_grants(connection, login)
        store.insert_grants(connection, login, [(g.role, g.scope) for g in checked])
    return get_account(services, login)


def get_account(services: Services, login: str) -> Account:
    with services.read() as connection:
        user = store.user_row(connection, login)
        if user is None:
            raise NotFound(f"Utilisateur introuvable : « {login} ».")
        rows = store.grants_of(connection, login)
    grants = tuple(Grant(role, scope) for role, scope in rows)
    return Account(user.login, user.name, user.email, user.organisation, user.active, grants)


def list_accounts(services: Services) -> list[Account]:
    """Every account, by login (the admin page lists them all)."""
    with services.read() as connection:
        users = store.all_users(connection)
        grants = store.all_grants(connection)
    by_login: dict[str, list[Grant]] = {}
    for login, role, scope in grants:
        by_login.setdefault(login, []).append(Grant(role, scope))
    return [
        Account(u.login, u.name, u.email, u.organisation, u.active,
                tuple(by_login.get(u.login, [])))
        for u in users
    ]  # fmt: skip


def active_login_for_email(services: Services, email: str) -> str | None:
    """The login of the active account with this address (ProConnect sign-in), if any."""
    with services.read() as connection:
        return store.active_login_for_email(connection, email)


def set_active(services: Services, login: str, active: bool) -> None:
    """Deactivate (no sign-in, no task offered) or reactivate an account."""
    with services.write() as connection:
        changed = store.update_user(connection, login, active=active)
    if changed != 1:
        raise NotFound(f"Utilisateur introuvable : « {login} ».")


def people_by_role(
    connection: Connection, roles: Collection[str]
) -> dict[str, list[tuple[str, str]]]:
    """(login, name) of the active accounts holding each role, ordered by name: whom a person
    field of a form offers (engine/forms/people.py), and the only logins it accepts."""
    people: dict[str, list[tuple[str, str]]] = {role: [] for role in roles}
    if not people:
        return people
    for role, login, name in store.active_holders(connection, list(people)):
        people[role].append((login, name))
    return people


def check_login(login: str) -> str:
    login = (login or "").strip().lower()
    if not _LOGIN.match(login):
        raise InvalidInput(
            "Identifiant invalide : lettres minuscules, chiffres, « . », « _ », « - » ou « @ », "
            "2 caractères au moins.",
            field="login",
        )
    return login


def check_email(email: str | None) -> str | None:
    email = (email or "").strip()
    if not email:
        return None
    if not _EMAIL.match(email) or len(email) > 320:
        raise InvalidInput(f"Adresse électronique invalide : « {email} ».", field="email")
    return email


def check_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Le nom de la personne est obligatoire.", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"Le nom compte au plus {MAX_NAME} caractères.", field="name")
    return name


def check_organisation(organisation: str | None) -> str | None:
    organisation = (organisation or "").strip()
    if len(organisation) > MAX_NAME:
        raise InvalidInput(
            f"Le nom de l'organisation compte au plus {MAX_NAME} caractères.", field="organisation"
        )
    return organisation or None

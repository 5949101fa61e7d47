"""People: accounts, their grants (role over a scope), and the viewer a signed-in person is."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update

from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..roles import COLLECTIVITE, PREFET, ROLE_LABELS
from ..store.models import User, UserGrant
from ..territory import check_siren
from .context import Services
from .viewer import Grant, Viewer

_HASHER = PasswordHasher()
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,199}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Roles that only make sense over a scope: an authority's SIREN, a préfet's département.
_SCOPED = {COLLECTIVITE: "siren", PREFET: "departement"}
MIN_PASSWORD = 10
MAX_FAILURES = 5
LOCK_TIME = timedelta(minutes=15)
PARIS = ZoneInfo("Europe/Paris")


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


def normalise_grant(services: Services, role: str, scope: str | None) -> Grant:
    """A grant as stored: a known role, and a scope that is a real SIREN or département."""
    role = (role or "").strip()
    if role not in ROLE_LABELS:
        known = ", ".join(sorted(ROLE_LABELS))
        raise InvalidInput(f"Rôle inconnu : « {role} » (rôles possibles : {known}).")
    scope = (scope or "").strip() or None
    kind = _SCOPED.get(role)
    if scope is None:
        if kind == "siren":
            raise InvalidInput("Le rôle « collectivite » s'exerce pour une organisation : SIREN ?")
        if kind == "departement":
            raise InvalidInput("Le rôle « prefet » s'exerce sur un département : code ?")
        return Grant(role, None)
    compact = scope.replace(" ", "")
    if kind == "siren" or (kind is None and compact.isdigit() and len(compact) == 9):
        return Grant(role, check_siren(compact))
    return Grant(role, services.territories.departement(scope).code)


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
    login = _check_login(login)
    email = _check_email(email)
    if not (name or "").strip():
        raise InvalidInput("Le nom de la personne est obligatoire.")
    if not grants:
        raise InvalidInput("Donnez au moins un rôle.")
    checked = list(dict.fromkeys(normalise_grant(services, r, s) for r, s in grants))
    password_hash = _hash(password) if password is not None else None
    with services.write() as connection:
        exists = connection.execute(select(User.login).where(User.login == login)).first()
        if exists:
            raise Conflict(f"L'identifiant « {login} » existe déjà.")
        connection.execute(
            insert(User).values(
                login=login, name=name.strip(), email=email, password_hash=password_hash,
                active=True, organisation=(organisation or "").strip() or None,
                created_at=services.clock.now(),
            )
        )  # fmt: skip
        _write_grants(connection, login, checked)
    return get_account(services, login)


def set_grants(services: Services, login: str, grants: list[tuple[str, str | None]]) -> Account:
    checked = list(dict.fromkeys(normalise_grant(services, r, s) for r, s in grants))
    with services.write() as connection:
        if connection.execute(select(User.login).where(User.login == login)).first() is None:
            raise NotFound(f"Utilisateur introuvable : « {login} ».")
        connection.execute(delete(UserGrant).where(UserGrant.login == login))
        _write_grants(connection, login, checked)
    return get_account(services, login)


def get_account(services: Services, login: str) -> Account:
    with services.read() as connection:
        user = connection.execute(select(User.__table__).where(User.login == login)).first()
        if user is None:
            raise NotFound(f"Utilisateur introuvable : « {login} ».")
        rows = connection.execute(
            select(UserGrant.role, UserGrant.scope)
            .where(UserGrant.login == login)
            .order_by(UserGrant.role, UserGrant.scope)
        ).all()
    grants = tuple(Grant(row.role, row.scope or None) for row in rows)
    return Account(user.login, user.name, user.email, user.organisation, user.active, grants)


def viewer_for(services: Services, login: str) -> Viewer:
    """The viewer of an active account (no grant at all for an inactive one)."""
    account = get_account(services, login)
    return Viewer(login=account.login, grants=account.grants if account.active else ())


def authenticate(services: Services, login: str, password: str) -> Viewer:
    """The viewer if the password is right; refused with one message whatever the reason.

    After MAX_FAILURES wrong passwords in a row the account waits LOCK_TIME, even for the right
    password: guessing costs hours, not seconds. The answer never says whether a login exists.
    """
    login = (login or "").strip().lower()
    now = services.clock.now()
    refused = InvalidInput("Identifiant ou mot de passe incorrect.")
    with services.write() as connection:
        row = connection.execute(
            select(User.password_hash, User.active, User.failed_logins, User.locked_until)
            .where(User.login == login)
        ).first()  # fmt: skip
        if row is None or not row.password_hash or not row.active:
            _HASHER.hash("temps constant")  # same cost whether or not the login exists
            raise refused
        if row.locked_until is not None and row.locked_until > now:
            raise Forbidden(
                "Trop d'essais infructueux : connexion suspendue jusqu'à "
                f"{row.locked_until.astimezone(PARIS):%H h %M} (heure de Paris)."
            )
        try:
            _HASHER.verify(row.password_hash, password or "")
        except (VerificationError, InvalidHashError):
            failures = row.failed_logins + 1
            locked = now + LOCK_TIME if failures >= MAX_FAILURES else None
            connection.execute(
                update(User).where(User.login == login)
                .values(failed_logins=0 if locked else failures, locked_until=locked)
            )  # fmt: skip
            failed = True
        else:
            failed = False
            if row.failed_logins or row.locked_until:
                connection.execute(
                    update(User).where(User.login == login)
                    .values(failed_logins=0, locked_until=None)
                )  # fmt: skip
    if failed:  # raised outside the block so that the count is committed
        raise refused
    return viewer_for(services, login)


def set_password(services: Services, login: str, password: str) -> None:
    password_hash = _hash(password)
    with services.write() as connection:
        changed = connection.execute(
            update(User).where(User.login == login)
            .values(password_hash=password_hash, failed_logins=0, locked_until=None)
        ).rowcount  # fmt: skip
    if changed != 1:
        raise NotFound(f"Utilisateur introuvable : « {login} ».")


def set_active(services: Services, login: str, active: bool) -> None:
    with services.write() as connection:
        changed = connection.execute(
            update(User).where(User.login == login).values(active=active)
        ).rowcount
    if changed != 1:
        raise NotFound(f"Utilisateur introuvable : « {login} ».")


def list_accounts(services: Services) -> list[Account]:
    with services.read() as connection:
        users = connection.execute(select(User.__table__).order_by(User.login)).all()
        grants = connection.execute(
            select(UserGrant.login, UserGrant.role, UserGrant.scope).order_by(
                UserGrant.role, UserGrant.scope
            )
        ).all()
    by_login: dict[str, list[Grant]] = {}
    for grant in grants:
        by_login.setdefault(grant.login, []).append(Grant(grant.role, grant.scope or None))
    return [
        Account(u.login, u.name, u.email, u.organisation, u.active,
                tuple(by_login.get(u.login, [])))
        for u in users
    ]  # fmt: skip


def _write_grants(connection: Any, login: str, grants: list[Grant]) -> None:
    connection.execute(
        insert(UserGrant),
        [{"login": login, "role": g.role, "scope": g.scope or ""} for g in grants],
    )


def _hash(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"Le mot de passe doit compter au moins {MIN_PASSWORD} caractères.", field="password"
        )
    return _HASHER.hash(password)


def _check_login(login: str) -> str:
    login = (login or "").strip().lower()
    if not _LOGIN.match(login):
        raise InvalidInput(
            "Identifiant invalide : lettres minuscules, chiffres, « . », « _ », « - » ou « @ », "
            "2 caractères au moins.",
            field="login",
        )
    return login


def _check_email(email: str | None) -> str | None:
    email = (email or "").strip()
    if not email:
        return None
    if not _EMAIL.match(email) or len(email) > 320:
        raise InvalidInput(f"Adresse électronique invalide : « {email} ».", field="email")
    return email

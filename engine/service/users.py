"""People: accounts, their grants (role over a scope), and the viewer a signed-in person is."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, insert, select, update

from .. import l10n
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..roles import ADMIN, COLLECTIVITE, PREFET, ROLE_LABELS
from ..store.models import User, UserGrant
from ..territory import REGION_PREFIX, check_siren, region_scope
from .context import Services
from .viewer import Grant, Viewer

_HASHER = PasswordHasher()
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,199}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Roles that only make sense over a scope: an authority's SIREN, a préfet's département.
_SCOPED = {COLLECTIVITE: "siren", PREFET: "departement"}
#: Roles over the whole platform: a scope would mean nothing (the admin manages accounts
#: everywhere and acts in no dossier).
_NATIONAL_ONLY = frozenset({ADMIN})
MAX_NAME = 300
MAX_PASSWORD = 1000
MIN_PASSWORD = 10
MAX_FAILURES = 5
LOCK_TIME = timedelta(minutes=15)


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
        raise InvalidInput(f"Rôle inconnu : « {role} » (rôles possibles : {known}).", field="role")
    scope = (scope or "").strip() or None
    kind = _SCOPED.get(role)
    if scope is not None and role in _NATIONAL_ONLY:
        raise InvalidInput(
            f"Le rôle « {ROLE_LABELS[role]} » vaut pour toute la plateforme : "
            "laissez le périmètre vide.",
            field="scope",
        )
    if scope is None:
        if kind == "siren":
            raise InvalidInput("Le rôle « collectivite » s'exerce pour une organisation : SIREN ?")
        if kind == "departement":
            raise InvalidInput("Le rôle « prefet » s'exerce sur un département : code ?")
        return Grant(role, None)
    compact = scope.replace(" ", "")
    if kind == "departement" and compact.lower().startswith(("region:", "région:")):
        return Grant(role, _check_region(services, compact.split(":", 1)[1]))
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


def active_login_for_email(services: Services, email: str) -> str | None:
    """The login of the active account with this address (ProConnect sign-in), if any."""
    with services.read() as connection:
        return connection.execute(
            select(User.login).where(User.email == email, User.active.is_(True))
        ).scalar_one_or_none()


def viewer_for(services: Services, login: str) -> Viewer:
    """The viewer of an active account (no grant at all for an inactive one)."""
    return viewer_of(services, get_account(services, login))


def viewer_of(services: Services, account: Account) -> Viewer:
    """The viewer of an account, a région grant standing for one grant per département.

    A préfet de région sees the départements of the région (shared/procedures.md); expanding
    here keeps every check (task filter, dossier scope, actions) on département codes.
    """
    if not account.active:
        return Viewer(login=account.login)
    grants: list[Grant] = []
    for grant in account.grants:
        if grant.scope and grant.scope.startswith(REGION_PREFIX):
            region = grant.scope.removeprefix(REGION_PREFIX)
            grants.extend(
                Grant(grant.role, code)
                for code in services.territories.departements_of_region(region)
            )
        else:
            grants.append(grant)
    return Viewer(login=account.login, grants=tuple(dict.fromkeys(grants)))


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
                f"{l10n.time_text(row.locked_until)} (heure de Paris)."
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


def people_by_role(
    connection: Connection, roles: Collection[str]
) -> dict[str, list[tuple[str, str]]]:
    """(login, name) of the active accounts holding each role, ordered by name: whom a person
    field of a form offers (engine/forms/people.py), and the only logins it accepts."""
    people: dict[str, list[tuple[str, str]]] = {role: [] for role in roles}
    if not people:
        return people
    rows = connection.execute(
        select(UserGrant.role, User.login, User.name)
        .join(User, User.login == UserGrant.login)
        .where(User.active.is_(True), UserGrant.role.in_(list(people)))
        .distinct()
        .order_by(User.name, User.login)
    ).all()
    for row in rows:
        people[row.role].append((row.login, row.name))
    return people


# --- Administration (the admin page): every field checked, every error named after its field ---
#
# These functions check who asks (an admin, or an operator at the command line) and validate the
# whole form before writing anything. A refusal is one `InvalidInput` whose `errors` detail maps
# each faulty field to its French message: `login`, `name`, `email`, `organisation`,
# `password`, `grants` (the grants as a whole), and `role-<i>` / `scope-<i>` for the i-th
# role/scope row as typed (0-based; rows left entirely blank are ignored).


def require_admin(viewer: Viewer) -> None:
    if not (viewer.operator or any(grant.role == ADMIN for grant in viewer.grants)):
        raise Forbidden("Réservé aux administrateurs de la plateforme.")


def grant_label(services: Services, grant: Grant) -> str:
    """« Préfet (délégué territorial) (Creuse, 23) », « Équipe nationale (national) »."""
    role = ROLE_LABELS.get(grant.role, grant.role)
    if grant.scope is None:
        return f"{role} (national)"
    if grant.scope.startswith(REGION_PREFIX):
        code = grant.scope.removeprefix(REGION_PREFIX)
        return f"{role} (région {services.territories.regions.get(code, code)}, {code})"
    found = services.territories.departements.get(grant.scope)
    if found is not None:
        return f"{role} ({found.nom}, {found.code})"
    if grant.scope.isdigit() and len(grant.scope) == 9:
        return f"{role} (SIREN {grant.scope})"
    return f"{role} ({grant.scope})"


def check_grant_rows(services: Services, rows: list[tuple[str | None, str | None]]) -> list[Grant]:
    """The grants of role/scope rows as typed in a form; refused with an error per row."""
    errors: dict[str, str] = {}
    grants = _grant_rows(services, rows, errors)
    if errors:
        raise _refused(errors)
    return grants


def admin_create_user(
    services: Services,
    viewer: Viewer,
    *,
    login: str,
    name: str,
    email: str | None,
    organisation: str | None,
    password: str,
    grants: list[tuple[str | None, str | None]],
) -> Account:
    """Create an account from the admin form; nothing is written if any field is refused."""
    require_admin(viewer)
    errors: dict[str, str] = {}
    checked_login = _field(errors, "login", _check_login, login)
    _field(errors, "name", _check_name, name)
    _field(errors, "email", _check_email, email)
    _field(errors, "organisation", _check_organisation, organisation)
    _field(errors, "password", _check_password, password)
    checked = _grant_rows(services, grants, errors)
    if checked_login and "login" not in errors:
        with services.read() as connection:
            taken = connection.execute(
                select(User.login).where(User.login == checked_login)
            ).first()
        if taken:
            errors["login"] = f"L'identifiant « {checked_login} » existe déjà."
    if errors:
        raise _refused(errors)
    try:
        return create_user(
            services, login, name=name, grants=[(g.role, g.scope) for g in checked],
            email=email, password=password, organisation=organisation,
        )  # fmt: skip
    except Conflict as exc:  # created by someone else between the check and the write
        raise _refused({"login": exc.message}) from exc


def admin_update_profile(
    services: Services,
    viewer: Viewer,
    login: str,
    *,
    name: str,
    email: str | None,
    organisation: str | None,
) -> Account:
    require_admin(viewer)
    errors: dict[str, str] = {}
    _field(errors, "name", _check_name, name)
    checked_email = _field(errors, "email", _check_email, email)
    checked_organisation = _field(errors, "organisation", _check_organisation, organisation)
    if errors:
        raise _refused(errors)
    with services.write() as connection:
        changed = connection.execute(
            update(User).where(User.login == login).values(
                name=name.strip(), email=checked_email, organisation=checked_organisation
            )
        ).rowcount  # fmt: skip
    if changed != 1:
        raise NotFound(f"Utilisateur introuvable : « {login} ».")
    return get_account(services, login)


def admin_set_grants(
    services: Services, viewer: Viewer, login: str, rows: list[tuple[str | None, str | None]]
) -> Account:
    """Replace the grants of an account; an admin cannot take away their own admin role."""
    require_admin(viewer)
    get_account(services, login)  # NotFound before any form error
    errors: dict[str, str] = {}
    grants = _grant_rows(services, rows, errors)
    own = login == viewer.login and not viewer.operator
    if not errors and own and not any(grant.role == ADMIN for grant in grants):
        errors["grants"] = (
            "Vous ne pouvez pas retirer votre propre rôle d'administrateur : "
            "demandez-le à un autre administrateur."
        )
    if errors:
        raise _refused(errors)
    return set_grants(services, login, [(g.role, g.scope) for g in grants])


def admin_set_password(services: Services, viewer: Viewer, login: str, password: str) -> None:
    """A new password chosen by the admin; it also lifts a lock-out."""
    require_admin(viewer)
    get_account(services, login)
    errors: dict[str, str] = {}
    _field(errors, "password", _check_password, password)
    if errors:
        raise _refused(errors)
    set_password(services, login, password)


def admin_set_active(services: Services, viewer: Viewer, login: str, active: bool) -> Account:
    """Deactivate (no sign-in, open sessions end) or reactivate; never one's own account."""
    require_admin(viewer)
    if not active and login == viewer.login and not viewer.operator:
        raise InvalidInput("Vous ne pouvez pas désactiver votre propre compte.", field="active")
    set_active(services, login, active)
    return get_account(services, login)


def _grant_rows(
    services: Services, rows: list[tuple[str | None, str | None]], errors: dict[str, str]
) -> list[Grant]:
    grants: list[Grant] = []
    for index, (role, scope) in enumerate(rows):
        role, scope = (role or "").strip(), (scope or "").strip()
        if not role and not scope:
            continue
        if not role:
            errors[f"role-{index}"] = "Choisissez le rôle qui s'exerce sur ce périmètre."
            continue
        try:
            grants.append(normalise_grant(services, role, scope))
        except InvalidInput as exc:
            where = "role" if exc.details.get("field") == "role" else "scope"
            errors[f"{where}-{index}"] = exc.message
    if not grants and not errors:
        errors["grants"] = "Donnez au moins un rôle."
    return list(dict.fromkeys(grants))


def _field(errors: dict[str, str], name: str, check: Any, value: Any) -> Any:
    try:
        return check(value)
    except InvalidInput as exc:
        errors[name] = exc.message
        return None


def _refused(errors: dict[str, str]) -> InvalidInput:
    count = len(errors)
    what = "une erreur" if count == 1 else f"{count} erreurs"
    return InvalidInput(
        f"Le formulaire contient {what} : corrigez les champs signalés.", errors=errors
    )


def _check_region(services: Services, code: str) -> str:
    code = code.strip()
    if code not in services.territories.regions:
        raise InvalidInput(
            f"Région inconnue : « {code} » (code INSEE, par exemple 75).", field="scope"
        )
    return region_scope(code)


def _check_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Le nom de la personne est obligatoire.", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"Le nom compte au plus {MAX_NAME} caractères.", field="name")
    return name


def _check_organisation(organisation: str | None) -> str | None:
    organisation = (organisation or "").strip()
    if len(organisation) > MAX_NAME:
        raise InvalidInput(
            f"Le nom de l'organisation compte au plus {MAX_NAME} caractères.", field="organisation"
        )
    return organisation or None


def _check_password(password: str | None) -> str:
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

"""The admin page: accounts created and changed by an admin, every error named after its field.

These functions check who asks (an admin, or an operator at the command line) and validate the
whole form before writing anything. A refusal is one `InvalidInput` whose `errors` detail maps
each faulty field to its French message: `login`, `name`, `email`, `organisation`,
`password`, `grants` (the grants as a whole), and `role-<i>` / `scope-<i>` for the i-th
role/scope row as typed (0-based; rows left entirely blank are ignored).
"""

from __future__ import annotations

from ...errors import Conflict, Forbidden, InvalidInput, NotFound
from ...roles import ADMIN
from ...store import people as store
from ..context import Services
from ..field_errors import FieldErrors
from ..viewer import Viewer
from . import accounts, passwords
from .accounts import Account
from .grants import grant_rows


def require_admin(viewer: Viewer) -> None:
    """Accounts are the platform's admins' (or an operator's at the command line) to manage."""
    if not (viewer.operator or any(grant.role == ADMIN for grant in viewer.grants)):
        raise Forbidden("Réservé aux administrateurs de la plateforme.")


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
    errors = FieldErrors()
    checked_login = errors.check("login", accounts.check_login, login)
    errors.check("name", accounts.check_name, name)
    errors.check("email", accounts.check_email, email)
    errors.check("organisation", accounts.check_organisation, organisation)
    errors.check("password", passwords.check_password, password)
    checked = grant_rows(services, grants, errors)
    if checked_login and "login" not in errors:
        with services.read() as connection:
            taken = store.login_exists(connection, checked_login)
        if taken:
            errors.add("login", f"L'identifiant « {checked_login} » existe déjà.")
    errors.raise_if_any()
    try:
        return accounts.create_user(
            services, login, name=name, grants=[(g.role, g.scope) for g in checked],
            email=email, password=password, organisation=organisation,
        )  # fmt: skip
    except Conflict as exc:  # created by someone else between the check and the write
        raise FieldErrors({"login": exc.message}).refusal() from exc


def admin_update_profile(
    services: Services,
    viewer: Viewer,
    login: str,
    *,
    name: str,
    email: str | None,
    organisation: str | None,
) -> Account:
    """Change the name, address and organisation of an account (never its login)."""
    require_admin(viewer)
    errors = FieldErrors()
    errors.check("name", accounts.check_name, name)
    checked_email = errors.check("email", accounts.check_email, email)
    checked_organisation = errors.check("organisation", accounts.check_organisation, organisation)
    errors.raise_if_any()
    with services.write() as connection:
        changed = store.update_user(
            connection, login, name=name.strip(), email=checked_email,
            organisation=checked_organisation,
        )  # fmt: skip
    if changed != 1:
        raise NotFound(f"Utilisateur introuvable : « {login} ».")
    return accounts.get_account(services, login)


def admin_set_grants(
    services: Services, viewer: Viewer, login: str, rows: list[tuple[str | None, str | None]]
) -> Account:
    """Replace the grants of an account; an admin cannot take away their own admin role."""
    require_admin(viewer)
    accounts.get_account(services, login)  # NotFound before any form error
    errors = FieldErrors()
    grants = grant_rows(services, rows, errors)
    own = login == viewer.login and not viewer.operator
    if not errors and own and not any(grant.role == ADMIN for grant in grants):
        errors.add(
            "grants",
            "Vous ne pouvez pas retirer votre propre rôle d'administrateur : "
            "demandez-le à un autre administrateur.",
        )
    errors.raise_if_any()
    return accounts.set_grants(services, login, [(g.role, g.scope) for g in grants])


def admin_set_password(services: Services, viewer: Viewer, login: str, password: str) -> None:
    """A new password chosen by the admin; it also lifts a lock-out."""
    require_admin(viewer)
    accounts.get_account(services, login)
    errors = FieldErrors()
    errors.check("password", passwords.check_password, password)
    errors.raise_if_any()
    passwords.set_password(services, login, password)


def admin_set_active(services: Services, viewer: Viewer, login: str, active: bool) -> Account:
    """Deactivate (no sign-in, open sessions end) or reactivate; never one's own account."""
    require_admin(viewer)
    if not active and login == viewer.login and not viewer.operator:
        raise InvalidInput("Vous ne pouvez pas désactiver votre propre compte.", field="active")
    accounts.set_active(services, login, active)
    return accounts.get_account(services, login)

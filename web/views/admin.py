"""Administration of accounts: people, roles and scopes (role `admin` only).

Every check is the service layer's (`engine.service.people.admin`): this module reads the
form, shows the refusals next to their fields (status 422) and redirects after every change.
Without JavaScript, the grants are a fixed number of role/scope rows; rows left blank are
ignored, and saving offers fresh blank rows for more.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from engine.errors import InvalidInput
from engine.roles import ADMIN, ROLE_LABELS
from engine.service.people.accounts import Account, get_account, list_accounts
from engine.service.people.admin import (
    admin_create_user,
    admin_set_active,
    admin_set_grants,
    admin_set_password,
    admin_update_profile,
)
from engine.service.people.grants import grant_label

from ..access import roles_required, services, viewer

blueprint = Blueprint("admin", __name__, url_prefix="/admin")

#: Blank role/scope rows offered by the forms (the page works without JavaScript).
BLANK_ROWS = 3
#: Highest row index read from a form: a forged form cannot make the page arbitrarily long.
MAX_ROWS = 30
_ROW_FIELD = re.compile(r"^(?:role|scope)-(\d{1,2})$")
PROFILE_FIELDS = ("name", "email", "organisation")
NEW_FIELDS = ("login", *PROFILE_FIELDS, "password")
#: How the error summary names a field (rows are named by the template: « Habilitation 2, rôle »).
FIELD_LABELS = {
    "login": "Identifiant",
    "name": "Nom affiché",
    "email": "Adresse électronique",
    "organisation": "Organisation",
    "password": "Mot de passe",
    "grants": "Habilitations",
    "active": "Accès",
}


@blueprint.get("/utilisateurs", endpoint="users")
@roles_required(ADMIN)
def users_index() -> ResponseReturnValue:
    accounts = list_accounts(services())
    return render_template(
        "admin/users.html", accounts=accounts, labels=_labels(accounts),
        active_count=sum(1 for account in accounts if account.active),
    )  # fmt: skip


@blueprint.get("/utilisateurs/nouveau", endpoint="new_user")
@roles_required(ADMIN)
def new_user() -> ResponseReturnValue:
    return _new_page({}, [("", "")] * BLANK_ROWS, {})


@blueprint.post("/utilisateurs/nouveau", endpoint="create_user")
@roles_required(ADMIN)
def create_user() -> ResponseReturnValue:
    form = request.form
    rows = _rows(form)
    try:
        account = admin_create_user(
            services(), viewer(), login=form.get("login", ""), name=form.get("name", ""),
            email=form.get("email"), organisation=form.get("organisation"),
            password=form.get("password", ""), grants=rows,
        )  # fmt: skip
    except InvalidInput as refused:
        values = {name: form.get(name, "") for name in NEW_FIELDS if name != "password"}
        return _new_page(values, _padded(rows), _errors(refused), 422)
    flash(f"Compte « {account.login} » créé pour {account.name}.", "success")
    return redirect(url_for("admin.users"))


@blueprint.get("/utilisateurs/<login>", endpoint="user")
@roles_required(ADMIN)
def user_page(login: str) -> ResponseReturnValue:
    return _user_page(get_account(services(), login))


@blueprint.post("/utilisateurs/<login>/identite", endpoint="update_profile")
@roles_required(ADMIN)
def update_profile(login: str) -> ResponseReturnValue:
    form = request.form
    try:
        account = admin_update_profile(
            services(), viewer(), login, name=form.get("name", ""), email=form.get("email"),
            organisation=form.get("organisation"),
        )  # fmt: skip
    except InvalidInput as refused:
        values = {name: form.get(name, "") for name in PROFILE_FIELDS}
        account = get_account(services(), login)
        return _user_page(account, "profile", _errors(refused), values=values, status=422)
    flash(f"Identité de « {account.login} » enregistrée.", "success")
    return redirect(url_for("admin.user", login=account.login))


@blueprint.post("/utilisateurs/<login>/habilitations", endpoint="set_grants")
@roles_required(ADMIN)
def set_grants(login: str) -> ResponseReturnValue:
    rows = _rows(request.form)
    try:
        account = admin_set_grants(services(), viewer(), login, rows)
    except InvalidInput as refused:
        account = get_account(services(), login)
        return _user_page(account, "grants", _errors(refused), rows=_padded(rows), status=422)
    described = ", ".join(grant_label(services(), grant) for grant in account.grants)
    flash(f"Habilitations de « {account.login} » enregistrées : {described}.", "success")
    return redirect(url_for("admin.user", login=account.login))


@blueprint.post("/utilisateurs/<login>/mot-de-passe", endpoint="reset_password")
@roles_required(ADMIN)
def reset_password(login: str) -> ResponseReturnValue:
    try:
        admin_set_password(services(), viewer(), login, request.form.get("password", ""))
    except InvalidInput as refused:
        account = get_account(services(), login)
        return _user_page(account, "password", _errors(refused), status=422)
    flash(
        f"Mot de passe de « {login} » remplacé ; un éventuel blocage après des essais "
        "infructueux est levé. Transmettez-le à la personne par un canal sûr.",
        "success",
    )
    return redirect(url_for("admin.user", login=login))


@blueprint.post("/utilisateurs/<login>/desactiver", endpoint="deactivate")
@roles_required(ADMIN)
def deactivate(login: str) -> ResponseReturnValue:
    return _set_active(login, False)


@blueprint.post("/utilisateurs/<login>/reactiver", endpoint="reactivate")
@roles_required(ADMIN)
def reactivate(login: str) -> ResponseReturnValue:
    return _set_active(login, True)


def _set_active(login: str, active: bool) -> ResponseReturnValue:
    try:
        account = admin_set_active(services(), viewer(), login, active)
    except InvalidInput as refused:
        account = get_account(services(), login)
        return _user_page(account, "active", _errors(refused), status=422)
    if active:
        flash(f"Compte « {account.login} » réactivé : la personne peut se connecter.", "success")
    else:
        flash(
            f"Compte « {account.login} » désactivé : la personne ne peut plus se connecter "
            "et ses sessions ouvertes prennent fin.",
            "success",
        )
    return redirect(url_for("admin.user", login=account.login))


# --- Pages ---


def _new_page(
    values: dict[str, str], rows: list[tuple[str, str]], errors: dict[str, str], status: int = 200
) -> ResponseReturnValue:
    return render_template(
        "admin/new_user.html", values=values, rows=rows, errors=errors, roles=ROLE_LABELS,
        labels_of_fields=FIELD_LABELS,
    ), status  # fmt: skip


def _user_page(
    account: Account,
    form: str | None = None,
    errors: dict[str, str] | None = None,
    *,
    values: dict[str, str] | None = None,
    rows: list[tuple[str, str]] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The account's page; `form` names the form whose `errors` (and typed values) to show."""
    if rows is None:
        rows = _padded([(grant.role, grant.scope or "") for grant in account.grants])
    if values is None:
        values = {name: getattr(account, name) or "" for name in PROFILE_FIELDS}
    return render_template(
        "admin/user.html", account=account, form=form, errors=errors or {}, values=values,
        rows=rows, roles=ROLE_LABELS, labels=_labels([account])[account.login],
        myself=account.login == viewer().login, labels_of_fields=FIELD_LABELS,
    ), status  # fmt: skip


def _labels(accounts: list[Account]) -> dict[str, list[str]]:
    context = services()
    return {
        account.login: [grant_label(context, grant) for grant in account.grants]
        for account in accounts
    }


def _rows(form: MultiDict[str, str]) -> list[tuple[str, str]]:
    """The role/scope rows of a form, by index (blank ones kept: error keys name the index)."""
    indexes = [int(found.group(1)) for found in map(_ROW_FIELD.match, form) if found]
    count = min(max(indexes, default=-1) + 1, MAX_ROWS)
    return [(form.get(f"role-{i}", ""), form.get(f"scope-{i}", "")) for i in range(count)]


def _padded(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The rows as typed, trailing blank ones dropped, then BLANK_ROWS fresh ones (at least 3)."""
    kept = list(rows)
    while kept and not any(value.strip() for value in kept[-1]):
        kept.pop()
    return kept + [("", "")] * max(BLANK_ROWS - len(kept), 1 if kept else BLANK_ROWS)


def _errors(refused: InvalidInput) -> dict[str, Any]:
    """Field → message; a refusal without fields lands in the form's general message."""
    errors = dict(refused.details.get("errors") or {})
    if not errors:
        errors[refused.details.get("field") or "form"] = refused.message
    return errors

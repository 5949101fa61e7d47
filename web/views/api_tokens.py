"""« Jetons d'API »: the personal tokens another system sends as `Authorization: Bearer JETON`.

Every signed-in person manages their own tokens at /compte/jetons: the list (with its state:
actif, expiré, révoqué), a creation form and a « Révoquer » button on each live token. The secret
is shown once, on the page that answers the creation (never stored in the session nor shown
again: only its SHA-256 is kept). An administrator also sees every account's tokens at
/admin/jetons and may revoke any of them. Every check is the service layer's
(`engine.service.people.tokens`); a token of someone else's is « introuvable » (404).

Revoking takes two steps without JavaScript: the list's button posts to the revocation route,
which answers with a confirmation page; its button posts again with `confirmation=oui`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.errors import InvalidInput
from engine.roles import ADMIN
from engine.service.people import tokens
from engine.service.people.tokens import DEFAULT_DAYS, MAX_DAYS, MAX_NAME, TokenRecord

from ..access import roles_required, services, viewer

blueprint = Blueprint("api_tokens", __name__)

#: API documentation, shown next to every secret (web/api/__init__.py serves it).
DOCS = "/api/v1/docs"
FIELD_LABELS = {"name": "Nom du jeton", "days": "Durée de validité", "token": "Jeton"}
#: Where the revocation goes back to: the person's own page, or the administrator's list.
BACK = {"compte": "api_tokens.index", "admin": "api_tokens.admin_index"}


def state_of(record: TokenRecord, now: Any) -> str:
    """« actif », « expiré » or « révoqué » (revoked first: it says who ended it)."""
    if record.revoked_at is not None:
        return "révoqué"
    return "actif" if record.live(now) else "expiré"


@blueprint.get("/compte/jetons", endpoint="index")
@login_required
def index() -> ResponseReturnValue:
    return _own_page({}, {})


@blueprint.post("/compte/jetons", endpoint="create")
@login_required
def create() -> ResponseReturnValue:
    form = request.form
    values = {"name": form.get("name", ""), "days": form.get("days", "").strip()}
    # Not a whole number: out of range, refused by the service with its French message.
    days = int(values["days"]) if values["days"].isdigit() else -1
    try:
        created = tokens.create(
            services(), viewer(), viewer().login, name=values["name"], days=days
        )
    except InvalidInput as refused:
        return _own_page(values, _errors(refused), 422)
    page = render_template(
        "api_tokens/created.html", token=created.record, secret=created.secret, docs=DOCS,
        example_url=request.host_url.rstrip("/") + "/api/v1/tasks",
    )  # fmt: skip
    return page, 201, {"Cache-Control": "no-store", "Pragma": "no-cache"}


@blueprint.post("/compte/jetons/<int:token_id>/revoquer", endpoint="revoke")
@login_required
def revoke(token_id: int) -> ResponseReturnValue:
    back = request.form.get("retour", "compte")
    if back not in BACK or (back == "admin" and not _admin()):
        back = "compte"
    record = _visible(token_id)
    if record is None:
        abort(404)
    if request.form.get("confirmation") != "oui":
        if record.revoked_at is not None:
            flash(f"Le jeton « {record.name} » est déjà révoqué.", "info")
            return redirect(url_for(BACK[back]))
        return render_template(
            "api_tokens/revoke.html", token=record, back=back, back_endpoint=BACK[back],
            state=state_of(record, services().clock.now()), mine=record.login == viewer().login,
        )  # fmt: skip
    try:
        revoked = tokens.revoke(services(), viewer(), token_id)
    except InvalidInput as refused:
        flash(refused.message, "error")
        return redirect(url_for(BACK[back]))
    owner = "" if revoked.login == viewer().login else f" de « {revoked.login} »"
    flash(
        f"Jeton « {revoked.name} »{owner} révoqué : les systèmes qui l'utilisaient n'ont plus "
        "accès à l'API.",
        "success",
    )
    return redirect(url_for(BACK[back]))


@blueprint.get("/admin/jetons", endpoint="admin_index")
@roles_required(ADMIN)
def admin_index() -> ResponseReturnValue:
    found = tokens.list_tokens(services(), viewer(), everyone=True)
    now = services().clock.now()
    return render_template(
        "api_tokens/admin.html", tokens=found, states={t.id: state_of(t, now) for t in found},
        live=sum(1 for t in found if t.live(now)),
    )  # fmt: skip


# --- Pages ---


def _own_page(
    values: dict[str, str], errors: dict[str, str], status: int = 200
) -> ResponseReturnValue:
    found = tokens.list_tokens(services(), viewer())
    now = services().clock.now()
    page = render_template(
        "api_tokens/index.html", tokens=found, states={t.id: state_of(t, now) for t in found},
        values=values, errors=errors, labels_of_fields=FIELD_LABELS, default_days=DEFAULT_DAYS,
        max_days=MAX_DAYS, max_name=MAX_NAME, docs=DOCS, admin=_admin(),
    )  # fmt: skip
    return page, status, {"Cache-Control": "no-store"}


def _admin() -> bool:
    return any(grant.role == ADMIN and grant.scope is None for grant in viewer().grants)


def _visible(token_id: int) -> TokenRecord | None:
    """The token, if it is the viewer's (or anyone's, for an administrator)."""
    for everyone in (False, True) if _admin() else (False,):
        found = tokens.list_tokens(services(), viewer(), everyone=everyone)
        record = next((record for record in found if record.id == token_id), None)
        if record is not None:
            return record
    return None


def _errors(refused: InvalidInput) -> dict[str, str]:
    """Field → message; a refusal without fields lands in the form's general message."""
    errors = dict(refused.details.get("fields") or {})
    if not errors:
        errors[refused.details.get("field") or "form"] = refused.message
    return errors

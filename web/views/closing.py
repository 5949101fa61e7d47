"""Withdrawing a dossier, classing it « sans suite », renouncing, cancelling or reducing its
grant: a confirmation page with the reason (and, for a reduction, the new amount), then the
service layer's step (engine.service.dossiers.closing), which holds every rule.

A refusal for the person's role is a 403, one for the dossier's state a 409 with the reason in
words; a dossier outside the person's scope is a 404, as everywhere. A mistake on the form
comes back on the page, field by field (422); a dossier changed since the page was shown comes
back on the page too (409), to be confirmed again as it now stands.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine import l10n, labels
from engine.errors import Conflict, InvalidInput
from engine.service.dossiers import closing

from ..access import services, viewer

blueprint = Blueprint("closing", __name__, url_prefix="/dossiers")


#: For each action: the page's title, its button, what is said once done.
PAGES: dict[str, dict[str, str]] = {
    closing.WITHDRAW: {
        "title": "Retirer le dossier",
        "button": "Retirer le dossier",
        "confirm": "Je confirme retirer ce dossier : il sera clos et ne pourra pas être rouvert.",
        "done": "Le dossier {reference} est retiré.",
        "reason": "Motif du retrait",
        "hint": "Facultatif. Il sera lu par les services qui instruisent le dossier.",
    },
    closing.SANS_SUITE: {
        "title": "Classer le dossier sans suite",
        "button": "Classer sans suite",
        "confirm": "Je confirme classer ce dossier sans suite : il sera clos et ne pourra pas "
        "être rouvert.",
        "done": "Le dossier {reference} est classé sans suite.",
        "reason": "Motif du classement",
        "hint": "Obligatoire. La collectivité le lira dans sa notification.",
    },
    closing.RENOUNCE: {
        "title": "Renoncer à l'aide",
        "button": "Renoncer à l'aide",
        "confirm": "Je confirme renoncer à l'aide : le dossier sera clos et le montant rendu à "
        "l'appel à projets.",
        "done": "Vous avez renoncé à l'aide du dossier {reference}.",
        "reason": "Motif de la renonciation",
        "hint": "Facultatif. Il sera lu par l'équipe nationale.",
    },
    closing.CANCEL: {
        "title": "Annuler l'aide",
        "button": "Annuler l'aide",
        "confirm": "Je confirme annuler l'aide : le dossier sera clos et le montant rendu à "
        "l'appel à projets.",
        "done": "L'aide du dossier {reference} est annulée.",
        "reason": "Motif de l'annulation",
        "hint": "Obligatoire. La collectivité le lira dans sa notification.",
    },
    closing.REDUCE: {
        "title": "Réduire l'aide",
        "button": "Réduire l'aide",
        "confirm": "",
        "done": "L'aide du dossier {reference} est ramenée à {amount}.",
        "reason": "Motif de la réduction",
        "hint": "Obligatoire. La collectivité le lira dans sa notification.",
    },
}

ACTS = {
    closing.WITHDRAW: closing.withdraw,
    closing.SANS_SUITE: closing.close_sans_suite,
    closing.RENOUNCE: closing.renounce,
    closing.CANCEL: closing.cancel_grant,
}


#: The dossier page's buttons, in their order: (action, endpoint, label).
BUTTONS = (
    (closing.WITHDRAW, "closing.withdraw", "Retirer le dossier"),
    (closing.RENOUNCE, "closing.renounce", "Renoncer à l'aide"),
    (closing.REDUCE, "closing.reduce_grant", "Réduire l'aide"),
    (closing.CANCEL, "closing.cancel_grant", "Annuler l'aide"),
    (closing.SANS_SUITE, "closing.sans_suite", "Classer sans suite"),
)


@blueprint.app_template_global()
def closing_buttons(reference: str) -> list[tuple[str, str]]:
    """(link, label) of the actions the signed-in person may take now to close the dossier or
    change its grant: the dossier page shows them as buttons."""
    allowed = closing.options(services(), viewer(), reference)
    return [
        (url_for(endpoint, reference=reference), label)
        for code, endpoint, label in BUTTONS
        if code in allowed
    ]


@blueprint.route("/<reference>/retirer", methods=["GET", "POST"], endpoint="withdraw")
@login_required
def withdraw(reference: str) -> ResponseReturnValue:
    return _handle(closing.WITHDRAW, reference)


@blueprint.route("/<reference>/classer-sans-suite", methods=["GET", "POST"], endpoint="sans_suite")
@login_required
def sans_suite(reference: str) -> ResponseReturnValue:
    return _handle(closing.SANS_SUITE, reference)


@blueprint.route("/<reference>/renoncer", methods=["GET", "POST"], endpoint="renounce")
@login_required
def renounce(reference: str) -> ResponseReturnValue:
    return _handle(closing.RENOUNCE, reference)


@blueprint.route("/<reference>/annuler-aide", methods=["GET", "POST"], endpoint="cancel_grant")
@login_required
def cancel_grant(reference: str) -> ResponseReturnValue:
    return _handle(closing.CANCEL, reference)


@blueprint.route("/<reference>/reduire-aide", methods=["GET", "POST"], endpoint="reduce_grant")
@login_required
def reduce_grant(reference: str) -> ResponseReturnValue:
    return _handle(closing.REDUCE, reference)


def _handle(code: str, reference: str) -> ResponseReturnValue:
    if request.method == "GET":
        return _page(code, reference, {}, {})
    form = request.form
    values = {key: form.get(key, "") for key in ("motif", "montant", "confirmation")}
    try:
        version = int(form.get("version", ""))
    except ValueError:
        version = None
    try:
        if code == closing.REDUCE:
            done = closing.reduce_grant(
                services(), viewer(), reference, amount=values["montant"],
                reason=values["motif"], lock_version=version,
            )  # fmt: skip
        else:
            done = ACTS[code](
                services(), viewer(), reference, reason=values["motif"],
                confirmed=values["confirmation"] == "oui", lock_version=version,
            )  # fmt: skip
    except InvalidInput as refused:
        errors = dict(refused.details.get("fields") or {"motif": refused.message})
        return _page(code, reference, values, errors, status=422)
    except Conflict as error:
        values.pop("confirmation")
        return _page(code, reference, values, {}, message=error.message, status=409)
    amount = l10n.euros(done.amount) if done.amount is not None else ""
    flash(PAGES[code]["done"].format(reference=done.reference, amount=amount), "success")
    return redirect(url_for("dossiers.show", reference=done.reference))


def _page(
    code: str, reference: str, values: dict[str, Any], errors: dict[str, str],
    message: str | None = None, status: int = 200,
) -> ResponseReturnValue:  # fmt: skip
    found = closing.confirmation(services(), viewer(), reference, code)
    action = closing.ACTIONS[code]
    return render_template(
        "dossiers/closing.html",
        found=found,
        page=PAGES[code],
        action=action,
        outcome=labels.outcome(action.outcome) if action.outcome else None,
        values=values,
        errors=errors,
        message=message,
        endpoint=request.endpoint,
    ), status

"""Calls for applications, managed by the national team: list, create, change dates and caps,
open or close at once.

Every rule is the service layer's (`engine.service.campaigns.admin`): this module reads the
forms, shows the refusals next to their fields (status 422) and redirects after every change.
Dates are typed and shown in Paris time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine import l10n
from engine.errors import InvalidInput
from engine.roles import EQUIPE_NATIONALE
from engine.service.campaigns import admin, calls, programmes

from ..access import roles_required, services, viewer

blueprint = Blueprint("campaigns", __name__, url_prefix="/appels")

#: How the error summary names each field.
FIELD_LABELS = {
    "code": "Code",
    "process_id": "Procédure",
    "name": "Nom de l'appel",
    "opens_at": "Ouverture des dépôts",
    "closes_at": "Clôture des dépôts",
    "instruction_deadline": "Date limite d'instruction",
    "committee_at": "Date du comité de sélection",
    "envelope": "Enveloppe",
    "programme": "Programme",
    "max_laureates": "Nombre maximal de lauréats",
    "form": "Formulaire",
}


@blueprint.get("/", endpoint="index")
@roles_required(EQUIPE_NATIONALE)
def index() -> ResponseReturnValue:
    found = admin.list_campaigns(services(), viewer())
    waves = programmes.all_programmes(services())
    return render_template(
        "campaigns/index.html", found=found, programmes={p.code: p for p in waves}
    )


@blueprint.get("/nouveau", endpoint="new")
@roles_required(EQUIPE_NATIONALE)
def new() -> ResponseReturnValue:
    admin.require_national_team(viewer())
    return _new_page({}, {})


@blueprint.post("/nouveau", endpoint="create")
@roles_required(EQUIPE_NATIONALE)
def create() -> ResponseReturnValue:
    values = _posted(admin.CREATE_FIELDS)
    try:
        created = admin.admin_create(services(), viewer(), values)
    except InvalidInput as refused:
        return _new_page(values, _errors(refused), 422)
    flash(f"Appel « {created.name} » ({created.code}) créé.", "success")
    return redirect(url_for("campaigns.show", code=created.code))


@blueprint.get("/<code>", endpoint="show")
@roles_required(EQUIPE_NATIONALE)
def show(code: str) -> ResponseReturnValue:
    found = admin.summary(services(), viewer(), code)
    return _show_page(found, form_values(found.campaign), {})


@blueprint.post("/<code>", endpoint="update")
@roles_required(EQUIPE_NATIONALE)
def update(code: str) -> ResponseReturnValue:
    found = admin.summary(services(), viewer(), code)
    values = _posted(admin.EDIT_FIELDS)
    try:
        changed = admin.admin_update(services(), viewer(), code, values)
    except InvalidInput as refused:
        return _show_page(found, values, _errors(refused), 422)
    flash(f"Dates et plafonds de l'appel « {changed.name} » enregistrés.", "success")
    return redirect(url_for("campaigns.show", code=changed.code))


@blueprint.post("/<code>/ouvrir", endpoint="open_now")
@roles_required(EQUIPE_NATIONALE)
def open_now(code: str) -> ResponseReturnValue:
    return _at_once(code, admin.open_now, "ouvert : les collectivités peuvent déposer")


@blueprint.post("/<code>/clore", endpoint="close_now")
@roles_required(EQUIPE_NATIONALE)
def close_now(code: str) -> ResponseReturnValue:
    return _at_once(code, admin.close_now, "clos : plus aucun dépôt n'est possible")


def _at_once(code: str, action: Any, done: str) -> ResponseReturnValue:
    admin.summary(services(), viewer(), code)  # 404 for an unknown call, before anything
    try:
        changed = action(services(), viewer(), code)
    except InvalidInput as refused:
        flash(refused.message, "error")
        return redirect(url_for("campaigns.show", code=code))
    flash(f"Appel « {changed.name} » {done}.", "success")
    return redirect(url_for("campaigns.show", code=changed.code))


# --- Pages and values ---


def _new_page(values: dict[str, str], errors: dict[str, str], status: int = 200) -> Any:
    return render_template(
        "campaigns/new.html", values=values, errors=errors, labels_of_fields=FIELD_LABELS,
        procedures=admin.call_procedures(services()),
        programmes=programmes.all_programmes(services()),
    ), status  # fmt: skip


def _show_page(
    found: admin.CampaignSummary, values: dict[str, str], errors: dict[str, str],
    status: int = 200,
) -> Any:  # fmt: skip
    return render_template(
        "campaigns/show.html", found=found, campaign=found.campaign, values=values,
        errors=errors, labels_of_fields=FIELD_LABELS,
    ), status  # fmt: skip


def _posted(names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.form.get(name, "")[:400] for name in names}


def _errors(refused: InvalidInput) -> dict[str, str]:
    errors = dict(refused.details.get("errors") or {})
    return errors or {"form": refused.message}


def local(moment: datetime | None) -> str:
    """A moment as a datetime-local input shows it, in Paris time (« 2026-09-01T09:00 »)."""
    return l10n.paris(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""


def form_values(campaign: calls.Campaign) -> dict[str, str]:
    """The edit form filled with what the call holds now."""
    envelope = campaign.envelope
    return {
        "opens_at": local(campaign.opens_at),
        "closes_at": local(campaign.closes_at),
        "instruction_deadline": local(campaign.instruction_deadline),
        "committee_at": local(campaign.committee_at),
        "envelope": str(int(envelope)) if envelope == int(envelope) else f"{envelope:.2f}",
        "max_laureates": str(campaign.max_laureates or ""),
    }

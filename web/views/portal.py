"""The authorities' portal: file a request or an application, drafts, follow each dossier."""

from __future__ import annotations

import copy
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from engine import service
from engine.errors import EngineError, InvalidInput, ScriptError
from engine.roles import COLLECTIVITE
from engine.service.dossiers import drafts
from engine.service.dossiers import search as dossier_search

from ..access import roles_required, services, viewer
from ..errors import log_script_failure
from .attachments import receive
from .form_rendering import (
    ACTION,
    EXTRA_ROWS,
    MORE_ROWS,
    ROWS,
    all_errors,
    build_fields,
    field_errors,
    more_rows,
    parse_submission,
)

blueprint = Blueprint("portal", __name__, url_prefix="/portail")

#: Names of the form's own controls; a form field cannot start with "_" (data keys cannot).
DRAFT, CAMPAIGN, TERRITORY, SIREN = "_brouillon", "_campagne", "_territoire", "_siren"
#: Values of ACTION besides MORE_ROWS: file the request, or keep it as a draft.
FILE, SAVE = "deposer", "brouillon"


def _page() -> int:
    try:
        return max(int(request.args.get("page", "1")), 1)
    except ValueError:
        return 1


@blueprint.get("/")
@roles_required(COLLECTIVITE)
def index() -> ResponseReturnValue:
    found = dossier_search.follow_up(services(), viewer(), page=_page())
    offers = drafts.offers(services(), viewer())
    open_offers = {(o.process_id, o.campaign.code if o.campaign else None) for o in offers}
    my_drafts = [
        (draft, (draft.process_id, draft.campaign) in open_offers)
        for draft in drafts.list_drafts(services(), viewer())
    ]
    my_tasks = service.list_tasks(
        services(), viewer(), service.TaskFilter(role=COLLECTIVITE, limit=100)
    )
    return render_template(
        "portal/index.html",
        found=found,
        offers=offers,
        drafts=my_drafts,
        tasks=my_tasks,
        link=lambda page: url_for("portal.index", page=page),
    )


# ---------------------------------------------------------------- filing


def _visible_schema(form: drafts.StartForm) -> dict[str, Any]:
    """The start form as people fill it: a call's campaign is chosen by the link, not typed."""
    schema = copy.deepcopy(form.schema)
    if form.campaign is not None:
        schema["properties"].pop(drafts.CAMPAIGN_FIELD, None)
        schema["required"] = [n for n in schema.get("required", []) if n != drafts.CAMPAIGN_FIELD]
        schema["x-ordre"] = [n for n in schema.get("x-ordre", []) if n != drafts.CAMPAIGN_FIELD]
    return schema


def _render_form(
    form: drafts.StartForm,
    data: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    draft: drafts.DraftRecord | None = None,
    territory: str | None = None,
    extra_rows: int = EXTRA_ROWS,
    status: int = 200,
) -> ResponseReturnValue:
    errors = dict(errors or {})
    territory_error = errors.pop(drafts.TERRITORY_FIELD, None)
    siren_error = errors.pop(drafts.SIREN_FIELD, None)
    schema = _visible_schema(form)
    fields = build_fields(schema, data, errors, extra_rows=extra_rows)
    return render_template(
        "portal/form.html",
        form=form,
        schema=schema,
        fields=fields,
        problems=all_errors(fields),
        territory_error=territory_error,
        siren_error=siren_error,
        siren=request.form.get(SIREN, "") if request.method == "POST" else "",
        message=message,
        draft=draft,
        territory=territory,
        extra_rows=extra_rows,
        has_rows=any(f.widget == "rows" for f in fields),
        departements=drafts.departement_choices(services(), viewer(), form),
        names={
            "action": ACTION, "draft": DRAFT, "campaign": CAMPAIGN, "territory": TERRITORY,
            "siren": SIREN,
            "rows": ROWS, "file": FILE, "save": SAVE, "more_rows": MORE_ROWS,
        },
    ), status  # fmt: skip


@blueprint.get("/deposer/<process_id>")
@login_required
def new(process_id: str) -> ResponseReturnValue:
    draft = None
    draft_id = request.args.get("brouillon", "")
    if draft_id and not current_user.has(COLLECTIVITE):
        abort(403)  # drafts are the authorities' own
    if draft_id.isdigit():
        draft = drafts.get(services(), viewer(), int(draft_id))
        if draft.process_id != process_id:
            return redirect(url_for("portal.new", process_id=draft.process_id, brouillon=draft.id))
    campaign = request.args.get("campagne") or (draft.campaign if draft else None)
    form = drafts.start_form(services(), viewer(), process_id, campaign)
    if draft is not None:
        return _render_form(form, draft.data, draft=draft, territory=draft.territory)
    organisation = current_user.account.organisation
    data = drafts.prefill(services(), viewer(), form, organisation)
    return _render_form(form, data, territory=drafts.default_territory(services(), viewer()))


@blueprint.post("/deposer/<process_id>")
@login_required
def submit(process_id: str) -> ResponseReturnValue:
    posted = request.form
    campaign = posted.get(CAMPAIGN) or None
    draft_value = posted.get(DRAFT, "")
    draft_id = int(draft_value) if draft_value.isdigit() else None
    territory = posted.get(TERRITORY, "").strip() or None
    siren = posted.get(SIREN, "").strip()[:20] or None
    form = drafts.start_form(services(), viewer(), process_id, campaign)
    data = parse_submission(_visible_schema(form), posted)
    data, file_errors = receive(_visible_schema(form), data)
    draft = drafts.get(services(), viewer(), draft_id) if draft_id is not None else None
    if posted.get(ACTION) == MORE_ROWS or file_errors:
        return _render_form(
            form, data, errors=file_errors, draft=draft, territory=territory,
            extra_rows=more_rows(posted) if posted.get(ACTION) == MORE_ROWS else EXTRA_ROWS,
            status=422 if file_errors else 200,
        )  # fmt: skip
    if posted.get(ACTION) == SAVE:
        saved = drafts.save(
            services(), viewer(), process_id, data,
            campaign=campaign, territory=territory, draft_id=draft_id,
        )  # fmt: skip
        flash(
            "Brouillon enregistré : vous pourrez le reprendre depuis « Mes dossiers ».", "success"
        )
        return redirect(url_for("portal.new", process_id=process_id, brouillon=saved))
    try:
        started = drafts.file(
            services(), viewer(), process_id, data,
            organisation=current_user.account.organisation if form.as_authority else None,
            territory=territory, campaign=campaign, draft_id=draft_id, siren=siren,
        )  # fmt: skip
    except InvalidInput as error:
        errors = field_errors(error)
        message = None if errors else error.message
        return _render_form(
            form, data, errors=errors, message=message, draft=draft, territory=territory,
            status=422,
        )  # fmt: skip
    except ScriptError as error:
        message = log_script_failure(error, f"dépôt « {process_id} » par {viewer().login}")
        return _render_form(
            form, data, message=message, draft=draft, territory=territory, status=422
        )
    except EngineError as error:
        if error.http_status == 404:
            raise
        return _render_form(
            form, data, message=error.message, draft=draft, territory=territory,
            status=error.http_status,
        )  # fmt: skip
    if form.as_authority:
        flash(f"Votre demande {started.reference} a été déposée.", "success")
    else:
        flash(f"Le dossier {started.reference} est ouvert.", "success")
    return redirect(url_for("dossiers.show", reference=started.reference))


@blueprint.post("/brouillons/<int:draft_id>/supprimer")
@roles_required(COLLECTIVITE)
def delete_draft(draft_id: int) -> ResponseReturnValue:
    drafts.remove(services(), viewer(), draft_id)
    flash("Brouillon supprimé.", "success")
    return redirect(url_for("portal.index"))

"""The process owners' editor: a procedure's draft in bpmn-js, dmn-js and a form editor.

The page is a shell; the modeler (web/frontend/modeler, bundled by esbuild into
static/build/) loads the draft as JSON, saves it with the CSRF token in a header, asks the
server's validator for every problem and the server's renderer for a form's preview. Every
route checks that the person owns the procedure (or is an administrator).
"""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from engine.definitions.operators import OPERATORS
from engine.errors import Conflict, InvalidDefinition, InvalidInput
from engine.forms import FormProblem, check_form
from engine.roles import ADMIN, LANE_ROLES, RESPONSABLE_PROCESSUS, ROLE_LABELS
from engine.service.catalogue import changes, editing, publishing

from ..access import roles_required, services, viewer
from .form_rendering import build_fields

blueprint = Blueprint("editor", __name__, url_prefix="/processus")
EDITORS = (RESPONSABLE_PROCESSUS, ADMIN)


def _payload() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("Le corps de la requête doit être un objet JSON.")
    return body


@blueprint.get("/<process_id>/brouillon", endpoint="draft")
@roles_required(*EDITORS)
def draft(process_id: str) -> ResponseReturnValue:
    current = editing.get_draft(services(), viewer(), process_id)
    roles = [{"code": r, "label": ROLE_LABELS[r]} for r in sorted(LANE_ROLES)]
    operators = {name: sorted(params) for name, params in sorted(OPERATORS.items())}
    return render_template(
        "processes/editor.html", draft=current, process_id=process_id,
        roles=json.dumps(roles, ensure_ascii=False), operators=json.dumps(operators),
    )  # fmt: skip


@blueprint.post("/<process_id>/brouillon/ouvrir", endpoint="open")
@roles_required(*EDITORS)
def open_draft(process_id: str) -> ResponseReturnValue:
    editing.open_draft(services(), viewer(), process_id)
    return redirect(url_for("editor.draft", process_id=process_id))


@blueprint.post("/<process_id>/brouillon/abandonner", endpoint="discard")
@roles_required(*EDITORS)
def discard(process_id: str) -> ResponseReturnValue:
    editing.discard_draft(services(), viewer(), process_id)
    flash("Brouillon abandonné : la version en service ne change pas.", "success")
    return redirect(url_for("processes.show", process_id=process_id))


@blueprint.get("/<process_id>/brouillon/contenu", endpoint="content")
@roles_required(*EDITORS)
def content(process_id: str) -> ResponseReturnValue:
    return jsonify(editing.get_draft(services(), viewer(), process_id).to_dict())


@blueprint.put("/<process_id>/brouillon/contenu", endpoint="save")
@roles_required(*EDITORS)
def save(process_id: str) -> ResponseReturnValue:
    editing.check_editor(services(), viewer(), process_id)
    body = _payload()
    lock = editing.save_draft(
        services(), viewer(), process_id, body.get("files"), body.get("lock_version")
    )
    return jsonify(lock_version=lock)


@blueprint.post("/<process_id>/brouillon/verifier", endpoint="validate")
@roles_required(*EDITORS)
def validate(process_id: str) -> ResponseReturnValue:
    editing.check_editor(services(), viewer(), process_id)
    files = _payload().get("files")
    result = editing.validate_draft(services(), viewer(), process_id, files)
    return jsonify(problems=[p.to_dict() for p in result.problems])


@blueprint.post("/<process_id>/brouillon/apercu", endpoint="preview")
@roles_required(*EDITORS)
def preview(process_id: str) -> ResponseReturnValue:
    """A form as a task page would show it, and why it cannot be used if it cannot."""
    editing.check_editor(services(), viewer(), process_id)
    text = _payload().get("form")
    if not isinstance(text, str):
        raise InvalidInput("Formulaire manquant.")
    try:
        schema = check_form(text)
    except FormProblem as problem:
        return jsonify(html="", problems=[problem.message])
    html = render_template("processes/_form_preview.html", fields=build_fields(schema, {}, {}))
    return jsonify(html=html, problems=[])


@blueprint.get("/<process_id>/brouillon/publier", endpoint="review")
@roles_required(*EDITORS)
def review(process_id: str) -> ResponseReturnValue:
    current = editing.get_draft(services(), viewer(), process_id)
    found = changes.draft_changes(services(), current)
    result = editing.validate_files(current.files)
    return render_template(
        "processes/review.html", process_id=process_id, draft=current, changes=found,
        errors=result.errors, warnings=result.warnings,
    )  # fmt: skip


@blueprint.post("/<process_id>/brouillon/publier", endpoint="publish")
@roles_required(*EDITORS)
def publish(process_id: str) -> ResponseReturnValue:
    lock = request.form.get("lock_version", type=int)
    if lock is None:
        abort(400)
    try:
        published = publishing.publish(services(), viewer(), process_id, lock)
    except (Conflict, InvalidInput, InvalidDefinition) as refused:
        flash(f"Publication refusée : {refused.message}", "error")
        return redirect(url_for("editor.review", process_id=process_id))
    flash(
        f"Version {published.version} publiée : les nouveaux dossiers démarrent sur elle ; les "
        "dossiers en cours restent sur leur version.",
        "success",
    )
    return redirect(url_for("processes.show", process_id=process_id))

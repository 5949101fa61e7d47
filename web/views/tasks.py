"""One task: its dossier, its form, claim, release, assign to a colleague, complete.

Every action is a POST form that works without JavaScript and comes back to the task page (or,
once the task is done, to the person's inbox) with a French message. A task the person may not
see is a 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from engine import service
from engine.errors import Conflict, EngineError, InvalidInput, ScriptError
from engine.service.dossiers import visibility

from ..access import STAFF, home_endpoint, services, viewer
from ..errors import log_script_failure
from .attachments import receive
from .dossier_data import Entry, readable_data
from .form_rendering import (
    ACTION,
    EXTRA_ROWS,
    MORE_ROWS,
    ROWS,
    build_fields,
    field_errors,
    more_rows,
    parse_submission,
)

blueprint = Blueprint("tasks", __name__, url_prefix="/taches")

DONE = "Cette tâche a déjà été traitée : votre envoi n'a pas été enregistré."


def _dossier_data(page: service.TaskPage) -> list[Entry]:
    """What the dossier holds, with the forms' labels: what the person needs to read to do
    the task (the request to qualify, the questions to answer, the analysis to decide on)."""
    if not page.open or page.dossier_data is None or page.version_id is None:
        return []
    fields = visibility.form_fields(services(), page.version_id)
    return readable_data(page.dossier_data, fields)[0]


def _render(
    page: service.TaskPage,
    data: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    extra_rows: int = EXTRA_ROWS,
    status: int = 200,
) -> ResponseReturnValue:
    fields = (
        build_fields(page.schema, data, errors, extra_rows=extra_rows, people=page.people)
        if page.schema
        else []
    )
    return render_template(
        "tasks/show.html",
        page=page,
        task=page.task,
        fields=fields,
        dossier_data=_dossier_data(page),
        message=message,
        has_rows=any(f.widget == "rows" for f in fields),
        extra_rows=extra_rows,
        names={"action": ACTION, "rows": ROWS, "more_rows": MORE_ROWS},
        staff=current_user.has(*STAFF),
        mine=page.task["assignee"] == viewer().login,
    ), status


def _back(task_id: str) -> ResponseReturnValue:
    return redirect(url_for("tasks.show", task_id=task_id))


@blueprint.get("/<task_id>")
@login_required
def show(task_id: str) -> ResponseReturnValue:
    page = service.task_form(services(), viewer(), task_id)
    return _render(page, page.data)


@blueprint.post("/<task_id>")
@login_required
def complete(task_id: str) -> ResponseReturnValue:
    page = service.task_form(services(), viewer(), task_id)
    if not page.open:
        flash(DONE, "warning")
        return _back(task_id)
    data = parse_submission(page.schema, request.form) if page.schema else {}
    data, file_errors = receive(page.schema, data)
    if request.form.get(ACTION) == MORE_ROWS:
        return _render(page, data, errors=file_errors, extra_rows=more_rows(request.form))
    if file_errors:
        return _render(page, data, errors=file_errors, status=422)
    try:
        reference = service.complete(services(), viewer(), task_id, data)
    except InvalidInput as error:
        errors = field_errors(error)
        return _render(
            page, data, errors=errors, message=None if errors else error.message, status=422
        )
    except ScriptError as error:
        where = f"tâche {task_id} « {page.task['name']} », dossier {page.reference}"
        return _render(page, data, message=log_script_failure(error, where), status=422)
    except Conflict as error:
        current = service.task_form(services(), viewer(), task_id)
        if not current.open:
            flash(DONE, "warning")
            return _back(task_id)
        return _render(current, data, message=error.message, status=409)
    flash(f"La tâche « {page.task['name']} » du dossier {reference} est traitée.", "success")
    return redirect(url_for(home_endpoint()))


def _act(task_id: str, action: Any, success: str) -> ResponseReturnValue:
    """Run a claim, release or assignment; refusals come back to the page as messages.

    Only for people who may open the task page: the others get its 404 or 403, not a message
    on a page they cannot see.
    """
    service.task_form(services(), viewer(), task_id)
    try:
        outcome = action()
    except EngineError as error:
        if error.http_status == 404:
            raise
        flash(error.message, "error")
    else:
        flash(success.format(outcome=outcome), "success")
    return _back(task_id)


@blueprint.post("/<task_id>/prendre")
@login_required
def claim(task_id: str) -> ResponseReturnValue:
    return _act(
        task_id,
        lambda: service.claim(services(), viewer(), task_id),
        "Vous avez pris en charge cette tâche.",
    )


@blueprint.post("/<task_id>/liberer")
@login_required
def release(task_id: str) -> ResponseReturnValue:
    service.task_form(services(), viewer(), task_id)
    try:
        target = service.release(services(), viewer(), task_id)
    except EngineError as error:
        if error.http_status == 404:
            raise
        flash(error.message, "error")
        return _back(task_id)
    if target is None:
        flash("La tâche est remise à disposition de vos collègues.", "success")
        return _back(task_id)
    # Back with the person the procedure named: the page may no longer be the releaser's.
    flash("La tâche est rendue à la personne que la procédure a désignée.", "success")
    return redirect(url_for(home_endpoint()))


@blueprint.post("/<task_id>/confier")
@login_required
def assign(task_id: str) -> ResponseReturnValue:
    login = request.form.get("login", "")
    return _act(
        task_id,
        lambda: service.assign(services(), viewer(), task_id, login),
        "La tâche est confiée à {outcome}.",
    )

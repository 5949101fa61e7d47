"""A person's notifications; incidents for the national team and process owners."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine import l10n
from engine.service import notifications
from engine.service.dossiers import incidents

from ..access import national_watcher, services, viewer

blueprint = Blueprint("notices", __name__)


@blueprint.get("/notifications")
@login_required
def index() -> ResponseReturnValue:
    unread_only = request.args.get("filtre") == "non_lues"
    found = notifications.list_notifications(
        services(), viewer(), unread_only=unread_only, limit=100
    )
    return render_template("notices/index.html", notices=found, unread_only=unread_only)


@blueprint.post("/notifications/lues")
@login_required
def mark_read() -> ResponseReturnValue:
    ids = [int(value) for value in request.form.getlist("id") if value.isdigit()]
    changed = notifications.mark_read(services(), viewer(), ids or None)
    read = l10n.plural(
        changed, "notification marquée comme lue", "notifications marquées comme lues"
    )
    flash(f"{read}.", "success")
    return redirect(url_for("notices.index"))


@blueprint.get("/incidents", endpoint="incidents")
@login_required
def incidents_index() -> ResponseReturnValue:
    if not national_watcher():
        abort(403)
    found = incidents.list_incidents(services(), viewer())
    return render_template("notices/incidents.html", found=found)


@blueprint.post("/incidents/minuteries/<timer_id>/relancer")
@login_required
def retry_timer(timer_id: str) -> ResponseReturnValue:
    incidents.retry_timer(services(), viewer(), timer_id)
    flash("Minuterie relancée : elle sera déclenchée au prochain passage du worker.", "success")
    return redirect(url_for("notices.incidents"))


@blueprint.post("/incidents/courriels/<int:message_id>/relancer")
@login_required
def retry_email(message_id: int) -> ResponseReturnValue:
    incidents.retry_email(services(), viewer(), message_id)
    flash("Courriel remis dans la file d'envoi.", "success")
    return redirect(url_for("notices.incidents"))

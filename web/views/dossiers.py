"""Dossier pages and the search within the viewer's scope."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from engine import service
from engine.roles import RESPONSABLE_PROCESSUS

from ..access import STAFF, roles_required, services, viewer

blueprint = Blueprint("dossiers", __name__, url_prefix="/dossiers")


@blueprint.get("/")
@roles_required(*STAFF, RESPONSABLE_PROCESSUS)
def search() -> ResponseReturnValue:
    return render_template("dossiers/search.html")


@blueprint.get("/<reference>")
def show(reference: str) -> ResponseReturnValue:
    details = service.get_instance(services(), reference, viewer())
    return render_template("dossiers/show.html", dossier=details)

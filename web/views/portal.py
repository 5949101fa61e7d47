"""The authorities' portal: file a request or an application, drafts, follow each dossier."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from engine.roles import COLLECTIVITE

from ..access import roles_required

blueprint = Blueprint("portal", __name__, url_prefix="/portail")


@blueprint.get("/")
@roles_required(COLLECTIVITE)
def index() -> ResponseReturnValue:
    return render_template("portal/index.html")

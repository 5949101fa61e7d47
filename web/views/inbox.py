"""The task inbox of préfectures, national staff, committee and experts."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from engine import service

from ..access import STAFF, roles_required, services, viewer

blueprint = Blueprint("inbox", __name__, url_prefix="/taches")


@blueprint.get("/")
@roles_required(*STAFF)
def index() -> ResponseReturnValue:
    tasks = service.list_tasks(services(), viewer(), service.TaskFilter(limit=50))
    return render_template("inbox/index.html", tasks=tasks)

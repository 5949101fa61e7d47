"""The catalogue of procedures for process owners: which version is in service, and retiring
or reinstating a procedure. (The modeler, later, grows from this page.)"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from engine.errors import Conflict
from engine.roles import ADMIN, RESPONSABLE_PROCESSUS
from engine.service.catalogue import processes as catalogue

from ..access import roles_required, services, viewer

blueprint = Blueprint("processes", __name__, url_prefix="/processus")


@blueprint.get("/", endpoint="index")
@roles_required(RESPONSABLE_PROCESSUS, ADMIN)
def index() -> ResponseReturnValue:
    found = catalogue.entries(services(), viewer())
    return render_template("processes/index.html", found=found)


@blueprint.post("/<process_id>/retirer", endpoint="retire")
@roles_required(RESPONSABLE_PROCESSUS, ADMIN)
def retire(process_id: str) -> ResponseReturnValue:
    return _change(
        catalogue.retire, process_id,
        "Procédure « {name} » retirée : elle n'est plus proposée, les dossiers en cours "
        "continuent.",
    )  # fmt: skip


@blueprint.post("/<process_id>/remettre", endpoint="reinstate")
@roles_required(RESPONSABLE_PROCESSUS, ADMIN)
def reinstate(process_id: str) -> ResponseReturnValue:
    return _change(
        catalogue.reinstate, process_id,
        "Procédure « {name} » remise en service : elle est de nouveau proposée.",
    )  # fmt: skip


def _change(action, process_id: str, done: str) -> ResponseReturnValue:  # type: ignore[no-untyped-def]
    try:
        name = action(services(), viewer(), process_id)
    except Conflict as refused:
        flash(refused.message, "error")
    else:
        flash(done.format(name=name), "success")
    return redirect(url_for("processes.index"))

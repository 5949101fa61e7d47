"""The catalogue of procedures: which version is in service, each procedure's page (versions,
owners, draft, audit log), downloads and imports of files, new procedures, retiring and
reinstating. National staff read it; owners and administrators change it (the editor itself
is web/views/process_editor.py)."""

from __future__ import annotations

import io

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue

from engine.errors import Conflict, InvalidInput
from engine.roles import ADMIN, RESPONSABLE_PROCESSUS
from engine.service.catalogue import editing, ownership, transfer
from engine.service.catalogue import processes as catalogue
from engine.service.catalogue.process_page import process_page

from ..access import roles_required, services, viewer

blueprint = Blueprint("processes", __name__, url_prefix="/processus")


READERS = tuple(ownership.READERS)


@blueprint.get("/", endpoint="index")
@roles_required(*READERS)
def index() -> ResponseReturnValue:
    found = catalogue.entries(services(), viewer())
    return render_template(
        "processes/index.html", found=found, may_create=ownership.may_create(viewer())
    )


@blueprint.get("/<process_id>/", endpoint="show")
@roles_required(*READERS)
def show(process_id: str) -> ResponseReturnValue:
    page = process_page(services(), viewer(), process_id)
    return render_template("processes/show.html", page=page)


@blueprint.get("/<process_id>/versions/<int:version>.zip", endpoint="download")
@roles_required(*READERS)
def download(process_id: str, version: int) -> ResponseReturnValue:
    export = transfer.export_version(services(), viewer(), process_id, version)
    return send_file(
        io.BytesIO(export.content), mimetype="application/zip", as_attachment=True,
        download_name=export.filename,
    )  # fmt: skip


@blueprint.route("/nouvelle", methods=["GET", "POST"], endpoint="create")
@roles_required(RESPONSABLE_PROCESSUS, ADMIN)
def create() -> ResponseReturnValue:
    error, values = None, {"process_id": "", "name": ""}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        try:
            editing.create_process(services(), viewer(), values["process_id"], values["name"])
        except (InvalidInput, Conflict) as refused:
            error = refused
        else:
            flash("Procédure créée : dessinez-la, puis publiez sa première version.", "success")
            return redirect(url_for("editor.draft", process_id=values["process_id"].strip()))
    status = 422 if isinstance(error, InvalidInput) else 409 if error else 200
    return render_template("processes/new.html", error=error, values=values), status


@blueprint.post("/importer", endpoint="import_new")
@roles_required(RESPONSABLE_PROCESSUS, ADMIN)
def import_new() -> ResponseReturnValue:
    return _import(None)


@blueprint.post("/<process_id>/importer", endpoint="import_files")
@roles_required(RESPONSABLE_PROCESSUS, ADMIN)
def import_files(process_id: str) -> ResponseReturnValue:
    return _import(process_id)


def _import(process_id: str | None) -> ResponseReturnValue:
    uploads = [(f.filename or "", f.read()) for f in request.files.getlist("fichiers") if f]
    back = (
        url_for("processes.show", process_id=process_id)
        if process_id
        else url_for("processes.index")
    )
    try:
        draft = transfer.import_files(services(), viewer(), uploads, process_id)
    except (InvalidInput, Conflict) as refused:
        flash(refused.message, "error")
        return redirect(back)
    flash(f"{len(draft.files)} fichiers importés dans le brouillon.", "success")
    return redirect(url_for("editor.draft", process_id=draft.process_id))


@blueprint.post("/<process_id>/responsables", endpoint="add_owner")
@roles_required(RESPONSABLE_PROCESSUS, ADMIN)
def add_owner(process_id: str) -> ResponseReturnValue:
    login = request.form.get("login", "")
    try:
        ownership.add_owner(services(), viewer(), process_id, login)
    except (InvalidInput, Conflict) as refused:
        flash(refused.message, "error")
    else:
        flash(f"« {login.strip()} » est maintenant responsable de la procédure.", "success")
    return redirect(url_for("processes.show", process_id=process_id))


@blueprint.post("/<process_id>/responsables/<login>/retirer", endpoint="remove_owner")
@roles_required(RESPONSABLE_PROCESSUS, ADMIN)
def remove_owner(process_id: str, login: str) -> ResponseReturnValue:
    ownership.remove_owner(services(), viewer(), process_id, login)
    flash(f"« {login} » n'est plus responsable de la procédure.", "success")
    return redirect(url_for("processes.show", process_id=process_id))


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

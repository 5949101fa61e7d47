"""Migration plans of a procedure's running dossiers: make a plan from one version to another,
map the elements and choose for each timer, try it without changing anything, migrate, follow
the progress and read the outcome of each dossier. Owners of the procedure and administrators
only (the services check it on every call; the roles here only spare a useless query)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.errors import InvalidInput
from engine.roles import ADMIN, RESPONSABLE_PROCESSUS
from engine.service.catalogue.process_page import process_page
from engine.service.migrations import plans, runs

from ..access import roles_required, services, viewer

blueprint = Blueprint("migrations", __name__, url_prefix="/processus")

EDITORS = (RESPONSABLE_PROCESSUS, ADMIN)
#: Separators of the references a person pastes (spaces, new lines, commas, semicolons).
SEPARATORS = re.compile(r"[\s,;]+")


def _index(process_id: str, error: InvalidInput | None = None) -> ResponseReturnValue:
    found = plans.plans_of(services(), viewer(), process_id)
    page = process_page(services(), viewer(), process_id)
    try:
        source = int(request.values.get("source", ""))
    except ValueError:
        source = None
    return render_template(
        "migrations/index.html", page=page, plans=found, error=error, source=source,
        form=request.form,
    ), (422 if error else 200)  # fmt: skip


@blueprint.get("/<process_id>/migrations", endpoint="index")
@roles_required(*EDITORS)
def index(process_id: str) -> ResponseReturnValue:
    return _index(process_id)


@blueprint.post("/<process_id>/migrations", endpoint="create")
@roles_required(*EDITORS)
def create(process_id: str) -> ResponseReturnValue:
    try:
        source = int(request.form.get("source", ""))
        target = int(request.form.get("cible", ""))
    except ValueError:
        source = target = 0
    try:
        if not source or not target:
            raise InvalidInput("Choisissez la version source et la version cible.")
        plan_id = plans.create_plan(services(), viewer(), process_id, source, target)
    except InvalidInput as refused:
        return _index(process_id, refused)
    flash("Plan de migration créé : vérifiez la correspondance, puis faites un essai.", "success")
    return redirect(url_for("migrations.show", process_id=process_id, plan_id=plan_id))


def _page(process_id: str, plan_id: int) -> plans.PlanPage:
    """The plan, if it is one of this procedure's (else 404, whoever asks)."""
    page = plans.plan_page(services(), viewer(), plan_id)
    if page.plan.process_id != process_id:
        abort(404)
    return page


def _render(
    page: plans.PlanPage, *, error: InvalidInput | None = None, form: Any = None
) -> ResponseReturnValue:
    fields = (error.details.get("fields") or {}) if error else {}
    return render_template(
        "migrations/plan.html", page=page, error=error, fields=fields, form=form or {},
        statuses=plans.STATUSES, running=page.running,
    ), (422 if error else 200)  # fmt: skip


@blueprint.get("/<process_id>/migrations/<int:plan_id>", endpoint="show")
@roles_required(*EDITORS)
def show(process_id: str, plan_id: int) -> ResponseReturnValue:
    return _render(_page(process_id, plan_id))


@blueprint.post("/<process_id>/migrations/<int:plan_id>", endpoint="save")
@roles_required(*EDITORS)
def save(process_id: str, plan_id: int) -> ResponseReturnValue:
    page = _page(process_id, plan_id)
    mapping = {
        name.removeprefix("cible-"): value.strip()
        for name, value in request.form.items()
        if name.startswith("cible-")
    }
    rearm = [
        name.removeprefix("minuterie-")
        for name, value in request.form.items()
        if name.startswith("minuterie-") and value == "rearmer"
    ]
    try:
        revision = plans.update_plan(services(), viewer(), plan_id, mapping=mapping, rearm=rearm)
    except InvalidInput as refused:
        return _render(page, error=refused, form=request.form)
    flash(f"Plan enregistré (révision {revision}).", "success")
    return redirect(url_for("migrations.show", process_id=process_id, plan_id=plan_id))


@blueprint.post("/<process_id>/migrations/<int:plan_id>/essai", endpoint="dry_run")
@roles_required(*EDITORS)
def dry_run(process_id: str, plan_id: int) -> ResponseReturnValue:
    return _run(process_id, plan_id, "essai")


@blueprint.post("/<process_id>/migrations/<int:plan_id>/executer", endpoint="execute")
@roles_required(*EDITORS)
def execute(process_id: str, plan_id: int) -> ResponseReturnValue:
    return _run(process_id, plan_id, "migration")


def _run(process_id: str, plan_id: int, mode: str) -> ResponseReturnValue:
    page = _page(process_id, plan_id)
    references = [r for r in SEPARATORS.split(request.form.get("references", "")) if r]
    try:
        if mode == "migration" and request.form.get("confirmation") != "oui":
            raise InvalidInput(
                "Cochez la confirmation : la migration change les dossiers sélectionnés."
            )
        started = runs.start(
            services(), viewer(), plan_id, mode=mode, references=references or None,
            territory=request.form.get("territoire", "").strip() or None,
            retry=request.form.get("reprise") == "oui",
        )  # fmt: skip
    except InvalidInput as refused:
        return _render(page, error=refused, form=request.form)
    what = "Essai à blanc" if mode == "essai" else "Migration"
    if started.done:
        flash(f"{what} terminé(e) sur {started.total} dossier(s) : voir les résultats.", "success")
    else:
        flash(
            f"{what} lancé(e) sur {started.total} dossiers : le traitement se fait en "
            "arrière-plan, par lots ; cette page montre l'avancement.",
            "info",
        )
    return redirect(url_for("migrations.show", process_id=process_id, plan_id=plan_id))

"""Dossier pages (data, history, tasks, timers, diagram) and the search within the viewer's scope."""

from __future__ import annotations

import html
import re
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine import l10n, labels, service
from engine.errors import InvalidInput
from engine.roles import RESPONSABLE_PROCESSUS
from engine.service.dossiers import attachments, instances, visibility
from engine.service.dossiers import search as dossier_search

from ..access import STAFF, roles_required, services, viewer
from .dossier_data import readable_data
from .dossier_export import write_csv

blueprint = Blueprint("dossiers", __name__, url_prefix="/dossiers")


@blueprint.app_template_global()
def task_url(task_id: str) -> str:
    """The task page (/taches/<id>), served by the tasks blueprint."""
    return url_for("tasks.show", task_id=task_id)


# ---------------------------------------------------------------- routes


def _search_filter(args: Any, page: int = 1) -> dossier_search.SearchFilter:
    """The search's filters as the query string gives them (the page and the export)."""
    return dossier_search.SearchFilter(
        reference=args.get("reference", "").strip() or None,
        organisation=args.get("organisation", "").strip() or None,
        siren=args.get("siren", "").strip() or None,
        territory=args.get("territoire", "").strip() or None,
        status=args.get("statut", "").strip() or None,
        process_id=args.get("procedure", "").strip() or None,
        page=page,
    )


@blueprint.get("/")
@roles_required(*STAFF, RESPONSABLE_PROCESSUS)
def search() -> ResponseReturnValue:
    args = request.args
    try:
        page = max(int(args.get("page", "1")), 1)
    except ValueError:
        page = 1
    filters = _search_filter(args, page)
    errors: dict[str, str] = {}
    try:
        found = dossier_search.search(services(), viewer(), filters)
    except InvalidInput as error:
        errors = dict(error.details.get("fields") or {"reference": error.message})
        found = None
    query = {k: v for k, v in args.items() if k != "page" and v}

    def link(page: int) -> str:
        return url_for("dossiers.search", page=page, **query)

    return render_template(
        "dossiers/search.html",
        found=found,
        errors=errors,
        args=args,
        query=query,
        link=link,
        export_limit=dossier_search.EXPORT_LIMIT,
        procedures=[
            (p.process_id, p.name) for p in service.current_versions(services(), retired=True)
        ],
        statuses=dossier_search.STATUSES,
        departements=[
            (d.code, f"{d.code} — {d.nom}")
            for d in sorted(services().territories.departements.values(), key=lambda d: d.code)
        ],
    ), (422 if errors else 200)


@blueprint.get("/export.csv", endpoint="export")
@roles_required(*STAFF, RESPONSABLE_PROCESSUS)
def export_csv() -> ResponseReturnValue:
    """The current search (same query string as the page) as a CSV file for French spreadsheets:
    UTF-8 with a byte order mark, `;` between cells; every dossier within the viewer's scope
    that matches, newest first, at most `EXPORT_LIMIT` of them, with labels and amounts
    (see dossier_export)."""
    found = dossier_search.export(services(), viewer(), _search_filter(request.args))
    text = write_csv(found.items, lambda version: visibility.entered_fields(services(), version))
    today = l10n.paris(services().clock.now()).date()
    response = Response(text.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="dossiers-{today}.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Dossiers-Trouves"] = str(found.total)
    return response


@blueprint.get("/<reference>")
@login_required
def show(reference: str) -> ResponseReturnValue:
    details = service.get_instance(services(), reference, viewer())
    fields = visibility.form_fields(services(), details.version_id) if details.version_id else {}
    declared, others = readable_data(details.data, fields)
    files = attachments.for_dossier(services(), viewer(), details.reference)
    return render_template(
        "dossiers/show.html",
        dossier=details,
        files=[f for f in files if not f.signature],
        signatures=[f for f in files if f.signature],
        declared=declared,
        others=others,
    )


@blueprint.get("/<reference>/schema.bpmn")
@login_required
def diagram_xml(reference: str) -> ResponseReturnValue:
    xml = lanes_in_words(instances.diagram_source(services(), reference, viewer()))
    response = Response(xml, mimetype="application/xml")
    response.headers["Cache-Control"] = "private, no-store"
    return response


#: A lane's opening tag, whatever the BPMN namespace prefix: its name is a role code.
LANE_NAME = re.compile(r'(<(?:[\w.-]+:)?lane\b[^>]*?\bname=")([^"]*)(")')


def lanes_in_words(xml: str) -> str:
    """The diagram with each lane named by its role's label (« Équipe nationale »): the engine
    reads the lane's name as a role code, which bpmn-js would otherwise draw as is."""

    def relabel(found: re.Match[str]) -> str:
        code = html.unescape(found.group(2))
        named = labels.ROLES.get(code)
        return found.group(0) if named is None else f'{found.group(1)}{html.escape(named)}"'

    return LANE_NAME.sub(relabel, xml)


@blueprint.get("/<reference>/etats.json")
@login_required
def diagram_states(reference: str) -> ResponseReturnValue:
    found = instances.diagram(services(), reference, viewer())
    response = jsonify(found.states())
    response.headers["Cache-Control"] = "private, no-store"
    return response

"""Dossier pages (data, history, tasks, timers, diagram) and the search within the viewer's scope."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine import service
from engine.errors import InvalidInput
from engine.roles import RESPONSABLE_PROCESSUS
from engine.service import instances
from engine.service import search as dossier_search

from ..access import STAFF, roles_required, services, viewer
from .formatting import PARIS

blueprint = Blueprint("dossiers", __name__, url_prefix="/dossiers")

#: What each kind of history event means, as people read it.
EVENT_LABELS = {
    "dossier_cree": "Dossier déposé",
    "donnees": "Données modifiées",
    "debut": "Début de la procédure",
    "script": "Étape automatique",
    "decision": "Décision automatique (table de décision)",
    "minuterie": "Échéance atteinte",
    "fin": "Fin de la procédure",
    "dossier_termine": "Dossier terminé",
    "tache_terminee": "Tâche traitée",
    "tache_prise": "Tâche prise en charge",
    "tache_liberee": "Tâche remise à disposition",
    "tache_assignee": "Tâche confiée",
    "incident": "Incident",
}
TIMER_KINDS = {"duree": "Délai", "date": "Date fixée", "cycle": "Périodique"}
PROCEDURE_STATUSES = dossier_search.STATUSES


def event_label(kind: str) -> str:
    return EVENT_LABELS.get(kind, kind.replace("_", " ").capitalize())


@blueprint.app_template_global()
def task_url(task_id: str) -> str:
    """The task page (/taches/<id>), served by the tasks blueprint."""
    return url_for("tasks.show", task_id=task_id)


# ---------------------------------------------------------------- data as people read it


@dataclass
class Entry:
    """One line of a dossier's data: a label and a text, or nested lines."""

    label: str
    text: str | None = None
    children: list[Entry] = field(default_factory=list)
    long: bool = False


def _number(value: float | int | Decimal, euros: bool = False) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = f"{value:,}".replace(",", "\u202f").replace(".", ",")
    return f"{text} €" if euros else text


def _choice_labels(schema: dict[str, Any]) -> dict[str, str]:
    labels = dict(schema.get("x-libelles") or {})
    items = schema.get("items")
    if isinstance(items, dict):
        labels = {**(items.get("x-libelles") or {}), **labels}
    return labels


def _scalar(value: Any, schema: dict[str, Any]) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    labels = _choice_labels(schema)
    if isinstance(value, str) and value in labels:
        return labels[value]
    if isinstance(value, (int, float, Decimal)):
        return _number(value, euros=schema.get("x-widget") == "montant")
    if isinstance(value, str) and schema.get("format") == "date":
        try:
            return f"{date.fromisoformat(value):%d/%m/%Y}"
        except ValueError:
            return value
    return str(value)


def _entry(label: str, value: Any, schema: dict[str, Any]) -> Entry:
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        order = [*(schema.get("x-ordre") or []), *properties, *value]
        seen: set[str] = set()
        children = []
        for key in order:
            if key in seen or key not in value:
                continue
            seen.add(key)
            sub = properties.get(key) or {}
            children.append(_entry(sub.get("title") or key, value[key], sub))
        return Entry(label, children=children)
    if isinstance(value, list):
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        if any(isinstance(item, (dict, list)) for item in value):
            name = items.get("title") or "Élément"
            return Entry(
                label,
                children=[_entry(f"{name} {n}", item, items) for n, item in enumerate(value, 1)],
            )
        labels = _choice_labels(schema)
        texts = [labels.get(v, _scalar(v, items)) if isinstance(v, str) else _scalar(v, items)
                 for v in value]  # fmt: skip
        return Entry(label, ", ".join(texts) if texts else "—")
    text = _scalar(value, schema)
    return Entry(label, text, long=schema.get("x-widget") == "textarea" or "\n" in text)


def readable_data(
    data: dict[str, Any], fields: dict[str, dict[str, Any]]
) -> tuple[list[Entry], list[Entry]]:
    """(the fields the forms declare, with their labels; the other variables of the dossier)."""
    declared, others = [], []
    for name, schema in fields.items():
        if name in data:
            declared.append(_entry(schema.get("title") or name, data[name], schema))
    for name in sorted(data):
        if name not in fields:
            others.append(_entry(name, data[name], {}))
    return declared, others


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
    return render_template(
        "dossiers/search.html",
        found=found,
        errors=errors,
        args=args,
        query=query,
        export_limit=dossier_search.EXPORT_LIMIT,
        procedures=[(p.process_id, p.name) for p in service.latest_versions(services())],
        statuses=PROCEDURE_STATUSES,
        departements=[
            (d.code, f"{d.code} — {d.nom}")
            for d in sorted(services().territories.departements.values(), key=lambda d: d.code)
        ],
    ), (422 if errors else 200)


#: Columns of the CSV export, in order.
EXPORT_COLUMNS = (
    "Référence", "Procédure", "Statut", "Issue", "Territoire", "Organisation", "SIREN",
    "Déposé le", "Dernière activité", "Terminé le",
)  # fmt: skip
#: A cell starting with one of these is read as a formula by spreadsheets (CSV injection): it is
#: exported behind an apostrophe, which spreadsheets show as text (OWASP's advice).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


@blueprint.get("/export.csv", endpoint="export")
@roles_required(*STAFF, RESPONSABLE_PROCESSUS)
def export_csv() -> ResponseReturnValue:
    """The current search (same query string as the page) as a CSV file for French spreadsheets:
    UTF-8 with a byte order mark, `;` between cells; every dossier within the viewer's scope
    that matches, newest first, at most `EXPORT_LIMIT` of them."""
    found = dossier_search.export(services(), viewer(), _search_filter(request.args))
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for item in found.items:
        writer.writerow(
            _cell(value)
            for value in (
                item["reference"], item["process_name"],
                PROCEDURE_STATUSES.get(item["status"], item["status"]), item["outcome"],
                item["territory_label"], item["organisation"], item["siren"],
                item["created_at"], item["updated_at"], item["completed_at"],
            )
        )  # fmt: skip
    today = services().clock.now().astimezone(PARIS).date()
    response = Response(out.getvalue().encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="dossiers-{today}.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Dossiers-Trouves"] = str(found.total)
    return response


@blueprint.get("/<reference>")
@login_required
def show(reference: str) -> ResponseReturnValue:
    details = service.get_instance(services(), reference, viewer())
    fields = instances.form_fields(services(), details.version_id) if details.version_id else {}
    declared, others = readable_data(details.data, fields)
    return render_template(
        "dossiers/show.html",
        dossier=details,
        declared=declared,
        others=others,
        event_label=event_label,
        timer_kinds=TIMER_KINDS,
        statuses=PROCEDURE_STATUSES,
    )


@blueprint.get("/<reference>/schema.bpmn")
@login_required
def diagram_xml(reference: str) -> ResponseReturnValue:
    xml = instances.diagram_source(services(), reference, viewer())
    response = Response(xml, mimetype="application/xml")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.get("/<reference>/etats.json")
@login_required
def diagram_states(reference: str) -> ResponseReturnValue:
    found = instances.diagram(services(), reference, viewer())
    response = jsonify(found.states())
    response.headers["Cache-Control"] = "private, no-store"
    return response

"""The task inbox of préfectures, national staff, committee and experts.

Filters, sorting and pages are a GET form and plain links: the page works without JavaScript
and every state of it has its own address. Counts come from the service layer, scoped like the
list (a task outside the viewer's scope is never counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine import l10n, service
from engine.service.dossiers import drafts
from engine.service.tasks import BY_CREATION, BY_DUE, BY_REFERENCE, OVERDUE, THIS_WEEK

from ..access import STAFF, roles_required, services, viewer

blueprint = Blueprint("inbox", __name__, url_prefix="/taches")

PAGE_SIZE = 25
MINE, NOBODY = "moi", "personne"
DUE_CHOICES = {OVERDUE: "En retard", THIS_WEEK: "À échéance cette semaine"}
ASSIGNMENT_CHOICES = {MINE: "Prises en charge par moi", NOBODY: "Non attribuées"}
ORDER_CHOICES = {
    BY_DUE: "Échéance",
    BY_CREATION: "Date de création",
    BY_REFERENCE: "Référence du dossier",
}
DIRECTIONS = {"asc": "Croissant", "desc": "Décroissant"}
#: The query parameters of the page, in the order of the form.
PARAMETERS = ("procedure", "tache", "territoire", "echeance", "attribution", "tri", "ordre")


@dataclass
class Choices:
    """What the person asked for, each value checked (anything unknown is left out)."""

    procedure: str = ""
    tache: str = ""
    territoire: str = ""
    echeance: str = ""
    attribution: str = ""
    tri: str = BY_DUE
    ordre: str = "asc"
    page: int = 1

    def query(self, **changes: Any) -> dict[str, Any]:
        """The query string of this state with some changes (defaults left out)."""
        values = {name: getattr(self, name) for name in PARAMETERS}
        values.update(changes)
        if values.get("tri") == BY_DUE:
            values.pop("tri")
        if values.get("ordre") == "asc":
            values.pop("ordre")
        page = changes.get("page", 1)
        return {k: v for k, v in values.items() if v and k != "page"} | (
            {"page": page} if page and page != 1 else {}
        )

    @property
    def filtered(self) -> bool:
        return any((self.procedure, self.tache, self.territoire, self.echeance, self.attribution))


def _national() -> bool:
    """Whether the person's inbox spans several départements (a territory filter helps)."""
    grants = [g for g in viewer().grants if g.role in STAFF]
    return any(g.scope is None for g in grants) or len({g.scope for g in grants}) > 1


def _choices(args: Any, territories: dict[str, str]) -> Choices:
    def short(name: str) -> str:
        return str(args.get(name, "")).strip()[:200]

    try:
        page = max(1, min(int(args.get("page", "1")), 100_000))
    except ValueError:
        page = 1
    return Choices(
        procedure=short("procedure"),
        tache=short("tache"),
        territoire=short("territoire").upper()
        if short("territoire").upper() in territories
        else "",
        echeance=short("echeance") if short("echeance") in DUE_CHOICES else "",
        attribution=short("attribution") if short("attribution") in ASSIGNMENT_CHOICES else "",
        tri=short("tri") if short("tri") in ORDER_CHOICES else BY_DUE,
        ordre=short("ordre") if short("ordre") in DIRECTIONS else "asc",
        page=page,
    )


def _filters(choices: Choices, login: str) -> service.TaskFilter:
    process_id, bpmn_id = choices.procedure or None, None
    if choices.tache:
        if ":" in choices.tache:
            task_process, bpmn_id = choices.tache.split(":", 1)
            process_id = process_id or task_process
            if process_id != task_process:
                bpmn_id = " "  # a task of another procedure than the one chosen: nothing
        else:
            bpmn_id = choices.tache
    return service.TaskFilter(
        process_id=process_id,
        bpmn_id=bpmn_id or None,
        territory=choices.territoire or None,
        due=choices.echeance or None,
        assignee=login if choices.attribution == MINE else None,
        unassigned=choices.attribution == NOBODY,
        order=choices.tri,
        descending=choices.ordre == "desc",
        limit=PAGE_SIZE,
        offset=(choices.page - 1) * PAGE_SIZE,
    )


def _with_count(label: str, count: int) -> str:
    return f"{label} — {l10n.plural(count, 'tâche', 'tâches')}" if count else label


@blueprint.get("/")
@roles_required(*STAFF)
def index() -> ResponseReturnValue:
    who = viewer()
    national = _national()
    facets = service.inbox_facets(services(), who, territories=national)
    known = services().territories.departements
    territories = {code: services().territories.label(code) for code in known} if national else {}
    choices = _choices(request.args, territories)
    filters = _filters(choices, who.login)
    counts = service.count_tasks(services(), who, filters)
    pages = max(1, -(-counts.total // PAGE_SIZE))
    if choices.page > pages:
        choices.page = pages
        filters = _filters(choices, who.login)
    tasks = service.list_tasks(services(), who, filters)
    counted = {code: n for code, _, n in facets.territories}

    def link(**changes: Any) -> str:
        return url_for("inbox.index", **choices.query(**changes))

    return render_template(
        "inbox/index.html",
        openings=drafts.offers(services(), who),
        tasks=tasks,
        counts=counts,
        choices=choices,
        facets=facets,
        national=national,
        procedure_options=[
            (process_id, f"{name} ({count})") for process_id, name, count in facets.procedures()
        ],
        territory_options=[
            (code, _with_count(label, counted.get(code, 0)))
            for code, label in sorted(territories.items())
        ],
        due_choices=DUE_CHOICES,
        assignment_choices=ASSIGNMENT_CHOICES,
        order_choices=ORDER_CHOICES,
        directions=DIRECTIONS,
        page=choices.page,
        pages=pages,
        page_size=PAGE_SIZE,
        link=link,
        MINE=MINE,
        NOBODY=NOBODY,
        OVERDUE=OVERDUE,
        THIS_WEEK=THIS_WEEK,
    )

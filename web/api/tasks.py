"""The caller's tasks: the inbox, one task with its form, claim, release, assign, complete.

Every operation calls the service functions the pages call (engine/service/tasks), with the
caller's viewer: a task outside the caller's scope is a 404 as on the pages, one in scope but
for another role a 403. A task's representation carries a strong `ETag` (its state: id, status,
holder, due date, completion, the dossier's data as the caller reads it); the actions honour
`If-Match` (412 when the task changed since) and answer the task's new state with its new ETag.
Races the service layer detects (a task already done, taken by someone else, a dossier changed
by another step) are 409 problems.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Response, abort, request
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from engine import service
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.roles import LANE_ROLES
from engine.service.tasks import BY_DUE, ORDERS, OVERDUE, THIS_WEEK

from ..access import services
from .blueprints import SECURITY, authenticated
from .caller import viewer
from .problems import problem

blueprint = authenticated("api_tasks", __name__, "/api/v1/tasks", "Tâches")

DEFAULT_LIMIT, MAX_LIMIT = 25, 200
MINE, UNASSIGNED = "mine", "unassigned"
ETAG_HEADER = {
    "ETag": {
        "description": "Validateur fort de l'état de la tâche (à renvoyer dans If-Match)",
        "schema": {"type": "string"},
    }
}
#: What If-Match answers when the task changed since the caller read it.
STALE = (
    "La tâche a changé depuis votre lecture (ETag différent) : relisez-la "
    "(GET /api/v1/tasks/{id}) avant d'agir."
)


# ---------------------------------------------------------------- schemas


class InboxQuerySchema(Schema):
    process_id = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "Procédure (identifiant, ex. demande_ingenierie)"},
    )
    bpmn_id = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "Tâche de la procédure (élément BPMN, ex. qualifier_besoin)"},
    )
    role = fields.String(
        validate=validate.OneOf(sorted(LANE_ROLES)),
        metadata={"description": "Rôle attendu par la tâche"},
    )
    territory = fields.String(
        validate=validate.Length(max=3),
        metadata={"description": "Code du département (ex. 23, 2A, 971)"},
    )
    due = fields.String(
        validate=validate.OneOf([OVERDUE, THIS_WEEK]),
        metadata={"description": "en_retard : échéance passée ; cette_semaine : dans 7 jours"},
    )
    assignment = fields.String(
        validate=validate.OneOf([MINE, UNASSIGNED]),
        metadata={"description": "mine : prises en charge par vous ; unassigned : par personne"},
    )
    order = fields.String(
        load_default=BY_DUE,
        validate=validate.OneOf(ORDERS),
        metadata={"description": "Tri : echeance (sans échéance en dernier), creation, reference"},
    )
    direction = fields.String(load_default="asc", validate=validate.OneOf(["asc", "desc"]))
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT),
        metadata={"description": f"Taille de la page (1 à {MAX_LIMIT})"},
    )
    offset = fields.Integer(
        load_default=0,
        validate=validate.Range(0, 1_000_000),
        metadata={"description": "Nombre de tâches à sauter (pagination par décalage)"},
    )


class InboxTaskSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    bpmn_id = fields.String(required=True)
    dossier = fields.String(
        required=True, attribute="instance", metadata={"description": "Référence du dossier"}
    )
    process_id = fields.String(required=True)
    process_name = fields.String()
    organisation = fields.String(allow_none=True, metadata={"description": "Demandeur"})
    role = fields.String(required=True, metadata={"description": "Rôle attendu"})
    territory = fields.String(required=True, metadata={"description": "Code du département"})
    territory_label = fields.String(metadata={"example": "Creuse (23)"})
    siren = fields.String()
    status = fields.String(required=True, metadata={"description": "ouverte, terminee ou annulee"})
    assignee = fields.String(allow_none=True, metadata={"description": "Qui l'a prise en charge"})
    assignee_name = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    created_at = fields.DateTime()


class CountsSchema(Schema):
    total = fields.Integer(required=True, metadata={"description": "Tâches selon les filtres"})
    overdue = fields.Integer(required=True)
    this_week = fields.Integer(required=True)
    mine = fields.Integer(required=True)
    unassigned = fields.Integer(required=True)


class InboxPageSchema(Schema):
    items = fields.List(fields.Nested(InboxTaskSchema), required=True)
    total = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)
    next_offset = fields.Integer(
        allow_none=True, metadata={"description": "Décalage de la page suivante (null : fin)"}
    )
    counts = fields.Nested(CountsSchema, required=True)


class ColleagueSchema(Schema):
    login = fields.String(required=True)
    name = fields.String(required=True)


class TaskDetailSchema(InboxTaskSchema):
    completed_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    completed_by_name = fields.String(allow_none=True)
    claimable = fields.Boolean(
        required=True, metadata={"description": "Vous pouvez la prendre en charge (claim)"}
    )
    may_act = fields.Boolean(
        required=True, metadata={"description": "Vous pouvez la traiter (ouverte, votre rôle)"}
    )
    may_assign = fields.Boolean(
        required=True, metadata={"description": "Vous pouvez la confier à un collègue"}
    )
    may_release = fields.Boolean(
        required=True, metadata={"description": "La remettre à disposition a un effet"}
    )
    supervising = fields.Boolean(
        metadata={"description": "Vous la confiez sans la traiter (missions d'expertise)"}
    )
    colleagues = fields.List(
        fields.Nested(ColleagueSchema),
        metadata={"description": "À qui vous pouvez la confier"},
    )
    form = fields.Dict(
        allow_none=True,
        metadata={"description": "Le formulaire de la tâche (JSON Schema) ; null : aucun"},
    )
    data = fields.Dict(
        metadata={"description": "Les valeurs du dossier pour ce formulaire (pré-remplissage)"}
    )


class AssignmentSchema(Schema):
    login = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Le collègue (même rôle, même territoire)"},
    )


class CompletionSchema(Schema):
    data = fields.Dict(
        keys=fields.String(),
        load_default=dict,
        metadata={
            "description": (
                "Les données du formulaire, validées comme sur la page de la tâche (un fichier : "
                '{"id": N} d\'une pièce déposée par vous ou déjà jointe au dossier)'
            )
        },
    )


class CompletedSchema(Schema):
    dossier = fields.String(required=True, metadata={"description": "Référence du dossier"})
    task = fields.Nested(
        TaskDetailSchema,
        allow_none=True,
        metadata={"description": "La tâche traitée (null si vous ne la voyez plus)"},
    )
    next_tasks = fields.List(
        fields.Nested(InboxTaskSchema),
        required=True,
        metadata={"description": "Les tâches ouvertes du dossier que vous pouvez traiter"},
    )


# ---------------------------------------------------------------- representation, ETag


def _representation(page: service.TaskPage) -> dict[str, Any]:
    task = page.task
    return {
        **task,
        "completed_at": page.completed_at,
        "completed_by": page.completed_by,
        "completed_by_name": page.completed_by_name,
        "claimable": page.may_act and not page.supervising and task["assignee"] is None,
        "may_act": page.may_act,
        "may_assign": page.may_assign,
        "may_release": page.may_release,
        "supervising": page.supervising,
        "colleagues": [{"login": login, "name": name} for login, name in page.colleagues],
        "form": page.schema,
        "data": page.data,
    }


def etag_of(page: service.TaskPage) -> str:
    """A strong validator of the task's state as this caller reads it (unquoted).

    The dossier's data stands for its lock version (the task page does not carry it): a step
    that changed the dossier changes it; so does any change of the task's holder or status.
    """
    task = page.task
    state = [
        viewer().login, task["id"], task["status"], task["assignee"], task["due_at"],
        page.completed_at, page.completed_by, page.version_id, page.schema is not None,
        page.dossier_data if page.dossier_data is not None else page.data,
    ]  # fmt: skip
    text = json.dumps(state, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _page(task_id: str) -> service.TaskPage:
    return service.task_form(services(), viewer(), task_id)


def _check_if_match(page: service.TaskPage) -> None:
    """412 when If-Match names another state than the current one (absent: no check)."""
    if "If-Match" not in request.headers:
        return
    current = etag_of(page)
    if request.if_match.star_tag or request.if_match.contains(current):
        return
    abort(problem(412, STALE, code="precondition_non_remplie", headers={"ETag": f'"{current}"'}))


def _answer(page: service.TaskPage) -> ResponseReturnValue:
    return _representation(page), 200, {"ETag": f'"{etag_of(page)}"'}


def _still_visible(task_id: str) -> service.TaskPage | None:
    """The task after an action, or None if the caller no longer sees it (a task of an expert
    given back to the expert the procedure named)."""
    try:
        return _page(task_id)
    except (NotFound, Forbidden):
        return None


def _after_action(task_id: str) -> ResponseReturnValue:
    """The task's new state, or 204 when the action took it out of the caller's sight."""
    current = _still_visible(task_id)
    if current is None:
        return Response(status=204)
    return _answer(current)


# ---------------------------------------------------------------- operations


@blueprint.get("")
@blueprint.doc(security=SECURITY)
@blueprint.arguments(InboxQuerySchema, location="query", as_kwargs=True)
@blueprint.response(200, InboxPageSchema)
def inbox(
    process_id: str | None = None, bpmn_id: str | None = None, role: str | None = None,
    territory: str | None = None, due: str | None = None, assignment: str | None = None,
    order: str = BY_DUE, direction: str = "asc", limit: int = DEFAULT_LIMIT, offset: int = 0,
) -> ResponseReturnValue:  # fmt: skip
    """Vos tâches ouvertes (corbeille), filtrées, triées et paginées.

    Les mêmes tâches que la corbeille du site : celles que vous pouvez traiter, dans votre
    périmètre. Filtres : procédure, tâche (élément BPMN), rôle, département, échéance, prise
    en charge. Pagination par décalage : `limit` (1 à 200) et `offset` ; `next_offset` donne la
    page suivante (null à la fin) et `total` le nombre de tâches selon les filtres.
    """
    who = viewer()
    if territory:
        try:
            territory = services().territories.departement(territory).code
        except InvalidInput as error:
            raise InvalidInput(error.message, fields={"territory": error.message}) from error
    filters = service.TaskFilter(
        role=role, territory=territory, process_id=process_id, bpmn_id=bpmn_id, due=due,
        assignee=who.login if assignment == MINE else None,
        unassigned=assignment == UNASSIGNED, order=order, descending=direction == "desc",
        limit=limit, offset=offset,
    )  # fmt: skip
    counts = service.count_tasks(services(), who, filters)
    items = service.list_tasks(services(), who, filters)
    following = offset + len(items)
    return {
        "items": items,
        "total": counts.total,
        "limit": limit,
        "offset": offset,
        "next_offset": following if following < counts.total and items else None,
        "counts": {
            "total": counts.total, "overdue": counts.overdue, "this_week": counts.this_week,
            "mine": counts.mine, "unassigned": counts.unassigned,
        },
    }  # fmt: skip


@blueprint.get("/<task_id>")
@blueprint.doc(security=SECURITY)
@blueprint.response(200, TaskDetailSchema, headers=ETAG_HEADER)
@blueprint.alt_response(304, description="La tâche n'a pas changé (If-None-Match)")
@blueprint.alt_response(403, description="Tâche de votre périmètre, pour un autre rôle")
@blueprint.alt_response(404, description="Tâche introuvable (ou hors de votre périmètre)")
def show(task_id: str) -> ResponseReturnValue:
    """Une tâche, son formulaire (JSON Schema) et ce que vous pouvez en faire.

    Une tâche traitée reste lisible (`status`, `completed_at`, `completed_by`). L'en-tête
    `ETag` identifie son état : renvoyez-le dans `If-None-Match` (304 s'il n'a pas changé) ou
    dans `If-Match` des actions.
    """
    page = _page(task_id)
    current = etag_of(page)
    headers = {"ETag": f'"{current}"', "Cache-Control": "private, no-cache"}
    if request.if_none_match.star_tag or request.if_none_match.contains_weak(current):
        return Response(status=304, headers=headers)
    return _representation(page), 200, headers


@blueprint.post("/<task_id>/claim")
@blueprint.doc(security=SECURITY)
@blueprint.response(200, TaskDetailSchema, headers=ETAG_HEADER)
@blueprint.alt_response(403, description="Votre rôle ne permet pas de traiter la tâche")
@blueprint.alt_response(404, description="Tâche introuvable (ou hors de votre périmètre)")
@blueprint.alt_response(409, description="Déjà traitée, ou prise en charge par quelqu'un d'autre")
@blueprint.alt_response(412, description="La tâche a changé depuis votre lecture (If-Match)")
def claim(task_id: str) -> ResponseReturnValue:
    """Prendre en charge une tâche.

    Refusé (409) si un collègue l'a déjà prise ou si elle est traitée ; si vous la tenez
    déjà, elle reste à vous. `If-Match` facultatif.
    """
    _check_if_match(_page(task_id))
    service.claim(services(), viewer(), task_id)
    return _answer(_page(task_id))


@blueprint.post("/<task_id>/release")
@blueprint.doc(security=SECURITY)
@blueprint.response(200, TaskDetailSchema, headers=ETAG_HEADER)
@blueprint.alt_response(204, description="Rendue à la personne désignée : vous ne la voyez plus")
@blueprint.alt_response(403, description="Votre rôle ne permet pas de traiter la tâche")
@blueprint.alt_response(404, description="Tâche introuvable (ou hors de votre périmètre)")
@blueprint.alt_response(409, description="Déjà traitée, tenue par un autre, ou confiée nommément")
@blueprint.alt_response(412, description="La tâche a changé depuis votre lecture (If-Match)")
def release(task_id: str) -> ResponseReturnValue:
    """Remettre une tâche à disposition.

    La tâche retourne à la corbeille de son rôle, ou à la personne que la procédure a
    désignée si quelqu'un d'autre la tenait. Refusé (409) si un collègue la tient.
    """
    _check_if_match(_page(task_id))
    try:
        service.release(services(), viewer(), task_id)
    except Forbidden as error:
        # Held by a colleague (someone who may act on it, as the caller may): the same 409 as
        # a claim or a completion of their task. A role that never may stays a 403.
        current = _still_visible(task_id)
        held = (
            current is not None
            and current.may_act
            and current.task["assignee"] not in (None, viewer().login)
        )
        if held:
            raise Conflict(error.message) from error
        raise
    return _after_action(task_id)


@blueprint.post("/<task_id>/assign")
@blueprint.doc(security=SECURITY)
@blueprint.arguments(AssignmentSchema)
@blueprint.response(200, TaskDetailSchema, headers=ETAG_HEADER)
@blueprint.alt_response(403, description="Votre rôle ne permet pas de confier la tâche")
@blueprint.alt_response(404, description="Tâche introuvable (ou hors de votre périmètre)")
@blueprint.alt_response(409, description="La tâche est déjà traitée")
@blueprint.alt_response(412, description="La tâche a changé depuis votre lecture (If-Match)")
def assign(body: dict[str, Any], task_id: str) -> ResponseReturnValue:
    """Confier une tâche à un collègue (même rôle, même territoire).

    Préfets et équipe nationale, pour leurs tâches ; l'équipe nationale confie aussi les
    missions d'expertise. Le collègue est prévenu par une notification. Un login qui ne peut
    pas la recevoir : 422 (erreur sur `login`).
    """
    _check_if_match(_page(task_id))
    service.assign(services(), viewer(), task_id, body["login"])
    return _after_action(task_id)


@blueprint.post("/<task_id>/complete")
@blueprint.doc(security=SECURITY)
@blueprint.arguments(CompletionSchema)
@blueprint.response(200, CompletedSchema, headers=ETAG_HEADER)
@blueprint.alt_response(403, description="Votre rôle ne permet pas de traiter la tâche")
@blueprint.alt_response(404, description="Tâche introuvable (ou hors de votre périmètre)")
@blueprint.alt_response(409, description="Déjà traitée, tenue par un autre, dossier modifié")
@blueprint.alt_response(412, description="La tâche a changé depuis votre lecture (If-Match)")
@blueprint.alt_response(422, description="Données du formulaire refusées (erreurs par champ)")
def complete(body: dict[str, Any], task_id: str) -> ResponseReturnValue:
    """Traiter une tâche avec les données de son formulaire.

    Les données sont validées exactement comme sur la page de la tâche : un refus est un 422
    dont `errors` nomme chaque champ (`data.besoin_qualifie`). Deux envois concurrents : le
    premier l'emporte, l'autre reçoit 409 et rien de lui n'est enregistré. La réponse donne le
    dossier et ses tâches ouvertes que vous pouvez traiter ensuite.
    """
    page = _page(task_id)
    _check_if_match(page)
    if not page.open:
        raise Conflict(f"La tâche « {page.task['name']} » a déjà été traitée.")
    try:
        reference = service.complete(services(), viewer(), task_id, body["data"])
    except InvalidInput as error:
        raise _in_body(error) from error
    done = _still_visible(task_id)
    answer = {
        "dossier": reference,
        "task": _representation(done) if done is not None else None,
        "next_tasks": _next_tasks(reference, page.task["process_id"]),
    }
    return answer, 200, {"ETag": f'"{etag_of(done)}"'} if done is not None else {}


def _in_body(error: InvalidInput) -> InvalidInput:
    """The form's field errors as paths of the request body (`besoin_qualifie` is sent as
    `data.besoin_qualifie`); a refusal of the whole submission names `data`."""
    found = error.details.get("fields")
    if not isinstance(found, dict):
        field = error.details.get("field")
        found = {field: ""} if field else {"": error.message}
    fields_ = {
        (f"data.{path}" if path else "data"): (message or error.message)
        for path, message in found.items()
    }
    details = {k: v for k, v in error.details.items() if k not in ("fields", "field")}
    return InvalidInput(error.message, **details, fields=fields_)


def _next_tasks(reference: str, process_id: str) -> list[dict[str, Any]]:
    """The dossier's open tasks the caller may act on, as its page lists them; for a caller
    who acts on a task of the dossier without seeing the dossier, from their inbox."""
    try:
        details = service.get_instance(services(), reference, viewer())
    except (NotFound, Forbidden):
        found = service.list_tasks(
            services(), viewer(), service.TaskFilter(process_id=process_id, limit=MAX_LIMIT)
        )
        return [t for t in found if t["instance"] == reference]
    return [
        {**t, "process_name": details.process_name, "organisation": details.organisation,
         "territory_label": services().territories.label(t["territory"])}
        for t in details.tasks
        if t.get("may_act")
    ]  # fmt: skip

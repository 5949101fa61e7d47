"""Dossiers through the API: file one (at most once per idempotency key), search them with a
cursor, read one as its page shows it (the same fields, by the same readers' rules)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from engine import service
from engine.errors import InvalidInput
from engine.service.dossiers import drafts, idempotency
from engine.service.dossiers import search as dossier_search
from engine.service.dossiers.search import SearchFilter

from ..access import services
from . import caller
from .blueprints import SECURITY, authenticated

blueprint = authenticated("api_dossiers", __name__, "/api/v1/dossiers", "Dossiers")

IDEMPOTENCY_HEADER = "Idempotency-Key"


class DossierCreateSchema(Schema):
    process_id = fields.String(required=True, validate=validate.Length(1, 100))
    territory = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(1, 3),
        metadata={"description": "Code du département, si le formulaire ne le donne pas"},
    )  # fmt: skip
    siren = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(1, 20),
        metadata={"description": "SIREN de l'organisation (obligatoire pour les agents)"},
    )  # fmt: skip
    campaign = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(1, 100),
        metadata={"description": "Code de l'appel à projets, pour une candidature"},
    )  # fmt: skip
    organisation = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(1, 300)
    )
    data = fields.Dict(
        keys=fields.String(), required=True,
        metadata={"description": "Données du formulaire de dépôt (voir start_form du processus)"},
    )  # fmt: skip


class DossierSummarySchema(Schema):
    reference = fields.String(required=True)
    process_id = fields.String(required=True)
    process_name = fields.String(required=True)
    territory = fields.String(required=True)
    territory_label = fields.String(required=True)
    siren = fields.String(required=True)
    organisation = fields.String(allow_none=True)
    status = fields.String(required=True)
    outcome = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    completed_at = fields.DateTime(allow_none=True)


class DossierPageSchema(Schema):
    items = fields.List(fields.Nested(DossierSummarySchema), required=True)
    total = fields.Integer(required=True)
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "À renvoyer dans `cursor` ; null : fin"}
    )


class DossierQuerySchema(Schema):
    reference = fields.String(validate=validate.Length(max=40))
    organisation = fields.String(validate=validate.Length(max=300))
    siren = fields.String(validate=validate.Length(max=20))
    territory = fields.String(validate=validate.Length(max=3))
    status = fields.String(validate=validate.OneOf(sorted(dossier_search.STATUSES)))
    process_id = fields.String(validate=validate.Length(max=100))
    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(
        load_default=dossier_search.PER_PAGE,
        validate=validate.Range(1, dossier_search.MAX_PER_PAGE),
    )


class OpenTaskSchema(Schema):
    id = fields.String(required=True)
    bpmn_id = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    territory = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    may_act = fields.Boolean(metadata={"description": "L'appelant peut traiter cette tâche"})


class TimerSchema(Schema):
    bpmn_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    kind = fields.String(required=True)
    due_at = fields.DateTime(required=True)


class EventSchema(Schema):
    at = fields.DateTime(required=True)
    actor = fields.String(allow_none=True)
    actor_name = fields.String(allow_none=True)
    kind = fields.String(required=True)
    label = fields.String(allow_none=True)
    bpmn_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    changes = fields.Dict(allow_none=True)


class GrantSchema(Schema):
    campaign = fields.String(required=True)
    status = fields.String(required=True)
    granted = fields.Decimal(as_string=True, required=True)
    amount = fields.Decimal(as_string=True, required=True)
    paid = fields.Decimal(as_string=True, required=True)
    remaining = fields.Decimal(as_string=True, required=True)


class DossierSchema(DossierSummarySchema):
    version = fields.Integer(required=True)
    data = fields.Dict(required=True, metadata={"description": "Données lisibles par l'appelant"})
    outcome_label = fields.String(allow_none=True)
    outcome_motive = fields.String(allow_none=True)
    outcome_amount = fields.String(allow_none=True)
    outcome_conditions = fields.String(allow_none=True)
    tasks = fields.List(fields.Nested(OpenTaskSchema), required=True)
    timers = fields.List(fields.Nested(TimerSchema), required=True)
    history = fields.List(fields.Nested(EventSchema), required=True)
    grant = fields.Nested(GrantSchema, allow_none=True)


#: What a dossier's representation reads of the engine's details (the schema's own fields).
_DETAIL_FIELDS = tuple(DossierSchema().fields)


def etag_of(dossier: dict[str, Any]) -> str:
    """A strong validator of what the caller reads: a step, a claim, a timer fired, a field
    the caller may now read all change it."""
    body = json.dumps(dossier, sort_keys=True, default=str)
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


def _dossier(details: service.InstanceDetails) -> dict[str, Any]:
    grant = details.grant
    return {
        **{name: getattr(details, name) for name in _DETAIL_FIELDS if hasattr(details, name)},
        "grant": None if grant is None else {
            "campaign": grant.campaign_code, "status": grant.status, "granted": grant.granted,
            "amount": grant.amount, "paid": grant.paid, "remaining": grant.remaining,
        },
    }  # fmt: skip


#: The portal's own choices, as the API body names them; the form's fields are under `data`.
_PORTAL_FIELDS = {
    drafts.TERRITORY_FIELD: "territory",
    drafts.SIREN_FIELD: "siren",
    drafts.CAMPAIGN_FIELD: "campaign",
}


def _body_fields(error: InvalidInput) -> dict[str, str]:
    fields_ = error.details.get("fields") or {}
    if not fields_ and error.details.get("field"):
        fields_ = {error.details["field"]: error.message}
    return {_PORTAL_FIELDS.get(name, f"data.{name}"): text for name, text in fields_.items()}


def _read(reference: str) -> tuple[dict[str, Any], str]:
    dossier = _dossier(service.get_instance(services(), reference, caller.viewer()))
    return dossier, etag_of(dossier)


@blueprint.post("")
@blueprint.arguments(DossierCreateSchema)
@blueprint.response(201, DossierSchema)
@blueprint.alt_response(
    200, schema=DossierSchema, description="Même clé, même corps : le dossier déjà déposé"
)
@blueprint.doc(
    security=SECURITY,
    parameters=[{
        "in": "header", "name": IDEMPOTENCY_HEADER, "required": False,
        "schema": {"type": "string", "maxLength": idempotency.MAX_KEY},
        "description": "Rejouer la même requête avec la même clé rend le même dossier.",
    }],
)  # fmt: skip
def create(body: dict[str, Any]) -> ResponseReturnValue:
    """Déposer un dossier (ou l'ouvrir, pour un agent) ; ses premières étapes sont jouées."""
    viewer = caller.viewer()

    def file(once: Any = None) -> Any:
        try:
            return drafts.file(
                services(), viewer, body["process_id"], body["data"],
                organisation=body.get("organisation"), territory=body.get("territory"),
                campaign=body.get("campaign"), siren=body.get("siren"), once=once,
            )  # fmt: skip
        except InvalidInput as error:
            raise InvalidInput(error.message, fields=_body_fields(error)) from None

    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        reference, status = file().reference, 201
    else:
        filed = idempotency.file_once(services(), viewer, key, body, file)
        reference, status = filed.reference, 200 if filed.replayed else 201
    dossier, etag = _read(reference)
    headers = {"Location": f"/api/v1/dossiers/{reference}", "ETag": etag}
    return dossier, status, headers


@blueprint.get("")
@blueprint.arguments(DossierQuerySchema, location="query")
@blueprint.response(200, DossierPageSchema)
@blueprint.doc(security=SECURITY)
def search(query: dict[str, Any]) -> dict[str, Any]:
    """Chercher les dossiers visibles par l'appelant (les filtres de la recherche du site),
    du plus récent au plus ancien, par pages de `limit` suivies avec `cursor`."""
    filters = SearchFilter(
        reference=query.get("reference"), organisation=query.get("organisation"),
        siren=query.get("siren"), territory=query.get("territory"),
        status=query.get("status"), process_id=query.get("process_id"),
    )  # fmt: skip
    page = dossier_search.search_from(
        services(), caller.viewer(), filters, query.get("cursor"), query["limit"]
    )
    return {"items": page.items, "total": page.total, "next_cursor": page.next_cursor}


@blueprint.get("/<reference>")
@blueprint.response(200, DossierSchema)
@blueprint.alt_response(304, description="Inchangé depuis l'ETag donné (If-None-Match)")
@blueprint.doc(security=SECURITY)
def show(reference: str) -> ResponseReturnValue:
    """Un dossier : état, issue, données lisibles par l'appelant, historique, tâches ouvertes
    et échéances à venir. `ETag` change à chaque étape du dossier."""
    dossier, etag = _read(reference)
    if request.if_none_match.contains(etag.strip('"')):
        return "", 304, {"ETag": etag}
    return dossier, 200, {"ETag": etag}

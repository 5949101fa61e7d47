"""Migration plans through the API: a process owner's system makes a plan from one version to
another, adjusts its mapping and timers, runs a dry run and the migration, and follows the
results — with the same service functions and checks as the migration pages
(engine/service/migrations): the procedure's owners and the administrators only."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from engine.errors import InvalidInput, NotFound
from engine.service.migrations import plans, runs

from ..access import services
from .blueprints import SECURITY, authenticated
from .caller import viewer

blueprint = authenticated(
    "api_migrations", __name__, "/api/v1/processes", "Migrations des dossiers en cours"
)
#: The modes a run takes, as the API names them, and as the engine does.
MODES = {"dry_run": "essai", "execution": "migration"}
MAX_OUTCOMES = 500


class ElementSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    scope = fields.String(required=True)
    timer = fields.String(allow_none=True)


class MappingRowSchema(Schema):
    source = fields.Nested(ElementSchema, required=True)
    target = fields.Nested(ElementSchema, allow_none=True, metadata={"description": "null : aucun"})
    chosen = fields.Boolean(required=True, metadata={"description": "Choisi par le responsable"})
    waiting = fields.Integer(required=True, metadata={"description": "Dossiers qui y attendent"})


class TimerRowSchema(Schema):
    source = fields.Nested(ElementSchema, required=True)
    target = fields.Nested(ElementSchema, allow_none=True)
    rearm = fields.Boolean(required=True, metadata={"description": "Réarmée à la migration"})
    changed = fields.Boolean(required=True)
    waiting = fields.Integer(required=True)


class OutcomeSchema(Schema):
    reference = fields.String(required=True)
    pending = fields.Boolean(required=True)
    mode = fields.String(required=True)
    status = fields.String(
        allow_none=True, metadata={"description": "migrable, migre, refuse, conflit"}
    )
    reason = fields.String(allow_none=True)
    element_id = fields.String(allow_none=True)
    attempted_at = fields.DateTime(allow_none=True)


class PlanSchema(Schema):
    id = fields.Integer(required=True)
    process_id = fields.String(required=True)
    source_version = fields.Integer(required=True)
    target_version = fields.Integer(required=True)
    revision = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    created_by = fields.String(allow_none=True)
    updated_at = fields.DateTime(required=True)
    mapping = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    rearm = fields.List(fields.String(), required=True)
    running = fields.Boolean(required=True, metadata={"description": "Une exécution est en cours"})


class PlanDetailSchema(PlanSchema):
    elements = fields.List(fields.Nested(MappingRowSchema), required=True)
    timers = fields.List(fields.Nested(TimerRowSchema), required=True)
    progress = fields.Dict(
        keys=fields.String(), values=fields.Integer(), required=True,
        metadata={"description": "Exécution en cours ou dernière : total, pending, par issue"},
    )  # fmt: skip
    outcomes = fields.List(fields.Nested(OutcomeSchema), required=True)
    running_dossiers = fields.Integer(required=True)


class PlanCreateSchema(Schema):
    source_version = fields.Integer(required=True, validate=validate.Range(min=1))
    target_version = fields.Integer(required=True, validate=validate.Range(min=1))


class PlanUpdateSchema(Schema):
    mapping = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 200)),
        values=fields.String(validate=validate.Length(max=200)), load_default=dict,
        metadata={"description": "Élément source → élément cible (vide : même identifiant)"},
    )  # fmt: skip
    rearm = fields.List(
        fields.String(validate=validate.Length(1, 200)), load_default=list,
        metadata={"description": "Minuteries réarmées à la migration (les autres gardent leur date)"},
    )  # fmt: skip


class RunSchema(Schema):
    mode = fields.String(required=True, validate=validate.OneOf(sorted(MODES)))
    references = fields.List(fields.String(validate=validate.Length(1, 40)), load_default=list)
    territory = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 3))
    retry = fields.Boolean(
        load_default=False, metadata={"description": "Seulement les refusés et les conflits"}
    )


class RunStartedSchema(Schema):
    run_number = fields.Integer(required=True)
    total = fields.Integer(required=True)
    done = fields.Boolean(
        required=True, metadata={"description": "Faite dans la requête ; sinon, par les workers"}
    )


def _plan(plan: plans.Plan) -> dict[str, Any]:
    return {name: getattr(plan, name) for name in PlanSchema().fields}


def _owned(process_id: str, plan_id: int) -> plans.PlanPage:
    page = plans.plan_page(services(), viewer(), plan_id, limit=MAX_OUTCOMES)
    if page.plan.process_id != process_id:
        raise NotFound(f"Plan de migration introuvable : « {plan_id} ».")
    return page


def _detail(page: plans.PlanPage) -> dict[str, Any]:
    return {
        **_plan(page.plan),
        "elements": [vars(row) for row in page.rows],
        "timers": [{**vars(row), "changed": row.changed} for row in page.timers],
        "progress": page.progress,
        "outcomes": [row._asdict() for row in page.outcomes],
        "running_dossiers": page.running,
    }


@blueprint.get("/<process_id>/migrations")
@blueprint.response(200, PlanSchema(many=True))
@blueprint.doc(security=SECURITY)
def list_plans(process_id: str) -> list[dict[str, Any]]:
    """Les plans de migration de la procédure (ses responsables, les administrateurs)."""
    return [_plan(plan) for plan in plans.plans_of(services(), viewer(), process_id)]


@blueprint.post("/<process_id>/migrations")
@blueprint.arguments(PlanCreateSchema)
@blueprint.response(201, PlanDetailSchema)
@blueprint.doc(security=SECURITY)
def create_plan(body: dict[str, Any], process_id: str) -> ResponseReturnValue:
    """Créer un plan d'une version vers une autre (en avant ou en arrière) ; les minuteries
    dont l'échéance change sont réarmées par défaut."""
    plan_id = plans.create_plan(
        services(), viewer(), process_id, body["source_version"], body["target_version"]
    )
    return _detail(_owned(process_id, plan_id)), 201


@blueprint.get("/<process_id>/migrations/<int:plan_id>")
@blueprint.response(200, PlanDetailSchema)
@blueprint.doc(security=SECURITY)
def show_plan(process_id: str, plan_id: int) -> dict[str, Any]:
    """Un plan : correspondance des éléments (avec les dossiers qui y attendent), minuteries,
    avancement de l'exécution en cours et résultats par dossier."""
    return _detail(_owned(process_id, plan_id))


@blueprint.put("/<process_id>/migrations/<int:plan_id>")
@blueprint.arguments(PlanUpdateSchema)
@blueprint.response(200, PlanDetailSchema)
@blueprint.doc(security=SECURITY)
def update_plan(body: dict[str, Any], process_id: str, plan_id: int) -> dict[str, Any]:
    """Changer la correspondance et les minuteries réarmées (refusé pendant une exécution,
    ou pour une cible d'un autre type ou d'une autre portée : 422 par élément)."""
    _owned(process_id, plan_id)
    plans.update_plan(services(), viewer(), plan_id, mapping=body["mapping"], rearm=body["rearm"])
    return _detail(_owned(process_id, plan_id))


@blueprint.post("/<process_id>/migrations/<int:plan_id>/runs")
@blueprint.arguments(RunSchema)
@blueprint.response(202, RunStartedSchema)
@blueprint.alt_response(200, schema=RunStartedSchema, description="Faite dans la requête")
@blueprint.doc(security=SECURITY)
def start_run(body: dict[str, Any], process_id: str, plan_id: int) -> ResponseReturnValue:
    """Lancer un essai à blanc (`dry_run`) ou la migration (`execution`) des dossiers en cours
    (tous, ceux nommés, ceux d'un département, ou seulement les refusés) : jusqu'à 20 dossiers
    dans la requête (200), au-delà par les workers (202) ; l'avancement se lit sur le plan."""
    _owned(process_id, plan_id)
    try:
        started = runs.start(
            services(), viewer(), plan_id, mode=MODES[body["mode"]],
            references=body["references"] or None, territory=body["territory"],
            retry=body["retry"],
        )  # fmt: skip
    except runs.NothingToMigrate as error:
        raise InvalidInput(error.message, fields={"references": error.message}) from None
    answer = {"run_number": started.run_number, "total": started.total, "done": started.done}
    return answer, 200 if started.done else 202

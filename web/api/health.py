"""Is the platform up: the database answers (for load balancers and supervision)."""

from __future__ import annotations

import logging

from flask.typing import ResponseReturnValue
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..access import services
from .problems import problem

log = logging.getLogger("anct.api")

blueprint = Blueprint(
    "api_health", __name__, url_prefix="/api/v1/health", description="État de la plateforme"
)


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"example": "ok"})
    database = fields.String(required=True, metadata={"description": "sqlite ou postgresql"})


@blueprint.get("")
@blueprint.response(200, HealthSchema)
@blueprint.alt_response(503, description="La base de données ne répond pas")
def health() -> ResponseReturnValue:
    """État de la plateforme : la base de données répond."""
    try:
        database = services().ping()
    except Exception:  # whatever the driver raises, the answer is 503
        log.exception("La base de données ne répond pas")
        return problem(503, "La base de données ne répond pas.", code="base_indisponible")
    return {"status": "ok", "database": database}

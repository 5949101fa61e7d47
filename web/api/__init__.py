"""The JSON API under /api/v1 (OpenAPI 3.1), for the State's and the authorities' own systems.

flask-smorest builds the routes from marshmallow schemas and writes the OpenAPI document
(/api/v1/openapi.json); the documentation page is Swagger UI from npm. Every operation goes
through the same service layer, with the same checks, as the pages; errors are problem details
(problems.py); callers authenticate with personal tokens (caller.py); each token has its own
rate limit.
"""

from __future__ import annotations

import http
import os
from typing import Any

from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Flask, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from . import caller, problems

PREFIX = "/api/v1"
#: Calls per token (or per address without one); ANCT_API_RATE_LIMIT overrides it.
DEFAULT_RATE_LIMIT = "300 per minute"


class ProblemApi(Api):
    """flask-smorest's Api, with errors documented as problem details and handled by
    web/errors.py (which answers problem details under /api/ and French pages elsewhere)."""

    ERROR_SCHEMA = problems.ProblemSchema

    def _register_error_handlers(self) -> None:
        """Not app-wide: the pages keep their own error handlers (web/errors.py)."""

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": problems.TITLES.get(status, status.phrase)}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, problems.PROBLEM_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Erreur (problème RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, problems.PROBLEM_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def _schema_name(schema: Any) -> str:
    cls = resolve_schema_cls(schema)
    return cls.__name__.removesuffix("Schema") or cls.__name__


def _rate_limit() -> str:
    return current_app.config.get("ANCT_API_RATE_LIMIT") or DEFAULT_RATE_LIMIT


def init_app(app: Flask, csrf: Any) -> None:
    from . import dossiers, files, health, migrations, notifications, processes, tasks

    app.config.setdefault("API_TITLE", "API de la plateforme des procédures de l'ANCT")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": (
                    "Déposer, suivre et instruire les dossiers des procédures de l'ANCT. "
                    "Authentification : jeton personnel dans l'en-tête "
                    "« Authorization: Bearer JETON ». Erreurs : RFC 9457 "
                    "(application/problem+json)."
                ),
            },
            "servers": [{"url": "/"}],
            "components": {
                "securitySchemes": {
                    "jeton": {"type": "http", "scheme": "bearer", "description": "Jeton personnel"}
                }
            },
        },
    )
    # Not flask-limiter's RATELIMIT_DEFAULT: that one would limit the pages too.
    app.config.setdefault(
        "ANCT_API_RATE_LIMIT", os.environ.get("ANCT_API_RATE_LIMIT") or DEFAULT_RATE_LIMIT
    )
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", os.environ.get("ANCT_RATE_LIMIT_STORAGE") or "memory://"
    )
    api = ProblemApi(app, spec_kwargs={"marshmallow_plugin": _marshmallow_plugin()})

    # Registered before the limiter's own: Flask runs these hooks last registered first.
    @app.after_request
    def retry_only_when_refused(response: Response) -> Response:
        """flask-limiter adds Retry-After to every answer; it only means something on a 429."""
        if response.status_code != 429 and request.path.startswith(PREFIX):
            response.headers.pop("Retry-After", None)
        return response

    limiter = Limiter(key_func=caller.rate_key, app=app, default_limits=[], headers_enabled=True)
    for module in (health, processes, migrations, dossiers, files, tasks, notifications):
        csrf.exempt(module.blueprint)
        api.register_blueprint(module.blueprint)
        if module is not health:
            limiter.limit(_rate_limit)(module.blueprint)
    app.extensions["anct_api"] = api
    app.extensions["anct_limiter"] = limiter

    @app.get(f"{PREFIX}/docs")
    def api_docs() -> ResponseReturnValue:
        return render_template("api/docs.html", spec_url=f"{PREFIX}/openapi.json")


def _marshmallow_plugin() -> Any:
    from apispec.ext.marshmallow import MarshmallowPlugin

    return MarshmallowPlugin(schema_name_resolver=_schema_name)

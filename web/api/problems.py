"""Errors of the API as RFC 9457 problem details (`application/problem+json`).

Every failure under /api/ answers this way — malformed JSON, a wrong type, an unknown id, a
missing token, a refusal, a conflict, an oversized body — never an HTML page nor a traceback.
`type` is a stable URI per kind of problem, `title` its French name, `detail` what happened,
`errors` the field errors of a validation (field path → message), `code` the engine's code.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Response, json
from marshmallow import Schema, fields

PROBLEM_TYPE = "application/problem+json"
#: The base of the `type` URIs: documentation anchors of the API page.
TYPE_BASE = "/api/v1/docs#probleme-"

TITLES = {
    400: "Requête mal formée",
    401: "Authentification requise",
    403: "Accès refusé",
    404: "Ressource introuvable",
    405: "Méthode non permise",
    406: "Format de réponse non disponible",
    409: "Conflit",
    412: "Précondition non remplie",
    413: "Requête trop volumineuse",
    415: "Type de contenu non pris en charge",
    422: "Données invalides",
    428: "Précondition requise",
    429: "Trop de requêtes",
    500: "Erreur interne",
    503: "Service indisponible",
}


class ProblemSchema(Schema):
    """RFC 9457 problem details, with the field errors of a validation."""

    type = fields.String(required=True, metadata={"description": "URI du type de problème"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    code = fields.String(metadata={"description": "Code stable de l'erreur (moteur)"})
    errors = fields.Dict(
        keys=fields.String(), values=fields.String(),
        metadata={"description": "Erreurs par champ (chemin pointé → message)"},
    )  # fmt: skip


def flatten(messages: Any, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested messages ({"data": {"x": ["..."]}}) as dotted paths → one message."""
    found: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key in ("json", "query", "headers", "form", "view_args") and not prefix:
                found.update(flatten(value, ""))
                continue
            found.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(messages, list | tuple):
        if all(isinstance(item, str) for item in messages):
            found[prefix or "_"] = " ".join(messages)
        else:
            for item in messages:
                found.update(flatten(item, prefix))
    else:
        found[prefix or "_"] = str(messages)
    return found


def problem(
    status: int, detail: str, *, code: str | None = None,
    errors: dict[str, str] | None = None, headers: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    slug = code or HTTPStatus(status).phrase.lower().replace(" ", "-")
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": TITLES.get(status, HTTPStatus(status).phrase),
        "status": status,
        "detail": detail,
    }
    if code:
        body["code"] = code
    if errors:
        body["errors"] = {str(k): str(v) for k, v in errors.items()}
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response

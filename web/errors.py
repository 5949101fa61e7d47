"""Errors as people should see them: a French page (or JSON under /api/), never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from flask import jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.errors import EngineError, ScriptError

from .api import problems
from .api.caller import AUTHENTICATE, Unauthenticated

log = logging.getLogger("anct.web")

#: What a person reads when a script of the procedure fails on their submission: the fault is
#: the procedure's, not theirs; the technical account goes to the logs only.
SCRIPT_FAILED = (
    "Votre saisie n'a pas pu être enregistrée : la procédure a rencontré une erreur "
    "inattendue en la traitant. Vos informations sont conservées ci-dessous ; l'erreur a été "
    "enregistrée pour l'équipe qui gère la procédure. Vous pouvez réessayer plus tard."
)

MESSAGES = {
    400: "La demande n'a pas pu être comprise.",
    401: "Connectez-vous pour accéder à cette page.",
    403: "Vous n'avez pas accès à cette page.",
    404: "Page introuvable.",
    405: "Cette action n'est pas possible ici.",
    409: "Quelqu'un a modifié ce dossier entre-temps.",
    413: (
        "L'envoi est trop volumineux : 20 Mo au plus en tout, et 10 Mo par fichier. Revenez au "
        "formulaire et joignez des fichiers plus légers (un PDF peut souvent être réduit)."
    ),
    422: "Les données envoyées ne sont pas valides.",
    500: "Une erreur inattendue est survenue ; elle a été enregistrée.",
}


def _api() -> bool:
    return request.path.startswith("/api/")


def _field_errors(details: dict[str, Any] | None) -> dict[str, str] | None:
    details = details or {}
    if isinstance(details.get("fields"), dict):
        return {str(k): str(v) for k, v in details["fields"].items()}
    if details.get("field"):
        return {str(details["field"]): ""}
    return None


def _answer(status: int, message: str, code: str, details: dict[str, Any] | None = None):
    if _api():
        errors = _field_errors(details)
        if errors and "" in errors.values():
            errors = {name: text or message for name, text in errors.items()}
        return problems.problem(status, message, code=code, errors=errors)
    if request.is_json or _wants_json():
        return jsonify(code=code, message=message, **(details or {})), status
    return render_template("errors/erreur.html", status=status, message=message), status


def _wants_json() -> bool:
    """The modeler's fetches ask for JSON: they get the error as JSON, not as a page."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


def log_script_failure(error: ScriptError, where: str) -> str:
    """Log a procedure's script failure with everything a developer needs (the message naming
    the BPMN element, the script's own traceback, the call stack) and return what the person
    reads instead: never an exception name or a traceback."""
    log.error(
        "Script de procédure en échec (%s) : %s\n%s",
        where, error.message, error.technical or "(pas de trace du script)", exc_info=error,
    )  # fmt: skip
    return SCRIPT_FAILED


#: What the API says for the HTTP errors the framework raises (the pages say MESSAGES).
API_MESSAGES = {
    400: "Le corps de la requête n'est pas du JSON valide.",
    404: "Aucune ressource à cette adresse.",
    405: "Cette méthode n'est pas permise sur cette ressource.",
    413: "La requête dépasse la taille permise (20 Mo).",
    415: "Envoyez le corps en JSON (Content-Type: application/json).",
    422: "Les données envoyées ne sont pas valides.",
    429: "Trop de requêtes pour ce jeton : réessayez après le délai indiqué (Retry-After).",
}


def _api_http_error(error: HTTPException, status: int) -> ResponseReturnValue:
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    errors = problems.flatten(messages) if messages else None
    detail = data.get("message") or API_MESSAGES.get(status) or MESSAGES.get(status) or ""
    if status == 422 and errors:
        detail = "Les données envoyées ne sont pas valides : " + " ; ".join(
            f"{name} : {text}" for name, text in errors.items()
        )
    headers = dict(data.get("headers") or {})
    if status == 405 and error.get_response().headers.get("Allow"):
        headers["Allow"] = error.get_response().headers["Allow"]
    return problems.problem(status, detail, errors=errors, headers=headers)


def init_app(app: Any) -> None:
    @app.errorhandler(EngineError)
    def engine_error(error: EngineError) -> ResponseReturnValue:
        if isinstance(error, ScriptError):
            return _answer(error.http_status, log_script_failure(error, request.path), error.code)
        return _answer(error.http_status, error.message, error.code, error.details)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        message = "Le formulaire a expiré ou ne vient pas de ce site : rechargez la page."
        return _answer(400, message, "csrf")

    @app.errorhandler(Unauthenticated)
    def unauthenticated(error: Unauthenticated) -> ResponseReturnValue:
        response = problems.problem(401, error.detail, code="non_authentifie")
        response.headers["WWW-Authenticate"] = AUTHENTICATE
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        status = error.code or 500
        if _api():
            return _api_http_error(error, status)
        return _answer(status, MESSAGES.get(status, error.description or ""), str(status))

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> ResponseReturnValue:
        log.exception("Erreur inattendue sur %s", request.path)
        return _answer(500, MESSAGES[500], "erreur_interne")

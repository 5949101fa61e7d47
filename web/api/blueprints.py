"""The API's blueprints: documented by flask-smorest, every call authenticated first."""

from __future__ import annotations

from flask_smorest import Blueprint

from . import caller


def authenticated(name: str, import_name: str, url_prefix: str, description: str) -> Blueprint:
    """A blueprint whose every route needs a token (401 otherwise, before any work)."""
    blueprint = Blueprint(name, import_name, url_prefix=url_prefix, description=description)
    blueprint.before_request(_authenticate)
    return blueprint


def _authenticate() -> None:
    """Before the view (a before_request that returns something would replace the view)."""
    caller.authenticate()


#: What each authenticated operation declares in the OpenAPI document.
SECURITY = [{"jeton": []}]

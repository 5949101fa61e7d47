"""Front-end assets installed by npm (DSFR, bpmn-js), served from node_modules, never committed.

Only the distribution folders below are reachable; anything else under node_modules is a 404.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from flask.typing import ResponseReturnValue

ALLOWED = ("@gouvfr/dsfr/dist/", "bpmn-js/dist/", "swagger-ui-dist/")

blueprint = Blueprint("assets", __name__)


@blueprint.get("/vendor/<path:filename>")
def vendor(filename: str) -> ResponseReturnValue:
    if ".." in Path(filename).parts or not filename.startswith(ALLOWED):
        abort(404)
    root: Path = current_app.config["ANCT_ASSETS_PATH"]
    return send_from_directory(root, filename, max_age=86_400)


@blueprint.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Browsers ask the site root for its icon whatever the page says: the State's, from DSFR."""
    root: Path = current_app.config["ANCT_ASSETS_PATH"]
    return send_from_directory(root / "@gouvfr/dsfr/dist/favicon", "favicon.ico", max_age=86_400)

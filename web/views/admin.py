"""Administration of accounts: people, roles and scopes."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from engine.roles import ADMIN
from engine.service import users

from ..access import roles_required, services

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.get("/utilisateurs", endpoint="users")
@roles_required(ADMIN)
def users_index() -> ResponseReturnValue:
    return render_template("admin/users.html", accounts=users.list_accounts(services()))

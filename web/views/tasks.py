"""One task: its form, claim, release, assign, complete."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("tasks", __name__, url_prefix="/taches")

"""Application factory. The inboxes, dossier pages and portal arrive with the web issue; for now
the application shows the deployed procedures and answers a health check."""

from __future__ import annotations

from flask import Flask, jsonify, render_template
from sqlalchemy import text

from engine import service


def create_app(services: service.Services) -> Flask:
    app = Flask(__name__)
    app.extensions["anct"] = services

    @app.get("/")
    def home() -> str:
        return render_template("home.html", processes=service.latest_versions(services))

    @app.get("/sante")
    def health():  # type: ignore[no-untyped-def]
        with services.db.connect() as connection:
            connection.execute(text("SELECT 1"))
        return jsonify(statut="ok", base=services.db.dialect.name)

    return app

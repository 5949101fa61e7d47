"""Application factory: the engine's services in, a Flask application out (no global state)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

from engine import service
from engine.config import PROJECT_ROOT

from . import access, api, assets, auth, errors
from .views import (
    admin,
    api_tokens,
    attachments,
    campaigns,
    closing,
    dossiers,
    inbox,
    migrations,
    notices,
    portal,
    process_editor,
    processes,
    tasks,
)
from .views.formatting import register_filters

csrf = CSRFProtect()
#: Largest post: a form with its files (web/errors.py says so in French when it is exceeded).
MAX_REQUEST_BYTES = 20 * 1024 * 1024


def _secret_key(instance_path: Path) -> str:
    """ANCT_SECRET_KEY, else a key kept in the instance folder (shared by local processes)."""
    if os.environ.get("ANCT_SECRET_KEY"):
        return os.environ["ANCT_SECRET_KEY"]
    path = instance_path / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = path.with_suffix(f".{os.getpid()}")
        candidate.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        candidate.chmod(0o600)
        try:
            os.link(candidate, path)  # atomic: the first process's key wins, for all of them
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    return path.read_text(encoding="utf-8").strip()


def settings_from_env() -> dict[str, Any]:
    env = os.environ.get
    return {
        "SESSION_COOKIE_SECURE": env("ANCT_SECURE_COOKIES", "").lower() in ("1", "true", "oui"),
        "ANCT_ASSETS_PATH": Path(env("ANCT_ASSETS_PATH", PROJECT_ROOT / "node_modules")),
        "ANCT_OIDC_CLIENT_ID": env("ANCT_OIDC_CLIENT_ID", ""),
        "ANCT_OIDC_CLIENT_SECRET": env("ANCT_OIDC_CLIENT_SECRET", ""),
        "ANCT_OIDC_METADATA_URL": env("ANCT_OIDC_METADATA_URL") or None,
        "ANCT_OIDC_AUTHORIZE_URL": env("ANCT_OIDC_AUTHORIZE_URL") or None,
        "ANCT_OIDC_TOKEN_URL": env("ANCT_OIDC_TOKEN_URL") or None,
        "ANCT_OIDC_USERINFO_URL": env("ANCT_OIDC_USERINFO_URL") or None,
    }


def create_app(services: service.Services, **overrides: Any) -> Flask:
    app = Flask(__name__)
    app.extensions["anct"] = services
    instance_path = Path(os.environ.get("ANCT_INSTANCE_PATH", PROJECT_ROOT / "instance"))
    app.config.update(
        SECRET_KEY=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="anct_session",
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        # A post carries its files (each within the platform's per-file limit, 10 Mo).
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        **settings_from_env(),
    )
    app.config.update(overrides)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _secret_key(instance_path)
    csrf.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    api.init_app(app, csrf)
    register_filters(app)
    for module in (assets, inbox, tasks, dossiers, portal, notices, admin, api_tokens,
                   attachments, campaigns, processes, process_editor, migrations,
                   closing):  # fmt: skip
        app.register_blueprint(module.blueprint)

    @app.context_processor
    def layout() -> dict[str, Any]:
        signed_in = current_user.is_authenticated
        return {
            "navigation": access.navigation(),
            "unread": access.remember_unread() if signed_in else 0,
        }

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        )
        return response

    @app.get("/")
    def home() -> ResponseReturnValue:
        if current_user.is_authenticated:
            return redirect(url_for(access.home_endpoint()))
        return render_template("home.html", processes=service.current_versions(services))

    @app.get("/sante")
    def health():  # type: ignore[no-untyped-def]
        return jsonify(statut="ok", base=services.ping())

    return app

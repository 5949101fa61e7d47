"""Sign-in (password, or ProConnect through OpenID Connect when configured) and sign-out.

Passwords are checked by the service layer (argon2, lock-out after repeated failures). The
session is renewed at sign-in so that a session id planted before cannot be reused.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.flask_client import OAuth
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user, login_user, logout_user

from engine.errors import EngineError, NotFound
from engine.service import users
from engine.service.people import accounts, passwords

from .access import SignedIn, home_endpoint, services

blueprint = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Connectez-vous pour accéder à cette page."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


def _proconnect() -> Any:
    """The OpenID Connect client when configured, else None (the routes then answer 404)."""
    return current_app.extensions["anct_oauth"].create_client("proconnect")


@login_manager.user_loader
def load_user(login: str) -> SignedIn | None:
    try:
        account = accounts.get_account(services(), login)
    except NotFound:
        return None
    return SignedIn(account, users.viewer_of(services(), account)) if account.active else None


def _safe_next(target: str | None) -> str | None:
    """Only a path of this site: never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _signed_in(login: str) -> ResponseReturnValue:
    target = _safe_next(request.values.get("next") or session.get("next"))
    session.clear()
    login_user(load_user(login))
    return redirect(target or url_for(home_endpoint()))


@blueprint.route("/connexion", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint()))
    error = None
    login = ""
    if request.method == "POST":
        login = request.form.get("login", "").strip()
        try:
            passwords.authenticate(services(), login, request.form.get("password", ""))
        except EngineError as exc:
            error = exc.message
        else:
            return _signed_in(login.lower())
    return render_template(
        "auth/connexion.html", error=error, login=login, next=request.args.get("next", ""),
        proconnect=_proconnect() is not None,
    ), (401 if error else 200)  # fmt: skip


@blueprint.post("/deconnexion")
def sign_out() -> ResponseReturnValue:
    logout_user()
    session.clear()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.sign_in"))


@blueprint.get("/connexion/proconnect")
def proconnect() -> ResponseReturnValue:
    client = _proconnect()
    if client is None:
        abort(404)
    session["next"] = _safe_next(request.args.get("next"))
    return client.authorize_redirect(url_for("auth.proconnect_callback", _external=True))


@blueprint.get("/connexion/proconnect/retour")
def proconnect_callback() -> ResponseReturnValue:
    client = _proconnect()
    if client is None:
        abort(404)
    token = client.authorize_access_token()
    claims: dict[str, Any] = token.get("userinfo") or client.userinfo()
    email = (claims.get("email") or "").strip().lower()
    login = accounts.active_login_for_email(services(), email)
    if not email or login is None:
        flash(
            "Votre compte ProConnect n'est rattaché à aucun compte de la plateforme : "
            "demandez à un administrateur de créer votre accès avec cette adresse.",
            "error",
        )
        return redirect(url_for("auth.sign_in"))
    return _signed_in(login)


def init_app(app: Any) -> None:
    login_manager.init_app(app)
    oauth = OAuth(app)
    app.extensions["anct_oauth"] = oauth
    config = app.config
    if config.get("ANCT_OIDC_CLIENT_ID"):
        oauth.register(
            "proconnect",
            client_id=config["ANCT_OIDC_CLIENT_ID"],
            client_secret=config.get("ANCT_OIDC_CLIENT_SECRET"),
            server_metadata_url=config.get("ANCT_OIDC_METADATA_URL"),
            authorize_url=config.get("ANCT_OIDC_AUTHORIZE_URL"),
            access_token_url=config.get("ANCT_OIDC_TOKEN_URL"),
            userinfo_endpoint=config.get("ANCT_OIDC_USERINFO_URL"),
            client_kwargs={"scope": "openid email given_name usual_name uid siret"},
        )
    app.register_blueprint(blueprint)

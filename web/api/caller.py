"""Who calls the API: the person behind `Authorization: Bearer TOKEN`.

Only bearer tokens are read — never the session cookie — so that a page of another site cannot
make a signed-in browser call the API (no CSRF surface), and every call names its token for the
rate limit. The token acts with exactly its person's grants (engine/service/people/tokens.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request

from engine.errors import NotFound
from engine.service import users
from engine.service.people import accounts, tokens
from engine.service.viewer import Viewer

from ..access import services

AUTHENTICATE = 'Bearer realm="anct", charset="UTF-8"'


class Unauthenticated(Exception):
    """No token, or one that is unknown, expired, revoked, or whose account is inactive."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class Caller:
    login: str
    token_id: int
    viewer: Viewer


def bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate() -> Caller:
    """The caller of this request (kept on `g`), or Unauthenticated."""
    found = g.get("api_caller")
    if found is not None:
        return found
    secret = bearer()
    if secret is None:
        raise Unauthenticated(
            "Authentification requise : envoyez un jeton personnel dans l'en-tête "
            "« Authorization: Bearer JETON » (créez-le depuis votre compte ou avec "
            "« anct tokens create »)."
        )
    record = tokens.authenticate(services(), secret)
    account = None
    if record is not None:
        try:
            account = accounts.get_account(services(), record.login)
        except NotFound:
            account = None
    if record is None or account is None or not account.active:
        raise Unauthenticated("Jeton inconnu, expiré ou révoqué, ou compte désactivé.")
    g.api_caller = Caller(record.login, record.id, users.viewer_of(services(), account))
    return g.api_caller


def caller() -> Caller:
    return authenticate()


def viewer() -> Viewer:
    return authenticate().viewer


def rate_key() -> str:
    """What the rate limit counts by: the token (its hash never leaves the store), else the
    client address for unauthenticated calls."""
    try:
        return f"jeton:{authenticate().token_id}"
    except Unauthenticated:
        return f"ip:{request.remote_addr}"

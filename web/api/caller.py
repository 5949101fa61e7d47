"""Who calls the API: the person behind `Authorization: Bearer TOKEN`.

Only bearer tokens are read — never the session cookie — so that a page of another site cannot
make a signed-in browser call the API (no CSRF surface), and every call names its token for the
rate limit. Two kinds of token: a personal token of the platform (`anct_…`,
engine/service/people/tokens.py), and, when ProConnect is configured (ANCT_OIDC_*), a
ProConnect access token, checked by its userinfo endpoint and tied to the active account with
the same e-mail address, as the ProConnect sign-in does. Either acts with exactly its person's
grants.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from flask import current_app, g, request

from engine.errors import NotFound
from engine.service import users
from engine.service.people import accounts, tokens
from engine.service.viewer import Viewer

from ..access import services

AUTHENTICATE = 'Bearer realm="anct", charset="UTF-8"'
#: How long a ProConnect token's answer is kept: the userinfo endpoint is not called on each
#: request, and a revoked ProConnect session stops working within this delay.
OIDC_CACHE_SECONDS = 60
_OIDC_CACHE_SIZE = 10_000
#: Seconds ProConnect's userinfo endpoint has to answer (a web worker is waiting).
USERINFO_TIMEOUT = 5
_oidc_seen: dict[str, tuple[str | None, float]] = {}
log = logging.getLogger("anct.api")


class Unauthenticated(Exception):
    """No token, or one that is unknown, expired, revoked, or whose account is inactive."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class Caller:
    login: str
    #: What the rate limit counts by: `jeton:ID`, or `proconnect:` and the token's hash.
    key: str
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
    who = _personal(secret) if secret.startswith(tokens.PREFIX) else _proconnect(secret)
    account = None
    if who is not None:
        try:
            account = accounts.get_account(services(), who[0])
        except NotFound:
            account = None
    if who is None or account is None or not account.active:
        raise Unauthenticated("Jeton inconnu, expiré ou révoqué, ou compte désactivé.")
    g.api_caller = Caller(account.login, who[1], users.viewer_of(services(), account))
    return g.api_caller


def _personal(secret: str) -> tuple[str, str] | None:
    record = tokens.authenticate(services(), secret)
    return None if record is None else (record.login, f"jeton:{record.id}")


def _proconnect(secret: str) -> tuple[str, str] | None:
    """The account of a ProConnect access token (None: ProConnect not configured, token
    refused by ProConnect, or no active account with its address)."""
    client = current_app.extensions["anct_oauth"].create_client("proconnect")
    if client is None or len(secret) > 4096:
        return None
    digest = hashlib.sha256(secret.encode("utf-8")).hexdigest()
    now = time.monotonic()
    found = _oidc_seen.get(digest)
    if found is None or found[1] < now:
        login = None
        try:
            claims = client.userinfo(
                token={"access_token": secret, "token_type": "Bearer"}, timeout=USERINFO_TIMEOUT
            )
        except Exception:  # refused, unreachable: the same 401 as an unknown token
            log.info("Jeton ProConnect refusé par le point userinfo", exc_info=True)
        else:
            email = str(claims.get("email") or "").strip().lower()
            login = accounts.active_login_for_email(services(), email) if email else None
        if len(_oidc_seen) >= _OIDC_CACHE_SIZE:
            _oidc_seen.clear()
        found = _oidc_seen[digest] = (login, now + OIDC_CACHE_SECONDS)
    return None if found[0] is None else (found[0], f"proconnect:{digest[:16]}")


def caller() -> Caller:
    return authenticate()


def viewer() -> Viewer:
    return authenticate().viewer


def rate_key() -> str:
    """What the rate limit counts by: the token (its hash never leaves the store), else the
    client address for unauthenticated calls."""
    try:
        return authenticate().key
    except Unauthenticated:
        return f"ip:{request.remote_addr}"

"""ProConnect access tokens on the API, when ProConnect is configured: checked by the
userinfo endpoint (a real HTTP server here), tied to the active account with the same address,
refused alike when ProConnect refuses them or no account matches."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from engine.service.people import accounts
from tests.api.conftest import problem_of
from web import create_app
from web.api import caller

#: Access token → the e-mail address ProConnect gives for it.
GIVEN = {
    "pc-prefet": "prefet.creuse@demo.anct.gouv.fr",
    "pc-inconnu": "personne@exemple.fr",
}


class UserInfo(BaseHTTPRequestHandler):
    calls: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        UserInfo.calls.append(token)
        email = GIVEN.get(token)
        body = json.dumps({"sub": token, "email": email}).encode() if email else b"{}"
        self.send_response(200 if email else 401)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def proconnect(platform):
    server = HTTPServer(("127.0.0.1", 0), UserInfo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    UserInfo.calls = []
    caller._oidc_seen.clear()
    app = create_app(
        platform, SECRET_KEY="cle-de-test", TESTING=True, ANCT_OIDC_CLIENT_ID="anct",
        ANCT_OIDC_CLIENT_SECRET="secret", ANCT_OIDC_AUTHORIZE_URL=f"{base}/authorize",
        ANCT_OIDC_TOKEN_URL=f"{base}/token", ANCT_OIDC_USERINFO_URL=f"{base}/userinfo",
    )  # fmt: skip
    yield app.test_client()
    server.shutdown()
    caller._oidc_seen.clear()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_proconnect_token_acts_as_the_account_with_its_address(proconnect, dossiers):
    inbox = proconnect.get("/api/v1/tasks", headers=bearer("pc-prefet"))
    assert inbox.status_code == 200
    assert [t["dossier"] for t in inbox.get_json()["items"]] == [dossiers["gueret"]]
    again = proconnect.get("/api/v1/tasks", headers=bearer("pc-prefet"))
    assert again.status_code == 200
    assert UserInfo.calls == ["pc-prefet"], "the answer is kept a minute"


def test_refused_or_unmatched_proconnect_tokens_are_401(proconnect, platform):
    for token in ("pc-refuse", "pc-inconnu"):
        response = proconnect.get("/api/v1/tasks", headers=bearer(token))
        assert problem_of(response)["status"] == 401, token
    caller._oidc_seen.clear()
    accounts.set_active(platform, "prefet.creuse", False)
    assert proconnect.get("/api/v1/tasks", headers=bearer("pc-prefet")).status_code == 401


def test_without_proconnect_configured_only_personal_tokens_work(api_for):
    response = api_for(None).get("/api/v1/tasks", headers=bearer("pc-prefet"))
    assert problem_of(response)["status"] == 401

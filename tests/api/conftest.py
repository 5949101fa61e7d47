"""API clients: the demo accounts, each with a personal token, over the test database.

`api_for("prefet.creuse")` is a client whose every call carries that person's token; the
fixtures of tests/web (the four procedures deployed, the demo accounts and calls, two filed
engineering requests) are reused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.service.people import tokens
from engine.service.viewer import Viewer
from tests.web.conftest import (  # noqa: F401
    app,
    client_for,
    dossiers,
    platform,
    quick_password_hashing,
)

PROBLEM = "application/problem+json"


class ApiClient:
    """A test client that sends one person's bearer token with every request."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        found = dict(headers or {})
        if self.token:
            found.setdefault("Authorization", f"Bearer {self.token}")
        return found

    def open(self, method: str, path: str, headers: dict[str, str] | None = None, **kw: Any):
        return self.client.open(path, method=method, headers=self._headers(headers), **kw)

    def get(self, path: str, **kw: Any):
        return self.open("GET", path, **kw)

    def post(self, path: str, **kw: Any):
        return self.open("POST", path, **kw)

    def put(self, path: str, **kw: Any):
        return self.open("PUT", path, **kw)

    def delete(self, path: str, **kw: Any):
        return self.open("DELETE", path, **kw)


def token_for(platform, login: str, days: int = 30) -> str:  # noqa: F811
    return tokens.create(
        platform, Viewer.command_line(), login, name=f"tests {login}", days=days
    ).secret


@pytest.fixture
def api_for(app: Flask, platform) -> Callable[[str | None], ApiClient]:  # noqa: F811
    """`api_for("prefet.creuse")`: a client carrying that demo account's token (None: none).
    The rate limits start full (the limiter's memory is per application)."""
    app.extensions["anct_limiter"].reset()
    made: dict[str | None, str | None] = {}

    def make(login: str | None) -> ApiClient:
        if login not in made:
            made[login] = token_for(platform, login) if login else None
        return ApiClient(app.test_client(), made[login])

    return make


def problem_of(response) -> dict[str, Any]:
    """The problem details of an error response, checked to be one (RFC 9457)."""
    assert response.mimetype == PROBLEM, response.get_data(as_text=True)[:500]
    body = response.get_json(force=True)
    assert body["status"] == response.status_code
    assert body["title"] and body["type"] and "detail" in body
    return body

"""A web application over the test database, the demo accounts, and signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from engine import service
from engine.service.demo import DEMO_PASSWORD, ensure_demo
from engine.service.people import passwords
from tests.conftest import name_people
from tests.procedures.conftest import ARDENNE_METROPOLE, GUERET, PROCESSES
from tests.procedures.test_demande_ingenierie import DEPOT, DEPOT_ARDENNES
from web import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch):
    """Accounts hashed with argon2's lightest settings: the platform fixture creates nine of
    them per test (seconds with the production settings). Signing in still verifies."""
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def platform(services: service.Services) -> service.Services:
    """The four procedures deployed and the demo accounts and calls created."""
    service.deploy_path(services, PROCESSES)
    ensure_demo(services)
    name_people(services)
    return services


@pytest.fixture
def dossiers(platform) -> dict[str, str]:
    """One engineering request in the Creuse (Guéret) and one in the Ardennes, filed by their
    authorities (test_inbox has its own set)."""

    def file(data, where, organisation, actor):
        return service.start(
            platform, "demande_ingenierie", data=data, actor=actor,
            organisation=organisation, **where,
        ).reference  # fmt: skip

    return {
        "gueret": file(DEPOT, GUERET, "Commune de Guéret", "mairie.gueret"),
        "ardenne": file(DEPOT_ARDENNES, ARDENNE_METROPOLE, "CA Ardenne Métropole", "ardenne.metropole"),
    }  # fmt: skip


@pytest.fixture
def app(platform: service.Services, tmp_path) -> Flask:
    return create_app(platform, SECRET_KEY="cle-de-test", TESTING=True)


def csrf_token(client: FlaskClient, path: str = "/connexion") -> str:
    page = client.get(path)
    found = CSRF.search(page.get_data(as_text=True))
    assert found, f"pas de jeton CSRF sur {path}"
    return found.group(1)


def sign_in(client: FlaskClient, login: str, password: str = DEMO_PASSWORD):
    token = csrf_token(client)
    return client.post(
        "/connexion", data={"login": login, "password": password, "csrf_token": token}
    )


@pytest.fixture
def client_for(app: Flask) -> Callable[[str | None], FlaskClient]:
    """`client_for("prefet.creuse")`: a client signed in as that demo account (None: anonymous)."""

    def make(login: str | None) -> FlaskClient:
        client = app.test_client()
        if login:
            answer = sign_in(client, login)
            assert answer.status_code == 302, answer.get_data(as_text=True)
        return client

    return make


def post_form(client: FlaskClient, path: str, data: dict, *, page: str | None = None):
    """POST like a browser: with the CSRF token of the page the form is on."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page or path)})

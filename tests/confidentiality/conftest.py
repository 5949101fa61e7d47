"""The four procedures driven to their end, read back by one person of each role: on the web
pages, in the search's export and in what they were told."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskClient

from engine import service
from engine.service.people import accounts, passwords
from tests.conftest import name_people
from tests.procedures.conftest import PROCESSES, person
from tests.web.conftest import sign_in
from web import create_app

PASSWORD = "mot-de-passe-des-essais"


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch):
    """argon2's lightest settings: signing in still verifies the password."""
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def people() -> dict[str, service.Viewer]:
    """The scenarios' people (tests/procedures/conftest.py), one account each."""
    return {
        "mairie_gueret": person("mairie.gueret", "collectivite", "212309603"),
        "ardenne_metropole": person("ardenne.metropole", "collectivite", "200041630"),
        "prefet_23": person("prefet.creuse", "prefet", "23"),
        "prefet_08": person("prefet.ardennes", "prefet", "08"),
        "anct": person("anct.national", "equipe_nationale"),
        "comite": person("comite.membre", "comite"),
        "expert": person("expert.cerema", "expert"),
    }


@pytest.fixture
def deploy(services, people) -> Callable[[str], service.Services]:
    """`deploy("pass_numerique")`, the people having accounts they can sign in with and an
    e-mail address (so that their e-mails are written too)."""
    for viewer in people.values():
        accounts.create_user(
            services, viewer.login, name=viewer.login, password=PASSWORD,
            email=f"{viewer.login}@essai.anct.gouv.fr",
            grants=[(g.role, g.scope) for g in viewer.grants],
        )  # fmt: skip
    name_people(services, but=set(people))

    def run(name: str) -> service.Services:
        service.deploy_path(services, PROCESSES / name)
        return services

    return run


@pytest.fixture
def client_for(services) -> Callable[[str], FlaskClient]:
    """A web client signed in as one of the people."""
    app = create_app(services, SECRET_KEY="cle-de-test", TESTING=True)
    clients: dict[str, FlaskClient] = {}

    def make(login: str) -> FlaskClient:
        if login not in clients:
            client = app.test_client()
            answer = sign_in(client, login, PASSWORD)
            assert answer.status_code == 302, answer.get_data(as_text=True)
            clients[login] = client
        return clients[login]

    return make


def csv_rows(answer) -> list[dict[str, str]]:
    """The export's rows, as {column: cell}."""
    text = answer.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))

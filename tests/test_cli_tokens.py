"""`anct tokens create | list | revoke`: the token alone on the last line, French errors."""

from __future__ import annotations

import json

import pytest

from engine import service
from engine.config import Settings
from engine.service.people import tokens


@pytest.fixture
def platform(database_url):
    """The test database as the command line sees it (the system clock)."""
    context = service.create_services(Settings(database_url=database_url))
    yield context
    context.close()


def test_create_prints_the_token_alone_on_its_last_line(anct, platform):
    anct("users", "create", "marie", "--role", "comite")
    created = anct("tokens", "create", "marie", "--name", "Logiciel d'instruction", "--days", "30")
    lines = created.stdout.strip().splitlines()
    assert len(lines) == 2
    assert "créé pour marie" in lines[0] and "il ne sera plus affiché" in lines[0]
    secret = lines[-1]
    assert secret.startswith("anct_") and " " not in secret
    record = tokens.authenticate(platform, secret)
    assert record is not None and record.login == "marie"
    assert record.name == "Logiciel d'instruction"
    assert (record.expires_at - record.created_at).days == 30
    # Defaults: a name and 90 days.
    default = anct("tokens", "create", "marie").stdout.strip().splitlines()[-1]
    found = tokens.authenticate(platform, default)
    assert found is not None and (found.expires_at - found.created_at).days == 90
    assert found.name == "Créé en ligne de commande"


def test_list_and_revoke(anct, platform):
    anct("users", "create", "marie", "--role", "comite")
    anct("users", "create", "paul", "--role", "comite")
    first = anct("tokens", "create", "marie", "--name", "Premier").stdout.splitlines()[-1]
    anct("tokens", "create", "paul", "--name", "De Paul")
    listed = anct("tokens", "list", "marie").stdout
    assert "Premier" in listed and "actif" in listed and "De Paul" not in listed
    assert first not in listed
    everyone = anct("tokens", "list").stdout
    assert "Premier" in everyone and "De Paul" in everyone
    [row] = json.loads(anct("tokens", "list", "marie", "--json").stdout)
    assert row["name"] == "Premier" and row["revoked_at"] is None
    assert "hash" not in json.dumps(row)
    revoked = anct("tokens", "revoke", str(row["id"]))
    assert revoked.stdout.strip() == f"Jeton n° {row['id']} « Premier » de marie révoqué."
    assert tokens.authenticate(platform, first) is None
    assert "révoqué le" in anct("tokens", "list", "marie").stdout
    again = anct("tokens", "revoke", str(row["id"]), code=1)
    assert "déjà révoqué" in again.stderr
    assert anct("tokens", "list", "personne", code=3).stderr.startswith("Erreur : ")
    anct("users", "create", "jeanne", "--role", "comite")
    assert anct("tokens", "list", "jeanne").stdout.strip() == "Aucun jeton pour jeanne."


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["tokens", "create", "personne"], 3, "introuvable : « personne »"),
        (["tokens", "create", "marie", "--days", "0"], 1, "de 1 à 366 jours"),
        (["tokens", "create", "marie", "--days", "400"], 1, "de 1 à 366 jours"),
        (["tokens", "create", "marie", "--days", "trois"], 1, "nombre entier de jours"),
        (["tokens", "create", "marie", "--name", " "], 1, "Donnez un nom au jeton"),
        (["tokens", "revoke", "999999"], 3, "Jeton introuvable"),
        (["tokens", "revoke", "abc"], 1, "le numéro du jeton est un entier"),
    ],
)
def test_errors_are_in_french_with_a_non_zero_exit(anct, args, code, message):
    anct("users", "create", "marie", "--role", "comite")
    failed = anct(*args, code=code)
    assert failed.stdout == ""
    assert failed.stderr.startswith("Erreur : ") and message in failed.stderr, failed.stderr
    assert "Traceback" not in failed.stderr

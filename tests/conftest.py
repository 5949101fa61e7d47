"""Fixtures shared by every suite.

The engine suites run on SQLite and on PostgreSQL. PostgreSQL comes from ANCT_TEST_POSTGRESQL_URL
(default: the local server); when it is unreachable the PostgreSQL cases are skipped with the
reason, except when ANCT_REQUIRE_POSTGRESQL=1 (as in CI), where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cli.main import main
from engine import service
from engine.clock import ManualClock
from engine.config import Settings
from engine.service.people import accounts
from engine.store.db import make_engine
from engine.store.migrate import upgrade
from engine.store.models import Base

FIXTURES = Path(__file__).parent / "fixtures"
DEFAULT_POSTGRESQL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/anct_test"
START = "2026-03-02T09:00:00+01:00"


def postgresql_url() -> str:
    return os.environ.get("ANCT_TEST_POSTGRESQL_URL", DEFAULT_POSTGRESQL_URL)


def _require_postgresql() -> bool:
    return os.environ.get("ANCT_REQUIRE_POSTGRESQL") == "1"


@pytest.fixture(scope="session")
def postgresql_database() -> Iterator[str]:
    """A migrated PostgreSQL database of its own for this test run, dropped at the end.

    Named after the configured one plus the process id, so that runs in parallel (several
    developers, or CI next to a session) never share tables.
    """
    configured = make_url(postgresql_url()).set(drivername="postgresql+psycopg")
    url = configured.set(database=f"{configured.database}_{os.getpid()}")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    except Exception as exc:
        admin.dispose()
        message = f"PostgreSQL injoignable ({url.render_as_string()}) : {exc.__class__.__name__}"
        if _require_postgresql():
            pytest.fail(message + " — requis ici (ANCT_REQUIRE_POSTGRESQL=1)")
        pytest.skip(message)
    rendered = url.render_as_string(hide_password=False)
    engine = make_engine(rendered)
    upgrade(engine)
    engine.dispose()
    yield rendered
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def _truncate(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'anct.sqlite3'}"
    url = request.getfixturevalue("postgresql_database")
    _truncate(url)
    return url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


#: People the test procedures name as assignees (a task naming an unknown account is refused).
NAMED_PEOPLE = ("bdt.nouvelle-aquitaine", "epf.nouvelle-aquitaine", "marie", "autre.expert")


def name_people(context: service.Services, but: Collection[str] = ()) -> None:
    """Give the people the test procedures name an account, as a real deployment would."""
    for login in set(NAMED_PEOPLE) - set(but):
        accounts.create_user(context, login, name=login, grants=[("expert", None)])


@pytest.fixture
def services(database_url: str, clock: ManualClock, tmp_path: Path) -> Iterator[service.Services]:
    settings = Settings(database_url=database_url, attachments_path=tmp_path / "pieces")
    context = service.create_services(settings, clock=clock)
    yield context
    context.close()


@pytest.fixture
def operator() -> service.Viewer:
    return service.Viewer.command_line("operateur")


@pytest.fixture
def deployed(services: service.Services) -> service.Services:
    services.forms_path = FIXTURES / "forms"
    service.deploy_path(services, FIXTURES)
    name_people(services)
    return services


@pytest.fixture
def anct(database_url, monkeypatch):
    """`anct("deploy", PATH)`: the command line on the test database; asserts the exit code."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    runner = CliRunner()

    def run(*args: str, code: int | None = 0):
        """`code=None`: any exit code (a command that fails on purpose some of the times)."""
        result = runner.invoke(main, list(args), catch_exceptions=False)
        if code is not None:
            assert result.exit_code == code, result.output + result.stderr
        return result

    return run

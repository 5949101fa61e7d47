"""Fixtures of the scheduler suites: the scenario fixtures of the procedures, shared, and the
PostgreSQL database and worker processes of the multi-process suites."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _truncate
from tests.procedures.conftest import deploy, people  # noqa: F401  (fixtures re-exported)
from tests.scheduler.test_worker_processes import Children


@pytest.fixture
def database(postgresql_database: str) -> str:
    _truncate(postgresql_database)
    return postgresql_database


@pytest.fixture
def children(database: str, tmp_path: Path) -> Iterator[Children]:
    env = {**os.environ, "DATABASE_URL": database, "PYTHONUNBUFFERED": "1"}
    running = Children(tmp_path, env)
    yield running
    running.stop_all()

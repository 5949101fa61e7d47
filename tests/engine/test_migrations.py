"""The schema the application creates on start is exactly the models: migrations are complete."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from engine.store.models import Base


# SQLite cannot reflect the expression index of migration 0006, which exists on PostgreSQL only.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_upgraded_database_matches_the_models(services):
    with services.db.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() is not None
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_on_start_is_idempotent(services, database_url):
    from engine import service
    from engine.config import Settings

    again = service.create_services(Settings(database_url=database_url))
    tables = set(inspect(again.db).get_table_names())
    assert {
        "process_versions",
        "process_instances",
        "human_tasks",
        "timers",
        "audit_events",
    } <= tables
    again.close()

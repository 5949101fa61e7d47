"""Alembic environment: the connection is given by `engine.store.migrate.upgrade`."""

from alembic import context

from engine.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - migrations always run through migrate.upgrade
    raise RuntimeError("Lancez les migrations avec `anct db upgrade`.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()

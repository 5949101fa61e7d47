"""Persistence: SQLAlchemy models, connections and Alembic migrations."""

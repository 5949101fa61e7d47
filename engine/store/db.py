"""Database connections: SQLite (embedded default) and PostgreSQL (production), one code path.

SQLite runs in WAL mode. Write transactions (opened through `writer`) take the write lock when
they begin (BEGIN IMMEDIATE), so two writers queue on the busy timeout instead of failing half-way
through a step; reads begin deferred and never wait for writers.

Pooled PostgreSQL connections are not pinged before use (one round trip per checkout saved):
after a server restart, the first use of each stale connection fails once and the pool is
refreshed, the failed step having written nothing.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_S = 30


def make_engine(url: str, *, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_recycle=3600)


def reader(engine: Engine) -> Engine:
    """The same engine for single-statement reads: autocommit, no BEGIN/ROLLBACK round trips."""
    if is_sqlite(engine):
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def writer(engine: Engine) -> Engine:
    """The same engine, whose transactions are write transactions (matters on SQLite only)."""
    return engine.execution_options(anct_write=True)


def _sqlite_engine(url: str, echo: bool) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S},
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):  # type: ignore[no-untyped-def]
        write = connection.get_execution_options().get("anct_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def ping(engine: Engine) -> str:
    """Run a trivial statement (raises if the database is out of reach); the dialect's name."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return engine.dialect.name

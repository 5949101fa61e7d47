"""The PostgreSQL database of a benchmark: whose URL, dropped and created afresh each run."""

from __future__ import annotations

import os
import sys

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url


class PostgreSQLUnavailable(Exception):
    pass


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fresh_postgresql(url: str) -> str:
    """Supprime et recrée la base de `url` ; renvoie l'URL SQLAlchemy (psycopg) à utiliser."""
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "postgresql" or not name:
        raise SystemExit(f"URL PostgreSQL invalide : {parsed.render_as_string()}")
    if "bench" not in name:
        raise SystemExit(
            f"Refus de supprimer la base « {name} » : le banc d'essai la recrée à chaque passage, "
            "son nom doit contenir « bench » (voir --postgresql-url)."
        )
    admin = parsed.set(drivername="postgresql", database="postgres")
    try:
        with psycopg.connect(
            admin.render_as_string(hide_password=False), autocommit=True, connect_timeout=5
        ) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PostgreSQLUnavailable(
            f"PostgreSQL injoignable ou inutilisable ({admin.render_as_string()}) : {detail}"
        ) from None
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def postgresql_url(option: str | None, default: str) -> str:
    """The URL given as option, else DATABASE_URL if it is PostgreSQL's, else the default."""
    if option:
        return option
    from_env = os.environ.get("DATABASE_URL", "")
    if from_env.startswith("postgresql"):
        return from_env
    if from_env:
        log("DATABASE_URL n'est pas une URL PostgreSQL : ignorée pour ce banc d'essai.")
    return default

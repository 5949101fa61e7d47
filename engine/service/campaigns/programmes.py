"""Programmes: caps that hold across the successive calls (waves) of one procedure.

The Fabriques de territoire fund 300 places and 45 M€ over several waves: each wave is a call
with its own window and envelope, and the programme's caps bound them all. A selection that
fits its call but not its programme is refused in the same step (engine.service.campaigns.grants).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ...errors import Conflict, InvalidInput, NotFound
from ...store import grants as store
from ..context import Services
from .calls import cents, euros


@dataclass(frozen=True)
class Programme:
    code: str
    process_id: str
    name: str
    envelope: Decimal
    max_laureates: int | None
    granted_total: Decimal
    laureates: int


def create(
    services: Services,
    *,
    code: str,
    process_id: str,
    name: str,
    envelope: Decimal | int | str,
    max_laureates: int | None = None,
) -> Programme:
    if max_laureates is not None and max_laureates < 1:
        raise InvalidInput("Le nombre maximal de lauréats doit être positif.")
    if not code.strip() or not name.strip():
        raise InvalidInput("Indiquez le code et le nom du programme.")
    values = {
        "code": code.strip(), "process_id": process_id, "name": name.strip(),
        "envelope_cents": cents(envelope, "enveloppe"), "max_laureates": max_laureates,
        "granted_cents": 0, "laureates": 0, "created_at": services.clock.now(),
    }  # fmt: skip
    try:
        with services.write() as connection:
            store.insert_programme(connection, values)
    except store.ProgrammeTaken:
        raise Conflict(f"Le programme « {code} » existe déjà.") from None
    return get(services, code)


def get(services: Services, code: str) -> Programme:
    with services.read() as connection:
        row = store.programme(connection, code.strip())
    if row is None:
        raise NotFound(f"Programme inconnu : « {code} ».")
    return _from_row(row)


def all_programmes(services: Services) -> list[Programme]:
    """Every programme with its running totals, by code."""
    with services.read() as connection:
        return [_from_row(row) for row in store.programmes(connection)]


def _from_row(row: Any) -> Programme:
    return Programme(
        code=row.code, process_id=row.process_id, name=row.name,
        envelope=euros(row.envelope_cents), max_laureates=row.max_laureates,
        granted_total=euros(row.granted_cents), laureates=row.laureates,
    )  # fmt: skip

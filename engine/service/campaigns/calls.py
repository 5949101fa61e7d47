"""A call for applications: its window, its envelope, and the granting of its envelope.

A campaign is its own record, not a workflow variable: every application is its own instance,
and the totals across them are changed by one conditional UPDATE inside the granting step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection

from ... import l10n
from ...clock import as_utc
from ...errors import Conflict, InvalidInput, NotFound
from ...store import campaigns as store
from ...store import grants as grant_store
from ..context import Services


@dataclass(frozen=True)
class Campaign:
    code: str
    process_id: str
    name: str
    opens_at: datetime
    closes_at: datetime
    instruction_deadline: datetime | None
    committee_at: datetime | None
    envelope: Decimal
    max_laureates: int | None
    granted_total: Decimal
    laureates: int
    #: The programme whose caps this call shares with its other waves, if any.
    programme_code: str | None = None

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at

    def as_data(self) -> dict[str, Any]:
        """What a process sees of its campaign (dates as ISO texts, amounts in euros)."""
        iso = lambda d: d.isoformat() if d else None  # noqa: E731
        return {
            "code": self.code, "nom": self.name, "ouverture": iso(self.opens_at),
            "cloture": iso(self.closes_at), "date_limite_instruction": iso(self.instruction_deadline),
            "date_comite": iso(self.committee_at), "enveloppe": float(self.envelope),
            "plafond_laureats": self.max_laureates,
        }  # fmt: skip


def cents(amount: Any, what: str = "montant") -> int:
    """An amount in euros as whole cents (how the totals are stored: no rounding drift)."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{what.capitalize()} invalide : « {amount} ».") from None
    if not value.is_finite() or value < 0:
        raise InvalidInput(f"{what.capitalize()} invalide : « {amount} ».")
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def euros(value: int) -> Decimal:
    """Stored cents as euros."""
    return Decimal(value) / 100


def from_row(row: Any) -> Campaign:
    return Campaign(
        code=row.code, process_id=row.process_id, name=row.name, opens_at=row.opens_at,
        closes_at=row.closes_at, instruction_deadline=row.instruction_deadline,
        committee_at=row.committee_at, envelope=euros(row.envelope_cents),
        max_laureates=row.max_laureates, granted_total=euros(row.granted_cents),
        laureates=row.laureates, programme_code=row.programme_code,
    )  # fmt: skip


def create(
    services: Services,
    *,
    code: str,
    process_id: str,
    name: str,
    opens_at: datetime | str,
    closes_at: datetime | str,
    envelope: Decimal | int | str,
    max_laureates: int | None = None,
    instruction_deadline: datetime | str | None = None,
    committee_at: datetime | str | None = None,
    programme: str | None = None,
) -> Campaign:
    """Create a call (command line, demo, tests); the national team's form is admin_create.
    A call of a `programme` (a wave) counts its grants in the programme's caps too."""
    opens, closes = as_utc(opens_at), as_utc(closes_at)
    if closes <= opens:
        raise InvalidInput("La date de clôture doit suivre la date d'ouverture.")
    if programme is not None:
        with services.read() as connection:
            row = grant_store.programme(connection, programme.strip())
        if row is None:
            raise InvalidInput(f"Programme inconnu : « {programme} ».")
        if row.process_id != process_id:
            raise InvalidInput(
                f"Le programme « {row.name} » est celui de la procédure {row.process_id}, "
                f"pas de {process_id}."
            )
    if max_laureates is not None and max_laureates < 1:
        raise InvalidInput("Le nombre maximal de lauréats doit être positif.")
    values = {
        "code": code.strip(), "process_id": process_id, "name": name, "opens_at": opens,
        "closes_at": closes,
        "instruction_deadline": as_utc(instruction_deadline) if instruction_deadline else None,
        "committee_at": as_utc(committee_at) if committee_at else None,
        "envelope_cents": cents(envelope, "enveloppe"), "max_laureates": max_laureates,
        "granted_cents": 0, "laureates": 0, "created_at": services.clock.now(),
        "programme_code": programme.strip() if programme else None,
    }  # fmt: skip
    try:
        with services.write() as connection:
            store.insert_campaign(connection, values)
    except store.CodeTaken:
        raise Conflict(f"La campagne « {code} » existe déjà.") from None
    return get(services, code)


def get(services: Services, code: str) -> Campaign:
    with services.read() as connection:
        return get_in(connection, code)


def get_in(connection: Connection, code: str) -> Campaign:
    """A call read inside the caller's transaction (a step sees the totals it is changing)."""
    row = store.by_code(connection, str(code).strip())
    if row is None:
        raise NotFound(f"Appel à projets inconnu : « {code} ».")
    return from_row(row)


def open_in(connection: Connection, process_id: str, now: datetime) -> list[Campaign]:
    """The calls of a procedure open at this moment, closing soonest first."""
    return [from_row(row) for row in store.open_rows(connection, process_id, now)]


def reserve(connection: Connection, code: str, amount: Any) -> dict[str, Any]:
    """Take `amount` and a laureate from the call's envelope, atomically; refused with the
    reason otherwise. The new totals, and the call's programme (grants.reserve goes on with
    it)."""
    value = cents(amount)
    row = store.reserve(connection, str(code).strip(), value)
    if row is not None:
        return {
            "total_attribue": float(euros(row.granted_cents)),
            "laureats": row.laureates,
            "reste": float(euros(row.envelope_cents - row.granted_cents)),
            "programme": row.programme_code,
        }
    campaign = get_in(connection, code)
    if campaign.max_laureates is not None and campaign.laureates >= campaign.max_laureates:
        raise InvalidInput(
            f"Sélection refusée : l'appel « {campaign.name} » a déjà ses {campaign.max_laureates} "
            "lauréats."
        )
    granted, envelope = cents(campaign.granted_total), cents(campaign.envelope)
    raise InvalidInput(
        f"Sélection refusée : accorder {l10n.euros(euros(value))} porterait le total attribué "
        f"de l'appel « {campaign.name} » à {l10n.euros(euros(granted + value))}, au-delà de "
        f"son enveloppe de {l10n.euros(euros(envelope))} (reste "
        f"{l10n.euros(euros(envelope - granted))})."
    )

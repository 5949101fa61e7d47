"""A dossier's grant on its call: reserved, reduced, given back, and paid.

The grant is a row of its own (not only a variable of the dossier), so that the call's and
the programme's totals are always the sum of the live grants: every change of a grant and of
the totals it counts in happens in the same transaction, under the conditional UPDATEs and
row locks of engine.store.grants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from ... import l10n
from ...errors import InvalidInput, NotFound
from ...store import campaigns as call_store
from ...store import grants as store
from . import calls
from .calls import cents, euros

#: How a grant ends, in the words of the dossier's history.
ENDINGS = {"renoncee": "renoncée", "annulee": "annulée", "retiree": "retirée"}
#: What a payment is.
KINDS = {"avance": "Avance", "tranche": "Tranche", "solde": "Solde"}


@dataclass(frozen=True)
class Payment:
    kind: str
    label: str
    amount: Decimal
    paid_on: str
    reference: str
    recorded_at: datetime
    recorded_by: str | None

    @property
    def day(self) -> date:
        return date.fromisoformat(self.paid_on)

    def as_data(self) -> dict[str, Any]:
        return {
            "nature": self.kind, "libelle": self.label, "montant": float(self.amount),
            "date": self.paid_on, "reference": self.reference,
        }  # fmt: skip


@dataclass(frozen=True)
class GrantView:
    """What a dossier holds: granted at selection, now (after any reduction), paid, left."""

    campaign_code: str
    campaign_name: str
    status: str
    granted: Decimal
    amount: Decimal
    paid: Decimal
    reason: str | None
    payments: tuple[Payment, ...] = ()

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.paid if self.status == store.LIVE else Decimal(0)

    @property
    def live(self) -> bool:
        return self.status == store.LIVE

    @property
    def ending(self) -> str | None:
        """How the grant ended, in words (« renoncée »); None while it runs."""
        return ENDINGS.get(self.status)

    def as_data(self) -> dict[str, Any]:
        """What the process sees of its grant (amounts in euros)."""
        return {
            "campagne": self.campaign_code, "etat": self.status, "accorde": float(self.granted),
            "montant": float(self.amount), "verse": float(self.paid),
            "reste": float(self.remaining),
            "versements": [payment.as_data() for payment in self.payments],
        }  # fmt: skip


def reserve(
    connection: Connection, instance_id: int, code: str, amount: Any, now: datetime
) -> dict[str, Any]:
    """Grant `amount` to the dossier from its call's envelope (and its programme's),
    atomically; refused with the reason otherwise (the step's transaction then rolls back
    the call's totals with it)."""
    value = cents(amount)
    if value <= 0:
        raise InvalidInput("Le montant accordé doit être positif.")
    # Locks in one order everywhere (the dossier's grant, the call, the programme): a
    # renunciation running at the same moment waits instead of deadlocking.
    calls.get_in(connection, code)
    store.insert_grant(connection, instance_id, str(code).strip(), value, now)
    totals = calls.reserve(connection, code, amount)
    programme_code = totals.pop("programme")
    if programme_code is not None and not store.reserve_programme(
        connection, programme_code, value
    ):
        raise InvalidInput(_programme_refusal(connection, programme_code, value))
    return totals


def _programme_refusal(connection: Connection, code: str, value: int) -> str:
    row = store.programme(connection, code)
    if row is None:  # pragma: no cover - the foreign key forbids it
        raise NotFound(f"Programme inconnu : « {code} ».")
    if row.max_laureates is not None and row.laureates >= row.max_laureates:
        return (
            f"Sélection refusée : le programme « {row.name} » a déjà ses {row.max_laureates} "
            "lauréats, toutes vagues confondues."
        )
    return (
        f"Sélection refusée : accorder {l10n.euros(euros(value))} porterait le total attribué "
        f"du programme « {row.name} » à {l10n.euros(euros(row.granted_cents + value))}, "
        f"au-delà de son enveloppe de {l10n.euros(euros(row.envelope_cents))} (reste "
        f"{l10n.euros(euros(row.envelope_cents - row.granted_cents))}), toutes vagues "
        "confondues."
    )


def live(connection: Connection, instance_id: int) -> GrantView | None:
    """The dossier's grant if it still holds."""
    found = view(connection, instance_id)
    return found if found is not None and found.live else None


def view(connection: Connection, instance_id: int) -> GrantView | None:
    """The dossier's grant whatever its state, with its payments (None if it never had one)."""
    row = store.grant(connection, instance_id)
    if row is None:
        return None
    made = tuple(
        Payment(
            kind=p.kind, label=p.label, amount=euros(p.amount_cents), paid_on=p.paid_on,
            reference=p.reference, recorded_at=p.recorded_at, recorded_by=p.recorded_by,
        )
        for p in store.payments(connection, instance_id)
    )  # fmt: skip
    return GrantView(
        campaign_code=row.campaign_code, campaign_name=row.campaign_name, status=row.status,
        granted=euros(row.granted_cents), amount=euros(row.amount_cents),
        paid=sum((p.amount for p in made), Decimal(0)), reason=row.reason, payments=made,
    )  # fmt: skip


def release(
    connection: Connection,
    instance_id: int,
    *,
    status: str,
    reason: str,
    actor: str | None,
    now: datetime,
) -> Decimal | None:
    """End the dossier's live grant: its amount and its laureate go back to the call's and the
    programme's totals. The amount given back, or None if the dossier held no live grant."""
    if status not in ENDINGS:
        raise ValueError(f"unknown grant ending {status!r}")
    ended = store.end_grant(
        connection, instance_id, status=status, reason=reason, actor=actor, now=now
    )
    if ended is None:
        return None
    store.give_back(connection, ended.campaign_code, ended.amount_cents, laureate=True)
    return euros(ended.amount_cents)


def reduce(
    connection: Connection,
    instance_id: int,
    amount: Any,
    *,
    reason: str,
    actor: str | None,
    now: datetime,
) -> Decimal:
    """Lower the dossier's live grant to `amount`; the difference goes back to the totals
    (the laureate stays one). The amount given back."""
    value = cents(amount, "nouveau montant")
    row = store.lock_live_grant(connection, instance_id)
    if row is None:
        raise InvalidInput("Ce dossier n'a pas d'aide en cours à réduire.")
    if value <= 0:
        raise InvalidInput(
            "Le nouveau montant doit être positif ; pour retirer l'aide, annulez-la."
        )
    if value >= row.amount_cents:
        raise InvalidInput(
            f"Le nouveau montant doit être inférieur à l'aide actuelle de "
            f"{l10n.euros(euros(row.amount_cents))}."
        )
    paid = store.paid_cents(connection, instance_id)
    if value < paid:
        raise InvalidInput(
            f"Le nouveau montant ne peut pas être inférieur aux "
            f"{l10n.euros(euros(paid))} déjà versés."
        )
    store.set_grant_amount(connection, instance_id, value, reason=reason, actor=actor, now=now)
    store.give_back(connection, row.campaign_code, row.amount_cents - value, laureate=False)
    return euros(row.amount_cents - value)


def record_payment(
    connection: Connection,
    instance_id: int,
    *,
    kind: str,
    label: str,
    amount: Any,
    paid_on: Any,
    reference: Any,
    actor: str | None,
    now: datetime,
) -> GrantView:
    """Record a payment on the dossier's live grant, never above what remains to be paid."""
    if kind not in KINDS:
        raise ValueError(f"unknown payment kind {kind!r}")
    value = cents(amount, "montant du versement")
    reference_text = str(reference or "").strip()
    if not reference_text:
        raise InvalidInput("Indiquez la référence du mandat de paiement.")
    day = _day(paid_on)
    row = store.lock_live_grant(connection, instance_id)
    if row is None:
        raise InvalidInput("Versement refusé : ce dossier n'a pas d'aide en cours.")
    remaining = row.amount_cents - store.paid_cents(connection, instance_id)
    if value <= 0:
        raise InvalidInput("Versement refusé : le montant doit être positif.")
    if value > remaining:
        raise InvalidInput(
            f"Versement refusé : {l10n.euros(euros(value))} dépasse le reste à verser de "
            f"{l10n.euros(euros(remaining))} (aide de {l10n.euros(euros(row.amount_cents))})."
        )
    store.insert_payment(
        connection,
        {
            "instance_id": instance_id, "kind": kind, "label": str(label)[:200],
            "amount_cents": value, "paid_on": day, "reference": reference_text[:100],
            "recorded_at": now, "recorded_by": actor,
        },
    )  # fmt: skip
    found = view(connection, instance_id)
    assert found is not None
    return found


def _day(value: Any) -> str:
    try:
        return date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        raise InvalidInput(f"Date de versement invalide : « {value} ».") from None


def check_totals(connection: Connection, code: str) -> tuple[int, int, int, int]:
    """(granted_cents, laureates) of a call as stored and as the sum of its live grants: the
    two pairs are equal whenever no transaction is under way (tests, audits)."""
    row = call_store.by_code(connection, code)
    if row is None:
        raise NotFound(f"Appel à projets inconnu : « {code} ».")
    granted, laureates = store.live_totals(connection, code)
    return row.granted_cents, row.laureates, granted, laureates

"""The statements over grants, programmes and payments.

A call's totals (and its programme's) are the sum of its live grants. They change only by
conditional UPDATEs inside the transaction that grants, gives back or reduces, so that
concurrent selections, renunciations and reductions keep them exact and under their caps.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict
from .models import Campaign, Grant, Payment, Programme

LIVE = "en_cours"

_CALLS = Campaign.__table__
_PROGRAMMES = Programme.__table__
_GRANTS = Grant.__table__
_PAYMENTS = Payment.__table__

_RESERVE_PROGRAMME = (
    update(_PROGRAMMES)
    .where(
        _PROGRAMMES.c.code == bindparam("b_code"),
        _PROGRAMMES.c.granted_cents + bindparam("amount") <= _PROGRAMMES.c.envelope_cents,
        (_PROGRAMMES.c.max_laureates.is_(None))
        | (_PROGRAMMES.c.laureates < _PROGRAMMES.c.max_laureates),
    )
    .values(
        granted_cents=_PROGRAMMES.c.granted_cents + bindparam("amount"),
        laureates=_PROGRAMMES.c.laureates + 1,
    )
    .returning(_PROGRAMMES.c.granted_cents, _PROGRAMMES.c.laureates)
)


class ProgrammeTaken(Conflict):
    """Another programme has this code already."""


def insert_programme(connection: Connection, values: dict[str, Any]) -> None:
    try:
        connection.execute(insert(_PROGRAMMES), values)
    except IntegrityError:
        raise ProgrammeTaken(f"Le programme « {values['code']} » existe déjà.") from None


def programme(connection: Connection, code: str) -> Row[Any] | None:
    return connection.execute(select(_PROGRAMMES).where(_PROGRAMMES.c.code == code)).first()


def programmes(connection: Connection) -> list[Row[Any]]:
    return list(connection.execute(select(_PROGRAMMES).order_by(_PROGRAMMES.c.code)).all())


def reserve_programme(connection: Connection, code: str, amount_cents: int) -> bool:
    """Add the amount and one laureate to the programme's totals if its caps allow."""
    return (
        connection.execute(_RESERVE_PROGRAMME, {"b_code": code, "amount": amount_cents}).first()
        is not None
    )


def insert_grant(
    connection: Connection, instance_id: int, campaign_code: str, amount_cents: int, now: datetime
) -> None:
    """The dossier's grant; Conflict if it holds one already (its primary key says so)."""
    try:
        connection.execute(
            insert(_GRANTS),
            {
                "instance_id": instance_id, "campaign_code": campaign_code,
                "granted_cents": amount_cents, "amount_cents": amount_cents, "status": LIVE,
                "reason": None, "created_at": now, "updated_at": now, "updated_by": None,
            },
        )  # fmt: skip
    except IntegrityError:
        raise Conflict("Ce dossier a déjà une aide accordée sur l'appel.") from None


def grant(connection: Connection, instance_id: int) -> Row[Any] | None:
    """The dossier's grant with its call's name and programme, whatever its state."""
    return connection.execute(
        select(_GRANTS, _CALLS.c.name.label("campaign_name"), _CALLS.c.programme_code)
        .join(_CALLS, _CALLS.c.code == _GRANTS.c.campaign_code)
        .where(_GRANTS.c.instance_id == instance_id)
    ).first()


def end_grant(
    connection: Connection,
    instance_id: int,
    *,
    status: str,
    reason: str,
    actor: str | None,
    now: datetime,
) -> Row[Any] | None:
    """Mark the live grant ended; its (amount_cents, campaign_code), or None if none was live.
    The row's UPDATE locks it: two concurrent renunciations give back one amount."""
    return connection.execute(
        update(_GRANTS)
        .where(_GRANTS.c.instance_id == instance_id, _GRANTS.c.status == LIVE)
        .values(status=status, reason=reason, updated_at=now, updated_by=actor)
        .returning(_GRANTS.c.amount_cents, _GRANTS.c.campaign_code)
    ).first()


def lock_live_grant(connection: Connection, instance_id: int) -> Row[Any] | None:
    """The dossier's live grant, its row locked until the transaction ends (a reduction
    checks what is paid and lowers it without another change slipping in between)."""
    return connection.execute(
        select(_GRANTS)
        .where(_GRANTS.c.instance_id == instance_id, _GRANTS.c.status == LIVE)
        .with_for_update()
    ).first()


def set_grant_amount(
    connection: Connection,
    instance_id: int,
    amount_cents: int,
    *,
    reason: str,
    actor: str | None,
    now: datetime,
) -> None:
    connection.execute(
        update(_GRANTS)
        .where(_GRANTS.c.instance_id == instance_id)
        .values(amount_cents=amount_cents, reason=reason, updated_at=now, updated_by=actor)
    )


def give_back(
    connection: Connection, campaign_code: str, amount_cents: int, laureate: bool
) -> None:
    """Take an amount (and a laureate) off a call's totals and its programme's."""
    laureates = 1 if laureate else 0
    connection.execute(
        update(_CALLS)
        .where(_CALLS.c.code == campaign_code)
        .values(
            granted_cents=_CALLS.c.granted_cents - amount_cents,
            laureates=_CALLS.c.laureates - laureates,
        )
    )
    programme_code = select(_CALLS.c.programme_code).where(_CALLS.c.code == campaign_code)
    connection.execute(
        update(_PROGRAMMES)
        .where(_PROGRAMMES.c.code == programme_code.scalar_subquery())
        .values(
            granted_cents=_PROGRAMMES.c.granted_cents - amount_cents,
            laureates=_PROGRAMMES.c.laureates - laureates,
        )
    )


def live_totals(connection: Connection, campaign_code: str) -> tuple[int, int]:
    """(sum of live grants in cents, number of live grants) of a call: what its totals are."""
    row = connection.execute(
        select(func.coalesce(func.sum(_GRANTS.c.amount_cents), 0), func.count()).where(
            _GRANTS.c.campaign_code == campaign_code, _GRANTS.c.status == LIVE
        )
    ).one()
    return int(row[0]), int(row[1])


def insert_payment(connection: Connection, values: dict[str, Any]) -> None:
    connection.execute(insert(_PAYMENTS), values)


def payments(connection: Connection, instance_id: int) -> list[Row[Any]]:
    """The payments of a dossier, in the order they were recorded."""
    return list(
        connection.execute(
            select(_PAYMENTS).where(_PAYMENTS.c.instance_id == instance_id).order_by(_PAYMENTS.c.id)
        ).all()
    )


def paid_cents(connection: Connection, instance_id: int) -> int:
    return int(
        connection.execute(
            select(func.coalesce(func.sum(_PAYMENTS.c.amount_cents), 0)).where(
                _PAYMENTS.c.instance_id == instance_id
            )
        ).scalar_one()
    )


def money_of(connection: Connection, instance_ids: list[int]) -> dict[int, tuple[int, int]]:
    """instance id → (cents of its live grant, cents paid), for the exports; dossiers that
    never had a grant are absent (an ended grant counts 0, what was paid stays)."""
    if not instance_ids:
        return {}
    paid = (
        select(func.coalesce(func.sum(_PAYMENTS.c.amount_cents), 0))
        .where(_PAYMENTS.c.instance_id == _GRANTS.c.instance_id)
        .scalar_subquery()
    )
    rows = connection.execute(
        select(_GRANTS.c.instance_id, _GRANTS.c.amount_cents, _GRANTS.c.status, paid).where(
            _GRANTS.c.instance_id.in_(instance_ids)
        )
    ).all()
    return {row[0]: (row[1] if row[2] == LIVE else 0, int(row[3])) for row in rows}

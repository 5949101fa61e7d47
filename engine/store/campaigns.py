"""The statements over calls for applications (`campaigns`).

A call's totals (amount granted, number of laureates) change by one conditional UPDATE, so that
two selections granted at the same moment can never overrun the envelope between them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict
from .models import Campaign, ProcessInstance

#: The start-form field a call's campaign code fills (drafts.CAMPAIGN_FIELD says the same).
FIELD = "campagne"
#: Above any number of laureates: the cap of a call that has none.
_NO_CAP = 2**31 - 1

_TABLE = Campaign.__table__
_BY_CODE = select(_TABLE).where(_TABLE.c.code == bindparam("code"))
_RESERVE = (
    update(_TABLE)
    .where(
        _TABLE.c.code == bindparam("b_code"),
        _TABLE.c.granted_cents + bindparam("amount") <= _TABLE.c.envelope_cents,
        (_TABLE.c.max_laureates.is_(None)) | (_TABLE.c.laureates < _TABLE.c.max_laureates),
    )
    .values(
        granted_cents=_TABLE.c.granted_cents + bindparam("amount"), laureates=_TABLE.c.laureates + 1
    )
    .returning(
        _TABLE.c.granted_cents,
        _TABLE.c.laureates,
        _TABLE.c.envelope_cents,
        _TABLE.c.programme_code,
    )
)
_APPLICATIONS = (
    select(_TABLE.c.code, func.count(ProcessInstance.id))
    .join(
        ProcessInstance,
        (ProcessInstance.process_id == _TABLE.c.process_id)
        & (ProcessInstance.data[FIELD].as_string() == _TABLE.c.code),
    )
    .group_by(_TABLE.c.code)
)


class CodeTaken(Conflict):
    """Another call has this code already (its primary key says so, whoever wrote first)."""


def codes(connection: Connection) -> set[str]:
    """The code of every call, whatever its state."""
    return set(connection.execute(select(_TABLE.c.code)).scalars())


def by_code(connection: Connection, code: str) -> Row[Any] | None:
    return connection.execute(_BY_CODE, {"code": code}).first()


def open_rows(connection: Connection, process_id: str, now: datetime) -> list[Row[Any]]:
    """The calls of a procedure open at this moment, closing soonest first."""
    return list(
        connection.execute(
            select(_TABLE)
            .where(
                _TABLE.c.process_id == process_id,
                _TABLE.c.opens_at <= now,
                _TABLE.c.closes_at > now,
            )
            .order_by(_TABLE.c.closes_at, _TABLE.c.code)
        ).all()
    )


def all_rows(connection: Connection) -> list[Row[Any]]:
    """Every call, the latest opening first."""
    return list(
        connection.execute(select(_TABLE).order_by(_TABLE.c.opens_at.desc(), _TABLE.c.code)).all()
    )


def application_counts(connection: Connection) -> dict[str, int]:
    """code → number of dossiers filed for the call (calls without any are absent)."""
    return dict(connection.execute(_APPLICATIONS).all())  # type: ignore[arg-type]


def insert_campaign(connection: Connection, values: dict[str, Any]) -> None:
    """A new call; CodeTaken (and the caller's transaction rolled back) if its code exists."""
    try:
        connection.execute(insert(_TABLE), values)
    except IntegrityError:
        raise CodeTaken(f"La campagne « {values['code']} » existe déjà.") from None


def reserve(connection: Connection, code: str, amount_cents: int) -> Row[Any] | None:
    """Add `amount_cents` and one laureate to the totals if the envelope and the cap allow;
    the new (granted_cents, laureates, envelope_cents, programme_code), or None (nothing
    changed)."""
    return connection.execute(_RESERVE, {"b_code": code, "amount": amount_cents}).first()


def update_within_grants(connection: Connection, code: str, values: dict[str, Any]) -> int:
    """Change a call's dates and caps unless the envelope or the maximal number of laureates
    would fall below what is granted; 1 if changed, 0 otherwise (checked in the UPDATE itself,
    so that a selection granted at the same moment cannot slip under the new caps)."""
    return connection.execute(
        update(_TABLE)
        .where(
            _TABLE.c.code == code,
            _TABLE.c.granted_cents <= values["envelope_cents"],
            _TABLE.c.laureates <= (values["max_laureates"] or _NO_CAP),
        )
        .values(**values)
    ).rowcount


def open_at(connection: Connection, code: str, now: datetime) -> None:
    """Move the opening of an upcoming call to `now` (a call already open is left alone)."""
    connection.execute(
        update(_TABLE).where(_TABLE.c.code == code, _TABLE.c.opens_at > now).values(opens_at=now)
    )


def close_at(connection: Connection, code: str, now: datetime) -> None:
    """Move the closing of an open call to `now` (a call already closed is left alone)."""
    connection.execute(
        update(_TABLE).where(_TABLE.c.code == code, _TABLE.c.closes_at > now).values(closes_at=now)
    )

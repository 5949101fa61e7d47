"""Implementations of the operators BPMN service tasks call (declared in
`engine.definitions.operators`). Each receives the step it runs in (its connection and clock)
as first argument: the unit of work binds them for that step (`bind`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Connection

from .. import l10n
from ..clock import Clock
from ..errors import InvalidInput
from .campaigns import calls


@dataclass(frozen=True)
class InStep:
    """What an operator may use: the step's transaction and the clock it runs at."""

    connection: Connection
    clock: Clock


def campagne_ouverte(step: InStep, campagne: str) -> dict[str, Any]:
    found = calls.get_in(step.connection, campagne)
    now = step.clock.now()
    if now < found.opens_at:
        raise InvalidInput(
            f"L'appel « {found.name} » n'est pas encore ouvert : dépôt possible à partir du "
            f"{l10n.datetime_text(found.opens_at)}."
        )
    if now >= found.closes_at:
        raise InvalidInput(
            f"L'appel « {found.name} » est clos depuis le "
            f"{l10n.datetime_text(found.closes_at)} : plus aucun dépôt n'est possible."
        )
    return found.as_data()


def reserver_enveloppe(step: InStep, campagne: str, montant: Any) -> dict[str, Any]:
    return calls.reserve(step.connection, campagne, montant)


IMPLEMENTATIONS: dict[str, Callable[..., Any]] = {
    "campagne_ouverte": campagne_ouverte,
    "reserver_enveloppe": reserver_enveloppe,
}


def bind(connection: Connection, clock: Clock) -> dict[str, Callable[..., Any]]:
    """The operators as service tasks call them (by their BPMN parameters), for one step."""
    step = InStep(connection, clock)
    return {name: partial(function, step) for name, function in IMPLEMENTATIONS.items()}

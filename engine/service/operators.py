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
from ..errors import InvalidInput, ProcessIncident
from .campaigns import calls, grants


@dataclass(frozen=True)
class InStep:
    """What an operator may use: the step's transaction, the clock it runs at, and who the
    step is for (`current`: the instance id once stored, and the person acting)."""

    connection: Connection
    clock: Clock
    current: Callable[[], tuple[int | None, str | None]] = lambda: (None, None)

    def instance_id(self) -> int:
        found = self.current()[0]
        if found is None:
            raise ProcessIncident(
                "Une aide ne peut être réservée ou versée qu'à un dossier déjà enregistré."
            )
        return found

    @property
    def actor(self) -> str | None:
        return self.current()[1]


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
    return grants.reserve(step.connection, step.instance_id(), campagne, montant, step.clock.now())


def aide_du_dossier(step: InStep) -> dict[str, Any]:
    found = grants.live(step.connection, step.instance_id())
    if found is None:
        raise InvalidInput("Ce dossier n'a pas d'aide en cours.")
    return found.as_data()


def enregistrer_versement(
    step: InStep, nature: str, libelle: str, montant: Any, date: Any, reference: Any
) -> dict[str, Any]:
    return grants.record_payment(
        step.connection, step.instance_id(), kind=nature, label=libelle, amount=montant,
        paid_on=date, reference=reference, actor=step.actor, now=step.clock.now(),
    ).as_data()  # fmt: skip


IMPLEMENTATIONS: dict[str, Callable[..., Any]] = {
    "campagne_ouverte": campagne_ouverte,
    "reserver_enveloppe": reserver_enveloppe,
    "aide_du_dossier": aide_du_dossier,
    "enregistrer_versement": enregistrer_versement,
}


def bind(
    connection: Connection,
    clock: Clock,
    current: Callable[[], tuple[int | None, str | None]] = lambda: (None, None),
) -> dict[str, Callable[..., Any]]:
    """The operators as service tasks call them (by their BPMN parameters), for one step."""
    step = InStep(connection, clock, current)
    return {name: partial(function, step) for name, function in IMPLEMENTATIONS.items()}

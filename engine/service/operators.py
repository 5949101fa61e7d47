"""Implementations of the operators BPMN service tasks call (declared in
`engine.definitions.operators`). They run inside the step's transaction, on its connection."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from .. import l10n
from ..clock import Clock
from ..errors import InvalidInput
from . import campaigns


@dataclass(frozen=True)
class StepContext:
    connection: Connection
    clock: Clock


_current: ContextVar[StepContext | None] = ContextVar("anct_step", default=None)


@contextmanager
def step_context(connection: Connection, clock: Clock) -> Iterator[None]:
    """Make the step's connection available to operators while the engine runs."""
    token = _current.set(StepContext(connection, clock))
    try:
        yield
    finally:
        _current.reset(token)


def _context() -> StepContext:
    context = _current.get()
    if context is None:  # pragma: no cover - steps always run inside step_context
        raise RuntimeError("operator called outside of an engine step")
    return context


def campagne_ouverte(campagne: str) -> dict[str, Any]:
    context = _context()
    found = campaigns.get_in(context.connection, campagne)
    now = context.clock.now()
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


def reserver_enveloppe(campagne: str, montant: Any) -> dict[str, Any]:
    return campaigns.reserve(_context().connection, campagne, montant)


IMPLEMENTATIONS: dict[str, Callable[..., Any]] = {
    "campagne_ouverte": campagne_ouverte,
    "reserver_enveloppe": reserver_enveloppe,
}

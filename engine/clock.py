"""The engine's notion of "now".

SpiffWorkflow reads the wall clock itself; our timer definitions and script helpers read this
clock instead, so that tests and operations (`anct timers fire-due --now ...`) can move time.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

#: The agency's time: due dates, calendars and what people read are in Paris time.
PARIS = ZoneInfo("Europe/Paris")

#: The moment timers and scripts see while the runner catches up on timers that fell due one
#: after the other (an instance advanced late fires them in order, each at its own time).
TIMER_NOW: ContextVar[datetime | None] = ContextVar("anct_timer_now", default=None)


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to: for tests and demonstrations."""

    def __init__(self, start: datetime | str) -> None:
        self._now = as_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime | str) -> None:
        self._now = as_utc(when)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now


def as_utc(value: datetime | str) -> datetime:
    """Parse or normalise a timestamp; a naive one is taken as UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)

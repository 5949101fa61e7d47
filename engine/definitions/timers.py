"""Timer event definitions that read "now" from the engine's clock instead of the wall clock.

SpiffWorkflow's timers call `datetime.now()` themselves; ours ask the workflow's script engine
for its clock, so that tests and `anct timers fire-due --now` move time for the whole engine.
Timer expressions may give an ISO text ("P15D", "2026-03-01T09:00") or, computed from dossier
data, a `datetime`, a `date` (midnight, Paris time) or a `timedelta`. Naive times are Paris time.
"""

from __future__ import annotations

import ast
from calendar import monthrange
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from ..clock import PARIS, TIMER_NOW
from ..errors import ScriptError

#: Tasks of cycle timers that fired during the current engine step (set by the step runner): a
#: cycle's event stays waiting between firings, so its firings are not task completions.
CYCLE_FIRINGS: ContextVar[list[Any] | None] = ContextVar("anct_cycle_firings", default=None)


def _now(my_task: Any) -> datetime:
    return TIMER_NOW.get() or my_task.workflow.script_engine.clock.now()


def to_moment(value: Any) -> datetime:
    """An aware UTC datetime from what a timer expression gave."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(0, 0))
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ScriptError(
                f"Date de minuterie invalide : « {value} » (attendu : AAAA-MM-JJ[THH:MM])."
            ) from None
    else:
        raise ScriptError(f"Date de minuterie invalide : {value!r}.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    return moment.astimezone(UTC)


def duration_after(value: Any, start: datetime) -> datetime:
    if isinstance(value, timedelta):
        return start + value
    try:
        parsed = TimerEventDefinition.parse_iso_duration(str(value))
        return start + TimerEventDefinition.get_timedelta_from_start(parsed, start)
    except Exception:
        raise ScriptError(
            f"Durée de minuterie invalide : « {value} » (attendu par exemple « P15D »)."
        ) from None


def _cycle(value: Any, now: datetime) -> tuple[int, datetime, float]:
    """(cycles, first firing, seconds between firings) of "R3/P1M" or "R/2026-01-01T09:00/P1M"."""
    text = str(value).strip().upper()
    parts = text.replace("--", "/").split("/")
    if not parts[0].startswith("R") or len(parts) not in (2, 3):
        raise ScriptError(
            f"Cycle de minuterie invalide : « {value} » (attendu par exemple « R4/P3M »)."
        )
    try:
        cycles = int(parts[0][1:]) if parts[0][1:] else -1
    except ValueError:
        raise ScriptError(f"Nombre de répétitions invalide dans « {value} ».") from None
    if len(parts) == 2:
        first = duration_after(parts[1], now)
        return cycles, first, (first - now).total_seconds()
    if parts[1].startswith("P"):
        end = to_moment(parts[2])
        parsed = TimerEventDefinition.parse_iso_duration(parts[1])
        duration = TimerEventDefinition.get_timedelta_from_end(parsed, end)
        return cycles, end - duration, duration.total_seconds()
    start = to_moment(parts[1])
    return cycles, start, (duration_after(parts[2], start) - start).total_seconds()


class ClockTimeDateEventDefinition(TimeDateEventDefinition):
    def has_fired(self, my_task: Any) -> bool:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            event_value = to_moment(value).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if datetime.fromisoformat(event_value) <= _now(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockDurationTimerEventDefinition(DurationTimerEventDefinition):
    def has_fired(self, my_task: Any) -> bool:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            event_value = duration_after(value, _now(my_task)).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if datetime.fromisoformat(event_value) <= _now(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockCycleTimerEventDefinition(CycleTimerEventDefinition):
    def cycle_complete(self, my_task: Any) -> bool:
        now = _now(my_task)
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            cycles, first, seconds = _cycle(value, now)
            period = _period(value)
            if seconds <= 0:
                raise ScriptError(f"Le cycle « {value} » doit avoir une durée positive.")
            event_value = {"cycles": cycles, "next": first.isoformat(), "duration": seconds,
                           "first": first.isoformat(), "period": period, "fired": 0}  # fmt: skip
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event <= now:
                event_value["fired"] = event_value.get("fired", 0) + 1
                event_value["next"] = _following(event_value, next_event).isoformat()
                event_value["cycles"] -= 1
                ready = True
                log = CYCLE_FIRINGS.get()
                if log is not None:
                    log.append(my_task)
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
            return False
        my_task._set_internal_data(event_value=event_value)
        return ready


def _period(value: Any) -> str | None:
    """The repeating duration of a cycle, when it is given as a duration ("R/P1Y", "R3/…/P1M")."""
    parts = str(value).strip().upper().replace("--", "/").split("/")
    return parts[-1] if len(parts) >= 2 and parts[-1].startswith("P") else None


def _following(event_value: dict[str, Any], previous: datetime) -> datetime:
    """The firing after `previous`: counted on the calendar from the first firing, so that yearly
    and monthly cycles do not drift across leap years and short months."""
    period = event_value.get("period")
    if not period:
        return previous + timedelta(seconds=event_value["duration"])
    parts = TimerEventDefinition.parse_iso_duration(period)
    times = event_value["fired"]
    first = datetime.fromisoformat(event_value["first"])
    months = int(parts.pop("years", 0) * 12 + parts.pop("months", 0)) * times
    index = first.month - 1 + months
    year, month = first.year + index // 12, index % 12 + 1
    moment = first.replace(year=year, month=month, day=min(first.day, monthrange(year, month)[1]))
    return moment + timedelta(**{name: amount * times for name, amount in parts.items()})


CLOCK_TIMERS = {
    TimeDateEventDefinition: ClockTimeDateEventDefinition,
    DurationTimerEventDefinition: ClockDurationTimerEventDefinition,
    CycleTimerEventDefinition: ClockCycleTimerEventDefinition,
}


def next_due(details_value: Any) -> datetime | None:
    """The due moment of a waiting timer, from `PendingBpmnEvent.value`."""
    if isinstance(details_value, dict):
        details_value = details_value.get("next")
    if not details_value:
        return None
    try:
        return datetime.fromisoformat(details_value)
    except (TypeError, ValueError):
        return None


_KINDS = {"timeDate": "date", "timeDuration": "durée", "timeCycle": "cycle"}


def timer_literal_problem(kind: str, source: str) -> str | None:
    """Why a constant timer expression can never give a moment (None when it can, or when the
    expression reads dossier data and is only known at run time)."""
    try:
        value = ast.literal_eval(source.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if not isinstance(value, str):
        return (
            f"expression de minuterie constante {value!r} : une {_KINDS.get(kind, 'valeur')} "
            "s'écrit entre guillemets (« P15D », « 2026-03-01T09:00 », « R4/P3M »)"
        )
    probe = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        if kind == "timeDate":
            to_moment(value)
        elif kind == "timeDuration":
            duration_after(value, probe)
        else:
            _cycle(value, probe)
    except (ScriptError, ValueError, KeyError) as exc:
        return str(exc).rstrip(".")
    return None

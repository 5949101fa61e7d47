"""The only names a process script sees besides its data: safe builtins and date helpers.

Helpers that need "now" read the engine's clock, never the wall clock, so that timers and
deadlines computed in scripts follow the clock tests and operations move.
"""

from __future__ import annotations

import builtins
import calendar
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from ..clock import PARIS, TIMER_NOW, Clock, as_utc
from ..errors import InvalidInput, SandboxViolation, ScriptError
from .guards import MAX_LENGTH

_SAFE_BUILTINS = (
    "abs", "all", "any", "bool", "chr", "dict", "divmod", "enumerate", "filter", "float",
    "frozenset", "int", "isinstance", "len", "list", "map", "max", "min", "ord", "repr",
    "reversed", "round", "set", "slice", "sorted", "str", "sum", "tuple", "zip",
    "ArithmeticError", "AssertionError", "Exception", "IndexError", "KeyError", "LookupError",
    "NameError", "TypeError", "ValueError", "ZeroDivisionError",
)  # fmt: skip

_ISO_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def parse_iso_duration(text: str) -> dict[str, int]:
    """The parts of an ISO 8601 duration such as "P15D", "P1M" or "PT12H"."""
    found = _ISO_DURATION.match(str(text).strip().upper())
    if not found:
        raise ScriptError(f"Durée ISO 8601 invalide : « {text} » (exemples : P15D, P3M, PT12H).")
    return {k: int(v) for k, v in found.groupdict().items() if v}


def add_iso_duration(moment: date, text: str) -> date:
    """`moment` plus an ISO duration, months and years following the calendar (31 Jan + P1M = 28/29 Feb)."""
    parts = parse_iso_duration(text)
    months = parts.pop("years", 0) * 12 + parts.pop("months", 0)
    if months:
        month_index = moment.month - 1 + months
        year, month = moment.year + month_index // 12, month_index % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        moment = moment.replace(year=year, month=month, day=day)
    return moment + timedelta(**parts)


def to_moment(value: Any) -> date:
    """A date or datetime from a date, a datetime or an ISO text (as dossier data holds them)."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError:
            pass
    raise ScriptError(f"Date invalide : « {value} » (attendu : AAAA-MM-JJ ou date et heure ISO).")


def _limited_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_LENGTH:
        raise SandboxViolation(f"range trop grand (au plus {MAX_LENGTH} éléments)")
    return result


def make_helpers(clock: Clock) -> dict[str, Any]:
    """The builtins of a script: whitelisted Python builtins plus our helpers, bound to `clock`."""

    def maintenant() -> datetime:
        return TIMER_NOW.get() or clock.now()

    def aujourdhui() -> date:
        return maintenant().astimezone(PARIS).date()

    def duree(text: str) -> timedelta:
        parts = parse_iso_duration(text)
        if parts.get("years") or parts.get("months"):
            raise ScriptError(
                f"« {text} » compte des mois ou des années : utilisez ajouter_duree(date, "
                f"'{text}') pour suivre le calendrier."
            )
        return timedelta(**parts)

    def ajouter_duree(moment: Any, text: str) -> date:
        return add_iso_duration(to_moment(moment), text)

    def jours_entre(debut: Any, fin: Any) -> int:
        start, end = to_moment(debut), to_moment(fin)
        if isinstance(start, datetime) != isinstance(end, datetime):
            start = start.date() if isinstance(start, datetime) else start
            end = end.date() if isinstance(end, datetime) else end
        return (end - start).days

    def en_utc(moment: Any) -> datetime:
        value = to_moment(moment)
        if not isinstance(value, datetime):
            value = datetime.combine(value, time.min, PARIS)
        elif value.tzinfo is None:
            value = value.replace(tzinfo=PARIS)
        return as_utc(value)

    helpers: dict[str, Callable[..., Any] | Any] = {
        name: getattr(builtins, name) for name in _SAFE_BUILTINS
    }
    helpers.update({"None": None, "True": True, "False": False})
    helpers.update(
        range=_limited_range,
        refuser=refuser,
        date=date,
        datetime=datetime,
        timedelta=timedelta,
        Decimal=Decimal,
        maintenant=maintenant,
        aujourdhui=aujourdhui,
        duree=duree,
        ajouter_duree=ajouter_duree,
        en_date=to_moment,
        en_utc=en_utc,
        jours_entre=jours_entre,
    )
    # datetime's C code imports these itself (strftime, strptime, timetuple); scripts cannot
    # name `__import__`, so this reaches no script, only the library.
    helpers["__import__"] = _library_import
    return helpers


def refuser(message: Any, champ: Any = None) -> None:
    """Refuse the step with a message for the person (the task stays open, nothing is kept).

    Business rules of a procedure are written with it, never with `raise`: the person reads
    the message on the form, next to the field `champ` when the script names it (a dotted
    path such as `actions.0.fin`), and corrects their entry.
    """
    text = str(message)[:1000] or "Étape refusée."
    if champ is None or str(champ).strip() == "":
        raise InvalidInput(text)
    raise InvalidInput(text, fields={str(champ).strip()[:200]: text})


_LIBRARY_MODULES = frozenset({"time", "_strptime"})


def _library_import(name: str, *args: Any, **kwargs: Any) -> Any:
    if name not in _LIBRARY_MODULES:
        raise SandboxViolation("les imports sont interdits dans les scripts de processus")
    return builtins.__import__(name, *args, **kwargs)

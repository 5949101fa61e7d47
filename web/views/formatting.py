"""How values read in pages: dates in Paris time, amounts, numbers and plurals in French (all
from engine.l10n), and every code (statuses, roles, outcomes, history events, actors) in French,
from the one table of engine.labels."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from engine import l10n, labels


def date_fr(value: datetime | date | str | None, with_time: bool = True) -> str:
    """« 2 mars 2026 à 09 h 00 » (« 2 mars 2026 » without the time); a plain date « 01/09/2026 »."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return l10n.datetime_text(value) if with_time else l10n.date_text(value)
    return l10n.date_text(value, "short")


def short_date(value: datetime | None) -> str:
    """« 02/03/2026 », the date in Paris."""
    return "—" if value is None else l10n.date_text(value, "short")


def status_label(value: str | None) -> str:
    return labels.status(value)


def role_label(value: str | None) -> str:
    return labels.role(value)


def page_numbers(page: int, pages: int) -> list[int | None]:
    """Page numbers to offer: the first, the last, and two around the current (None: a gap)."""
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def register_filters(app: Any) -> None:
    app.jinja_env.globals.update(page_numbers=page_numbers, plural=l10n.plural)
    app.jinja_env.filters.update(
        date_fr=date_fr, short_date=short_date, euros=l10n.euros, number=l10n.number,
        status_label=status_label, role_label=role_label,
        outcome_label=labels.outcome, event_label=labels.event, timer_kind=labels.timer_kind,
        actor_label=labels.actor,
    )  # fmt: skip

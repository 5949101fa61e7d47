"""How values read in pages: dates in Paris time, amounts, and every code (statuses, roles,
outcomes, history events, actors) in French, from the one table of engine.labels."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from engine import labels
from engine.clock import PARIS
from engine.notifications.compose import date_fr as _date_time_fr


def date_fr(value: datetime | date | str | None, with_time: bool = True) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        text = _date_time_fr(value)
        return text if with_time else text.split(" à ")[0]
    return f"{value:%d/%m/%Y}"


def short_date(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(PARIS).strftime("%d/%m/%Y")


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
    app.jinja_env.globals["page_numbers"] = page_numbers
    app.jinja_env.filters.update(
        date_fr=date_fr, short_date=short_date, status_label=status_label, role_label=role_label,
        outcome_label=labels.outcome, event_label=labels.event, timer_kind=labels.timer_kind,
        actor_label=labels.actor,
    )  # fmt: skip

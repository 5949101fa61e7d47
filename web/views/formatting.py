"""How values read in pages: dates in Paris time, amounts, statuses and roles in French."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from engine.clock import PARIS
from engine.notifications.compose import date_fr as _date_time_fr
from engine.roles import ROLE_LABELS
from engine.service.search import STATUSES as DOSSIER_STATUSES

STATUS_LABELS = {
    **DOSSIER_STATUSES,
    "ouverte": "À faire",
    "annulee": "Annulée",
    "en_attente": "En attente",
    "declenchee": "Déclenchée",
}


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
    return STATUS_LABELS.get(value or "", value or "—")


def role_label(value: str | None) -> str:
    return ROLE_LABELS.get(value or "", value or "—")


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
        date_fr=date_fr, short_date=short_date, status_label=status_label, role_label=role_label
    )

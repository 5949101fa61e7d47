"""Printing for the CLI: aligned text for people, JSON for scripts."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import click

from engine import l10n


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, default=_default, ensure_ascii=False, indent=2))


def when(value: datetime | None) -> str:
    """« 2026-03-02 09:00 », in Paris time, as the options of the commands are typed."""
    if value is None:
        return "—"
    return l10n.datetime_text(value, "iso")


def table(rows: list[list[str]], headers: list[str]) -> None:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=False)]
    for line in [headers, *rows]:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=False)).rstrip())

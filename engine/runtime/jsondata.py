"""Dossier data as plain JSON, for the projection column, the audit trail and the APIs."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

MAX_AUDIT_VALUE = 2000


def to_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json(v) for v in value]
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{key: [old, new]} for every key whose JSON value changed (long values shortened)."""
    diff = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            diff[key] = [_short(old), _short(new)]
    return diff


def _short(value: Any) -> Any:
    text = repr(value)
    if len(text) > MAX_AUDIT_VALUE:
        return text[: MAX_AUDIT_VALUE - 1] + "…"
    return value

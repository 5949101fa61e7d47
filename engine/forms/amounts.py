"""The amounts of a dossier: the fields its forms show in euros (`"x-widget": "montant"`).

The CSV export gives one column per amount so that a spreadsheet can add them up: a field at
the top of a form is one column; a euro field in a list's rows (budget lines, actions) is one
column holding the rows' total, since a spreadsheet cell holds one number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

WIDGET = "x-widget"


def _is_amount(schema: Any) -> bool:
    return isinstance(schema, Mapping) and schema.get(WIDGET) == "montant"


@dataclass(frozen=True)
class AmountField:
    """One amount column: `name` is the field, `row_field` the euro field of its rows (a total)."""

    name: str
    title: str
    row_field: str | None = None

    def value(self, data: Mapping[str, Any]) -> int | float | Decimal | None:
        """The amount in this dossier's data; None when the dossier has none (not yet filled)."""
        value = data.get(self.name)
        if self.row_field is None:
            return value if _number(value) else None
        if not isinstance(value, list):
            return None
        found = [row.get(self.row_field) for row in value if isinstance(row, Mapping)]
        numbers = [n for n in found if _number(n)]
        return sum(numbers) if numbers else None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def amount_fields(fields: Mapping[str, Mapping[str, Any]]) -> list[AmountField]:
    """The amount columns of a version's fields (`visibility.form_fields`), in the forms' order."""
    found = []
    for name, schema in fields.items():
        title = str(schema.get("title") or name)
        if _is_amount(schema):
            found.append(AmountField(name, title))
            continue
        items = schema.get("items")
        if schema.get("type") != "array" or not isinstance(items, Mapping):
            continue
        for row_field, sub in (items.get("properties") or {}).items():
            if _is_amount(sub):
                sub_title = str(sub.get("title") or row_field)
                found.append(AmountField(name, f"{title} : {sub_title}, total", row_field))
    return found

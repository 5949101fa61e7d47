"""The search's CSV export: what a spreadsheet needs, in words and numbers, never in codes.

One row per dossier: its reference, procedure, status and outcome as people read them
(engine.labels), where and for whom, its dates, then one column per amount the forms of the
exported procedures declare (engine.forms.amounts), as plain numbers a French spreadsheet adds
up. A procedure whose dossiers are not in the selection adds no column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from engine import l10n, labels
from engine.forms.amounts import AmountField, amount_fields

#: The columns every export has, in order; the amount columns follow. « Aide en cours » and
#: « Versé » come from the dossier's grant and its recorded payments (empty without a grant).
COLUMNS = (
    "Référence", "Procédure", "Statut", "Issue", "Territoire", "Organisation", "SIREN",
    "Déposé le", "Dernière activité", "Terminé le", "Aide en cours (€)", "Versé (€)",
)  # fmt: skip
#: A cell starting with one of these is read as a formula by spreadsheets (CSV injection): it is
#: exported behind an apostrophe, which spreadsheets show as text (OWASP's advice).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """A value as a French spreadsheet reads it: dates in Paris time, decimal commas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, (int, float, Decimal)):
        return l10n.number(value, grouping=False)
    if isinstance(value, datetime):
        return l10n.datetime_text(value, "short")
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _amount_columns(
    items: Iterable[Mapping[str, Any]], fields_of: Callable[[int], Mapping[str, Any]]
) -> dict[int, list[AmountField]]:
    """Each exported version's amount fields (its forms read once per version)."""
    by_version: dict[int, list[AmountField]] = {}
    for item in items:
        version = item["process_version_id"]
        if version not in by_version:
            by_version[version] = amount_fields(fields_of(version))
    return by_version


def write_csv(items: list[Mapping[str, Any]], fields_of: Callable[[int], Mapping[str, Any]]) -> str:
    """The CSV text (byte order mark first, `;` between cells, CRLF) of these search items;
    `fields_of(version_id)` gives a version's form fields."""
    by_version = _amount_columns(items, fields_of)
    columns: dict[tuple[str, str | None, str], int] = {}
    for fields in by_version.values():
        for field in fields:
            columns.setdefault((field.name, field.row_field, field.title), len(columns))
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([*COLUMNS, *(title for _, _, title in columns)])
    for item in items:
        amounts: list[Any] = [None] * len(columns)
        for field in by_version[item["process_version_id"]]:
            amounts[columns[field.name, field.row_field, field.title]] = field.value(
                item.get("data") or {}
            )
        writer.writerow(
            cell(value)
            for value in (
                item["reference"], item["process_name"],
                labels.status(item["status"]),
                labels.outcome(item["outcome"]) if item["outcome"] else None,
                item["territory_label"], item["organisation"], item["siren"],
                item["created_at"], item["updated_at"], item["completed_at"],
                item.get("aide"), item.get("verse"), *amounts,
            )
        )  # fmt: skip
    return out.getvalue()

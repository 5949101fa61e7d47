"""A dossier's data as people read it: the forms' labels, choices and formats, in their order.

Shared by the dossier page and the task page (what to read before acting).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from engine import l10n, labels
from engine.forms.files import is_file_field
from engine.forms.internal import is_internal
from engine.service.dossiers.attachments import type_label


@dataclass
class Entry:
    """One line of a dossier's data: a label and a text, or nested lines."""

    label: str
    text: str | None = None
    children: list[Entry] = field(default_factory=list)
    long: bool = False
    #: A file of the dossier: its id, for the download link.
    attachment: int | None = None
    #: An internal field (`"x-interne"`): shown to the staff only, marked so for them.
    internal: bool = False


def _choice_labels(schema: dict[str, Any]) -> dict[str, str]:
    labels = dict(schema.get("x-libelles") or {})
    items = schema.get("items")
    if isinstance(items, dict):
        labels = {**(items.get("x-libelles") or {}), **labels}
    return labels


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _scalar(value: Any, schema: dict[str, Any]) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    labels = _choice_labels(schema)
    if isinstance(value, str) and value in labels:
        return labels[value]
    if isinstance(value, (int, float, Decimal)):
        return l10n.euros(value) if schema.get("x-widget") == "montant" else l10n.number(value)
    # A date a script recorded has no schema: its ISO form is recognised, not shown raw.
    if isinstance(value, str) and (
        schema.get("format") == "date" or (not schema and _ISO_DATE.fullmatch(value))
    ):
        try:
            return l10n.date_text(date.fromisoformat(value), "short")
        except ValueError:
            return value
    return str(value)


def _entry(label: str, value: Any, schema: dict[str, Any]) -> Entry:
    entry = _plain_entry(label, value, schema)
    entry.internal = is_internal(schema)
    return entry


def _plain_entry(label: str, value: Any, schema: dict[str, Any]) -> Entry:
    if is_file_field(schema) and isinstance(value, dict) and isinstance(value.get("id"), int):
        size = l10n.file_size(value["taille"]) if isinstance(value.get("taille"), int) else ""
        text = f"{value.get('nom', 'fichier')} ({type_label(str(value.get('type', '')))}, {size})"
        return Entry(label, text, attachment=value["id"])
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        order = [*(schema.get("x-ordre") or []), *properties, *value]
        seen: set[str] = set()
        children = []
        for key in order:
            if key in seen or key not in value:
                continue
            seen.add(key)
            sub = properties.get(key) or {}
            children.append(_entry(sub.get("title") or key, value[key], sub))
        return Entry(label, children=children)
    if isinstance(value, list):
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        if any(isinstance(item, (dict, list)) for item in value):
            name = items.get("title") or "Élément"
            return Entry(
                label,
                children=[_entry(f"{name} {n}", item, items) for n, item in enumerate(value, 1)],
            )
        labels = _choice_labels(schema)
        texts = [labels.get(v, _scalar(v, items)) if isinstance(v, str) else _scalar(v, items)
                 for v in value]  # fmt: skip
        return Entry(label, ", ".join(texts) if texts else "—")
    text = _scalar(value, schema)
    return Entry(label, text, long=schema.get("x-widget") == "textarea" or "\n" in text)


def readable_data(
    data: dict[str, Any], fields: dict[str, dict[str, Any]]
) -> tuple[list[Entry], list[Entry]]:
    """(the fields the forms declare, with their labels; the other variables of the dossier).

    `data` is what the viewer may read (engine.service.dossiers.visibility): the internal fields are
    already gone for the requesting authority; for the staff they come marked `internal`.
    """
    declared, others = [], []
    for name, schema in fields.items():
        if name in data:
            declared.append(_entry(schema.get("title") or name, data[name], schema))
    for name in sorted(data):
        if name not in fields:
            others.append(_entry(labels.variable(name), data[name], {}))
    return declared, others

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
from engine.forms import readers
from engine.forms.files import is_file_field
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
    #: Who reads it, when the procedure restricts it (`x-lecteurs`, `x-interne`, a variable
    #: of the engine declared nowhere): said to those who read it, so that nobody quotes it
    #: to someone who does not. None: everyone who sees the dossier.
    readers: frozenset[str] | None = None
    #: Its dotted path in the dossier's data (list rows not counted): `data-champ` on the page.
    path: str = ""

    @property
    def internal(self) -> bool:
        """Not read by the requesting authority."""
        return self.readers is not None and readers.COLLECTIVITE not in self.readers

    @property
    def readers_text(self) -> str:
        """« préfet, équipe nationale »."""
        return readers.roles_text(self.readers or ())

    @property
    def staff_only(self) -> bool:
        """Read by exactly the State's staff (`"x-interne": true`)."""
        return self.readers == readers.STAFF


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
    # A date a script recorded has no type: its ISO form is recognised, not shown raw.
    if isinstance(value, str) and (
        schema.get("format") == "date" or (not schema.get("type") and _ISO_DATE.fullmatch(value))
    ):
        try:
            return l10n.date_text(date.fromisoformat(value), "short")
        except ValueError:
            return value
    return str(value)


def _entry(label: str, value: Any, schema: dict[str, Any], path: str) -> Entry:
    entry = _plain_entry(label, value, schema, path)
    entry.readers, entry.path = readers.readers_of(schema), path
    return entry


def _plain_entry(label: str, value: Any, schema: dict[str, Any], path: str) -> Entry:
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
            children.append(_entry(sub.get("title") or key, value[key], sub, f"{path}.{key}"))
        return Entry(label, children=children)
    if isinstance(value, list):
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        if any(isinstance(item, (dict, list)) for item in value):
            name = items.get("title") or "Élément"
            rows = [_row(f"{name} {n}", item, items, path) for n, item in enumerate(value, 1)]
            return Entry(label, children=rows)
        labels = _choice_labels(schema)
        texts = [labels.get(v, _scalar(v, items)) if isinstance(v, str) else _scalar(v, items)
                 for v in value]  # fmt: skip
        return Entry(label, ", ".join(texts) if texts else "—")
    text = _scalar(value, schema)
    return Entry(label, text, long=schema.get("x-widget") == "textarea" or "\n" in text)


def _row(label: str, value: Any, items: dict[str, Any], path: str) -> Entry:
    """One row of a list: its fields keep the list's path (`actions.intitule`)."""
    entry = _plain_entry(label, value, items, path)
    entry.readers = readers.readers_of(items)
    return entry


def readable_data(
    data: dict[str, Any], fields: dict[str, dict[str, Any]]
) -> tuple[list[Entry], list[Entry]]:
    """(the fields the forms declare, with their labels; the other variables of the dossier,
    the engine's own, with the label their `x-donnees` declaration gives).

    `data` is what the viewer may read (engine.service.dossiers.visibility): what they do not
    read is already gone; what some other role does not read comes with its `readers`.
    """
    declared, others = [], []
    for name, schema in fields.items():
        if name in data and not schema.get(readers.ENGINE_MARK):
            declared.append(_entry(schema.get("title") or name, data[name], schema, name))
    for name in sorted(data):
        schema = fields.get(name)
        if schema is None or schema.get(readers.ENGINE_MARK):
            schema = readers.variable_schema(name, fields)
            title = schema.get("title") or labels.variable(name)
            others.append(_entry(title, data[name], schema, name))
    return declared, others

"""File fields of a declarative form: `"x-widget": "fichier"`.

```json
"deliberation": {
  "title": "Délibération du conseil", "type": "object", "x-widget": "fichier",
  "x-types": ["pdf"], "x-taille-max": 5, "x-signature": false
}
```

The dossier keeps a small reference to the file, `{id, nom, taille, type, empreinte}`, never its
bytes. `x-types` narrows the accepted types (keys of engine.attachments.sniff.KINDS; all of them
by default), `x-taille-max` the size in Mo (never above the platform's limit), `x-signature`
marks the signed document of a signature task (who attached it signed it, then).

File fields live at the top of the form or in nested objects, not in lists: a list's rows are
renumbered when empty ones are dropped, a file must keep its place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .. import l10n
from ..attachments.sniff import ALL, KINDS, labels

FILE_WIDGET = "fichier"
#: The keys of the reference object the dossier keeps for a file.
REFERENCE_KEYS = ("id", "nom", "taille", "type", "empreinte")


@dataclass(frozen=True)
class FileField:
    """One file field of a form, found at `path` (dotted: `pieces_jointes.statuts`)."""

    path: str
    label: str
    types: tuple[str, ...] = ALL
    #: None: the platform's limit.
    max_bytes: int | None = None
    signature: bool = False

    @property
    def hint(self) -> str:
        """« Formats acceptés : PDF. 5,0 Mo au plus. » (the size only if the form sets it)."""
        text = f"Formats acceptés : {labels(self.types)}."
        if self.max_bytes:
            text += f" {l10n.megabytes(self.max_bytes)} au plus."
        return text

    @property
    def accept(self) -> str:
        """The `accept` attribute of its input (a hint to the browser; the server decides)."""
        return ",".join(ext for key in self.types for ext in KINDS[key].extensions)


def is_file_field(schema: Any) -> bool:
    return isinstance(schema, Mapping) and schema.get("x-widget") == FILE_WIDGET


def describe(path: str, schema: Mapping[str, Any]) -> FileField:
    types = tuple(t for t in schema.get("x-types") or ALL if t in KINDS) or ALL
    size = schema.get("x-taille-max")
    max_bytes = int(size * 1024 * 1024) if isinstance(size, (int, float)) and size > 0 else None
    return FileField(
        path=path, label=str(schema.get("title") or path.rsplit(".", 1)[-1]), types=types,
        max_bytes=max_bytes, signature=schema.get("x-signature") is True,
    )  # fmt: skip


def _walk(schema: Mapping[str, Any], prefix: str) -> Iterator[FileField]:
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return
    for name, sub in properties.items():
        if is_file_field(sub):
            yield describe(prefix + name, sub)
        elif isinstance(sub, Mapping) and sub.get("type") == "object":
            yield from _walk(sub, f"{prefix}{name}.")


def file_fields(form: Mapping[str, Any] | None) -> list[FileField]:
    """The form's file fields, in the order of its properties."""
    return list(_walk(form, "")) if form else []


def value_at(data: Mapping[str, Any], path: str) -> Any:
    current: Any = data
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def with_value(data: dict[str, Any], path: str, value: Any) -> None:
    """Set (or, with None, remove) the value at a dotted path, creating the objects on the way."""
    *parents, last = path.split(".")
    current = data
    for part in parents:
        nested = current.get(part)
        if not isinstance(nested, dict):
            if value is None:
                return
            nested = current[part] = {}
        current = nested
    if value is None:
        current.pop(last, None)
    else:
        current[last] = value


def check_file_fields(form: Mapping[str, Any]) -> list[str]:
    """What is wrong with the form's file fields, in French (empty: nothing)."""
    problems: list[str] = []

    def visit(schema: Mapping[str, Any], where: str, in_list: bool) -> None:
        if is_file_field(schema):
            if in_list:
                problems.append(f"« {where} » : un champ fichier ne peut pas être dans une liste")
            if schema.get("type", "object") != "object":
                problems.append(f"« {where} » : un champ fichier est de type « object »")
            unknown = [t for t in schema.get("x-types") or [] if t not in KINDS]
            if unknown:
                problems.append(
                    f"« {where} » : types de fichier inconnus {', '.join(map(str, unknown))} "
                    f"(connus : {', '.join(KINDS)})"
                )
            size = schema.get("x-taille-max")
            if size is not None and (not isinstance(size, (int, float)) or size <= 0):
                problems.append(f"« {where} » : « x-taille-max » est une taille en Mo, positive")
            return
        for name, sub in (schema.get("properties") or {}).items():
            if isinstance(sub, Mapping):
                visit(sub, f"{where}.{name}" if where else name, in_list)
        items = schema.get("items")
        if isinstance(items, Mapping):
            visit(items, where, True)

    visit(form, "", False)
    return problems

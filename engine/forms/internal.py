"""Internal fields of a declarative form: `"x-interne": true`, for the State's staff only.

```json
{"title": "Donner l'avis du préfet", "x-interne": true, "properties": {…}}
"analyse_besoin": {"title": "Analyse du besoin", "type": "string", "x-interne": true}
```

On a form, every field of the form is internal; on a field (at the top of the form, in a
nested object or in a list's rows), that field. An internal field holds what the staff write
for one another (the préfet's opinion and ranking, an instruction note): the requesting
authority never reads it, on its dossier page, its task pages or anywhere its data is shown.
A procedure that wants the authority to read it simply does not mark it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

INTERNAL = "x-interne"


def is_internal(schema: Any) -> bool:
    return isinstance(schema, Mapping) and schema.get(INTERNAL) is True


def form_properties(form: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The top-level fields of a form, each marked internal when the whole form is."""
    properties = {
        name: schema
        for name, schema in (form.get("properties") or {}).items()
        if isinstance(schema, dict)
    }
    if not is_internal(form):
        return properties
    return {name: {**schema, INTERNAL: True} for name, schema in properties.items()}


def without_internal(value: Any, schema: Mapping[str, Any]) -> Any:
    """`value` without what `schema` marks internal below it (its own mark is the caller's)."""
    if isinstance(value, dict):
        properties = schema.get("properties")
        if not isinstance(properties, Mapping):
            return value
        return {
            key: without_internal(item, properties.get(key) or {})
            for key, item in value.items()
            if not is_internal(properties.get(key))
        }
    if isinstance(value, list):
        items = schema.get("items")
        if not isinstance(items, Mapping):
            return value
        return [without_internal(item, items) for item in value]
    return value


def public_data(data: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """What an authority may read of its dossier's data: every variable but the internal
    fields (`fields`: the forms' fields by name, as `form_properties` gives them)."""
    return {
        name: without_internal(value, fields.get(name) or {})
        for name, value in data.items()
        if not is_internal(fields.get(name))
    }


def internal_paths(fields: Mapping[str, Any]) -> list[str]:
    """Dotted paths of the internal fields and objects (to hide the files attached in them)."""
    found: list[str] = []

    def walk(properties: Mapping[str, Any], prefix: str) -> None:
        for name, schema in properties.items():
            if not isinstance(schema, Mapping):
                continue
            path = f"{prefix}{name}"
            if is_internal(schema):
                found.append(path)
            elif isinstance(schema.get("properties"), Mapping):
                walk(schema["properties"], f"{path}.")

    walk(fields, "")
    return found


def check_internal(form: Mapping[str, Any]) -> list[str]:
    """Problems with the marks of a form (a mark is true or false, nothing else)."""
    problems = []
    if INTERNAL in form and not isinstance(form[INTERNAL], bool):
        problems.append("« x-interne » du formulaire : true ou false attendu")

    def walk(properties: Any, prefix: str) -> None:
        if not isinstance(properties, Mapping):
            return
        for name, schema in properties.items():
            if not isinstance(schema, Mapping):
                continue
            if INTERNAL in schema and not isinstance(schema[INTERNAL], bool):
                problems.append(f"« x-interne » de « {prefix}{name} » : true ou false attendu")
            walk(schema.get("properties"), f"{prefix}{name}.")
            items = schema.get("items")
            if isinstance(items, Mapping):
                walk(items.get("properties"), f"{prefix}{name}.")

    walk(form.get("properties"), "")
    return problems

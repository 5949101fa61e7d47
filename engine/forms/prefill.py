"""Follow-up forms that start from what the dossier already holds: `x-prerempli`.

```json
"etat_actions": {
  "type": "array", "items": {"type": "object", "properties": {"action": {…}, "etat": {…}}},
  "x-prerempli": {"depuis": "actions", "champs": {"action": "intitule"}}
}
```

A list field not yet filled shows one row per item of the dossier's list `depuis`, each row's
field taking the item's value named in `champs` (the steering committee lists the plan's actions
instead of asking to retype them). Without `champs`, the field starts from the dossier's value as
it is. What the dossier already holds under the field's own name wins (the next committee starts
from the last one). The person still reviews and completes the form; the server validates it as
any other: a pre-filled value is a suggestion, never trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PREFILL = "x-prerempli"


def check_prefill(form: Mapping[str, Any]) -> list[str]:
    """Why the `x-prerempli` of a form's fields cannot be used (empty list: it can)."""
    problems = []
    for name, schema in (form.get("properties") or {}).items():
        if not isinstance(schema, Mapping) or PREFILL not in schema:
            continue
        rule = schema[PREFILL]
        source = rule.get("depuis") if isinstance(rule, Mapping) else None
        if not isinstance(source, str) or not source:
            problems.append(f"« {name} » : « {PREFILL} » attend « depuis », un nom de donnée")
            continue
        fields = rule.get("champs")
        if fields is None:
            continue
        items = schema.get("items") if schema.get("type") == "array" else None
        known = (items or {}).get("properties") if isinstance(items, Mapping) else None
        if not isinstance(fields, Mapping) or not isinstance(known, Mapping):
            problems.append(f"« {name} » : « champs » ne vaut que pour une liste de lignes")
            continue
        unknown = [target for target in fields if target not in known]
        if unknown or not all(isinstance(v, str) and v for v in fields.values()):
            problems.append(
                f"« {name} » : « champs » cite des colonnes inconnues ou sans source : "
                f"{', '.join(unknown) or 'valeur vide'}"
            )
    return problems


def prefilled(schema: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """The values a task form opens with: the dossier's own, else what `x-prerempli` derives."""
    values: dict[str, Any] = {}
    for name, field in (schema.get("properties") or {}).items():
        if name in data:
            values[name] = data[name]
            continue
        rule = field.get(PREFILL) if isinstance(field, Mapping) else None
        if not isinstance(rule, Mapping) or rule.get("depuis") not in data:
            continue
        source = data[rule["depuis"]]
        fields = rule.get("champs")
        if fields is None:
            values[name] = source
        elif isinstance(source, list):
            values[name] = [
                {target: item[key] for target, key in fields.items() if item.get(key) is not None}
                for item in source
                if isinstance(item, Mapping)
            ]
    return values

"""Conditional fields of a declarative form: `x-si`.

```json
"motif_comite": {
  "title": "Motif", "type": "string", "x-widget": "textarea",
  "x-si": {"champ": "decision_comite", "vaut": ["refuse", "renvoi_instruction"]}
}
```

A field with `x-si` applies only when the field named by `champ` — a field of the same object
(of the same row, in a list of rows) — holds one of the values listed in `vaut`: for a checkbox
group, when one of its checked values is listed; for a yes/no question, `"vaut": [true]`.

When the condition does not hold, the field is ignored: dropped from the data (what the person
typed there before changing their mind never reaches the dossier) and never required, whether
`required` names it or an `if`/`then` of the form asks for it. A field whose `champ` is itself
ignored is ignored too. Listed in `required`, a conditional field is required when it applies.

People see every field without JavaScript, each conditional one with a hint saying when it
applies (web/views/forms.py); with it, web/static/champs-conditionnels.js hides and shows them
as the person types. The server decides either way: the browser is never trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CONDITION = "x-si"


@dataclass(frozen=True)
class Condition:
    """`champ`: the controlling field's name in the same object; `vaut`: the values for which
    the conditional field applies."""

    champ: str
    vaut: tuple[Any, ...]

    def holds(self, siblings: Mapping[str, Any]) -> bool:
        """Whether the field applies, given the values of its object (the controlling field
        already ignored if it does not apply itself)."""
        if self.champ not in siblings:
            return False
        value = siblings[self.champ]
        chosen = value if isinstance(value, list) else [value]
        return any(_same(item, expected) for item in chosen for expected in self.vaut)


def _same(value: Any, expected: Any) -> bool:
    """Equal and of the same kind: `true` is not `1`, `"1"` is not `1`."""
    return type(value) is type(expected) and value == expected


def condition(schema: Any) -> Condition | None:
    """The field's condition, or None for a field that always applies (or an `x-si` that
    check_conditions refuses at deployment)."""
    rule = schema.get(CONDITION) if isinstance(schema, Mapping) else None
    if not isinstance(rule, Mapping):
        return None
    champ, vaut = rule.get("champ"), rule.get("vaut")
    if not isinstance(champ, str) or not isinstance(vaut, list):
        return None
    return Condition(champ, tuple(vaut))


def apply_conditions(form: Mapping[str, Any], data: Mapping[str, Any]) -> tuple[dict, set[str]]:
    """The data without the fields whose condition does not hold, and the dotted paths of
    those fields (`motif`, `partenaires.0.login`), whether or not the person filled them."""
    ignored: set[str] = set()
    kept = _object(form, data, "", ignored)
    return kept, ignored


def _object(
    schema: Mapping[str, Any], data: Mapping[str, Any], prefix: str, ignored: set[str]
) -> dict[str, Any]:
    properties = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
    kept = dict(data)
    # Until nothing changes: a field may depend on one declared after it.
    changed = True
    while changed:
        changed = False
        for name, sub in properties.items():
            rule = condition(sub)
            path = prefix + name
            if rule is None or path in ignored or rule.holds(kept):
                continue
            ignored.add(path)
            kept.pop(name, None)
            changed = True
    for name, value in kept.items():
        sub = properties.get(name)
        if isinstance(sub, Mapping):
            kept[name] = _value(sub, value, prefix + name, ignored)
    return kept


def _value(schema: Mapping[str, Any], value: Any, path: str, ignored: set[str]) -> Any:
    if isinstance(value, Mapping) and isinstance(schema.get("properties"), Mapping):
        return _object(schema, value, path + ".", ignored)
    items = schema.get("items")
    if isinstance(value, list) and isinstance(items, Mapping):
        return [_value(items, item, f"{path}.{index}", ignored) for index, item in enumerate(value)]
    return value


def check_conditions(form: Mapping[str, Any]) -> list[str]:
    """What is wrong with the form's `x-si`, in French (empty: nothing): each names a field of
    its own object, with values that field can take."""
    problems: list[str] = []

    def visit(schema: Mapping[str, Any], where: str) -> None:
        properties = schema.get("properties")
        if isinstance(properties, Mapping):
            for name, sub in properties.items():
                if not isinstance(sub, Mapping):
                    continue
                path = f"{where}.{name}" if where else name
                if CONDITION in sub:
                    problems.extend(_check_one(path, name, sub[CONDITION], properties))
                visit(sub, path)
        items = schema.get("items")
        if isinstance(items, Mapping):
            visit(items, where)

    visit(form, "")
    return problems


def _check_one(path: str, name: str, rule: Any, siblings: Mapping[str, Any]) -> list[str]:
    syntax = f'« {path} » : « {CONDITION} » s\'écrit {{"champ": "…", "vaut": [valeurs]}}'
    if not isinstance(rule, Mapping) or set(rule) != {"champ", "vaut"}:
        return [syntax]
    champ, vaut = rule["champ"], rule["vaut"]
    if not isinstance(champ, str) or not isinstance(vaut, list) or not vaut:
        return [syntax]
    controlling = siblings.get(champ)
    if champ == name or not isinstance(controlling, Mapping):
        return [f"« {path} » : « {CONDITION} » cite « {champ} », qui n'est pas un autre champ "
                "du même objet"]  # fmt: skip
    items = controlling.get("items") if isinstance(controlling.get("items"), Mapping) else {}
    allowed = controlling.get("enum") or items.get("enum")
    if controlling.get("type") == "boolean":
        allowed = [True, False]
    if allowed is not None:
        unknown = [v for v in vaut if not any(_same(v, a) for a in allowed)]
        if unknown:
            return [f"« {path} » : « {CONDITION} » attend des valeurs de « {champ} » ; "
                    f"inconnues : {', '.join(map(str, unknown))}"]  # fmt: skip
    return []

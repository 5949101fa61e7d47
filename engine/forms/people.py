"""Person fields of a declarative form: `"x-widget": "personne"`.

```json
"expert_login": {
  "title": "Expert désigné", "type": "string", "x-widget": "personne", "x-role": "expert"
}
```

The field holds the login of an account: a task the procedure then assigns to that person must
reach someone who exists and may sign in. The person is therefore chosen from a list of the
active accounts holding the role `x-role` (web/views/forms.py renders it as a <select>), and
the server refuses any other login with a French message on the field. The list is the
service layer's to give (engine/service/people/accounts.py `people_by_role`): forms know no database.

Person fields may sit in nested objects and in the rows of a list (each partner's signatory).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from ..roles import LANE_ROLES, ROLE_LABELS

PERSON_WIDGET = "personne"
ROLE = "x-role"


def is_person_field(schema: Any) -> bool:
    return isinstance(schema, Mapping) and schema.get("x-widget") == PERSON_WIDGET


def _schemas(schema: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(where, schema) of every field, rows included (their index left out of `where`)."""
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        for name, sub in properties.items():
            if isinstance(sub, Mapping):
                yield name, sub
                yield from ((f"{name}.{inner}", s) for inner, s in _schemas(sub))
    items = schema.get("items")
    if isinstance(items, Mapping):
        yield from _schemas(items)


def person_roles(form: Mapping[str, Any] | None) -> set[str]:
    """The roles the form's person fields choose among (empty: the form picks nobody)."""
    if not form:
        return set()
    return {str(s.get(ROLE)) for _, s in _schemas(form) if is_person_field(s)}


def check_person_fields(form: Mapping[str, Any]) -> list[str]:
    """What is wrong with the form's person fields, in French (empty: nothing)."""
    problems = []
    for where, schema in _schemas(form):
        if not is_person_field(schema):
            continue
        if schema.get(ROLE) not in LANE_ROLES:
            known = ", ".join(sorted(LANE_ROLES))
            problems.append(f"« {where} » : « {ROLE} » nomme le rôle des personnes proposées "
                            f"({known})")  # fmt: skip
        if schema.get("type") != "string":
            problems.append(f"« {where} » : un champ personne est de type « string »")
    return problems


def person_errors(
    form: Mapping[str, Any], data: Mapping[str, Any], active: Mapping[str, Collection[str]]
) -> dict[str, str]:
    """Per dotted field path, why the login chosen there is refused: not an active account of
    the field's role (`active`: role → the logins of its active accounts)."""
    errors: dict[str, str] = {}

    def visit(schema: Mapping[str, Any], value: Any, path: str) -> None:
        if is_person_field(schema):
            role = str(schema.get(ROLE))
            if isinstance(value, str) and value not in active.get(role, ()):
                label = ROLE_LABELS.get(role, role).lower()
                errors[path] = (
                    f"« {value} » n'est pas un compte actif de rôle {label} : choisissez une "
                    "personne dans la liste."
                )
            return
        properties = schema.get("properties")
        if isinstance(value, Mapping) and isinstance(properties, Mapping):
            for name, sub in properties.items():
                if name in value and isinstance(sub, Mapping):
                    visit(sub, value[name], f"{path}.{name}" if path else name)
        items = schema.get("items")
        if isinstance(value, list) and isinstance(items, Mapping):
            for index, item in enumerate(value):
                visit(items, item, f"{path}.{index}")

    visit(form, data, "")
    return errors

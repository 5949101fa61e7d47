"""Rules across several fields of a form, declared in the form file (`x-regles`).

JSON Schema checks each field on its own; a few mistakes are only visible between fields (a
total that is not the sum of its lines, a share above a rate of the cost). Declared here, they
are checked on the form, where the person corrects them, instead of being found after filing
by the procedure's admissibility table, which would close the dossier.

```json
"x-regles": [
  {"regle": "somme", "champ": "montant_demande", "termes": ["budget_previsionnel.*.aide_demandee"],
   "message": "Le montant demandé doit être la somme des aides annuelles du budget."},
  {"regle": "part_maximale", "champ": "cofinancement_etat", "total": "cout_total", "taux": 50,
   "message": "Le cofinancement de l'État ne peut pas dépasser 50 % du coût total."}
]
```

- `somme`: the number in `champ` equals the sum of the `termes` (to the cent); a term may go
  through every line of a list with `*`.
- `part_maximale`: the number in `champ` is at most `taux` % of the number in `total`.
- A rule whose `champ` goes through a list (`budget.*.depenses`) holds on each line: the terms
  (or `total`) in the same list are read on that line, the others on the whole form, and the
  message goes on the line's field (`budget.1.depenses`):

  ```json
  {"regle": "somme", "champ": "budget.*.depenses",
   "termes": ["budget.*.aide_demandee", "budget.*.autres_ressources"]}
  ```

A rule is skipped while one of its fields is missing or already in error: the person first
sees what is wrong with the field itself. The message goes on `champ`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

RULES_KEY = "x-regles"
SUM, MAX_SHARE = "somme", "part_maximale"
_DEFAULTS = {
    SUM: "Ce montant doit être égal à la somme des lignes correspondantes.",
    MAX_SHARE: "Ce montant dépasse la part autorisée du total ({taux} %).",
}
_MISSING = object()


def _values(data: Any, parts: list[str]) -> Iterator[Any]:
    """The values at a dotted path; `*` goes through each line of a list."""
    if not parts:
        yield data
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        if isinstance(data, list):
            for item in data:
                yield from _values(item, rest)
        else:
            yield _MISSING
        return
    if isinstance(data, Mapping) and head in data:
        yield from _values(data[head], rest)
    elif isinstance(data, list) and head.isdigit() and int(head) < len(data):
        yield from _values(data[int(head)], rest)
    else:
        yield _MISSING


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    return Decimal(str(value))


def _touches(path: str, errors: Mapping[str, str]) -> bool:
    """Whether a field of the rule (or a line of its list) is already in error."""
    stem = path.split(".*", 1)[0]
    return any(name == stem or name.startswith(stem + ".") for name in errors)


def _broken(rule: Mapping[str, Any], data: Mapping[str, Any]) -> bool | None:
    """True if the rule does not hold, False if it does, None if it cannot be checked yet."""
    value = _number(next(_values(data, str(rule["champ"]).split(".")), _MISSING))
    if value is None:
        return None
    if rule["regle"] == SUM:
        total = Decimal(0)
        for term in rule["termes"]:
            for found in _values(data, str(term).split(".")):
                number = _number(found)
                if number is None:
                    return None
                total += number
        return round(value - total, 2) != 0
    limit = _number(next(_values(data, str(rule["total"]).split(".")), _MISSING))
    if limit is None:
        return None
    return value > limit * Decimal(str(rule["taux"])) / 100


def _on_each_line(rule: Mapping[str, Any], data: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The rule itself, or, when its `champ` goes through a list, one rule per line of that
    list with the paths of that list bound to the line."""
    champ = str(rule["champ"])
    if ".*" not in champ:
        yield rule
        return
    stem = champ.split(".*", 1)[0]
    lines = next(_values(data, stem.split(".")), _MISSING)
    if not isinstance(lines, list):
        return
    star = stem + ".*"

    def bind(path: str, index: int) -> str:
        return f"{stem}.{index}{path[len(star) :]}" if path.startswith(star) else path

    for index in range(len(lines)):
        bound = {**rule, "champ": bind(champ, index)}
        if "termes" in rule:
            bound["termes"] = [bind(str(term), index) for term in rule["termes"]]
        if "total" in rule:
            bound["total"] = bind(str(rule["total"]), index)
        yield bound


def rule_errors(
    form: Mapping[str, Any], data: Mapping[str, Any], errors: Mapping[str, str]
) -> dict[str, str]:
    """The French message of each rule of the form that the data breaks, by field."""
    found: dict[str, str] = {}
    for declared in form.get(RULES_KEY) or []:
        for rule in _on_each_line(declared, data):
            _check(rule, data, errors, found)
    return found


def _check(
    rule: Mapping[str, Any], data: Mapping[str, Any], errors: Mapping[str, str],
    found: dict[str, str],
) -> None:  # fmt: skip
    """Adds the rule's message to `found` under its field if the data breaks it."""
    paths = [
        rule["champ"],
        *rule.get("termes", []),
        *([rule["total"]] if "total" in rule else []),
    ]
    if any(_touches(str(path), errors) for path in paths):
        return
    if _broken(rule, data):
        message = rule.get("message") or _DEFAULTS[rule["regle"]]
        taux = f"{rule.get('taux', '')}".replace(".", ",")
        found.setdefault(str(rule["champ"]), message.replace("{taux}", taux))


def _declared(form: Mapping[str, Any], path: str) -> bool:
    schema: Any = form
    for part in path.split("."):
        if not isinstance(schema, Mapping):
            return False
        schema = schema.get("items") if part == "*" else (schema.get("properties") or {}).get(part)
        if schema is None:
            return False
    return True


def check_rules(form: Mapping[str, Any]) -> list[str]:
    """Problems of the form's `x-regles`, in French, for the deployment to refuse it."""
    rules = form.get(RULES_KEY)
    if rules is None:
        return []
    if not isinstance(rules, list):
        return [f"« {RULES_KEY} » doit être une liste de règles"]
    problems = []
    for number, rule in enumerate(rules, 1):
        where = f"règle {number}"
        if not isinstance(rule, Mapping) or rule.get("regle") not in _DEFAULTS:
            problems.append(f"{where} : « regle » attendue parmi {', '.join(_DEFAULTS)}")
            continue
        needed = {"champ": str, "termes": list} if rule["regle"] == SUM else {
            "champ": str, "total": str, "taux": (int, float)}  # fmt: skip
        for key, kind in needed.items():
            if not isinstance(rule.get(key), kind) or isinstance(rule.get(key), bool):
                problems.append(f"{where} : « {key} » manquant ou du mauvais type")
        if problems and problems[-1].startswith(where):
            continue
        paths = [
            rule["champ"],
            *rule.get("termes", []),
            *([rule["total"]] if "total" in rule else []),
        ]
        for path in paths:
            if not isinstance(path, str) or not _declared(form, path):
                problems.append(f"{where} : champ inconnu « {path} »")
        if str(rule["champ"]).count("*") > 1:
            problems.append(f"{where} : « champ » parcourt au plus une liste (un seul « * »)")
        if "message" in rule and not isinstance(rule["message"], str):
            problems.append(f"{where} : « message » doit être un texte")
    return problems

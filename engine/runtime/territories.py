"""The départements a dossier covers besides its own: the process property `territoires`.

A contract over several départements (the Bassin minier, 59 and 62) is filed in one of them,
and the préfet of every other one must see it too. The procedure says which in its BPMN:

```xml
<spiffworkflow:property name="territoires" value="departements"/>
```

on the process, an expression over the dossier's data giving département codes. The kernel
evaluates it after every step and, when the answer changed, the step writes it
(`dossier_territories`) in its own transaction: the préfets it names see the dossier as soon
as the step that named them is saved, and no longer once a step drops them. The tasks each of
them must do carry their own département (the task property `territoire`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..definitions.parser import process_properties
from ..errors import EngineError, InvalidInput, ScriptError
from ..store.instances import LoadedInstance
from ..territory import Territories

#: The process property naming the départements a dossier covers.
TERRITOIRES = "territoires"

Evaluate = Callable[[str, dict[str, Any]], Any]


def step_territories(
    spec: Any,
    evaluate: Evaluate,
    territories: Territories,
    instance: LoadedInstance,
    data: dict[str, Any],
    *,
    migrated: bool = False,
) -> list[str] | None:
    """The dossier's other départements after the step, when the step changed them; None
    when it did not, or when the process declares none (a migration onto a version without
    the property drops those the dossier had)."""
    expression = process_properties(spec).get(TERRITOIRES, "").strip()
    if not expression:
        return [] if migrated else None
    after = covered(expression, evaluate, territories, data, instance.territory)
    if instance.id is not None and not migrated:
        try:
            before = covered(expression, evaluate, territories, instance.data or {},
                             instance.territory)  # fmt: skip
        except ScriptError:
            before = None
        if before == after:
            return None
    return after


def covered(
    expression: str, evaluate: Evaluate, territories: Territories, data: dict[str, Any], own: str
) -> list[str]:
    """The département codes `expression` gives over `data`, checked against the official
    list, without the dossier's own (`own`), in code order. ScriptError (the procedure's
    fault) when it gives anything else."""
    try:
        value = evaluate(expression, dict(data))
    except EngineError as exc:
        raise ScriptError(f"Propriété « territoires » du processus : {exc.message}") from None
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise ScriptError(
            "Propriété « territoires » du processus : elle doit donner une liste de codes de "
            f'département (par exemple ["59", "62"]), pas {value!r}.'
        )
    try:
        codes = {territories.departement(code).code for code in value}
    except InvalidInput as exc:
        raise ScriptError(f"Propriété « territoires » du processus : {exc.message}") from None
    codes.discard(own)
    return sorted(codes)

"""Checks on what people send before the engine sees it."""

from __future__ import annotations

import math
from typing import Any

from ..errors import InvalidInput

MAX_DEPTH = 20


def check_data(data: Any, what: str = "données") -> dict[str, Any]:
    """Dossier data must be a JSON object whose keys are names a process can read."""
    if not isinstance(data, dict):
        raise InvalidInput(
            f'Les {what} doivent être un objet JSON (par exemple {{"montant": 1000}}).'
        )
    for key in data:
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            raise InvalidInput(
                f"Nom de champ invalide : « {key} » (lettres, chiffres et _, sans _ au début)."
            )
    _check_value(data, 0)
    return data


def _check_value(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise InvalidInput("Données trop imbriquées.")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput("Les nombres doivent être finis.")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInput("Les clés des objets doivent être des textes.")
            _check_value(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_value(item, depth + 1)
    elif not (value is None or isinstance(value, (str, int, float, bool))):
        raise InvalidInput(f"Valeur non prise en charge : {value!r}.")

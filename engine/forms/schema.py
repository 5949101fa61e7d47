"""Checking a form file when it is deployed with its process."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .conditions import check_conditions
from .files import check_file_fields
from .natures import check_natures
from .people import check_person_fields
from .prefill import check_prefill
from .readers import check_readers
from .rules import check_rules


@dataclass(frozen=True)
class FormProblem(Exception):
    message: str


def check_form(text: str) -> dict[str, Any]:
    """The parsed form, or FormProblem saying in French why it cannot be used."""
    try:
        form = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormProblem(f"JSON invalide ligne {exc.lineno} : {exc.msg}") from None
    if not isinstance(form, dict) or form.get("type") != "object":
        raise FormProblem("un formulaire est un JSON Schema de type « object »")
    if not isinstance(form.get("properties"), dict) or not form["properties"]:
        raise FormProblem("le formulaire ne déclare aucun champ (« properties »)")
    try:
        Draft202012Validator.check_schema(form)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "racine"
        raise FormProblem(f"JSON Schema invalide ({where}) : {exc.message}") from None
    missing = [name for name in form.get("required", []) if name not in form["properties"]]
    if missing:
        raise FormProblem(f"champs obligatoires non déclarés : {', '.join(missing)}")
    problems = check_file_fields(form)
    if problems:
        raise FormProblem("champs fichier : " + " ; ".join(problems))
    for kind, check in (("champs personne", check_person_fields),
                        ("champs conditionnels", check_conditions),
                        ("champs préremplis", check_prefill),
                        ("règles entre champs", check_rules),
                        ("natures du demandeur", check_natures)):  # fmt: skip
        problems = check(form)
        if problems:
            raise FormProblem(f"{kind} : " + " ; ".join(problems))
    marks = check_readers(form)
    if marks:
        raise FormProblem(" ; ".join(marks))
    order = form.get("x-ordre", [])
    unknown = [name for name in order if name not in form["properties"]]
    if unknown:
        raise FormProblem(f"« x-ordre » cite des champs inconnus : {', '.join(unknown)}")
    return form

"""Validating what a person submitted against a form, with messages in French per field.

Only the fields the form declares reach the process: a submission cannot set other variables
of the dossier (a decision, a campaign, an amount computed by the engine).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from ..errors import InvalidInput
from ..territory import Territories, is_rna
from .conditions import apply_conditions
from .natures import DossierOrganisation, apply_natures, uses_organisation
from .people import person_errors
from .rules import rule_errors

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_MESSAGES = {
    "required": "Ce champ est obligatoire.",
    "type": "Valeur du mauvais type ({expected} attendu).",
    "enum": "Choisissez une des valeurs proposées.",
    "const": "Valeur non autorisée.",
    "minimum": "La valeur doit être supérieure ou égale à {limit}.",
    "exclusiveMinimum": "La valeur doit être supérieure à {limit}.",
    "maximum": "La valeur doit être inférieure ou égale à {limit}.",
    "exclusiveMaximum": "La valeur doit être inférieure à {limit}.",
    "minLength": "Au moins {limit} caractère(s).",
    "maxLength": "Au plus {limit} caractères.",
    "minItems": "Choisissez au moins {limit} élément(s).",
    "maxItems": "Au plus {limit} élément(s).",
    "uniqueItems": "Chaque élément ne peut figurer qu'une fois.",
    "pattern": "Le format n'est pas le bon.",
    "format": "{format_message}",
    "multipleOf": "La valeur doit être un multiple de {limit}.",
    "additionalProperties": "Champ non prévu par le formulaire.",
}
_FORMAT_MESSAGES = {
    "siren": "Numéro SIREN invalide (9 chiffres, clé de contrôle).",
    "siret": "Numéro SIRET invalide (14 chiffres, clé de contrôle).",
    "departement": "Code de département inconnu.",
    "commune": "Code INSEE de commune inconnu.",
    "epci": "SIREN d'EPCI inconnu.",
    "rna": "Numéro RNA invalide : W suivi de 9 caractères, sans espace (par exemple W751234567).",
    "date": "Date invalide (AAAA-MM-JJ).",
    "email": "Adresse électronique invalide.",
}
_TYPES = {"string": "texte", "integer": "nombre entier", "number": "nombre", "boolean": "oui/non",
          "array": "liste", "object": "objet"}  # fmt: skip


def _format_checker(territories: Territories) -> FormatChecker:
    checker = FormatChecker(formats=())

    def is_date(value: object) -> bool:
        if not isinstance(value, str):
            return True
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return True

    checks = {
        "siren": lambda v: not isinstance(v, str) or stdnum_siren.is_valid(v),
        "siret": lambda v: not isinstance(v, str) or stdnum_siret.is_valid(v),
        "departement": lambda v: not isinstance(v, str) or territories.has_departement(v),
        "commune": lambda v: not isinstance(v, str) or territories.has_commune(v),
        "epci": lambda v: not isinstance(v, str) or territories.has_epci(v),
        "rna": lambda v: not isinstance(v, str) or is_rna(v),
        "date": is_date,
        "email": lambda v: not isinstance(v, str) or bool(_EMAIL.match(v)),
    }
    for name, function in checks.items():
        checker.checks(name)(function)
    return checker


def make_validator(form: dict[str, Any], territories: Territories) -> Draft202012Validator:
    """A validator for one form; build it once per deployed form and keep it."""
    return Draft202012Validator(form, format_checker=_format_checker(territories))


def _field(error: ValidationError) -> str:
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = re.match(r"'([^']+)' is a required property", error.message)
        if missing:
            path.append(missing.group(1))
    return ".".join(str(p) for p in path) or "formulaire"


def _declared(form: dict[str, Any], field: str) -> dict[str, Any]:
    """The schema that declares a field, followed from the form's root (for rules written in
    `if`/`then` or `allOf`, whose errors do not carry the field's own schema)."""
    schema: Any = form
    for part in field.split("."):
        if not isinstance(schema, dict):
            return {}
        schema = (
            schema.get("items", {})
            if part.isdigit()
            else schema.get("properties", {}).get(part, {})
        )
    return schema if isinstance(schema, dict) else {}


def _message(error: ValidationError, form: dict[str, Any]) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "required":
        name = _field(error).rsplit(".", 1)[-1]
        schema = schema.get("properties", {}).get(name) or _declared(form, _field(error))
    custom = schema.get("x-messages", {}).get(error.validator)
    if custom:
        return custom
    template = _MESSAGES.get(str(error.validator), "Valeur invalide.")
    expected = error.validator_value
    return template.format(
        limit=expected,
        expected=_TYPES.get(expected, expected) if isinstance(expected, str) else expected,
        format_message=_FORMAT_MESSAGES.get(str(expected), "Format invalide."),
    )


def validate_submission(
    validator: Draft202012Validator,
    data: dict[str, Any],
    title: str = "",
    people: Mapping[str, Collection[str]] | None = None,
    organisation: DossierOrganisation | None = None,
) -> dict[str, Any]:
    """The submitted data restricted to the form's fields, or InvalidInput listing each error.

    Fields whose `x-si` does not hold are dropped first, and never required (conditions.py).
    `people` gives, per role, the logins of its active accounts: a person field (people.py)
    accepts only those (none without it, so that a caller cannot skip the check by omission).
    `organisation` is the dossier's (natures.py): a form that reads natures from SIRENs needs
    it, and refuses to be checked without it for the same reason.
    """
    form = validator.schema
    data, ignored = apply_conditions(form, data)
    nature_errors: dict[str, str] = {}
    if organisation is not None:
        data, nature_errors = apply_natures(form, data, organisation)
    elif uses_organisation(form):
        raise ValueError("ce formulaire lit la nature du demandeur : passez `organisation`")
    errors = _schema_errors(validator, data, ignored)
    for name, message in nature_errors.items():
        errors.setdefault(name, message)
    for name, message in person_errors(form, data, people or {}).items():
        errors.setdefault(name, message)
    for name, message in rule_errors(form, data, errors).items():
        errors.setdefault(name, message)
    if errors:
        parts = labelled(form, errors)
        prefix = f"Formulaire « {title or form.get('title', '')} » incomplet ou invalide — "
        raise InvalidInput(prefix + " ; ".join(parts), fields=errors)
    return {name: value for name, value in data.items() if name in form["properties"]}


def entered_value_errors(validator: Draft202012Validator, data: dict[str, Any]) -> dict[str, str]:
    """Field → message for the values already given that the form refuses; a field left empty
    is not an error here (used when a form changes under a task already opened)."""
    form = validator.schema
    given = {
        name: value
        for name, value in data.items()
        if name in form.get("properties", {}) and value not in (None, "", [], {})
    }
    given, ignored = apply_conditions(form, given)
    return _schema_errors(validator, given, ignored, missing=False)


def labelled(form: dict[str, Any], errors: Mapping[str, str]) -> list[str]:
    """« Field title : message » for each error, in the order given."""
    fields = form.get("properties", {})
    return [
        f"{fields.get(name.split('.')[0], {}).get('title', name)} : {message}"
        for name, message in errors.items()
    ]


def _schema_errors(
    validator: Draft202012Validator,
    data: dict[str, Any],
    ignored: Collection[str],
    *,
    missing: bool = True,
) -> dict[str, str]:
    """Field → first message of the schema's errors, fields the conditions left out ignored
    (and missing values too, unless `missing`)."""
    form = validator.schema
    errors: dict[str, str] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        if (missing or error.validator != "required") and _field(error) not in ignored:
            errors.setdefault(_field(error), _message(error, form))
    return errors

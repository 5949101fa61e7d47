"""The declarative form keywords of issue 12: `x-si` (engine/forms/conditions.py), person fields
(engine/forms/people.py) and `x-prerempli` (engine/forms/prefill.py), as validated on the server
and checked at deployment."""

from __future__ import annotations

import json

import pytest

from engine.config import Settings
from engine.errors import InvalidInput
from engine.forms import FormProblem, check_form, make_validator, validate_submission
from engine.forms.conditions import apply_conditions
from engine.territory import territories_at

FORM = {
    "title": "Décider",
    "type": "object",
    "required": ["decision", "motif"],
    "properties": {
        "decision": {"type": "string", "enum": ["accepte", "refuse"]},
        "motif": {"type": "string", "minLength": 3,
                  "x-si": {"champ": "decision", "vaut": ["refuse"]}},
        "precision": {"type": "string", "x-si": {"champ": "motif", "vaut": ["autre"]}},
        "lignes": {"type": "array", "items": {"type": "object", "properties": {
            "urgent": {"type": "boolean"},
            "delai": {"type": "integer", "x-si": {"champ": "urgent", "vaut": [True]}},
        }}},
    },
}  # fmt: skip


def validate(data, form=FORM, people=None):
    validator = make_validator(form, territories_at(Settings().reference_data_path))
    return validate_submission(validator, data, people=people)


def test_a_field_whose_condition_fails_is_dropped_and_not_required() -> None:
    assert validate({"decision": "accepte", "motif": "typé puis abandonné"}) == {
        "decision": "accepte"
    }
    with pytest.raises(InvalidInput) as refused:
        validate({"decision": "refuse"})
    assert refused.value.details["fields"] == {"motif": "Ce champ est obligatoire."}


def test_chained_conditions_and_rows() -> None:
    data = {
        "decision": "accepte",
        "motif": "autre",
        "precision": "ignorée avec le motif",
        "lignes": [{"urgent": True, "delai": 3}, {"urgent": False, "delai": 9}, {"delai": 1}],
    }
    kept, ignored = apply_conditions(FORM, data)
    assert kept == {"decision": "accepte", "lignes": [{"urgent": True, "delai": 3},
                                                      {"urgent": False}, {}]}  # fmt: skip
    assert ignored == {"motif", "precision", "lignes.1.delai", "lignes.2.delai"}


PERSON = {
    "type": "object",
    "properties": {
        "expert": {"type": "string", "x-widget": "personne", "x-role": "expert"},
        "partenaires": {"type": "array", "items": {"type": "object", "properties": {
            "login": {"type": "string", "x-widget": "personne", "x-role": "expert"}}}},
    },
}  # fmt: skip


def test_a_person_field_accepts_only_the_active_accounts_of_its_role() -> None:
    people = {"expert": {"expert.cerema"}}
    data = {"expert": "expert.cerema", "partenaires": [{"login": "expert.cerema"}]}
    assert validate(data, PERSON, people) == data
    with pytest.raises(InvalidInput) as refused:
        validate({"expert": "expert.inconnu", "partenaires": [{"login": "x.y"}]}, PERSON, people)
    assert set(refused.value.details["fields"]) == {"expert", "partenaires.0.login"}
    # Without the list of accounts, nobody is accepted (the check cannot be skipped by omission).
    with pytest.raises(InvalidInput):
        validate({"expert": "expert.cerema"}, PERSON)


def _form(**properties) -> str:
    return json.dumps({"type": "object", "properties": {"a": {"type": "string"}, **properties}})


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"b": {"type": "string", "x-si": {"champ": "inconnu", "vaut": ["x"]}}},
         "champs conditionnels : « b » : « x-si » cite « inconnu »"),
        ({"b": {"type": "string", "x-si": {"champ": "a"}}}, "« x-si » s'écrit"),
        ({"c": {"enum": ["oui", "non"]}, "b": {"type": "string", "x-si": {"champ": "c", "vaut": ["peut-être"]}}},
         "inconnues : peut-être"),
        ({"b": {"type": "string", "x-widget": "personne", "x-role": "inconnu"}},
         "champs personne : « b » : « x-role »"),
        ({"b": {"type": "array", "items": {"type": "object", "properties": {"d": {"type": "string"}}},
                "x-prerempli": {"depuis": "actions", "champs": {"x": "intitule"}}}},
         "champs préremplis : « b » : « champs » cite des colonnes inconnues"),
        ({"b": {"type": "array", "x-prerempli": {}}}, "« x-prerempli » attend « depuis »"),
    ],
)  # fmt: skip
def test_deployment_refuses_what_cannot_work(properties, message) -> None:
    with pytest.raises(FormProblem) as refused:
        check_form(_form(**properties))
    assert message in refused.value.message

"""Rules across fields declared in a form file (`x-regles`, engine/forms/rules.py)."""

from __future__ import annotations

import json

import pytest

from engine.forms.rules import rule_errors
from engine.forms.schema import FormProblem, check_form

FORM = {
    "type": "object",
    "properties": {
        "total": {"type": "number"},
        "etat": {"type": "number"},
        "lignes": {"type": "array", "items": {"type": "object", "properties": {"aide": {"type": "number"}}}},
    },
    "x-regles": [
        {"regle": "somme", "champ": "total", "termes": ["lignes.*.aide"], "message": "Somme fausse."},
        {"regle": "part_maximale", "champ": "etat", "total": "total", "taux": 50},
    ],
}  # fmt: skip


def test_rules_hold_or_say_why_on_their_field():
    lines = [{"aide": 33333.33}, {"aide": 33333.33}, {"aide": 33333.34}]
    assert rule_errors(FORM, {"total": 100000, "etat": 50000, "lignes": lines}, {}) == {}
    assert rule_errors(FORM, {"total": 99999, "etat": 50000.5, "lignes": lines}, {}) == {
        "total": "Somme fausse.",
        "etat": "Ce montant dépasse la part autorisée du total (50 %).",
    }
    # Waits for its fields: missing, or already in error.
    assert rule_errors(FORM, {"etat": 1}, {}) == {}
    assert rule_errors(FORM, {"total": 1, "lignes": lines}, {"lignes.0.aide": "…"}) == {}


@pytest.mark.parametrize(
    ("rules", "problem"),
    [
        ([{"regle": "moyenne", "champ": "total"}], "« regle » attendue"),
        ([{"regle": "somme", "champ": "total", "termes": ["lignes.*.inconnu"]}], "champ inconnu"),
        ([{"regle": "part_maximale", "champ": "etat", "total": "total"}], "« taux »"),
    ],
)
def test_a_malformed_rule_is_refused_at_deployment(rules, problem):
    with pytest.raises(FormProblem, match=problem):
        check_form(json.dumps({**FORM, "x-regles": rules}))

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


LINES = {
    "type": "object",
    "properties": {
        "total": {"type": "number"},
        "budget": {"type": "array", "items": {"type": "object", "properties": {
            "depenses": {"type": "number"}, "aide": {"type": "number"},
            "autres": {"type": "number"}}}},
    },
    "x-regles": [
        {"regle": "somme", "champ": "budget.*.depenses", "termes": ["budget.*.aide", "budget.*.autres"],
         "message": "Année non équilibrée."},
        {"regle": "part_maximale", "champ": "budget.*.aide", "total": "total", "taux": 50},
    ],
}  # fmt: skip


def test_a_rule_through_a_list_holds_on_each_line_and_speaks_on_that_line():
    """The balance of each year of a budget (issue 16): the terms of the same list are read
    on the line, the others on the whole form; the message goes under the line's field."""
    balanced = [
        {"depenses": 100, "aide": 40, "autres": 60},
        {"depenses": 80.1, "aide": 40, "autres": 40.1},
    ]
    assert rule_errors(LINES, {"total": 100, "budget": balanced}, {}) == {}
    unbalanced = [balanced[0], {"depenses": 90, "aide": 60, "autres": 20}]
    assert rule_errors(LINES, {"total": 100, "budget": unbalanced}, {}) == {
        "budget.1.depenses": "Année non équilibrée.",
        "budget.1.aide": "Ce montant dépasse la part autorisée du total (50 %).",
    }
    # A line in error, or missing a term, waits; the other lines are still checked.
    assert rule_errors(LINES, {"total": 100, "budget": unbalanced}, {"budget.1.autres": "…"}) == {
        "budget.1.aide": "Ce montant dépasse la part autorisée du total (50 %).",
    }
    partial = [{"depenses": 100, "aide": 40}, {"depenses": 90, "aide": 10, "autres": 20}]
    assert rule_errors(LINES, {"total": 100, "budget": partial}, {}) == {
        "budget.1.depenses": "Année non équilibrée."
    }
    assert rule_errors(LINES, {"total": 100}, {}) == {}


def test_a_rule_goes_through_one_list_at_most():
    nested = {**LINES, "x-regles": [{"regle": "somme", "champ": "budget.*.x.*.y", "termes": []}]}
    nested["properties"] = {**LINES["properties"], "budget": {"type": "array", "items": {
        "type": "object", "properties": {"x": {"type": "array", "items": {
            "type": "object", "properties": {"y": {"type": "number"}}}}}}}}  # fmt: skip
    with pytest.raises(FormProblem, match="au plus une liste"):
        check_form(json.dumps(nested))
    check_form(json.dumps(LINES))

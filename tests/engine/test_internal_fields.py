"""Internal fields (`x-interne`, the staff's readers) and the names of tasks done for a signatory,
without a database."""

from __future__ import annotations

import json

import pytest

from engine.forms import FormProblem, check_form
from engine.forms.readers import form_properties, hidden_paths, readable_data
from engine.runtime.task_names import kind_name, task_name, with_article

FORM = {
    "title": "Instruire",
    "type": "object",
    "properties": {
        "objet": {"type": "string"},
        "note": {"type": "string", "x-interne": True},
        "bilan": {
            "type": "object",
            "properties": {
                "public": {"type": "string"},
                "cout": {"type": "number", "x-interne": True},
            },
        },
        "lignes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "nom": {"type": "string"},
                    "avis": {"type": "string", "x-interne": True},
                },
            },
        },
    },
}


def test_the_authority_reads_everything_but_the_internal_fields_at_any_depth():
    data = {
        "objet": "Voirie", "note": "Dossier fragile", "calcule": 3,
        "bilan": {"public": "oui", "cout": 12},
        "lignes": [{"nom": "a", "avis": "réservé"}],
    }  # fmt: skip
    authority = {"collectivite"}
    assert readable_data(data, form_properties(FORM), authority) == {
        "objet": "Voirie", "bilan": {"public": "oui"}, "lignes": [{"nom": "a"}],
    }, "a variable no form declares is the staff's"  # fmt: skip
    assert readable_data(data, form_properties(FORM), {"prefet"}) == data
    assert hidden_paths(form_properties(FORM), authority) == ["note", "bilan.cout"]


def test_a_form_marked_internal_marks_each_of_its_fields():
    fields = form_properties({**FORM, "x-interne": True})
    assert all(schema["x-interne"] is True for schema in fields.values())
    assert readable_data({"objet": "Voirie", "siren": "1"}, fields, {"collectivite"}) == {
        "siren": "1"
    }


def test_a_mark_that_is_not_true_or_false_is_refused_at_deployment():
    with pytest.raises(FormProblem, match="« x-interne » de « note » : true ou false attendu"):
        check_form(
            json.dumps({**FORM, "properties": {"note": {"type": "string", "x-interne": "oui"}}})
        )


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("Commune de Guéret", "la commune de Guéret"),
        (
            "Communauté d'agglomération Ardenne Métropole",
            "la communauté d'agglomération Ardenne Métropole",
        ),
        ("Département de la Creuse", "le département de la Creuse"),
        ("Association Tiers-Lieux", "l'association Tiers-Lieux"),
        ("CA Ardenne Métropole", "CA Ardenne Métropole"),
        ("Cerema", "Cerema"),
    ],
)
def test_signatories_are_named_with_their_article(name, said):
    assert with_article(name) == said


def test_a_task_for_a_signatory_keeps_its_bpmn_name_when_the_data_names_nobody():
    base = "Signer la convention — pour la collectivité"
    assert (
        task_name(base, "Commune de Guéret") == "Signer la convention — pour la commune de Guéret"
    )
    assert task_name(base, "") == task_name(base, None) == base
    assert kind_name(task_name(base, "Commune de Guéret"), task_name(base, "Cerema")) == (
        "Signer la convention"
    )
    assert kind_name(base, base) == base

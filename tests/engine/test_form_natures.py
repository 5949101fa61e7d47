"""The applicant's nature read from its SIREN (`x-nature-depuis`, engine/forms/natures.py) and
the organisations official data identifies (engine/territory.py), issue 16."""

from __future__ import annotations

import json

import pytest

from engine.config import Settings
from engine.errors import InvalidInput
from engine.forms import make_validator, validate_submission
from engine.forms.natures import DossierOrganisation
from engine.forms.schema import FormProblem, check_form
from engine.territory import is_rna, territories_at

TERRITORIES = territories_at(Settings().reference_data_path)
NATURES = ["commune", "epci", "departement", "region", "syndicat_mixte", "association"]
LABELS = {"commune": "Commune", "epci": "EPCI", "departement": "Département",
          "region": "Région", "syndicat_mixte": "Syndicat mixte", "association": "Association"}  # fmt: skip
FORM = {
    "type": "object",
    "required": ["nature", "membres"],
    "properties": {
        "nature": {"type": "string", "enum": NATURES, "x-libelles": LABELS,
                   "x-nature-depuis": "dossier"},
        "siret": {"type": "string", "format": "siret", "x-siren-du-dossier": True},
        "membres": {"type": "array", "items": {
            "type": "object", "required": ["siren", "nature"],
            "properties": {"siren": {"type": "string", "format": "siren"},
                           "nature": {"type": "string", "enum": NATURES, "x-libelles": LABELS,
                                      "x-nature-depuis": "siren"}}}},
    },
}  # fmt: skip
VALIDATOR = make_validator(FORM, TERRITORIES)
GUERET, GRAND_GUERET, CREUSE = "212309603", "200034825", "222309627"
NOUVELLE_AQUITAINE, UNKNOWN = "200053759", "443061841"


def submit(data: dict, siren: str | None) -> dict:
    return validate_submission(
        VALIDATOR, data, organisation=DossierOrganisation(TERRITORIES, siren)
    )


def refused(data: dict, siren: str | None) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        submit(data, siren)
    return caught.value.details["fields"]


@pytest.mark.parametrize(
    ("siren", "nature", "designation"),
    [
        (GUERET, "commune", "la commune de Guéret (Creuse)"),
        (GRAND_GUERET, "epci", "l'EPCI CA du Grand Guéret (communauté d'agglomération)"),
        (CREUSE, "departement", "le département de la Creuse"),
        ("225900018", "departement", "le département du Nord"),
        (NOUVELLE_AQUITAINE, "region", "la région Nouvelle-Aquitaine"),
        ("237500079", "region", "la région Île-de-France"),
        ("200076958", "region", "la Collectivité de Corse"),
    ],
)
def test_official_data_says_what_a_siren_is(siren, nature, designation):
    found = TERRITORIES.identify(siren)
    assert (found.nature, found.designation) == (nature, designation)


def test_what_the_data_cannot_tell_is_left_to_the_applicant():
    assert TERRITORIES.identify(UNKNOWN) is None  # an association, a syndicat mixte…
    assert TERRITORIES.identify("250800125") is None
    # Paris is a commune and a département; the Métropole de Lyon an EPCI and a département.
    assert TERRITORIES.identify("217500016").natures == {"commune", "departement"}
    assert TERRITORIES.identify("200046977").natures == {"epci", "departement"}
    # A région's territory is its départements: it files for any of them.
    assert "23" in TERRITORIES.organisation(NOUVELLE_AQUITAINE).departements
    assert TERRITORIES.organisation_departement(CREUSE) == "23"


def test_a_nature_the_data_knows_is_filled_in_and_a_contradiction_refused():
    members = [{"siren": GRAND_GUERET}, {"siren": UNKNOWN, "nature": "association"}]
    data = submit({"membres": members}, GUERET)
    assert data["nature"] == "commune"
    assert [m["nature"] for m in data["membres"]] == ["epci", "association"]

    assert refused({"nature": "region", "membres": [{"siren": GUERET, "nature": "epci"}]},
                   GUERET) == {
        "nature": "Le SIREN de votre organisation (212309603) est celui de la commune de Guéret "
                  "(Creuse) : choisissez « Commune » (et non « Région »).",
        "membres.0.nature": "Le SIREN 212309603 est celui de la commune de Guéret (Creuse) : "
                            "choisissez « Commune » (et non « EPCI »).",
    }  # fmt: skip


def test_an_organisation_the_data_does_not_know_declares_its_nature():
    """Never refused on a guess: an association, a syndicat mixte say what they are."""
    assert submit({"nature": "association", "membres": []}, UNKNOWN)["nature"] == "association"
    assert refused({"membres": []}, UNKNOWN) == {"nature": "Ce champ est obligatoire."}


def test_a_siret_must_be_the_dossier_organisation_s():
    ok = submit({"nature": "association", "siret": "44306184100013", "membres": []}, UNKNOWN)
    assert ok["siret"] == "44306184100013"
    assert refused({"nature": "commune", "siret": "21230960300018", "membres": []}, UNKNOWN) == {
        "siret": "Ce SIRET n'est pas celui de l'organisation du dossier (SIREN 443061841) : "
        "indiquez le SIRET de votre propre structure."
    }


def test_a_form_reading_natures_cannot_be_checked_without_the_dossier():
    with pytest.raises(ValueError, match="organisation"):
        validate_submission(VALIDATOR, {"membres": []})


@pytest.mark.parametrize(
    ("field", "problem"),
    [
        ({"type": "string", "x-nature-depuis": "dossier"}, "liste de natures"),
        ({"type": "string", "enum": ["a"], "x-nature-depuis": "inconnu"}, "champ voisin"),
        ({"type": "string", "enum": ["a"], "x-nature-depuis": ""}, "« dossier » ou un nom"),
        ({"type": "string", "x-siren-du-dossier": True}, "format siren"),
    ],
)
def test_a_malformed_declaration_is_refused_at_deployment(field, problem):
    form = {"type": "object", "properties": {"nature": field}}
    with pytest.raises(FormProblem, match=problem):
        check_form(json.dumps(form))
    check_form(json.dumps(FORM))


@pytest.mark.parametrize(
    ("value", "valid"),
    [("W751234567", True), ("W2A1000123", True), ("W9M1000123", True),
     ("w751234567", False), ("W75123456", False), ("W 751234567", False), ("751234567", False)],
)  # fmt: skip
def test_rna_numbers(value, valid):
    assert is_rna(value) is valid

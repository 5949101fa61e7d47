"""The declarative forms as HTML (web/views/form_rendering.py, templates/form_rendering/_form.html), and back.

Every form of forms/ renders with a label for each control and a legend for each group; what a
browser would post from the rendered page reads back as the data it showed (scenario data of
the four procedures, and a generated sample of every form); errors of the server-side
validation show next to their field, in French, tied to it by aria-describedby.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader
from werkzeug.datastructures import MultiDict

from engine.config import PROJECT_ROOT, Settings
from engine.errors import InvalidInput
from engine.forms import make_validator, validate_submission
from engine.forms.conditions import apply_conditions
from engine.forms.files import file_fields, is_file_field, value_at, with_value
from engine.forms.natures import DossierOrganisation
from engine.forms.people import is_person_field, person_roles
from engine.territory import territories_at
from tests.procedures import test_demande_ingenierie as ingenierie
from tests.procedures import test_fabriques_territoire as fabriques
from tests.procedures import test_pass_numerique as pass_numerique
from tests.procedures import test_territoires_en_renouveau as renouveau
from web.views.form_rendering import Field, build_fields, field_errors, parse_submission

FORMS = PROJECT_ROOT / "forms"
ALL_FORMS = sorted(path.relative_to(FORMS).as_posix() for path in FORMS.glob("*/*.json"))


# ---------------------------------------------------------------- a browser, as far as forms go


class BrowserForm(HTMLParser):
    """The controls of an HTML page as a browser sees them: labels, legends, and what it posts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.controls: list[dict[str, Any]] = []
        self.labels: dict[str, str] = {}
        self.ids: dict[str, dict[str, Any]] = {}
        self.texts: dict[str, str] = {}
        self.fieldsets: list[dict[str, Any]] = []
        self._label: str | None = None
        self._open: list[tuple[str, dict[str, Any]]] = []
        self._select: dict[str, Any] | None = None
        self._textarea: dict[str, Any] | None = None
        self._text_of: list[str] = []

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        attrs = {name: value if value is not None else "" for name, value in attributes}
        element = {"tag": tag, **attrs}
        if "id" in attrs:
            self.ids[attrs["id"]] = element
            self.texts.setdefault(attrs["id"], "")
            self._text_of.append(attrs["id"])
        self._open.append((tag, attrs))
        if tag == "label":
            self._label = attrs.get("for", "")
            self.labels[self._label] = ""
        elif tag == "fieldset":
            self.fieldsets.append({**attrs, "legend": None})
        elif tag == "legend" and self.fieldsets:
            self.fieldsets[-1]["legend"] = ""
        elif tag == "input":
            self.controls.append(element)
            self._close("input")
        elif tag == "select":
            self._select = {**element, "options": []}
            self.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(attrs)
        elif tag == "textarea":
            self._textarea = {**element, "text": ""}
            self.controls.append(self._textarea)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        self._close(tag)

    def _close(self, tag: str) -> None:
        while self._open:
            open_tag, attrs = self._open.pop()
            if "id" in attrs and self._text_of and self._text_of[-1] == attrs["id"]:
                self._text_of.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._label is not None:
            self.labels[self._label] += data
        if (
            self.fieldsets
            and self.fieldsets[-1]["legend"] is not None
            and any(tag == "legend" for tag, _ in self._open)
        ):
            self.fieldsets[-1]["legend"] += data
        if self._textarea is not None:
            self._textarea["text"] += data
        for element_id in self._text_of:
            self.texts[element_id] += data

    def submission(self, changes: dict[str, Any] | None = None) -> MultiDict:
        """What the browser posts, after the person changed `changes` (name → value or list)."""
        posted: list[tuple[str, str]] = []
        for control in self.controls:
            name = control.get("name")
            if not name:
                continue
            kind = control.get("type", "text")
            if control["tag"] == "select":
                chosen = [o for o in control["options"] if "selected" in o] or control["options"][
                    :1
                ]
                posted.extend((name, o.get("value", "")) for o in chosen)
            elif control["tag"] == "textarea":
                posted.append((name, control["text"].replace("\n", "\r\n")))
            elif kind in ("radio", "checkbox"):
                if "checked" in control:
                    posted.append((name, control.get("value", "on")))
            elif kind not in ("submit", "button"):
                posted.append((name, control.get("value", "")))
        for name, value in (changes or {}).items():
            posted = [(n, v) for n, v in posted if n != name]
            posted.extend((name, v) for v in (value if isinstance(value, list) else [value]))
        return MultiDict(posted)

    def text(self, element_id: str) -> str:
        return " ".join(self.texts.get(element_id, "").split())


def read_form(html: str) -> BrowserForm:
    parser = BrowserForm()
    parser.feed(html)
    parser.close()
    return parser


@cache
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(PROJECT_ROOT / "web" / "templates"), autoescape=True)


def render(fields: list[Field], summary: bool = True) -> str:
    template = environment().from_string(
        '{% from "form_rendering/_form.html" import render_fields %}{{ render_fields(fields, summary) }}'
    )
    return template.render(fields=fields, summary=summary)


@cache
def schema(ref: str) -> dict[str, Any]:
    return json.loads((FORMS / ref).read_text(encoding="utf-8"))


@cache
def validator(ref: str):
    return make_validator(schema(ref), territories_at(Settings().reference_data_path))


#: Forms checked outside a dossier: natures are read from the SIRENs the data gives.
NO_DOSSIER = DossierOrganisation(territories_at(Settings().reference_data_path))


# ---------------------------------------------------------------- sample data for any form


def _text_sample(spec: dict[str, Any], seed: int) -> str:
    formats = {
        "siren": "212309603", "commune": "23096", "epci": "200034825", "date": "2026-09-01",
        "email": f"prenom.nom{seed}@exemple.fr", "siret": "21230960300019",
    }  # fmt: skip
    if spec.get("format") in formats:
        if spec["format"] == "departement":
            return ["23", "08", "87"][seed % 3]
        return formats[spec["format"]]
    if spec.get("format") == "departement":
        return ["23", "08", "87"][seed % 3]
    pattern = spec.get("pattern", "")
    if pattern.startswith("^https://"):
        return f"https://partage.anct.gouv.fr/document-{seed}.pdf"
    if "[1-9]" in pattern:
        return "05 55 51 47 00"
    if pattern.startswith("^[a-z0-9]"):
        return f"agent{seed}.cerema"
    text = f"Texte d'essai n° {seed} : « l'équipe » & <tout> le reste"
    if spec.get("x-widget") == "textarea":
        text += "\nDeuxième ligne."
    text = text.ljust(spec.get("minLength", 0), ".")
    return text[: spec.get("maxLength", len(text))]


def without_files(form: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The data as parse_submission reads it back: files come with the upload, read by
    web/views/attachments.receive (tests/web/test_attachments.py), not from the text inputs."""
    kept = copy.deepcopy(data)
    for found in file_fields(form):
        with_value(kept, found.path, None)
        parent = found.path.rpartition(".")[0]
        if parent and value_at(kept, parent) == {}:
            with_value(kept, parent, None)
    return kept


def sample(spec: dict[str, Any], seed: int = 1) -> Any:
    """A valid value for a schema, every optional field filled (so every control is tried)."""
    if is_person_field(spec):  # an account of the role: one of SAMPLE_PEOPLE
        return f"personne{seed}"
    if is_file_field(spec):  # a file already received: shown, carried by a hidden input
        return {"id": seed, "nom": "piece.pdf", "taille": 1234, "type": "application/pdf",
                "empreinte": "0" * 64}  # fmt: skip
    kind = spec.get("type")
    if "const" in spec:
        return spec["const"]
    if spec.get("x-nature-depuis") and "commune" in spec.get("enum", []):
        return "commune"  # the samples' SIREN is Guéret's (engine/forms/natures.py)
    if "enum" in spec:
        return spec["enum"][seed % len(spec["enum"])]
    if kind == "object":
        return {
            name: sample(sub, seed + i) for i, (name, sub) in enumerate(spec["properties"].items())
        }
    if kind == "array":
        items = spec["items"]
        count = max(spec.get("minItems", 0), 2)
        count = min(count, spec.get("maxItems", count))
        if "enum" in items:
            return items["enum"][:count]
        return [sample(items, seed + index) for index in range(count)]
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        low = spec.get("minimum", 0)
        high = spec.get("maximum", 10**6)
        value = min(max(low, 7 + seed), high)
        if kind == "number" and value + 0.5 <= high:
            return value + 0.5
        return value
    return _text_sample(spec, seed)


def _numbers(data: Any, path: str) -> list[float]:
    head, _, rest = path.partition(".")
    if head == "*":
        return [n for item in data for n in _numbers(item, rest)]
    value = data.get(head) if isinstance(data, dict) else None
    return _numbers(value, rest) if rest else [value] if isinstance(value, (int, float)) else []


def following_rules(form: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The sample made to hold the form's rules across fields (x-regles, engine/forms/rules.py):
    a total set to the sum of its lines, a share brought under its rate of the total."""
    for rule in form.get("x-regles", []):
        if rule["regle"] == "somme" and ".*." in rule["champ"]:  # on each line of a list
            stem, _, field = rule["champ"].partition(".*.")
            for line in data[stem]:
                terms = [t.removeprefix(f"{stem}.*.") for t in rule["termes"]]
                line[field] = sum(n for t in terms for n in _numbers(line, t))
        elif rule["regle"] == "somme":
            data[rule["champ"]] = sum(n for t in rule["termes"] for n in _numbers(data, t))
        elif rule["regle"] == "part_maximale":
            [total] = _numbers(data, rule["total"])
            data[rule["champ"]] = min(data[rule["champ"]], total * rule["taux"] / 100)
    return data


# ---------------------------------------------------------------- every form


#: The accounts the samples choose in person fields.
SAMPLE_PEOPLE = {f"personne{seed}" for seed in range(100)}


@pytest.mark.parametrize("ref", ALL_FORMS)
def test_every_form_renders_with_labels_and_reads_back(ref: str) -> None:
    form = schema(ref)
    data = following_rules(form, sample(form))
    people = dict.fromkeys(person_roles(form), SAMPLE_PEOPLE)
    # Valid, once the fields whose condition (x-si) does not hold are left out.
    applicable = apply_conditions(form, data)[0]
    checked = validate_submission(validator(ref), data, people=people, organisation=NO_DOSSIER)
    assert checked == applicable, "échantillon"

    html = render(build_fields(form, data, None))
    page = read_form(html)

    # Hidden inputs (a file already received) need no label.
    named = [c for c in page.controls if c.get("name") and c.get("type") != "hidden"]
    assert named, "au moins un champ"
    for control in named:
        assert control.get("id"), f"{control['name']} sans id"
        assert page.labels.get(control["id"], "").strip(), f"{control['name']} sans libellé"
    for fieldset in page.fieldsets:
        assert (fieldset["legend"] or "").strip(), f"fieldset {fieldset.get('id')} sans légende"
    for element_id, element in page.ids.items():
        for described in element.get("aria-describedby", "").split():
            assert described in page.ids, f"{element_id} décrit par {described} absent"
    assert "resume-erreurs" not in html

    assert parse_submission(form, page.submission()) == without_files(form, data)

    # Nothing filled in: nothing read back (no empty strings, no empty objects or rows), but
    # the lists of rows the form requires, as empty lists.
    empty = read_form(render(build_fields(form, None, None)))
    required_lists = {
        name: []
        for name in form.get("required", [])
        if form["properties"][name].get("type") == "array"
        and "enum" not in form["properties"][name]["items"]
    }
    assert parse_submission(form, empty.submission()) == required_lists


SCENARIOS = [
    ("demande_ingenierie/depot.json", ingenierie.DEPOT),
    ("demande_ingenierie/depot.json", ingenierie.DEPOT_ARDENNES),
    ("demande_ingenierie/qualifier.json", ingenierie.TRANSMISSION),
    ("demande_ingenierie/qualifier.json", ingenierie.INGENIERIE_LOCALE),
    ("demande_ingenierie/qualifier.json", ingenierie.NON_RECEVABLE),
    ("demande_ingenierie/qualifier.json", ingenierie.COMPLEMENTS),
    ("demande_ingenierie/completer.json", ingenierie.REPONSE),
    ("demande_ingenierie/instruire.json", ingenierie.INSTRUCTION),
    ("demande_ingenierie/decider.json", ingenierie.ACCEPTE),
    ("demande_ingenierie/decider.json", ingenierie.REFUSE),
    ("demande_ingenierie/decider.json", ingenierie.RENVOI),
    ("demande_ingenierie/preparer_convention.json", ingenierie.CONVENTION),
    ("demande_ingenierie/rapport_etape.json", ingenierie.RAPPORT),
    ("demande_ingenierie/conduire_mission.json", ingenierie.LIVRABLE),
    ("demande_ingenierie/evaluer_collectivite.json", ingenierie.evaluation("evaluation_collectivite")),
    ("demande_ingenierie/evaluer_prefet.json", ingenierie.evaluation("evaluation_prefet")),
    ("demande_ingenierie/signer_collectivite.json", ingenierie.SIGNATURE_COLLECTIVITE),
    ("demande_ingenierie/signer_anct.json", ingenierie.SIGNATURE_ANCT),
    ("demande_ingenierie/signer_partenaire.json", ingenierie.signature_partenaire(ingenierie.BDT)),
    ("fabriques_territoire/candidature.json", fabriques.CANDIDATURE),
    ("fabriques_territoire/signature_collectivite.json", fabriques.SIGNATURES["signer_collectivite"]),
    ("fabriques_territoire/signature_anct.json", fabriques.SIGNATURES["signer_anct"]),
    ("pass_numerique/candidature.json", pass_numerique.CANDIDATURE),
    ("pass_numerique/signature_collectivite.json", pass_numerique.SIGNATURES["signer_collectivite"]),
    ("territoires_en_renouveau/identification.json", renouveau.IDENTIFICATION),
    ("territoires_en_renouveau/diagnostic.json", renouveau.DIAGNOSTIC),
    ("territoires_en_renouveau/plan_action.json", renouveau.PLAN),
    ("territoires_en_renouveau/comite_pilotage.json", renouveau.COMITE),
    ("territoires_en_renouveau/revue_mi_parcours.json", renouveau.REVUE),
    ("territoires_en_renouveau/evaluation_impact.json", renouveau.EVALUATION),
    ("territoires_en_renouveau/signature_prefet.json", renouveau.signature("signer_prefet")),
]  # fmt: skip


def _in_option_order(form: dict[str, Any], data: Any) -> Any:
    """Checked boxes are posted in the order of the page: the data with lists in that order."""
    if isinstance(data, dict):
        properties = form.get("properties", {})
        return {k: _in_option_order(properties.get(k, {}), v) for k, v in data.items()}
    if isinstance(data, list):
        items = form.get("items", {})
        if "enum" in items:
            return sorted(data, key=items["enum"].index)
        return [_in_option_order(items, v) for v in data]
    return data


@pytest.mark.parametrize(
    ("ref", "data"), SCENARIOS, ids=[f"{r}-{i}" for i, (r, _) in enumerate(SCENARIOS)]
)
def test_scenario_data_round_trips(ref: str, data: dict[str, Any]) -> None:
    form = schema(ref)
    page = read_form(render(build_fields(form, data, None)))
    assert parse_submission(form, page.submission()) == _in_option_order(form, data)


# ---------------------------------------------------------------- what people see


def test_widgets_follow_the_hints() -> None:
    fields = {f.name: f for f in build_fields(schema("demande_ingenierie/depot.json"), {}, None)}
    assert [f.name for f in fields.values()][:3] == [
        "intitule_projet",
        "description_projet",
        "champs_intervention",
    ]  # fmt: skip  (x-ordre)
    assert fields["description_projet"].widget == "textarea"
    assert fields["champs_intervention"].widget == "checkboxes"
    assert ("habitat", "Habitat") in fields["champs_intervention"].options
    assert fields["type_accompagnement"].widget == "radio"
    assert fields["nature_demandeur"].widget == "select"
    assert fields["nature_demandeur"].options[1] == ("epci", "EPCI à fiscalité propre")
    assert fields["date_debut_souhaitee"].input_type == "date"
    contact = fields["contact"]
    assert contact.widget == "group" and contact.label == "Personne à contacter"
    assert [c.name for c in contact.children] == [
        "contact.nom", "contact.fonction", "contact.courriel", "contact.telephone",
    ]  # fmt: skip
    assert contact.children[2].input_type == "email"
    assert contact.children[3].input_type == "tel"
    assert contact.children[0].required and not contact.children[1].required
    assert fields["epci"].optional and not fields["siren"].optional

    html = render(list(fields.values()))
    page = read_form(html)
    assert page.labels["champ-intitule_projet"].strip() == "Intitulé du projet"
    assert "(facultatif)" in page.labels["champ-epci"]
    assert "Facultatif : l'intercommunalité du projet." in page.labels["champ-epci"]
    legends = {f.get("id"): " ".join(f["legend"].split()) for f in page.fieldsets}
    assert legends["champ-contact"].startswith("Personne à contacter")
    assert legends["champ-champs_intervention"].startswith("Champs d'intervention")


def test_numbers_booleans_and_conditional_fields() -> None:
    rapport = {
        f.name: f for f in build_fields(schema("demande_ingenierie/rapport_etape.json"), {}, None)
    }
    assert rapport["pourcentage_avancement"].inputmode == "numeric"
    candidature = schema("fabriques_territoire/candidature.json")
    montant = next(f for f in build_fields(candidature, {}, None) if f.name == "montant_demande")
    assert montant.inputmode == "decimal"
    signature = build_fields(schema("demande_ingenierie/signer_anct.json"), {}, None)[0]
    document, box = signature.children[2:4]
    assert (box.name, box.widget) == ("signature_anct.convention_signee", "checkbox")
    assert (document.name, document.widget) == ("signature_anct.document_signe", "fichier")
    assert document.file is not None and document.file.signature and document.file.accept == ".pdf"
    decider = {f.name: f for f in build_fields(schema("demande_ingenierie/decider.json"), {}, None)}
    # Required when the committee refuses: the label does not call it optional.
    assert decider["motif_comite"].conditional and not decider["motif_comite"].optional
    # A boolean that is not a signature box is a yes/no question.
    question = {"type": "object", "properties": {"urgent": {"title": "Urgent", "type": "boolean"}}}
    [urgent] = build_fields(question, {"urgent": False}, None)
    assert urgent.widget == "ouinon" and urgent.value == "false"
    assert urgent.options == [("true", "Oui"), ("false", "Non")]
    assert parse_submission(question, MultiDict({"urgent": "false"})) == {"urgent": False}
    assert parse_submission(question, MultiDict({"urgent": "true"})) == {"urgent": True}
    # No partner at all is an empty list, not a missing field (the form says « leave it empty »).
    instruire = schema("demande_ingenierie/instruire.json")
    posted = MultiDict(
        {"partenaires.0.organisme": "", "analyse_besoin": "Besoin de programmation."}
    )
    assert parse_submission(instruire, posted) == {
        "analyse_besoin": "Besoin de programmation.", "partenaires": [],
    }  # fmt: skip


def test_arrays_of_objects_are_row_groups() -> None:
    form = schema("demande_ingenierie/instruire.json")
    fields = {f.name: f for f in build_fields(form, {"partenaires": ingenierie.PARTENAIRES}, None)}
    partenaires = fields["partenaires"]
    assert partenaires.widget == "rows"
    # The two partners, then two empty rows.
    assert [row.name for row in partenaires.children] == [f"partenaires.{i}" for i in range(4)]
    assert [row.label for row in partenaires.children][:2] == ["Partenaire 1", "Partenaire 2"]
    first = partenaires.children[0]
    assert [c.name for c in first.children] == [
        "partenaires.0.organisme", "partenaires.0.login", "partenaires.0.apport",
    ]  # fmt: skip
    assert first.children[0].value == "Banque des Territoires"
    assert partenaires.children[3].children[0].value == ""

    # A budget of exactly three years: three rows, never more.
    budget = next(
        f
        for f in build_fields(schema("fabriques_territoire/candidature.json"), {}, None)
        if f.name == "budget_previsionnel"
    )
    assert len(budget.children) == 3
    # A list of texts (départements): one input per value, plus empty ones.
    departements = next(
        f
        for f in build_fields(
            schema("territoires_en_renouveau/identification.json"), {"departements": ["23"]}, None
        )
        if f.name == "departements"
    )
    assert [(c.name, c.value) for c in departements.children] == [
        ("departements.0", "23"), ("departements.1", ""), ("departements.2", ""),
    ]  # fmt: skip


def test_parse_submission_types_and_distrusts() -> None:
    form = schema("territoires_en_renouveau/plan_action.json")
    posted = MultiDict(
        [
            ("duree_contrat_annees", " 3 "),
            ("actions.0.intitule", "Maison de santé"),
            ("actions.0.pilote", "CA du Grand Guéret"),
            ("actions.0.partenaires.0", "ARS"),
            ("actions.0.partenaires.1", ""),
            ("actions.0.partenaires.2", "Banque des Territoires"),
            ("actions.0.engagement_etat", "DETR\r\net appui de l'ARS"),
            ("actions.0.montant_etat", "1 500 000,50"),
            ("actions.0.debut", "2026-09-01"),
            ("actions.0.fin", "2028-06-30"),
            ("actions.1.intitule", ""),  # an empty row
            ("actions.1.montant_etat", "  "),
            ("actions.7.intitule", "Très haut débit"),  # rows need not be consecutive
            ("actions.7.montant_etat", "800000"),
            ("actions.x.intitule", "pas une ligne"),
            ("actions.99999.intitule", "pas une ligne non plus"),
            ("gouvernance", ""),
            ("decision", "acceptee"),  # not declared by the form: never read
            ("territoire", "08"),
        ]
    )
    assert parse_submission(form, posted) == {
        "duree_contrat_annees": 3,
        "actions": [
            {
                "intitule": "Maison de santé", "pilote": "CA du Grand Guéret",
                "partenaires": ["ARS", "Banque des Territoires"],
                "engagement_etat": "DETR\net appui de l'ARS", "montant_etat": 1500000.5,
                "debut": "2026-09-01", "fin": "2028-06-30",
            },
            {"intitule": "Très haut débit", "montant_etat": 800000},
        ],
    }  # fmt: skip
    # What is not a number stays as typed: the validation refuses it, the page shows it again.
    assert parse_submission(form, MultiDict({"duree_contrat_annees": "trois"})) == {
        "duree_contrat_annees": "trois", "actions": [],
    }  # fmt: skip
    assert parse_submission(form, MultiDict({"duree_contrat_annees": "2,5"})) == {
        "duree_contrat_annees": "2,5", "actions": [],
    }  # fmt: skip
    # Checkboxes: declared values once each; an undeclared value is passed on to be refused.
    depot = schema("demande_ingenierie/depot.json")
    posted = MultiDict([("champs_intervention", "habitat"), ("champs_intervention", "habitat"),
                        ("champs_intervention", "piscine")])  # fmt: skip
    assert parse_submission(depot, posted) == {"champs_intervention": ["habitat", "piscine"]}
    # None checked: missing, so that the group's own « required » message is shown.
    assert parse_submission(depot, MultiDict()) == {}
    # A signature box left unchecked is missing (its message: « Cochez la case… »).
    signature = schema("demande_ingenierie/signer_anct.json")
    posted = MultiDict(
        {
            "signature_anct.signataire": "Yves Le Breton",
            "signature_anct.qualite": "directeur général",
        }
    )
    data = parse_submission(signature, posted)
    assert data == {
        "signature_anct": {"signataire": "Yves Le Breton", "qualite": "directeur général"}
    }
    with pytest.raises(InvalidInput) as refused:
        validate_submission(validator("demande_ingenierie/signer_anct.json"), data)
    assert field_errors(refused.value) == {
        "signature_anct.convention_signee": "Cochez la case pour signer la convention.",
        "signature_anct.document_signe": "Joignez la convention signée.",
    }


def test_errors_show_next_to_their_field_in_french() -> None:
    ref = "demande_ingenierie/depot.json"
    form = schema(ref)
    data = {
        **ingenierie.DEPOT,
        "siren": "123456789",
        "champs_intervention": [],
        "contact": {"nom": "Sophie Lemaire", "courriel": "pas-une-adresse"},
    }
    del data["intitule_projet"]
    with pytest.raises(InvalidInput) as refused:
        validate_submission(validator(ref), data, organisation=NO_DOSSIER)
    errors = field_errors(refused.value)
    assert errors == {
        "champs_intervention": "Choisissez au moins un champ d'intervention.",
        "contact.courriel": "Adresse électronique invalide (exemple : prenom.nom@mairie-gueret.fr).",
        "intitule_projet": "Donnez un intitulé à votre projet.",
        "siren": "Numéro SIREN invalide (9 chiffres, clé de contrôle).",
    }
    html = render(build_fields(form, data, errors))
    page = read_form(html)

    def message_of(control_id: str) -> str:
        described = page.ids[control_id]["aria-describedby"]
        assert page.ids[control_id].get("aria-invalid") == "true"
        return page.text(described)

    assert message_of("champ-siren") == "Numéro SIREN invalide (9 chiffres, clé de contrôle)."
    assert message_of("champ-intitule_projet") == "Donnez un intitulé à votre projet."
    assert message_of("champ-contact-courriel").startswith("Adresse électronique invalide")
    assert page.ids["champ-contact-courriel"]["value"] == "pas-une-adresse"
    group = page.ids["champ-champs_intervention"]
    assert "fr-fieldset--error" in group["class"]
    assert page.text("champ-champs_intervention-messages") == (
        "Choisissez au moins un champ d'intervention."
    )
    assert "champ-champs_intervention-messages" in group["aria-labelledby"]
    # The summary at the top lists each error with a link to its field.
    summary = re.search(r'data-testid="resume-erreurs".*?</div>', html, re.S).group(0)
    assert "4 champs sont à corriger" in summary
    assert 'href="#champ-siren"' in summary
    assert "Personne à contacter — Adresse électronique : Adresse électronique invalide" in summary
    assert "resume-erreurs" not in render(build_fields(form, data, errors), summary=False)


def test_errors_without_their_own_control_go_to_the_nearest_field() -> None:
    form = schema("demande_ingenierie/instruire.json")
    errors = {
        "expert": "Indiquez l'expert désigné.",
        "partenaires.1.organisme": "Indiquez l'organisme.",
        "partenaires.0.inconnu": "Champ non prévu par le formulaire.",
        "formulaire": "Le formulaire a changé.",
        "champ_inconnu": "Ce champ n'existe pas.",
    }
    fields = build_fields(form, {"partenaires": ingenierie.PARTENAIRES}, errors)
    by_name = {}
    stack = list(fields)
    while stack:
        item = stack.pop()
        by_name[item.name] = item
        stack.extend(item.children)
    assert by_name["expert"].error == "Indiquez l'expert désigné."
    assert by_name["partenaires.1.organisme"].error == "Indiquez l'organisme."
    assert by_name["partenaires.0"].error == "Champ non prévu par le formulaire."
    assert fields[0].widget == "message"
    assert fields[0].error == "Le formulaire a changé. Ce champ n'existe pas."
    html = render(fields)
    assert "Le formulaire a changé. Ce champ n&#39;existe pas." in html


def test_values_are_escaped() -> None:
    form = {"type": "object", "properties": {"nom": {"title": "<b>Nom</b>", "type": "string"}}}
    html = render(build_fields(form, {"nom": '"><script>alert(1)</script>'}, {"nom": "<i>x</i>"}))
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert read_form(html).ids["champ-nom"]["value"] == '"><script>alert(1)</script>'


def test_field_errors_without_fields() -> None:
    assert field_errors(InvalidInput("Code de département inconnu : « 99 ».")) == {}
    assert field_errors(InvalidInput("x", fields={"a.0.b": "m"})) == {"a.0.b": "m"}


def test_all_forms_are_covered() -> None:
    assert len(ALL_FORMS) >= 40
    assert {Path(ref).parts[0] for ref in ALL_FORMS} == {
        "demande_ingenierie", "fabriques_territoire", "pass_numerique", "territoires_en_renouveau",
    }  # fmt: skip

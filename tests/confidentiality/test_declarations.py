"""Issue 16: who reads what is declared in the forms, checked at deployment, and obeyed.

`x-lecteurs` (and its shorthand `x-interne`) on forms and fields, `x-donnees` for the engine's
variables; the deployment refuses an unknown role, two forms that disagree, and a notice or a
task name that would show the requesting authority what it does not read.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine import service
from engine.definitions.bundle import forms_in
from engine.definitions.validator import validate
from engine.errors import NotFound
from engine.forms import FormProblem, check_form
from engine.forms.readers import (
    form_properties,
    hidden_paths,
    readable_changes,
    readable_data,
    variable_schema,
)
from engine.service.dossiers import attachments
from engine.service.viewer import Grant, Viewer
from tests.confidentiality.conftest import csv_rows
from tests.files import staged
from tests.procedures import test_pass_numerique as pn
from tests.procedures import test_reachability as reachability
from tests.procedures.conftest import ARDENNE_METROPOLE, PROCESSES
from tests.web.pages import seen

FORMS = PROCESSES.parent / "forms"
FORM = {
    "title": "Sélectionner",
    "type": "object",
    "properties": {
        "decision": {"type": "string"},
        "notes": {"type": "string", "x-lecteurs": ["comite", "equipe_nationale"]},
        "avis": {"type": "string", "x-interne": True},
        "bilan": {
            "type": "object",
            "properties": {
                "public": {"type": "string"},
                "chiffre": {"type": "number", "x-lecteurs": ["equipe_nationale"]},
            },
        },
    },
    "x-donnees": {"enveloppe": {"title": "Totaux", "x-lecteurs": ["comite"]}},
}


# ---------------------------------------------------------------- the rule


def test_each_field_is_read_by_its_readers_at_any_depth():
    fields = {**form_properties(FORM), "enveloppe": {"x-lecteurs": ["comite"]}}
    data = {
        "decision": "oui", "notes": "n", "avis": "a", "bilan": {"public": "p", "chiffre": 3},
        "enveloppe": {"reste": 1}, "calcul": 2, "siren": "212309603",
    }  # fmt: skip
    assert readable_data(data, fields, {"collectivite"}) == {
        "decision": "oui", "bilan": {"public": "p"}, "siren": "212309603",
    }, "a variable declared nowhere is the staff's; the dossier's SIREN everyone's"  # fmt: skip
    assert readable_data(data, fields, {"prefet"}) == {
        "decision": "oui", "avis": "a", "bilan": {"public": "p"}, "calcul": 2,
        "siren": "212309603",
    }  # fmt: skip
    assert readable_data(data, fields, {"comite"})["enveloppe"] == {"reste": 1}
    assert readable_data(data, fields, {"equipe_nationale"})["bilan"]["chiffre"] == 3
    assert readable_data(data, fields, None) == data, "an operator reads everything"
    assert hidden_paths(fields, {"collectivite"}) == ["notes", "avis", "bilan.chiffre", "enveloppe"]
    changes = {"notes": [None, "n"], "bilan": [None, {"public": "p", "chiffre": 3}]}
    assert readable_changes(changes, fields, {"collectivite"}) == {"bilan": [None, {"public": "p"}]}


def test_a_form_declaration_is_its_fields_default_and_a_field_may_say_otherwise():
    form = {**FORM, "x-lecteurs": ["prefet", "equipe_nationale"]}
    fields = form_properties(form)
    assert fields["decision"]["x-lecteurs"] == ["prefet", "equipe_nationale"]
    assert fields["notes"]["x-lecteurs"] == ["comite", "equipe_nationale"]
    assert variable_schema("inconnue", fields) == {
        "x-lecteurs": ["comite", "equipe_nationale", "expert", "prefet"]
    }


def test_a_viewer_reads_by_the_roles_they_hold_over_this_dossier():
    # An agent of Guéret who is also a préfet elsewhere reads Guéret's dossier as Guéret.
    agent = Viewer("agent", (Grant("collectivite", "212309603"), Grant("prefet", "08")))
    assert agent.roles_over("23", "212309603") == {"collectivite"}
    assert agent.roles_over("08", "200041630") == {"prefet"}
    # The préfet of a contract's other département reads it as its préfet.
    prefet_62 = Viewer("prefet.62", (Grant("prefet", "62"),))
    assert prefet_62.roles_over("59", "200041630") == frozenset()
    assert prefet_62.roles_over("59", "200041630", also=("62",)) == {"prefet"}
    assert Viewer("expert", (Grant("expert"),)).roles_over("23", "212309603") == {"expert"}
    assert Viewer.command_line().roles_over("23", "212309603") is None


# ---------------------------------------------------------------- checked at deployment


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"x-lecteurs": ["prefect"]}, "« x-lecteurs » de « decision » : rôle inconnu « prefect »"),
        ({"x-lecteurs": []}, "« x-lecteurs » de « decision » : une liste d'au moins un rôle"),
        ({"x-lecteurs": "prefet"}, "« x-lecteurs » de « decision » : une liste d'au moins un rôle"),
        ({"x-lecteurs": ["prefet", "prefet"]}, "un rôle y est cité deux fois"),
        ({"x-lecteurs": ["prefet"], "x-interne": True}, "« x-interne » et « x-lecteurs » ensemble"),
        ({"x-interne": "oui"}, "« x-interne » de « decision » : true ou false attendu"),
    ],
)
def test_a_wrong_declaration_is_refused_in_french(change, message):
    form = {**FORM, "properties": {**FORM["properties"], "decision": {"type": "string", **change}}}
    with pytest.raises(FormProblem, match=message):
        check_form(json.dumps(form))


def test_the_engines_variables_are_declared_apart_from_the_fields():
    clash = {**FORM, "x-donnees": {"decision": {"title": "Décision"}}}
    with pytest.raises(FormProblem, match="« x-donnees » déclare « decision », déjà champ"):
        check_form(json.dumps(clash))
    unknown = {**FORM, "x-donnees": {"enveloppe": {"x-lecteurs": ["tous"]}}}
    with pytest.raises(FormProblem, match="de la donnée « enveloppe » : rôle inconnu « tous »"):
        check_form(json.dumps(unknown))


def problems_of(process_id: str, bpmn_edit=None, form_edits=None) -> list[str]:
    """The readers' problems of a procedure whose BPMN and forms are edited in memory."""
    folder = PROCESSES / process_id
    sources = {f.name: f.read_bytes() for f in folder.iterdir() if f.suffix in (".bpmn", ".dmn")}
    if bpmn_edit:
        name = f"{process_id}.bpmn"
        sources[name] = bpmn_edit(sources[name].decode("utf-8")).encode("utf-8")
    read = forms_in(FORMS)

    def forms(ref: str) -> str | None:
        text = read(ref)
        if text is not None and ref in (form_edits or {}):
            form = json.loads(text)
            form_edits[ref](form)
            text = json.dumps(form)
        return text

    validation = validate(sources, forms)
    return [p.message for p in validation.errors]


def test_the_four_procedures_declare_what_their_notices_read():
    for folder in ("demande_ingenierie", "fabriques_territoire", "pass_numerique",
                   "territoires_en_renouveau"):  # fmt: skip
        assert problems_of(folder) == []


def test_a_notice_reading_the_committees_notes_is_refused():
    problems = problems_of(
        "fabriques_territoire",
        lambda text: text.replace(
            '<spiffworkflow:property name="motif" value="motif_comite"/>',
            '<spiffworkflow:property name="motif" value="motif_comite + notes_comite"/>',
        ),
    )
    assert any(
        "la propriété « motif » lit « notes_comite », que la collectivité ne lit pas (lu par : "
        "équipe nationale, comité) : la notification de la décision le lui montrerait" in p
        for p in problems
    ), problems


def test_a_notice_reading_the_calls_totals_or_an_undeclared_variable_is_refused():
    problems = problems_of(
        "pass_numerique",
        lambda text: text.replace(
            '<spiffworkflow:property name="montant" value="montant_accorde"/>',
            '<spiffworkflow:property name="montant" value="campagne_info[&quot;enveloppe&quot;]"/>',
        ),
        {"pass_numerique/candidature.json": lambda form: form["x-donnees"].pop("motif")},
    )
    assert any("lit « campagne_info.enveloppe »" in p for p in problems), problems
    assert any(
        "la propriété « motif » lit « motif »" in p
        and "déclarée nulle part" in p
        and "Déclarez « motif » dans le bloc « x-donnees »" in p
        for p in problems
    ), problems


def test_a_task_name_reading_an_internal_field_is_refused():
    problems = problems_of(
        "pass_numerique",
        lambda text: text.replace(
            '<spiffworkflow:property name="pour" value="nom_collectivite"/>',
            '<spiffworkflow:property name="pour" value="motivation_prefet"/>',
        ),
    )
    assert any("la propriété « pour » lit « motivation_prefet »" in p for p in problems)


def test_two_forms_that_disagree_on_a_fields_readers_are_refused():
    def restrict(form):
        form["properties"]["montant_accorde"]["x-lecteurs"] = ["comite"]

    problems = problems_of(
        "pass_numerique", form_edits={"pass_numerique/deliberation_jury.json": restrict}
    )
    assert any("« montant_accorde »" in p and "lit" in p for p in problems), problems
    problems = problems_of(
        "pass_numerique",
        form_edits={
            "pass_numerique/rapport_6_mois.json": lambda form: form.update(
                {"x-donnees": {"montant_accorde": {"title": "Montant"}}}
            )
        },
    )
    assert any("à la fois un champ de formulaire et une donnée du moteur" in p for p in problems)


# ---------------------------------------------------------------- obeyed by the export and files


@pytest.fixture
def restricted(services, tmp_path):
    """The pass numérique with its financing plan (a file) and the State's share (an amount)
    read by the national team and the committee only."""
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    path = Path(forms, "pass_numerique", "candidature.json")
    form = json.loads(path.read_text(encoding="utf-8"))
    for name in ("plan_financement", "cofinancement_etat"):
        form["properties"][name]["x-lecteurs"] = ["equipe_nationale", "comite"]
    path.write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")
    services.forms_path = forms
    return services


def test_the_export_and_the_files_obey_the_declarations(
    restricted, deploy, people, clock, client_for
):
    services = restricted
    reachability.open_call(deploy, services, clock, pn)
    plan = staged(services, "ardenne.metropole", "plan-de-financement.pdf")
    reference = service.start(
        services, pn.PROCESS, data={**pn.CANDIDATURE, "plan_financement": plan},
        actor="ardenne.metropole", **ARDENNE_METROPOLE,
    ).reference  # fmt: skip
    column = "Cofinancement demandé à l'État (€)"

    def exported(login: str) -> dict:
        (row,) = csv_rows(client_for(login).get(f"/dossiers/export.csv?reference={reference}"))
        return row

    assert exported("anct.national")[column] == "100000"
    assert exported("comite.membre")[column] == "100000"
    assert exported("prefet.ardennes")[column] == "", "the préfet does not read it"
    authority = people["ardenne_metropole"]
    for viewer in (authority, people["prefet_08"]):
        assert attachments.for_dossier(services, viewer, reference) == []
        with pytest.raises(NotFound):
            attachments.download(services, viewer, plan["id"])
        dossier = service.get_instance(services, reference, viewer)
        assert "cofinancement_etat" not in dossier.data
        assert not any("cofinancement_etat" in (e["changes"] or {}) for e in dossier.history)
    (listed,) = attachments.for_dossier(services, people["anct"], reference)
    assert attachments.download(services, people["anct"], listed.id).filename == listed.filename
    page = client_for("prefet.ardennes").get(f"/dossiers/{reference}")
    assert 'data-champ="cofinancement_etat"' not in page.get_data(as_text=True)
    page = client_for("anct.national").get(f"/dossiers/{reference}")
    assert "Interne, non visible de la collectivité — lu par : équipe nationale, comité" in (
        seen(page, "donnees")
    )

"""Forms validated on the server, engine operators (campaign window and envelope), task scopes."""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from engine import service
from engine.definitions.operators import OPERATORS
from engine.errors import InvalidDefinition, InvalidInput
from engine.service.campaigns import calls
from engine.service.operators import IMPLEMENTATIONS
from engine.store.models import ProcessInstance
from tests.conftest import FIXTURES

GUERET = {"territory": "23", "siren": "212309603"}
CANDIDATURE = {
    "campagne": "essai-2026",
    "projet": "Tiers-lieu de la gare",
    "montant": 50000,
    "commune": "23096",
    "signataires": [{"siren": "212309603"}, {"siren": "200041630"}],
}


@pytest.fixture
def appel(services, tmp_path):
    services.forms_path = FIXTURES / "forms"
    service.deploy_path(services, FIXTURES / "appel.bpmn")
    calls.create(
        services, code="essai-2026", process_id="appel", name="Appel d'essai",
        opens_at="2026-03-01T00:00:00+01:00", closes_at="2026-04-01T00:00:00+02:00",
        envelope="100000", max_laureates=2, committee_at="2026-05-01T10:00:00+02:00",
    )  # fmt: skip
    return services


def count_instances(services) -> int:
    with services.db.connect() as connection:
        return connection.execute(select(func.count()).select_from(ProcessInstance)).scalar_one()


def test_every_declared_operator_is_implemented():
    assert set(OPERATORS) == set(IMPLEMENTATIONS)


def test_start_form_errors_are_french_and_per_field(appel):
    bad = {**CANDIDATURE, "projet": "x", "montant": 200000, "commune": "99999"}
    del bad["campagne"]
    with pytest.raises(InvalidInput) as caught:
        service.start(appel, "appel", data=bad, **GUERET)
    assert caught.value.details["fields"] == {
        "campagne": "Ce champ est obligatoire.",
        "commune": "Code INSEE de commune inconnu.",
        "montant": "La valeur doit être inférieure ou égale à 150000.",
        "projet": "Donnez un intitulé d'au moins 3 caractères.",
    }
    assert "Montant demandé (€)" in caught.value.message
    assert count_instances(appel) == 0


def test_only_declared_fields_reach_the_process(appel, operator):
    started = service.start(appel, "appel", data={**CANDIDATURE, "montant_accorde": 1}, **GUERET)
    data = service.get_instance(appel, started.reference, operator).data
    assert "montant_accorde" not in data and data["projet"] == "Tiers-lieu de la gare"


@pytest.mark.parametrize(
    ("now", "message"),
    [("2026-02-28T12:00:00+01:00", "pas encore ouvert"), ("2026-04-01T00:00:00+02:00", "est clos")],
)
def test_applications_outside_the_window_are_refused(appel, clock, now, message):
    clock.set(now)
    with pytest.raises(InvalidInput, match=message):
        service.start(appel, "appel", data=CANDIDATURE, **GUERET)
    assert count_instances(appel) == 0


def selection_task(services, reference):
    [task] = [
        t
        for t in service.list_tasks(services, service.Viewer.command_line())
        if t["instance"] == reference
    ]
    return task


def test_envelope_and_laureate_count_are_enforced(appel, operator):
    first, second, third = (
        service.start(appel, "appel", data=CANDIDATURE, **GUERET) for _ in range(3)
    )
    task = selection_task(appel, first.reference)
    assert task["due_at"].isoformat() == "2026-05-01T08:00:00+00:00"
    with pytest.raises(
        InvalidInput, match=r"au-delà de son enveloppe de 100 000 € \(reste 100 000 €\)"
    ):
        service.complete(appel, operator, task["id"], {"montant_accorde": 100000.01})
    assert selection_task(appel, first.reference)["id"] == task["id"], "the task stays open"
    assert calls.get(appel, "essai-2026").granted_total == 0

    service.complete(appel, operator, task["id"], {"montant_accorde": 60000})
    with pytest.raises(InvalidInput, match="reste 40 000 €"):
        service.complete(
            appel,
            operator,
            selection_task(appel, second.reference)["id"],
            {"montant_accorde": 45000},
        )
    service.complete(
        appel, operator, selection_task(appel, second.reference)["id"], {"montant_accorde": 40000}
    )
    with pytest.raises(InvalidInput, match="déjà ses 2 lauréats"):
        service.complete(
            appel, operator, selection_task(appel, third.reference)["id"], {"montant_accorde": 1}
        )
    state = calls.get(appel, "essai-2026")
    assert (state.granted_total, state.laureates) == (Decimal("100000"), 2)
    assert service.get_instance(appel, first.reference, operator).data["enveloppe"] == {
        "total_attribue": 60000.0, "laureats": 1, "reste": 40000.0,
    }  # fmt: skip


def test_each_signatory_sees_only_its_own_signature(appel, operator):
    started = service.start(appel, "appel", data=CANDIDATURE, **GUERET)
    service.complete(
        appel, operator, selection_task(appel, started.reference)["id"], {"montant_accorde": 1000}
    )
    gueret = service.Viewer("gueret", (service.Grant("collectivite", "212309603"),))
    ardenne = service.Viewer("ardenne", (service.Grant("collectivite", "200041630"),))
    [mine] = service.list_tasks(appel, gueret)
    [theirs] = service.list_tasks(appel, ardenne)
    assert (mine["siren"], theirs["siren"]) == ("212309603", "200041630")
    with pytest.raises(InvalidInput, match="Cochez la case pour signer"):
        service.complete(appel, gueret, mine["id"], {"signe": False})
    service.complete(appel, gueret, mine["id"], {"signe": True})
    assert service.get_instance(appel, started.reference, operator).status == "en_cours"
    service.complete(appel, ardenne, theirs["id"], {"signe": True})
    assert service.get_instance(appel, started.reference, operator).outcome == "laureat"


def test_forms_are_part_of_the_version(services, tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(FIXTURES / "forms", forms)
    services.forms_path = forms
    [first] = service.deploy_path(services, FIXTURES / "appel.bpmn")
    assert [d.new for d in service.deploy_path(services, FIXTURES / "appel.bpmn")] == [False]
    path = forms / "essai" / "selection.json"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Montant accordé", "Aide accordée"),
        encoding="utf-8",
    )
    [second] = service.deploy_path(services, FIXTURES / "appel.bpmn")
    assert (first.version, second.version, second.new) == (1, 2, True)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("essai/selection.json", "essai/absent.json"),
            "formulaire introuvable : « essai/absent.json »",
        ),
        (("essai/selection.json", "../../conftest.py"), "formulaire introuvable"),
        (('id="reserver_enveloppe"', 'id="virement_bancaire"'), "« virement_bancaire » inconnu"),
        (
            ('<spiffworkflow:parameter id="montant" type="float" value="montant_accorde" />', ""),
            "attend les paramètres campagne, montant",
        ),
    ],
)
def test_bad_forms_and_operators_are_refused_at_deployment(services, tmp_path, change, expected):
    services.forms_path = FIXTURES / "forms"
    path = tmp_path / "appel.bpmn"
    path.write_text(
        (FIXTURES / "appel.bpmn").read_text(encoding="utf-8").replace(*change), encoding="utf-8"
    )
    with pytest.raises(InvalidDefinition, match=r"appel\.bpmn:") as caught:
        service.deploy_path(services, path)
    assert expected in caught.value.message


def test_an_invalid_form_file_is_refused(services, tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(FIXTURES / "forms", forms)
    (forms / "essai" / "selection.json").write_text(
        '{"type": "object", "properties": {"x": {"type": "chaine"}}}'
    )
    services.forms_path = forms
    with pytest.raises(
        InvalidDefinition,
        match=r"formulaire « essai/selection\.json » invalide : JSON Schema invalide",
    ):
        service.deploy_path(services, FIXTURES / "appel.bpmn")


def test_an_element_named_like_an_operator_is_refused_in_french(services, tmp_path):
    services.forms_path = FIXTURES / "forms"
    path = tmp_path / "appel.bpmn"
    content = (FIXTURES / "appel.bpmn").read_text(encoding="utf-8")
    path.write_text(content.replace('"reserver"', '"reserver_enveloppe"'), encoding="utf-8")
    with pytest.raises(InvalidDefinition, match="aussi le nom d'un opérateur"):
        service.deploy_path(services, path)


def test_unsupported_decision_hit_policy_is_refused(services, tmp_path):
    shutil.copy(FIXTURES / "cofinancement.bpmn", tmp_path / "cofinancement.bpmn")
    dmn = (FIXTURES / "bareme.dmn").read_text(encoding="utf-8")
    (tmp_path / "bareme.dmn").write_text(
        dmn.replace('hitPolicy="UNIQUE"', 'hitPolicy="FIRST"'), encoding="utf-8"
    )
    with pytest.raises(InvalidDefinition, match="« FIRST » non prise en charge"):
        service.deploy_path(services, tmp_path)


def test_a_script_can_refuse_a_step_with_a_plain_message(appel, operator, tmp_path):
    content = (FIXTURES / "appel.bpmn").read_text(encoding="utf-8")
    refusal = (
        '<bpmn:scriptTask id="controler" name="Contrôler"><bpmn:incoming>f3</bpmn:incoming>'
        "<bpmn:outgoing>f3b</bpmn:outgoing><bpmn:script>if montant_accorde &gt; montant:\n"
        '    refuser("Le montant accordé dépasse le montant demandé.")</bpmn:script></bpmn:scriptTask>\n'
        '    <bpmn:sequenceFlow id="f3b" sourceRef="controler" targetRef="reserver" />\n'
    )
    content = content.replace(
        '<bpmn:sequenceFlow id="f3" sourceRef="selectionner" targetRef="reserver" />',
        '<bpmn:sequenceFlow id="f3" sourceRef="selectionner" targetRef="controler" />\n    '
        + refusal,
    )
    content = content.replace(
        "<bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>",
        "<bpmn:incoming>f3b</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>",
    )
    content = content.replace(
        "<bpmn:flowNodeRef>reserver</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>reserver</bpmn:flowNodeRef><bpmn:flowNodeRef>controler</bpmn:flowNodeRef>",
    )
    path = tmp_path / "appel.bpmn"
    path.write_text(content, encoding="utf-8")
    service.deploy_path(appel, path)
    started = service.start(appel, "appel", data=CANDIDATURE, **GUERET)
    task = selection_task(appel, started.reference)
    with pytest.raises(InvalidInput) as caught:
        service.complete(appel, operator, task["id"], {"montant_accorde": 60000})
    assert caught.value.message == "Le montant accordé dépasse le montant demandé."
    assert selection_task(appel, started.reference)["id"] == task["id"]


def test_messages_of_nested_fields_are_the_form_s_own(appel):
    data = {**CANDIDATURE, "signataires": [{"siren": "212309603"}, {"nom": "Sans SIREN"}]}
    with pytest.raises(InvalidInput) as caught:
        service.start(appel, "appel", data=data, **GUERET)
    assert caught.value.details["fields"] == {
        "signataires.1.siren": "Indiquez le SIREN du signataire."
    }

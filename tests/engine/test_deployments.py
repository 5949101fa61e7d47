"""Deploying definitions: versions by content, and refusal of anything the engine cannot run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import service
from engine.errors import InvalidDefinition
from engine.store.models import ProcessVersion
from tests.conftest import FIXTURES

APPROBATION = (FIXTURES / "approbation.bpmn").read_text(encoding="utf-8")


def versions(services: service.Services) -> int:
    with services.db.connect() as connection:
        return connection.execute(select(func.count()).select_from(ProcessVersion)).scalar_one()


def test_same_content_is_not_a_new_version_and_changed_content_is(services, operator, tmp_path):
    path = tmp_path / "approbation.bpmn"
    path.write_text(APPROBATION, encoding="utf-8")
    first = service.deploy_path(services, path)
    again = service.deploy_path(services, path)
    assert [(d.process_id, d.version, d.new) for d in first] == [("approbation", 1, True)]
    assert [(d.version, d.new) for d in again] == [(1, False)]

    running = service.start(services, "approbation", territory="23", siren="212309603")
    path.write_text(
        APPROBATION.replace("montant &gt; 10000", "montant &gt; 20000"), encoding="utf-8"
    )
    changed = service.deploy_path(services, path)
    assert [(d.version, d.new) for d in changed] == [(2, True)]
    assert service.current_version(services, "approbation").version == 2

    # The running instance keeps version 1: 15 000 is "élevé" there, not in version 2.
    task = service.list_tasks(services, operator)[0]
    service.complete(services, operator, task["id"], {"montant": 15000})
    details = service.get_instance(services, running.reference, operator)
    assert details.version == 1
    assert [t["bpmn_id"] for t in details.tasks] == ["donner_avis"]

    newer = service.start(services, "approbation", territory="23", siren="212309603")
    task = next(
        t for t in service.list_tasks(services, operator) if t["instance"] == newer.reference
    )
    service.complete(services, operator, task["id"], {"montant": 15000})
    assert service.get_instance(services, newer.reference, operator).outcome == "acceptee"


def test_a_folder_deploys_every_process(services):
    services.forms_path = FIXTURES / "forms"
    deployed = service.deploy_path(services, FIXTURES)
    assert {d.process_id for d in deployed} == {
        "appel",
        "approbation",
        "boucle",
        "cofinancement",
        "relance",
        "signatures",
    }
    assert all(d.new for d in deployed)


def refused(services, tmp_path: Path, files: dict[str, str]) -> InvalidDefinition:
    folder = tmp_path / "definitions"
    folder.mkdir(exist_ok=True)
    shutil.copy(FIXTURES / "parallele.bpmn", folder / "parallele.bpmn")
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    with pytest.raises(InvalidDefinition) as caught:
        service.deploy_path(services, folder)
    assert versions(services) == 0, "nothing may be deployed when one file is refused"
    return caught.value


def approbation_with(old: str, new: str) -> str:
    assert old in APPROBATION
    return APPROBATION.replace(old, new)


BAD_DEFINITIONS = {
    "malformed": (
        APPROBATION.replace("</bpmn:userTask>", "</bpmn:task>", 1),
        ["XML mal formé", "mauvais.bpmn:"],
    ),
    "xxe": (
        '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>',
        ["entités XML sont interdites"],
    ),
    "billion_laughs": (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
        "<lolz>&lol3;</lolz>",
        ["entités XML sont interdites"],
    ),
    "missing_flow_target": (
        approbation_with('targetRef="donner_avis"', 'targetRef="etape_disparue"'),
        ["élément inexistant : « etape_disparue »", "f_grand"],
    ),
    "no_executable_process": (
        APPROBATION.replace('isExecutable="true"', 'isExecutable="false"'),
        ["aucun processus exécutable"],
    ),
    "service_task": (
        approbation_with(
            '<bpmn:userTask id="donner_avis" name="Donner un avis">',
            '<bpmn:serviceTask id="donner_avis" name="Donner un avis">',
        ).replace(
            '</bpmn:userTask>\n    <bpmn:exclusiveGateway id="avis_favorable"',
            '</bpmn:serviceTask>\n    <bpmn:exclusiveGateway id="avis_favorable"',
        ),
        ["tâche de service", "donner_avis"],
    ),
    "data_store": (
        approbation_with(
            '<bpmn:startEvent id="debut"',
            '<bpmn:dataStoreReference id="registre" name="Registre" />\n    <bpmn:startEvent id="debut"',
        ),
        ["magasin de données", "registre"],
    ),
    "message_event": (
        approbation_with(
            '<bpmn:startEvent id="debut" name="Demande déposée">',
            '<bpmn:startEvent id="debut" name="Demande déposée"><bpmn:messageEventDefinition id="m" />',
        ),
        ["événement message", "debut"],
    ),
    "user_task_outside_lanes": (
        approbation_with("<bpmn:flowNodeRef>donner_avis</bpmn:flowNodeRef>", ""),
        ["hors de tout couloir", "donner_avis"],
    ),
    "lane_not_a_role": (
        approbation_with('name="prefet"', 'name="Préfecture"'),
        ["n'est pas un code de rôle", "Lane_prefet"],
    ),
    "condition_escaping_sandbox": (
        approbation_with("montant &gt; 10000", "().__class__.__bases__[0]"),
        ["condition invalide", "__class__", "f_grand"],
    ),
    "exclusive_flow_without_condition": (
        approbation_with(
            "<bpmn:conditionExpression>montant &gt; 10000</bpmn:conditionExpression>", ""
        ),
        ["sans condition", "f_grand"],
    ),
    "missing_called_process": (
        approbation_with(
            '<bpmn:userTask id="donner_avis" name="Donner un avis">',
            '<bpmn:callActivity id="appel" calledElement="processus_fantome"><bpmn:incoming>x</bpmn:incoming></bpmn:callActivity>\n'
            '    <bpmn:userTask id="donner_avis" name="Donner un avis">',
        ),
        ["processus appelé introuvable : « processus_fantome »"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_DEFINITIONS))
def test_bad_definitions_are_refused_with_file_and_problem(services, tmp_path, case):
    content, expected = BAD_DEFINITIONS[case]
    error = refused(services, tmp_path, {"mauvais.bpmn": content})
    message = error.message
    assert "mauvais.bpmn" in message
    for fragment in expected:
        assert fragment in message, message
    assert all(p.file == "mauvais.bpmn" for p in error.problems)


def test_refused_element_is_located_by_line(services, tmp_path):
    content = approbation_with(
        '<bpmn:userTask id="donner_avis" name="Donner un avis">',
        '<bpmn:sendTask id="envoyer" name="Envoyer" />\n    <bpmn:userTask id="donner_avis" name="Donner un avis">',
    )
    error = refused(services, tmp_path, {"mauvais.bpmn": content})
    expected_line = (
        content.splitlines().index('    <bpmn:sendTask id="envoyer" name="Envoyer" />') + 1
    )
    problem = next(p for p in error.problems if "envoyer" in (p.element or ""))
    assert problem.line == expected_line
    assert f"mauvais.bpmn:{expected_line}" in error.message


def test_missing_decision_table_is_refused(services, tmp_path):
    content = approbation_with(
        '<bpmn:userTask id="donner_avis" name="Donner un avis">',
        '<bpmn:businessRuleTask id="regle" name="Règle"><bpmn:extensionElements>'
        "<spiffworkflow:calledDecisionId>bareme</spiffworkflow:calledDecisionId>"
        "</bpmn:extensionElements></bpmn:businessRuleTask>\n"
        '    <bpmn:userTask id="donner_avis" name="Donner un avis">',
    )
    error = refused(services, tmp_path, {"mauvais.bpmn": content})
    assert "table de décision introuvable : « bareme »" in error.message


def test_unknown_path_and_wrong_suffix(services, tmp_path):
    with pytest.raises(InvalidDefinition, match="introuvable"):
        service.deploy_path(services, tmp_path / "absent")
    other = tmp_path / "notes.txt"
    other.write_text("bonjour")
    with pytest.raises(InvalidDefinition, match=r"\.bpmn et \.dmn"):
        service.deploy_path(services, other)


def test_decision_tables_run_and_belong_to_the_version(services, operator, tmp_path):
    for name in ("cofinancement.bpmn", "bareme.dmn"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    [first] = service.deploy_path(services, tmp_path)
    small = service.start(
        services,
        "cofinancement",
        data={"population": 1200, "cout": 100000},
        territory="23",
        siren="212309603",
    )
    assert service.get_instance(services, small.reference, operator).data["aide"] == 80000

    dmn = (tmp_path / "bareme.dmn").read_text(encoding="utf-8")
    (tmp_path / "bareme.dmn").write_text(
        dmn.replace("<text>80</text>", "<text>70</text>"), encoding="utf-8"
    )
    [second] = service.deploy_path(services, tmp_path)
    assert (first.version, second.version, second.new) == (1, 2, True)
    again = service.start(
        services,
        "cofinancement",
        data={"population": 1200, "cout": 100000},
        territory="23",
        siren="212309603",
    )
    details = service.get_instance(services, again.reference, operator)
    assert (details.version, details.data["taux"], details.data["aide"]) == (2, 70, 70000)


def test_decision_table_cells_go_through_the_sandbox_before_deployment(services, tmp_path):
    """A cell the sandbox refuses is refused at deployment, on its cell, not months later."""
    shutil.copy(FIXTURES / "cofinancement.bpmn", tmp_path / "cofinancement.bpmn")
    dmn = (FIXTURES / "bareme.dmn").read_text(encoding="utf-8")
    (tmp_path / "bareme.dmn").write_text(
        dmn.replace("<text>80</text>", "<text>().__class__</text>"), encoding="utf-8"
    )
    with pytest.raises(InvalidDefinition) as refused:
        service.deploy_path(services, tmp_path)
    [problem] = refused.value.problems
    assert (problem.file, problem.rule, problem.severity) == ("bareme.dmn", "dmn-cell", "error")
    assert "__class__" in problem.message
    assert problem.element_id
    assert service.current_versions(services) == []


def test_a_start_up_deployment_never_takes_a_process_back_to_an_older_content(services, tmp_path):
    """`anct serve` deploys its folder with restore=False: a restart keeps a later version."""
    path = tmp_path / "approbation.bpmn"
    path.write_text(APPROBATION, encoding="utf-8")
    service.deploy_path(services, path)
    path.write_text(APPROBATION.replace("montant &gt; 10000", "montant &gt; 20000"), "utf-8")
    service.deploy_path(services, path)

    path.write_text(APPROBATION, encoding="utf-8")
    [kept] = service.deploy_path(services, path, restore=False)
    assert (kept.version, kept.new, kept.current) == (1, False, 2)
    assert kept.summary == "version 1  contenu déjà déployé, la version 2 reste en service"
    assert service.current_version(services, "approbation").version == 2
    [restored] = service.deploy_path(services, path)
    assert (restored.version, restored.current) == (1, 1)
    assert service.current_version(services, "approbation").version == 1

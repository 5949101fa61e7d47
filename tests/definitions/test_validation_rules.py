"""One broken diagram per rule of the validator: the element, the rule and the French message
an owner reads, from the service layer and from `anct validate`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from engine.definitions import validate
from engine.definitions.bundle import forms_in

FORM = {
    "type": "object",
    "title": "Avis",
    "required": ["avis"],
    "properties": {
        "avis": {"type": "string", "title": "Avis", "enum": ["favorable", "defavorable"]},
        "montant": {"type": "integer", "title": "Montant"},
    },
}

BASE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs"
    targetNamespace="http://anct.gouv.fr/bpmn/essai">
  <bpmn:process id="essai" name="Essai" isExecutable="true">
    <bpmn:laneSet id="couloirs">
      <bpmn:lane id="couloir_prefet" name="prefet">
        <bpmn:flowNodeRef>avis_prefet</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="debut" />
    <bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="avis_prefet" />
    <bpmn:userTask id="avis_prefet" name="Donner un avis">
      <bpmn:extensionElements>
        <spiffworkflow:formJsonSchemaFilename>essai/avis.json</spiffworkflow:formJsonSchemaFilename>
        <spiffworkflow:properties><spiffworkflow:property name="due" value="P15D" /></spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="rappel" attachedToRef="avis_prefet" cancelActivity="false">
      <bpmn:timerEventDefinition id="rappel_def"><bpmn:timeDuration>"P10D"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f_rappel" sourceRef="rappel" targetRef="fin_rappel" />
    <bpmn:endEvent id="fin_rappel" name="Rappel envoyé">
      <bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="outcome" value="rappel" /></spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="avis_prefet" targetRef="calcul" />
    <bpmn:scriptTask id="calcul" name="Calculer">
      <bpmn:script>taux = montant / 100 if montant else 0</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="calcul" targetRef="choix" />
    <bpmn:exclusiveGateway id="choix" />
    <bpmn:sequenceFlow id="f_oui" sourceRef="choix" targetRef="fin_oui">
      <bpmn:conditionExpression>avis == "favorable"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_non" sourceRef="choix" targetRef="fin_non">
      <bpmn:conditionExpression>avis == "defavorable"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:endEvent id="fin_oui" name="Accordé">
      <bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="outcome" value="accorde" /></spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:endEvent>
    <bpmn:endEvent id="fin_non" name="Refusé">
      <bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="outcome" value="refuse" /></spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="Barème" namespace="x">
  <decision id="bareme" name="Barème">
    <decisionTable id="table" hitPolicy="UNIQUE">
      <input id="entree"><inputExpression id="expr"><text>montant</text></inputExpression></input>
      <output id="sortie" name="taux_bareme" />
      <rule id="r1">
        <inputEntry id="c1"><text>&gt; 1000</text></inputEntry>
        <outputEntry id="o1"><text>80</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""

WITH_DECISION = BASE.replace(
    '<bpmn:scriptTask id="calcul" name="Calculer">\n      <bpmn:script>taux = montant / 100 if montant else 0</bpmn:script>\n    </bpmn:scriptTask>',
    '<bpmn:businessRuleTask id="calcul" name="Barème"><bpmn:extensionElements>'
    "<spiffworkflow:calledDecisionId>bareme</spiffworkflow:calledDecisionId>"
    "</bpmn:extensionElements></bpmn:businessRuleTask>",
)


def broken(old: str, new: str, base: str = BASE) -> str:
    assert old in base, old
    return base.replace(old, new, 1)


#: (rule, element id, words of the message, severity, the BPMN, the DMN or None)
CASES = [
    ("spiffworkflow", None, "refusée par le moteur", "error",
     broken('isExecutable="true">', 'isExecutable="true"><bpmn:ioSpecification id="io"><bpmn:dataInput id="x" /></bpmn:ioSpecification>'), None),
    ("lane-missing", "avis_prefet", "hors de tout couloir", "error",
     broken("<bpmn:flowNodeRef>avis_prefet</bpmn:flowNodeRef>", ""), None),
    ("lane-role", "couloir_prefet", "n'est pas un code de rôle", "error",
     broken('name="prefet"', 'name="Préfecture"'), None),
    ("form-missing", "avis_prefet", "formulaire introuvable : « essai/absent.json »", "error",
     broken("essai/avis.json", "essai/absent.json"), None),
    ("form-invalid", "avis_prefet", "formulaire « essai/vide.json » invalide", "error",
     broken("essai/avis.json", "essai/vide.json"), None),
    ("timer-expression", "rappel", "Durée de minuterie invalide : « dix jours »", "error",
     broken('"P10D"', '"dix jours"'), None),
    ("timer-expression", "rappel", "expression de minuterie invalide", "error",
     broken('"P10D"', "duree(("), None),
    ("due", "avis_prefet", "propriété « due »", "error",
     broken('value="P15D"', 'value="P15 jours"'), None),
    ("condition", "f_oui", "condition invalide", "error",
     broken('avis == "favorable"', "avis.__class__"), None),
    ("script", "calcul", "script invalide", "error",
     broken("taux = montant / 100 if montant else 0", "import os"), None),
    ("gateway-exhaustive", "choix", "peuvent être toutes fausses", "error",
     broken('avis == "defavorable"', 'avis == "reserve"'), None),
    ("gateway-condition", "f_non", "sans condition ni flux par défaut", "error",
     broken('<bpmn:conditionExpression>avis == "defavorable"</bpmn:conditionExpression>', ""), None),
    ("unreachable", "orphelin", "inatteignable", "error",
     broken('<bpmn:exclusiveGateway id="choix" />', '<bpmn:exclusiveGateway id="choix" /><bpmn:task id="orphelin" name="Oublié" />'), None),
    ("end-outcome", "fin_non", "sans issue", "warning",
     broken('<spiffworkflow:property name="outcome" value="refuse" />', ""), None),
    ("operator-unknown", "calcul", "« inventer » inconnu", "error",
     broken('<bpmn:scriptTask id="calcul" name="Calculer">\n      <bpmn:script>taux = montant / 100 if montant else 0</bpmn:script>\n    </bpmn:scriptTask>',
            '<bpmn:serviceTask id="calcul"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="inventer" /></bpmn:extensionElements></bpmn:serviceTask>'), None),
    ("operator-parameters", "calcul", "attend les paramètres campagne, montant", "error",
     broken('<bpmn:scriptTask id="calcul" name="Calculer">\n      <bpmn:script>taux = montant / 100 if montant else 0</bpmn:script>\n    </bpmn:scriptTask>',
            '<bpmn:serviceTask id="calcul"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="reserver_enveloppe"><spiffworkflow:parameters>'
            '<spiffworkflow:parameter id="campagne" value="\'FAB\'" /></spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask>'), None),
    ("refused-element", "envoi", "les messages ne sont pas pris en charge", "error",
     broken('<bpmn:exclusiveGateway id="choix" />', '<bpmn:exclusiveGateway id="choix" /><bpmn:sendTask id="envoi" />'), None),
    ("dmn-cell", "c1", "cellule (condition) « &gt; &gt; 1000 » refusée".replace("&gt;", ">"), "error",
     WITH_DECISION, DMN.replace("&gt; 1000", "&gt; &gt; 1000")),
    ("dmn-cell", "o1", "cellule (résultat)", "error",
     WITH_DECISION, DMN.replace("<text>80</text>", "<text>().__class__</text>")),
    ("variable-unknown", "calcul", "le script lit « prime »", "warning",
     broken("taux = montant / 100 if montant else 0", "taux = prime / 100"), None),
    ("variable-unknown", "avis_prefet", "« taux », qui n'est écrite qu'après cet élément", "warning",
     broken('<spiffworkflow:property name="due" value="P15D" />',
            '<spiffworkflow:property name="due" value="taux" />'), None),
]  # fmt: skip
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


def write(folder: Path, bpmn: str, dmn: str | None) -> tuple[Path, Path]:
    processes, forms = folder / "processes", folder / "forms"
    (forms / "essai").mkdir(parents=True)
    (forms / "essai" / "avis.json").write_text(json.dumps(FORM), encoding="utf-8")
    (forms / "essai" / "vide.json").write_text('{"type": "object"}', encoding="utf-8")
    processes.mkdir()
    (processes / "essai.bpmn").write_text(bpmn, encoding="utf-8")
    if dmn is not None:
        (processes / "bareme.dmn").write_text(dmn, encoding="utf-8")
    return processes, forms


def sources(processes: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(processes.iterdir())}


def test_the_base_diagram_has_no_problem(tmp_path):
    processes, forms = write(tmp_path, BASE, None)
    result = validate(sources(processes), forms_in(forms))
    assert result.problems == []
    assert [b.process_id for b in result.bundles] == ["essai"]
    decision_processes, decision_forms = write(tmp_path / "dmn", WITH_DECISION, DMN)
    assert validate(sources(decision_processes), forms_in(decision_forms)).problems == []


@pytest.mark.parametrize(("rule", "element_id", "words", "severity", "bpmn", "dmn"), CASES, ids=IDS)
def test_each_rule_names_the_element_and_says_why(
    tmp_path, rule, element_id, words, severity, bpmn, dmn
):
    processes, forms = write(tmp_path, bpmn, dmn)
    result = validate(sources(processes), forms_in(forms))
    found = [p for p in result.problems if p.rule == rule]
    assert found, [(p.rule, p.message) for p in result.problems]
    problem = found[0]
    assert problem.element_id == element_id
    assert words in problem.message
    assert problem.severity == severity
    assert (result.bundles == []) == (severity == "error")


@pytest.mark.parametrize(("rule", "element_id", "words", "severity", "bpmn", "dmn"), CASES, ids=IDS)
def test_anct_validate_prints_each_problem_and_exits_1_on_errors(
    tmp_path, monkeypatch, rule, element_id, words, severity, bpmn, dmn
):
    processes, forms = write(tmp_path, bpmn, dmn)
    monkeypatch.setenv("ANCT_FORMS_PATH", str(forms))
    runner = CliRunner()
    listed = runner.invoke(main, ["validate", str(processes), "--json"])
    assert listed.exit_code == (1 if severity == "error" else 0), listed.output
    problems = json.loads(listed.output)
    assert any(
        (p["rule"], p["element_id"], p["severity"]) == (rule, element_id, severity)
        and words in p["message"]
        for p in problems
    ), problems
    assert set(problems[0]) >= {"file", "element_id", "rule", "severity", "message"}
    lines = runner.invoke(main, ["validate", str(processes)])
    assert lines.exit_code == listed.exit_code
    assert any(
        line.startswith(f"{p['file']}: {p['element_id'] or '-'}: ")
        for p in problems
        for line in lines.output.splitlines()
    )


def test_anct_validate_says_when_all_is_well(tmp_path, monkeypatch):
    processes, forms = write(tmp_path, BASE, None)
    monkeypatch.setenv("ANCT_FORMS_PATH", str(forms))
    result = CliRunner().invoke(main, ["validate", str(processes)])
    assert (result.exit_code, result.output.strip()) == (0, "Aucun problème.")


def test_the_four_procedures_of_the_project_validate_without_error():
    root = Path(__file__).resolve().parents[2]
    result = CliRunner().invoke(main, ["validate", str(root / "processes"), "--json"])
    assert result.exit_code == 0, result.output
    assert [p for p in json.loads(result.output) if p["severity"] == "error"] == []


def test_anct_deploy_shows_the_warnings_and_deploys(tmp_path, monkeypatch, database_url):
    processes, forms = write(tmp_path, broken("taux = montant / 100 if montant else 0",
                                              "taux = prime / 100"), None)  # fmt: skip
    monkeypatch.setenv("ANCT_FORMS_PATH", str(forms))
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["deploy", str(processes)])
    assert result.exit_code == 0, result.output
    assert "Avertissement : " in result.stderr and "« prime »" in result.stderr
    assert "essai  version 1  nouvelle version" in result.stdout

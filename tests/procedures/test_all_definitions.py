"""Every procedure in processes/ deploys, is fully drawn, and every user task has a valid form."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from lxml import etree

from engine import service
from engine.definitions.bpmn_checks import NS
from tests.procedures.conftest import PROCESSES

PROCEDURES = [
    "demande_ingenierie",
    "fabriques_territoire",
    "pass_numerique",
    "territoires_en_renouveau",
]
DI = {"bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}
FLOW_NODES = (
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask",
    "subProcess", "callActivity", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
)  # fmt: skip


def present() -> list[str]:
    return [name for name in PROCEDURES if (PROCESSES / name / f"{name}.bpmn").exists()]


def test_the_four_procedures_are_there():
    assert present() == PROCEDURES


def test_the_whole_processes_folder_deploys(services):
    deployed = service.deploy_path(services, PROCESSES)
    assert {d.process_id for d in deployed} >= set(present())


@pytest.mark.parametrize("name", PROCEDURES)
def test_user_tasks_have_a_lane_and_a_valid_form_and_everything_is_drawn(name):
    path = PROCESSES / name / f"{name}.bpmn"
    if not path.exists():
        pytest.fail(f"{path} manquant")
    root = etree.parse(str(path)).getroot()
    process = root.find("bpmn:process", NS)
    in_lanes = {(ref.text or "").strip() for ref in process.iterfind(".//bpmn:flowNodeRef", NS)}
    forms = PROCESSES.parent / "forms"
    for task in process.iterfind(".//bpmn:userTask", NS):
        assert task.get("id") in in_lanes, f"{task.get('id')} hors couloir"
        ref = task.find(".//spiffworkflow:formJsonSchemaFilename", NS)
        assert ref is not None, f"{task.get('id')} sans formulaire"
        form = json.loads((forms / ref.text.strip()).read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(form)
        assert form["type"] == "object" and form["properties"]
        for field, schema in form["properties"].items():
            assert schema.get("title"), f"{ref.text}: champ {field} sans libellé"
    start_form = process.find(".//spiffworkflow:property[@name='startForm']", NS)
    assert start_form is not None, "formulaire de dépôt manquant"

    shapes = {s.get("bpmnElement") for s in root.iterfind(".//bpmndi:BPMNShape", DI)}
    edges = {e.get("bpmnElement") for e in root.iterfind(".//bpmndi:BPMNEdge", DI)}
    for element in process.iter():
        if not isinstance(element.tag, str):
            continue
        local = etree.QName(element).localname
        if local in FLOW_NODES or local == "lane":
            assert element.get("id") in shapes, f"{element.get('id')} non dessiné"
        if local == "sequenceFlow":
            assert element.get("id") in edges, f"flux {element.get('id')} non dessiné"


@pytest.mark.parametrize("name", PROCEDURES)
def test_each_procedure_has_a_french_readme(name):
    readme = PROCESSES / name / "README.md"
    assert readme.exists() and len(readme.read_text(encoding="utf-8")) > 300

"""What a draft changes compared with the version in service, said the way an owner thinks of
it: elements added, removed or changed (by BPMN id, with what changed in each: name, lane,
form, due date, timer, condition, operator...), forms and decision tables changed, and how many
dossiers run on each earlier version. Layout moves are not changes: only the semantics count.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from lxml import etree

from ...definitions.bpmn_checks import BPMN_NS, NS, local
from ...definitions.bundle import FORMS
from ...definitions.dmn_checks import decisions_in
from ...definitions.xml import parse_xml
from ...errors import InvalidDefinition
from ...store import catalogue as catalogue_rows
from ..context import Services
from . import editing

ADDED, REMOVED, CHANGED = "ajouté", "supprimé", "modifié"
_SKIPPED = frozenset(
    {"definitions", "incoming", "outgoing", "flowNodeRef", "laneSet", "extensionElements",
     "conditionExpression", "script", "timeDate", "timeDuration", "timeCycle", "text",
     "documentation", "collaboration"}
)  # fmt: skip
KINDS = {
    "process": "processus", "participant": "bassin", "lane": "couloir", "startEvent": "début",
    "endEvent": "fin", "userTask": "tâche utilisateur", "manualTask": "tâche manuelle",
    "scriptTask": "script", "serviceTask": "tâche de service", "task": "tâche",
    "businessRuleTask": "règle métier", "callActivity": "appel de processus",
    "subProcess": "sous-processus", "exclusiveGateway": "passerelle exclusive",
    "parallelGateway": "passerelle parallèle", "inclusiveGateway": "passerelle inclusive",
    "boundaryEvent": "événement en bordure", "intermediateCatchEvent": "événement intermédiaire",
    "intermediateThrowEvent": "événement intermédiaire", "sequenceFlow": "flux",
}  # fmt: skip


@dataclass(frozen=True)
class ElementChange:
    element_id: str
    kind: str
    name: str
    change: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileChange:
    file: str
    change: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Changes:
    base_version: int | None
    elements: list[ElementChange] = field(default_factory=list)
    forms: list[FileChange] = field(default_factory=list)
    decisions: list[FileChange] = field(default_factory=list)
    #: Running dossiers per version number.
    running: dict[int, int] = field(default_factory=dict)
    #: The number publishing would give (a content already published gets its number back).
    next_version: int = 1

    @property
    def empty(self) -> bool:
        return not (self.elements or self.forms or self.decisions)


def draft_changes(services: Services, draft: editing.Draft) -> Changes:
    """What `draft` (read by `editing.get_draft`, which checked who asks) changes."""
    process_id = draft.process_id
    with services.read() as connection:
        version = catalogue_rows.current_version(connection, process_id)
        running = catalogue_rows.running_by_version(connection, process_id)
        latest = max(
            (v.version for v in catalogue_rows.versions(connection, process_id)), default=0
        )
    before = dict(version.files) if version is not None else {}
    found = compare(before, draft.files, version.version if version else None, running)
    return replace(found, next_version=latest + 1)


def compare(
    before: Mapping[str, str],
    after: Mapping[str, str],
    base_version: int | None = None,
    running: Mapping[int, int] | None = None,
) -> Changes:
    return Changes(
        base_version,
        _element_changes(_elements(before), _elements(after)),
        _form_changes(before, after),
        _decision_changes(before, after),
        dict(running or {}),
    )


def _roots(files: Mapping[str, str], suffix: str) -> list[etree._Element]:
    roots = []
    for name, text in sorted(files.items()):
        if name.endswith(suffix):
            try:
                roots.append(parse_xml(text.encode("utf-8"), name))
            except InvalidDefinition:
                continue
    return roots


def _elements(files: Mapping[str, str]) -> dict[str, tuple[str, str, dict[str, str]]]:
    """id → (kind, name, what it means) for every semantic element of the BPMN files."""
    found: dict[str, tuple[str, str, dict[str, str]]] = {}
    for root in _roots(files, ".bpmn"):
        lanes = {
            (ref.text or "").strip(): lane.get("name") or ""
            for lane in root.iterfind(".//bpmn:lane", NS)
            for ref in lane.iterfind("bpmn:flowNodeRef", NS)
        }
        for element in root.iter(f"{{{BPMN_NS}}}*"):
            kind = local(element)
            ident = element.get("id")
            if not ident or kind in _SKIPPED or kind.endswith("EventDefinition"):
                continue
            meaning = _meaning(element)
            if ident in lanes:
                meaning["couloir"] = lanes[ident]
            found[ident] = (kind, element.get("name") or "", meaning)
    return found


def _meaning(element: etree._Element) -> dict[str, str]:
    meaning: dict[str, str] = {}
    for attribute in ("sourceRef", "targetRef", "attachedToRef", "cancelActivity", "default",
                      "calledElement", "isExecutable"):  # fmt: skip
        if element.get(attribute) is not None:
            meaning[attribute] = element.get(attribute)
    condition = element.find("bpmn:conditionExpression", NS)
    if condition is not None:
        meaning["condition"] = (condition.text or "").strip()
    script = element.find("bpmn:script", NS)
    if script is not None:
        meaning["script"] = (script.text or "").strip()
    for definition in element:
        if local(definition).endswith("EventDefinition"):
            meaning["événement"] = local(definition).removesuffix("EventDefinition")
            for expression in definition:
                meaning[f"minuterie ({local(expression)})"] = (expression.text or "").strip()
    for prop in element.iterfind(
        "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS
    ):
        meaning[f"propriété {prop.get('name')}"] = prop.get("value") or ""
    form = element.find(".//spiffworkflow:formJsonSchemaFilename", NS)
    if form is not None:
        meaning["formulaire"] = (form.text or "").strip()
    decision = element.find(".//spiffworkflow:calledDecisionId", NS)
    if decision is not None:
        meaning["table de décision"] = (decision.text or "").strip()
    operator = element.find(".//spiffworkflow:serviceTaskOperator", NS)
    if operator is not None:
        meaning["opérateur"] = operator.get("id") or ""
        meaning["résultat"] = operator.get("resultVariable") or ""
        for parameter in operator.iterfind(".//spiffworkflow:parameter", NS):
            meaning[f"paramètre {parameter.get('id')}"] = parameter.get("value") or ""
    return meaning


def _element_changes(
    before: dict[str, tuple[str, str, dict[str, str]]],
    after: dict[str, tuple[str, str, dict[str, str]]],
) -> list[ElementChange]:
    changes = []
    for ident in sorted(set(before) | set(after)):
        if ident not in before:
            kind, name, meaning = after[ident]
            details = tuple(f"{key} : {_shown(value)}" for key, value in sorted(meaning.items()))
            changes.append(ElementChange(ident, KINDS.get(kind, kind), name, ADDED, details))
        elif ident not in after:
            kind, name, _ = before[ident]
            changes.append(ElementChange(ident, KINDS.get(kind, kind), name, REMOVED))
        else:
            details = _details(before[ident], after[ident])
            if details:
                kind, name = after[ident][:2]
                changes.append(ElementChange(ident, KINDS.get(kind, kind), name, CHANGED, details))
    return changes


def _details(
    before: tuple[str, str, dict[str, str]], after: tuple[str, str, dict[str, str]]
) -> tuple[str, ...]:
    details = []
    if before[0] != after[0]:
        details.append(
            f"type : {KINDS.get(before[0], before[0])} → {KINDS.get(after[0], after[0])}"
        )
    if before[1] != after[1]:
        details.append(f"nom : « {before[1]} » → « {after[1]} »")
    old, new = before[2], after[2]
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            details.append(f"{key} : {_shown(old.get(key))} → {_shown(new.get(key))}")
    return tuple(details)


def _shown(value: str | None) -> str:
    if value is None:
        return "(aucun)"
    return f"« {value if len(value) <= 120 else value[:117] + '…'} »"


def _form_changes(before: Mapping[str, str], after: Mapping[str, str]) -> list[FileChange]:
    changes = []
    names = {n for n in (*before, *after) if n.startswith(FORMS)}
    for name in sorted(names):
        path = name[len(FORMS) :]
        if name not in before:
            changes.append(FileChange(path, ADDED))
        elif name not in after:
            changes.append(FileChange(path, REMOVED))
        elif _parsed(before[name]) != _parsed(after[name]):
            changes.append(FileChange(path, CHANGED, _field_details(before[name], after[name])))
    return changes


def _parsed(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _field_details(before: str, after: str) -> tuple[str, ...]:
    old, new = _parsed(before), _parsed(after)
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return ("contenu modifié",)
    old_fields, new_fields = old.get("properties") or {}, new.get("properties") or {}
    details = [f"champ ajouté : {n}" for n in sorted(set(new_fields) - set(old_fields))]
    details += [f"champ supprimé : {n}" for n in sorted(set(old_fields) - set(new_fields))]
    details += [
        f"champ modifié : {n}"
        for n in sorted(set(old_fields) & set(new_fields))
        if old_fields[n] != new_fields[n]
    ]
    if set(old.get("required") or []) != set(new.get("required") or []):
        details.append("champs obligatoires modifiés")
    return tuple(details) or ("présentation modifiée",)


def _decision_changes(before: Mapping[str, str], after: Mapping[str, str]) -> list[FileChange]:
    old, new = _tables(before), _tables(after)
    changes = []
    for ident in sorted(set(old) | set(new)):
        if ident not in old:
            changes.append(FileChange(ident, ADDED))
        elif ident not in new:
            changes.append(FileChange(ident, REMOVED))
        elif old[ident] != new[ident]:
            rules_before, rules_after = len(old[ident]), len(new[ident])
            detail = (
                f"règles : {rules_before} → {rules_after}"
                if rules_before != rules_after
                else f"{sum(a != b for a, b in zip(old[ident], new[ident], strict=True))} "
                "règle(s) modifiée(s)"
            )
            changes.append(FileChange(ident, CHANGED, (detail,)))
    return changes


def _tables(files: Mapping[str, str]) -> dict[str, list[tuple[str, ...]]]:
    """decision id → its rules, each the texts of its cells (inputs, header and outputs)."""
    tables = {}
    for root in _roots(files, ".dmn"):
        for decision in decisions_in(root):
            header = tuple(
                (e.text or "").strip()
                for e in decision.iter()
                if local(e) == "text" and local(e.getparent()) == "inputExpression"
            )
            rules = [header]
            for rule in (e for e in decision.iter() if local(e) == "rule"):
                rules.append(
                    tuple((t.text or "").strip() for t in rule.iter() if local(t) == "text")
                )
            tables[decision.get("id")] = rules
    return tables

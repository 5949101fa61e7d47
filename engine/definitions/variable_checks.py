"""What a process reads against what it writes, and exclusive gateways that may find no way out.

A condition reading a variable that no form field, script, operator or decision table writes is
a NameError waiting for the first dossier that gets there (a warning: the data may come from
somewhere the validator does not see). An exclusive gateway without a default flow whose
conditions may all be false stops the dossier in an incident: it is accepted only when its
conditions cover every case, which we can prove in the common shapes (every choice of a form's
list, a condition and its negation, `True`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from ..clock import SystemClock
from ..errors import WARNING, DefinitionProblem
from ..sandbox.helpers import make_helpers
from .bpmn_checks import NS, located
from .data_flow import DataFlow, stored_names
from .dmn_checks import decisions_in, local

#: Data the engine puts in every dossier before its first step.
ENGINE_DATA = frozenset({"territoire", "siren", "motif_issue"})
_HELPERS = frozenset(make_helpers(SystemClock()))
_NEGATED = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE,
    ast.LtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}  # fmt: skip


@dataclass(frozen=True)
class Read:
    file: str
    element: etree._Element
    what: str
    source: str
    mode: str


def check_variables(
    documents: Iterable[tuple[str, etree._Element]], forms: Mapping[str, Mapping[str, Any]]
) -> list[DefinitionProblem]:
    """Problems of every BPMN and DMN document of one validation, read together."""
    documents = list(documents)
    fields = _form_fields(forms)
    bpmn = [(n, r) for n, r in documents if not n.lower().endswith(".dmn")]
    dmn = [(n, r) for n, r in documents if n.lower().endswith(".dmn")]
    flow = DataFlow([r for _, r in bpmn], [r for _, r in dmn], forms)
    written = set(ENGINE_DATA) | set(fields) | flow.written_anywhere() | _data_objects(bpmn)
    reads: list[tuple[Read, list[str | None]]] = []
    for name, root in bpmn:
        reads.extend((read, [flow.node_of(read.element)]) for read in _bpmn_reads(name, root))
    for name, root in dmn:
        written |= {o for d in decisions_in(root) for o in _outputs(d)}
        for decision in decisions_in(root):
            callers = flow.callers_of(decision.get("id")) or [None]
            reads.extend((read, callers) for read in _decision_reads(name, decision))
    problems = []
    for read, nodes in reads:
        free = _free_names(read.source, read.mode) - _HELPERS - ENGINE_DATA
        for variable in sorted(free - written):
            problems.append(_unknown(read, variable, "qu'aucun champ de formulaire, script, "
                                     "opérateur ni table de décision n'écrit"))  # fmt: skip
        befores = [flow.written_before(n) if n else None for n in nodes]
        if any(b is None for b in befores):
            continue
        seen = set().union(*befores) | _data_objects(bpmn) | set(ENGINE_DATA)
        for variable in sorted((free & written) - seen):
            problems.append(_unknown(read, variable, "qui n'est écrite qu'après cet élément "
                                     "ou dans une autre branche"))  # fmt: skip
    for name, root in bpmn:
        problems.extend(_check_gateways(name, root, fields))
    return problems


def _unknown(read: Read, variable: str, why: str) -> DefinitionProblem:
    return located(
        read.file, read.element, "variable-unknown", f"{read.what} lit « {variable} », {why}",
        WARNING,
    )  # fmt: skip


def _data_objects(bpmn: list[tuple[str, etree._Element]]) -> set[str]:
    return {d.get("id") or "" for _, r in bpmn for d in r.iterfind(".//bpmn:dataObject", NS)}


def _outputs(decision: etree._Element) -> set[str]:
    return {(e.get("name") or "").split(".")[0] for e in decision.iter() if local(e) == "output"}


def _form_fields(forms: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    fields: dict[str, Mapping[str, Any]] = {}
    for form in forms.values():
        for field, schema in (form.get("properties") or {}).items():
            if isinstance(schema, Mapping):
                fields.setdefault(field, schema)
    return fields


def _bpmn_reads(file: str, root: etree._Element) -> Iterable[Read]:
    for flow in root.iterfind(".//bpmn:sequenceFlow", NS):
        condition = flow.find("bpmn:conditionExpression", NS)
        if condition is not None and (condition.text or "").strip():
            yield Read(file, flow, "la condition", condition.text.strip(), "eval")
    for script in root.iterfind(".//bpmn:scriptTask/bpmn:script", NS):
        yield Read(file, script.getparent(), "le script", script.text or "", "exec")
    for timer in root.iterfind(".//bpmn:timerEventDefinition/*", NS):
        if (timer.text or "").strip():
            yield Read(
                file, timer.getparent().getparent(), "la minuterie", timer.text.strip(), "eval"
            )
    for prop in root.iterfind(".//spiffworkflow:property", NS):
        value = (prop.get("value") or "").strip()
        name = prop.get("name")
        if name in (
            "pour",
            "assignee",
            "siren",
            "territoire",
            "territoires",
            "motif",
            "montant",
            "conditions",
        ) or (name == "due" and value and not value.upper().startswith("P")):
            yield Read(file, prop, f"la propriété « {name} »", value, "eval")
    for parameter in root.iterfind(".//spiffworkflow:parameter", NS):
        yield Read(
            file, parameter, "le paramètre d'opérateur", parameter.get("value") or "", "eval"
        )
    for ref in root.iterfind(".//bpmn:loopDataInputRef", NS):
        yield Read(file, ref, "la boucle", (ref.text or "").strip(), "eval")


def _decision_reads(file: str, decision: etree._Element) -> Iterable[Read]:
    for expression in (e for e in decision.iter() if local(e) == "inputExpression"):
        text = next((c.text for c in expression if local(c) == "text"), None)
        if text and text.strip():
            yield Read(file, expression, "l'expression d'entrée", text.strip(), "eval")


def _parse(source: str, mode: str) -> ast.AST | None:
    try:
        return ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _free_names(source: str, mode: str) -> set[str]:
    """Names an expression or script reads that it did not bind itself."""
    tree = _parse(source, mode)
    if tree is None:
        return set()
    loaded = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    return loaded - stored_names(source, mode)


def _check_gateways(
    file: str, root: etree._Element, fields: Mapping[str, Mapping[str, Any]]
) -> list[DefinitionProblem]:
    problems = []
    flows = list(root.iterfind(".//bpmn:sequenceFlow", NS))
    for gateway in root.iterfind(".//bpmn:exclusiveGateway", NS):
        if gateway.get("default"):
            continue
        outgoing = [f for f in flows if f.get("sourceRef") == gateway.get("id")]
        conditions = [f.find("bpmn:conditionExpression", NS) for f in outgoing]
        if len(outgoing) < 2 or any(c is None for c in conditions):
            continue
        trees = [_parse(c.text or "", "eval") for c in conditions]
        if any(t is None for t in trees) or _exhaustive([t.body for t in trees], fields):
            continue
        problems.append(
            located(
                file,
                gateway,
                "gateway-exhaustive",
                "les conditions de cette passerelle exclusive peuvent être toutes fausses et "
                "elle n'a pas de flux par défaut : le dossier s'y arrêterait en panne. Marquez "
                "un flux par défaut, ou couvrez tous les choix du champ testé",
            )
        )
    return problems


def _exhaustive(conditions: list[ast.expr], fields: Mapping[str, Mapping[str, Any]]) -> bool:
    if any(isinstance(c, ast.Constant) and c.value is True for c in conditions):
        return True
    dumps = {ast.dump(c) for c in conditions}
    if any(_negation(c) in dumps for c in conditions):
        return True
    return _covers_choices(conditions, fields)


def _negation(condition: ast.expr) -> str | None:
    if isinstance(condition, ast.UnaryOp) and isinstance(condition.op, ast.Not):
        return ast.dump(condition.operand)
    if isinstance(condition, ast.Compare) and len(condition.ops) == 1:
        opposite = _NEGATED.get(type(condition.ops[0]))
        if opposite is not None:
            return ast.dump(ast.Compare(condition.left, [opposite()], condition.comparators))
    return ast.dump(ast.UnaryOp(ast.Not(), condition))


def _covers_choices(conditions: list[ast.expr], fields: Mapping[str, Mapping[str, Any]]) -> bool:
    """True when every condition tests one field against constants and together they take
    every value the field's form allows."""
    tested: set[str] = set()
    values: set[Any] = set()
    for condition in conditions:
        found = _tested_values(condition)
        if found is None:
            return False
        tested.add(found[0])
        values |= found[1]
    if len(tested) != 1:
        return False
    choices = _choices(fields.get(tested.pop()))
    return bool(choices) and choices <= values


def _tested_values(condition: ast.expr) -> tuple[str, set[Any]] | None:
    if not (isinstance(condition, ast.Compare) and len(condition.ops) == 1):
        return None
    left, right, op = condition.left, condition.comparators[0], condition.ops[0]
    if isinstance(op, ast.Eq):
        if isinstance(right, ast.Name):
            left, right = right, left
        if isinstance(left, ast.Name) and isinstance(right, ast.Constant):
            return left.id, {right.value}
    if (
        isinstance(op, ast.In)
        and isinstance(left, ast.Name)
        and isinstance(right, ast.Tuple | ast.List | ast.Set)
        and all(isinstance(e, ast.Constant) for e in right.elts)
    ):
        return left.id, {e.value for e in right.elts}
    return None


def _choices(schema: Mapping[str, Any] | None) -> set[Any]:
    if not schema:
        return set()
    if schema.get("type") == "boolean":
        return {True, False}
    if isinstance(schema.get("enum"), list):
        return set(schema["enum"])
    one_of = schema.get("oneOf")
    if isinstance(one_of, list) and all(isinstance(o, Mapping) and "const" in o for o in one_of):
        return {o["const"] for o in one_of}
    return set()

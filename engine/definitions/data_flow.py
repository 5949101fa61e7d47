"""Which elements of the diagrams may have run before a given one, and what each one writes.

Used to warn about a variable read before anything wrote it. The order is the flow's: sequence
flows, a task before its boundary events, a sub-process before its inner start and after its
inner elements. A process called by another is read without order (its data comes from the
caller), and so is anything this module cannot place.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from typing import Any

from lxml import etree

from .bpmn_checks import NS, executable_processes, local, process_property
from .dmn_checks import decisions_in
from .flow_checks import FLOW_NODES


def stored_names(source: str, mode: str) -> set[str]:
    """Names a script or expression binds (assignments, loop and comprehension targets)."""
    try:
        tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return set()
    stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not _loads(n)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda | ast.FunctionDef):
            stored |= {a.arg for a in node.args.args}
    return stored


def _loads(node: ast.Name) -> bool:
    return isinstance(node.ctx, ast.Load)


class DataFlow:
    """The flow nodes of a set of BPMN documents, their order and the variables each writes."""

    def __init__(
        self,
        roots: Iterable[etree._Element],
        dmn_roots: Iterable[etree._Element],
        forms: Mapping[str, Mapping[str, Any]],
    ) -> None:
        self.roots = list(roots)
        self.previous: dict[str, set[str]] = {}
        self.writes: dict[str, set[str]] = {}
        self.unordered: set[str] = set()
        self._outputs = _decision_outputs(dmn_roots)
        self._forms = forms
        called = {
            c.get("calledElement")
            for r in self.roots
            for c in r.iterfind(".//bpmn:callActivity", NS)
        }
        for root in self.roots:
            for process in executable_processes(root):
                self._scope(process, unordered=process.get("id") in called)
                start_form = process_property(process, "startForm")
                fields = self._fields(start_form)
                for start in process.iterfind("bpmn:startEvent", NS):
                    self.writes.setdefault(start.get("id"), set()).update(fields)
        by_process = self._writes_by_process()
        for root in self.roots:
            for call in root.iterfind(".//bpmn:callActivity", NS):
                self.writes.setdefault(call.get("id"), set()).update(
                    by_process.get(call.get("calledElement"), set())
                )

    def written_anywhere(self) -> set[str]:
        return set().union(*self.writes.values()) if self.writes else set()

    def node_of(self, element: etree._Element) -> str | None:
        """The flow node an expression runs at (a condition: after its flow's source)."""
        for candidate in (element, *element.iterancestors()):
            kind = local(candidate)
            if kind == "sequenceFlow":
                return candidate.get("sourceRef")
            if kind in FLOW_NODES and candidate.get("id"):
                return candidate.get("id")
        return None

    def callers_of(self, decision_id: str) -> list[str]:
        return [
            task.getparent().getparent().get("id")
            for root in self.roots
            for task in root.iterfind(".//spiffworkflow:calledDecisionId", NS)
            if (task.text or "").strip() == decision_id
        ]

    def written_before(self, node: str) -> set[str] | None:
        """Variables written by the node or anything that may run before it; None: unknown."""
        if node in self.unordered or node not in self.previous:
            return None
        seen, pending = set(), [node]
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            pending.extend(self.previous.get(current, ()))
        return set().union(*(self.writes.get(n, set()) for n in seen))

    def _fields(self, ref: str | None) -> set[str]:
        form = self._forms.get((ref or "").strip()) or {}
        return set(form.get("properties") or {})

    def _edge(self, source: str | None, target: str | None) -> None:
        if source and target:
            self.previous.setdefault(target, set()).add(source)
            self.previous.setdefault(source, set())

    def _scope(self, scope: etree._Element, *, unordered: bool) -> None:
        for element in scope:
            kind, ident = local(element), element.get("id")
            if kind == "sequenceFlow":
                self._edge(element.get("sourceRef"), element.get("targetRef"))
            elif kind in FLOW_NODES and ident:
                self.previous.setdefault(ident, set())
                if unordered:
                    self.unordered.add(ident)
                self.writes.setdefault(ident, set()).update(self._node_writes(element))
                if kind == "boundaryEvent":
                    self._edge(element.get("attachedToRef"), ident)
                if kind == "subProcess":
                    self._scope(element, unordered=unordered)
                    for inner in element:
                        if local(inner) == "startEvent":
                            self._edge(ident, inner.get("id"))
                        elif local(inner) in FLOW_NODES and inner.get("id"):
                            self._edge(inner.get("id"), ident)

    def _node_writes(self, node: etree._Element) -> set[str]:
        written: set[str] = set()
        kind = local(node)
        if kind == "scriptTask":
            script = node.find("bpmn:script", NS)
            written |= stored_names(script.text or "" if script is not None else "", "exec")
        form = node.find("bpmn:extensionElements/spiffworkflow:formJsonSchemaFilename", NS)
        if form is not None:
            written |= self._fields(form.text)
        operator = node.find(".//spiffworkflow:serviceTaskOperator", NS)
        if operator is not None and operator.get("resultVariable"):
            written.add(operator.get("resultVariable"))
        decision = node.find(".//spiffworkflow:calledDecisionId", NS)
        if decision is not None:
            written |= self._outputs.get((decision.text or "").strip(), set())
        for item in node.iterfind("bpmn:multiInstanceLoopCharacteristics/*", NS):
            if local(item) in ("inputDataItem", "outputDataItem"):
                written.add(item.get("name") or item.get("id") or "")
            elif local(item) == "loopDataOutputRef":
                written.add((item.text or "").strip())
        return written

    def _writes_by_process(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for root in self.roots:
            for process in executable_processes(root):
                names = found.setdefault(process.get("id"), set())
                for element in process.iter():
                    if element.get("id") in self.writes:
                        names |= self.writes[element.get("id")]
        return found


def _decision_outputs(roots: Iterable[etree._Element]) -> dict[str, set[str]]:
    return {
        decision.get("id"): {
            (e.get("name") or "").split(".")[0] for e in decision.iter() if local(e) == "output"
        }
        for root in roots
        for decision in decisions_in(root)
    }

"""Checks on the shape of a process: every element can be reached, every ending says how.

An element no token can reach is either a drawing mistake (a flow forgotten) or dead weight the
owner believes runs (an error); an end event without an outcome closes a dossier without telling
the collectivité or the statistics how it ended (a warning: the dossier still closes).
"""

from __future__ import annotations

from collections.abc import Collection

from lxml import etree

from ..errors import WARNING, DefinitionProblem
from .bpmn_checks import NS, executable_processes, local, located

#: Flow nodes a token passes through (sequence flows, lanes and artefacts are not).
FLOW_NODES = frozenset(
    {
        "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
        "boundaryEvent", "task", "userTask", "manualTask", "scriptTask", "businessRuleTask",
        "subProcess", "callActivity", "exclusiveGateway", "parallelGateway",
        "inclusiveGateway", "serviceTask",
    }
)  # fmt: skip


def check_flow(
    root: etree._Element, filename: str, called: Collection[str] = ()
) -> list[DefinitionProblem]:
    """`called`: ids of processes other processes call, whose ends do not close the dossier."""
    problems: list[DefinitionProblem] = []
    for process in executable_processes(root):
        _check_scope(process, filename, problems)
        if process.get("id") in called:
            continue
        for end in process.iterfind("bpmn:endEvent", NS):
            if end_outcome(end) is None:
                problems.append(
                    located(
                        filename,
                        end,
                        "end-outcome",
                        "événement de fin sans issue (propriété « outcome », par exemple "
                        "« laureat » ou « refusee ») : le dossier se clôturerait sans dire comment",
                        WARNING,
                    )
                )
    return problems


def end_outcome(end: etree._Element) -> str | None:
    found = end.find(
        "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name='outcome']",
        NS,
    )
    value = (found.get("value") or "").strip() if found is not None else ""
    return value or None


def _check_scope(scope: etree._Element, filename: str, problems: list[DefinitionProblem]) -> None:
    nodes = {e.get("id"): e for e in scope if local(e) in FLOW_NODES and e.get("id")}
    following: dict[str, list[str]] = {}
    for flow in scope.iterfind("bpmn:sequenceFlow", NS):
        following.setdefault(flow.get("sourceRef", ""), []).append(flow.get("targetRef", ""))
    for ident, node in nodes.items():
        if local(node) == "boundaryEvent":
            following.setdefault(node.get("attachedToRef", ""), []).append(ident)
    reached = _reached(
        [i for i, n in nodes.items() if local(n) == "startEvent"], following, set(nodes)
    )
    for ident, node in nodes.items():
        if ident not in reached:
            problems.append(
                located(
                    filename,
                    node,
                    "unreachable",
                    "élément inatteignable depuis l'événement de début : reliez-le par un flux "
                    "ou supprimez-le",
                )
            )
        if local(node) == "subProcess":
            _check_scope(node, filename, problems)


def _reached(starts: list[str], following: dict[str, list[str]], known: set[str]) -> set[str]:
    reached: set[str] = set()
    pending = list(starts)
    while pending:
        ident = pending.pop()
        if ident in reached or ident not in known:
            continue
        reached.add(ident)
        pending.extend(following.get(ident, []))
    return reached

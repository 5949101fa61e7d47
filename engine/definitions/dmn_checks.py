"""What the engine accepts in a DMN file: its hit policies and cells written in Python.

SpiffWorkflow evaluates DMN cells as Python (not FEEL) through the sandbox, and only when a
dossier reaches the table: a cell that does not compile would become an incident months later.
An input cell is either a value compared with `==` (`"epci"`), a comparison missing its left
side (`> 50`, `in ("a", "b")`), or an expression on `?`, the column's value (`1 < ? < 5`).
"""

from __future__ import annotations

import re

from lxml import etree

from ..errors import DefinitionProblem, EngineError
from ..sandbox.policy import compile_script
from .bpmn_checks import located

#: What SpiffWorkflow 3.2's DMN engine evaluates (FIRST and the others are not implemented).
SUPPORTED_HIT_POLICIES = frozenset({"UNIQUE", "COLLECT"})
#: `?` outside quotes, as SpiffWorkflow replaces it.
_QUESTION = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")
_COLUMN = "valeur_colonne"


def local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def decisions_in(root: etree._Element) -> list[etree._Element]:
    return [e for e in root.iter() if local(e) == "decision"]


def check_dmn(root: etree._Element, filename: str) -> list[DefinitionProblem]:
    problems: list[DefinitionProblem] = []
    if local(root) != "definitions" or not decisions_in(root):
        return [located(filename, None, "dmn-empty", "fichier DMN sans table de décision")]
    for table in (e for e in root.iter() if local(e) == "decisionTable"):
        policy = (table.get("hitPolicy") or "UNIQUE").upper()
        if policy not in SUPPORTED_HIT_POLICIES:
            problems.append(
                located(
                    filename,
                    table,
                    "dmn-hit-policy",
                    f"politique de résultat « {policy} » non prise en charge (UNIQUE ou COLLECT)",
                )
            )
        for cell in table.iter():
            kind = local(cell)
            if kind not in ("inputExpression", "inputEntry", "outputEntry"):
                continue
            text = (_text(cell) or "").strip()
            problem = _cell_problem(kind, text)
            if problem:
                problems.append(located(filename, cell, "dmn-cell", problem))
    return problems


def _text(cell: etree._Element) -> str | None:
    for child in cell:
        if local(child) == "text":
            return child.text
    return None


def _cell_problem(kind: str, text: str) -> str | None:
    if kind == "inputEntry":
        if text in ("", "-"):
            return None
        candidates = (
            [_QUESTION.sub(_COLUMN, text)]
            if _QUESTION.search(text)
            else [f"({_COLUMN}) == ({text})", f"{_COLUMN} {text}"]
        )
    elif not text:
        return "expression d'entrée vide" if kind == "inputExpression" else None
    else:
        candidates = [text]
    first: EngineError | None = None
    for source in candidates:
        try:
            compile_script(source, "eval")
            return None
        except EngineError as exc:
            first = first or exc
    what = {
        "inputExpression": "expression d'entrée",
        "inputEntry": "condition",
        "outputEntry": "résultat",
    }
    return f"cellule ({what[kind]}) « {text} » refusée : {first.message if first else ''}"

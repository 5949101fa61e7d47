"""Who reads what, checked at deployment against what the diagrams show to everyone.

The forms say who reads each field (`x-lecteurs`, engine.forms.readers). Two things the engine
writes from the data reach people without that filter, so they are checked here:

- what a decision notice states (an end event's `motif`, `montant`, `conditions`) goes to the
  requesting authority: each variable it reads must be one the authority reads;
- a task's name (`pour`) is shown to whoever sees the dossier: it must not read a field the
  authority does not read.

And a field must say the same thing wherever it is declared: two forms (or a form and an
`x-donnees` block) giving one variable different readers would leave the answer to the order of
the forms.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from typing import Any

from lxml import etree

from ..clock import SystemClock
from ..errors import DefinitionProblem
from ..forms.readers import (
    ENGINE_MARK,
    SHARED_ENGINE_DATA,
    engine_declarations,
    form_properties,
    readers_of,
    roles_text,
)
from ..roles import COLLECTIVITE
from ..sandbox.helpers import make_helpers
from .bpmn_checks import NS, located
from .bundle import form_refs

_HELPERS = frozenset(make_helpers(SystemClock()))
#: An end event's properties that the decision notice states to the requesting authority.
NOTICE_PROPERTIES = ("motif", "montant", "conditions")


def check_readers(
    documents: Iterable[tuple[str, etree._Element]], forms: Mapping[str, Mapping[str, Any]]
) -> list[DefinitionProblem]:
    """Problems of every BPMN document with the readers its forms declare."""
    problems: list[DefinitionProblem] = []
    for name, root in documents:
        if name.lower().endswith(".dmn"):
            continue
        fields = _declarations(name, root, forms, problems)
        for prop in root.iterfind(".//spiffworkflow:property", NS):
            said = prop.get("name")
            if said in NOTICE_PROPERTIES and _owner_kind(prop) == "endEvent":
                for path, why, fix in _unread(prop.get("value") or "", fields, undeclared=True):
                    problems.append(located(name, prop, "readers-notice", (
                        f"la propriété « {said} » lit « {path} », que la collectivité ne lit "
                        f"pas ({why}) : la notification de la décision le lui montrerait. {fix}"
                    )))  # fmt: skip
            elif said == "pour":
                for path, why, _ in _unread(prop.get("value") or "", fields, undeclared=False):
                    problems.append(located(name, prop, "readers-task-name", (
                        f"la propriété « pour » lit « {path} », que la collectivité ne lit pas "
                        f"({why}) : le nom de la tâche, que voit quiconque voit le dossier, le "
                        "montrerait. Nommez la tâche d'après un champ que tous lisent"
                    )))  # fmt: skip
    return problems


def _owner_kind(prop: etree._Element) -> str | None:
    """The kind of element a property belongs to (`endEvent`...)."""
    owner = prop
    for _ in range(3):  # property → properties → extensionElements → element
        owner = owner.getparent()
        if owner is None:
            return None
    return etree.QName(owner).localname


def _declarations(
    file: str,
    root: etree._Element,
    forms: Mapping[str, Mapping[str, Any]],
    problems: list[DefinitionProblem],
) -> dict[str, dict[str, Any]]:
    """The variables the document's forms declare, by name; a conflict is a problem."""
    fields: dict[str, dict[str, Any]] = {}
    where: dict[str, str] = {}
    for ref, element in form_refs(root):
        form = forms.get(ref)
        if form is None:
            continue
        declared = {**engine_declarations(form), **form_properties(form)}
        for name, schema in declared.items():
            if name not in fields:
                fields[name], where[name] = schema, ref
                continue
            first = fields[name]
            if readers_of(first) != readers_of(schema):
                problems.append(located(file, element, "readers-conflict", (
                    f"« {name} » n'a pas les mêmes lecteurs dans « {where[name]} » "
                    f"({_said(first)}) et dans « {ref} » ({_said(schema)}) : "
                    "déclarez les mêmes « x-lecteurs » partout"
                )))  # fmt: skip
            elif bool(first.get(ENGINE_MARK)) != bool(schema.get(ENGINE_MARK)):
                problems.append(located(file, element, "readers-conflict", (
                    f"« {name} » est à la fois un champ de formulaire et une donnée du moteur "
                    "(« x-donnees ») : déclarez ses lecteurs sur le champ seulement"
                )))  # fmt: skip
    return fields


def _said(schema: Mapping[str, Any]) -> str:
    readers = readers_of(schema)
    return "tous ceux qui voient le dossier" if readers is None else roles_text(readers)


def _unread(
    source: str, fields: Mapping[str, Any], *, undeclared: bool
) -> list[tuple[str, str, str]]:
    """(path, why, what to do) of what an expression reads that the requesting authority does
    not; `undeclared`: a variable declared nowhere counts (the staff's by default)."""
    found = []
    for path in _paths(source):
        name = path[0]
        if name in _HELPERS or name in SHARED_ENGINE_DATA:
            continue
        schema: Any = fields.get(name)
        if schema is None:
            if undeclared:
                found.append((name, "variable du moteur déclarée nulle part, réservée à "
                              "l'État", f"Déclarez « {name} » dans le bloc « x-donnees » du "
                              "formulaire de dépôt (sans « x-lecteurs » : tous la lisent)"))  # fmt: skip
            continue
        for depth, key in enumerate(path):
            if depth:
                properties = schema.get("properties") if isinstance(schema, Mapping) else None
                if not isinstance(properties, Mapping) or key not in properties:
                    break
                schema = properties[key]
            readers = readers_of(schema)
            if readers is not None and COLLECTIVITE not in readers:
                found.append((
                    ".".join(path[: depth + 1]), f"lu par : {roles_text(readers)}",
                    "Ajoutez « collectivite » à ses « x-lecteurs », ou faites dire à la "
                    "propriété ce que la collectivité lit",
                ))  # fmt: skip
                break
    return found


def _paths(source: str) -> list[tuple[str, ...]]:
    """The variables an expression reads, each with the constant keys it reads them by
    (`campagne_info["nom"]` → ("campagne_info", "nom"))."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []
    bound = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
    }
    inner: set[int] = set()
    paths = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Subscript) or id(node) in inner:
            continue
        keys: list[str] = []
        current: ast.expr = node
        while isinstance(current, ast.Subscript):
            inner.add(id(current))
            key = current.slice
            keys = (
                [key.value, *keys]
                if isinstance(key, ast.Constant) and isinstance(key.value, str)
                else []
            )
            current = current.value
        if isinstance(current, ast.Name) and current.id not in bound:
            inner.add(id(current))
            paths.append((current.id, *keys))
    loaded = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    paths.extend((n.id,) for n in loaded if id(n) not in inner and n.id not in bound)
    return paths

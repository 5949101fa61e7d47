"""From files on disk (or uploaded) to deployable process bundles.

A bundle is everything one process needs to run: its BPMN file, the files of the processes it
calls and the DMN files of the decisions it uses. Its hash identifies a version: the same content
deployed twice is the same version, and a running instance keeps the bundle it started with.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask

from ..errors import WARNING, DefinitionProblem, InvalidDefinition
from ..forms import FormProblem, check_form
from .bpmn_checks import NS, executable_processes, located, process_property
from .dmn_checks import decisions_in
from .parser import AnctBpmnParser
from .xml import parse_xml

SUFFIXES = (".bpmn", ".dmn")
#: Key prefix of form files inside a bundle (the rest is the path under `forms/`).
FORMS = "forms/"
FormSource = Callable[[str], str | None]


@dataclass(frozen=True)
class ProcessBundle:
    process_id: str
    name: str
    reference_prefix: str
    files: dict[str, str] = field(repr=False)
    content_hash: str = ""
    start_form: str | None = None


def read_sources(path: Path) -> dict[str, bytes]:
    """The BPMN and DMN files of `path` (a file or a folder), named relative to it."""
    path = Path(path)
    if path.is_file():
        if path.suffix.lower() not in SUFFIXES:
            raise InvalidDefinition(
                [DefinitionProblem(path.name, "seuls les fichiers .bpmn et .dmn sont déployables")]
            )
        return {path.name: path.read_bytes()}
    if not path.is_dir():
        raise InvalidDefinition([DefinitionProblem(str(path), "fichier ou dossier introuvable")])
    found = sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
    if not found:
        raise InvalidDefinition(
            [DefinitionProblem(str(path), "aucun fichier .bpmn ou .dmn dans ce dossier")]
        )
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in found}


def content_hash(files: Mapping[str, str]) -> str:
    canonical = json.dumps(sorted(files.items()), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Document:
    def __init__(self, name: str, text: str, root: etree._Element) -> None:
        self.name, self.text, self.root = name, text, root
        self.is_bpmn = name.lower().endswith(".bpmn")


def forms_in(folder: Path) -> FormSource:
    """Form files read from a folder, refusing paths that leave it."""
    root = Path(folder).resolve()

    def read(ref: str) -> str | None:
        path = (root / ref).resolve()
        if not path.is_relative_to(root) or path.suffix != ".json" or not path.is_file():
            return None
        return path.read_text(encoding="utf-8")

    return read


def form_refs(root: etree._Element) -> list[tuple[str, etree._Element]]:
    """(path under forms/, element) of every form a BPMN document uses."""
    refs = []
    for element in root.iterfind(".//spiffworkflow:formJsonSchemaFilename", NS):
        refs.append(((element.text or "").strip(), element.getparent().getparent()))
    for process in executable_processes(root):
        start = process_property(process, "startForm")
        if start is not None:
            refs.append((start.strip(), process))
    return refs


def forms_of(
    documents: list[Document], source: FormSource | None, problems: list[DefinitionProblem]
) -> dict[str, str]:
    """The text of every form the documents use, each checked once."""
    texts: dict[str, str] = {}
    for doc in documents:
        if not doc.is_bpmn:
            continue
        for task in doc.root.iterfind(".//bpmn:userTask", NS):
            if task.find(".//spiffworkflow:formJsonSchemaFilename", NS) is None:
                problems.append(located(
                    doc.name, task, "form-missing",
                    "tâche utilisateur sans formulaire (spiffworkflow:formJsonSchemaFilename) : "
                    "la personne ne pourra que la valider", WARNING,
                ))  # fmt: skip
        for ref, element in form_refs(doc.root):
            if ref in texts:
                continue
            text = source(ref) if source is not None and ref else None
            if text is None:
                problems.append(located(
                    doc.name, element, "form-missing",
                    f"formulaire introuvable : « {ref} » (chemin sous forms/)",
                ))  # fmt: skip
                continue
            try:
                check_form(text)
            except FormProblem as exc:
                problems.append(located(
                    doc.name, element, "form-invalid", f"formulaire « {ref} » invalide : {exc.message}"
                ))  # fmt: skip
                continue
            texts[ref] = text
    return texts


def reference_prefix(process: etree._Element, process_id: str) -> str:
    prefix = (process_property(process, "referencePrefix") or "").strip().upper()
    if prefix.isalnum() and 2 <= len(prefix) <= 8:
        return prefix
    letters = "".join(c for c in process_id.upper() if c.isalpha())
    return (letters[:3] or "DOS").ljust(3, "X")


def index(
    documents: list[Document], problems: list[DefinitionProblem]
) -> tuple[dict[str, tuple[str, etree._Element]], dict[str, str]]:
    """(process id → (file, element), decision id → file) over every document."""
    process_files: dict[str, tuple[str, etree._Element]] = {}
    decision_files: dict[str, str] = {}
    for doc in documents:
        if doc.is_bpmn:
            for process in executable_processes(doc.root):
                ident = process.get("id")
                if ident in process_files:
                    problems.append(located(
                        doc.name, process, "duplicate-process",
                        f"processus « {ident} » défini deux fois (aussi dans {process_files[ident][0]})",
                    ))  # fmt: skip
                process_files[ident] = (doc.name, process)
        else:
            for decision in decisions_in(doc.root):
                decision_files[decision.get("id")] = doc.name
    return process_files, decision_files


def _called(root: etree._Element) -> tuple[list[etree._Element], list[tuple[etree._Element, str]]]:
    calls = list(root.iterfind(".//bpmn:callActivity", NS))
    decisions = []
    for task in root.iterfind(".//bpmn:businessRuleTask", NS):
        ref = task.find(".//spiffworkflow:calledDecisionId", NS)
        if ref is not None:
            decisions.append((task, (ref.text or "").strip()))
    return calls, decisions


def missing_references(
    documents: list[Document], process_files: dict, decision_files: dict
) -> list[DefinitionProblem]:
    problems = []
    for doc in documents:
        if not doc.is_bpmn:
            continue
        calls, decisions = _called(doc.root)
        for call in calls:
            called = call.get("calledElement")
            if called and called not in process_files:
                problems.append(
                    located(
                        doc.name,
                        call,
                        "call-target",
                        f"processus appelé introuvable : « {called} »",
                    )
                )
        for task, decision in decisions:
            if decision not in decision_files:
                problems.append(
                    located(
                        doc.name,
                        task,
                        "decision-missing",
                        f"table de décision introuvable : « {decision} »",
                    )
                )
    return problems


def closure(start: Document, by_name: dict, process_files: dict, decision_files: dict) -> set[str]:
    needed, pending = set(), [start.name]
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        needed.add(name)
        calls, decisions = _called(by_name[name].root)
        pending.extend(process_files[c.get("calledElement")][0] for c in calls)
        needed.update(decision_files[d] for _, d in decisions)
    return needed


def build_specs(
    files: Mapping[str, str], process_id: str
) -> tuple[BpmnProcessSpec, dict[str, Any]]:
    """The parsed specs of a bundle (kept by `engine.service.version_catalogue` once deployed)."""
    return _parse(files, process_id)


def connect_loops(process: Any) -> None:
    """Tie each multi-instance's instances to it as soon as the specs are parsed.

    SpiffWorkflow connects an instance's completion to its loop (`merge_child`) only when the
    loop creates its first instance, on the spec object that created it. Specs parsed again (a
    restart, another version after a migration) have created none: instances already running
    would never be merged back, and the loop would wait forever once the last one is done."""
    for task_spec in process.task_specs.values():
        if not isinstance(task_spec, LoopTask):
            continue
        child = process.task_specs.get(getattr(task_spec, "task_spec", "") or "")
        if child is not None and not child.completed_event.is_connected(task_spec.merge_child):
            child.completed_event.connect(task_spec.merge_child)


def _parse(files: Mapping[str, str], process_id: str) -> tuple[BpmnProcessSpec, dict[str, Any]]:
    parser = AnctBpmnParser()
    roots = {}
    current = None
    try:
        for name, text in files.items():
            if name.startswith(FORMS):
                continue
            current = name
            root = parse_xml(text.encode("utf-8"), name)
            roots[name] = root
            if name.lower().endswith(".dmn"):
                parser.add_dmn_xml(root, filename=name)
            else:
                parser.add_bpmn_xml(root, filename=name)
        current = None
        spec, subprocess_specs = (
            parser.get_spec(process_id),
            parser.get_subprocess_specs(process_id),
        )
        for process in [spec, *subprocess_specs.values()]:
            connect_loops(process)
        return spec, subprocess_specs
    except ValidationException as exc:
        file_name = exc.file_name or current or next(iter(files))
        line = exc.line_number or _line_of(roots.get(file_name), exc.id)
        message = str(exc).split("\n", 1)[0]
        raise InvalidDefinition(
            [
                DefinitionProblem(
                    file_name,
                    f"définition refusée par le moteur : {message}",
                    line or None,
                    exc.id or None,
                    rule="spiffworkflow",
                    element_id=exc.id or None,
                )
            ]
        ) from None
    except InvalidDefinition:
        raise
    except Exception as exc:
        raise InvalidDefinition(
            [
                DefinitionProblem(
                    current or next(iter(files)),
                    f"définition refusée par le moteur : {exc}",
                    rule="spiffworkflow",
                )
            ]
        ) from None


def _line_of(root: etree._Element | None, ident: str | None) -> int | None:
    if root is None or not ident:
        return None
    for element in root.iter():
        if element.get("id") == ident:
            return element.sourceline
    return None

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

from ..errors import DefinitionProblem, InvalidDefinition
from ..forms import FormProblem, check_form
from .bpmn_checks import NS, check_bpmn, executable_processes, label, local, process_property
from .parser import AnctBpmnParser
from .xml import parse_xml

SUFFIXES = (".bpmn", ".dmn")
#: What SpiffWorkflow 3.2's DMN engine evaluates (FIRST and the others are not implemented).
SUPPORTED_HIT_POLICIES = frozenset({"UNIQUE", "COLLECT"})
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


class _Document:
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


#: Parses a bundle's files (files, process id, content hash) into its specs.
Parse = Callable[[Mapping[str, str], str, str], Any]


def prepare(
    sources: Mapping[str, bytes], forms: FormSource | None = None, *, parse: Parse | None = None
) -> list[ProcessBundle]:
    """Validate every file and return one bundle per executable process; all or nothing."""
    problems: list[DefinitionProblem] = []
    documents: list[_Document] = []
    for name, content in sources.items():
        try:
            text = content.decode("utf-8")
            documents.append(_Document(name, text, parse_xml(content, name)))
        except UnicodeDecodeError:
            problems.append(DefinitionProblem(name, "le fichier n'est pas encodé en UTF-8"))
        except InvalidDefinition as exc:
            problems.extend(exc.problems)
    for doc in documents:
        if doc.is_bpmn:
            problems.extend(check_bpmn(doc.root, doc.name))
    process_files, decision_files = _index(documents, problems)
    problems.extend(_missing_references(documents, process_files, decision_files))
    if problems:
        raise InvalidDefinition(problems)

    by_name = {d.name: d for d in documents}
    form_texts = _forms(documents, forms, problems)
    if problems:
        raise InvalidDefinition(problems)
    bundles = []
    for process_id, (file_name, element) in sorted(process_files.items()):
        needed = _closure(by_name[file_name], by_name, process_files, decision_files)
        files = {n: by_name[n].text for n in sorted(needed)}
        for name in sorted(needed):
            for ref, _ in _form_refs(by_name[name].root):
                files[FORMS + ref] = form_texts[ref]
        bundle = ProcessBundle(
            process_id=process_id,
            name=element.get("name") or process_id,
            reference_prefix=_prefix(element, process_id),
            files=files,
            content_hash=content_hash(files),
            start_form=process_property(element, "startForm"),
        )
        try:
            if parse is None:
                build_specs(bundle.files, bundle.process_id)
            else:
                parse(bundle.files, bundle.process_id, bundle.content_hash)
        except InvalidDefinition as exc:
            problems.extend(p for p in exc.problems if p not in problems)
            continue
        bundles.append(bundle)
    if problems:
        raise InvalidDefinition(problems)
    return bundles


def _form_refs(root: etree._Element) -> list[tuple[str, etree._Element]]:
    """(path under forms/, element) of every form a BPMN document uses."""
    refs = []
    for element in root.iterfind(".//spiffworkflow:formJsonSchemaFilename", NS):
        refs.append(((element.text or "").strip(), element.getparent().getparent()))
    for process in executable_processes(root):
        start = process_property(process, "startForm")
        if start is not None:
            refs.append((start.strip(), process))
    return refs


def _forms(documents: list[_Document], source: FormSource | None, problems: list) -> dict[str, str]:
    texts: dict[str, str] = {}
    for doc in documents:
        if not doc.is_bpmn:
            continue
        for ref, element in _form_refs(doc.root):
            if ref in texts:
                continue
            text = source(ref) if source is not None and ref else None
            where = (doc.name, element.sourceline, label(element))
            if text is None:
                problems.append(
                    DefinitionProblem(
                        where[0],
                        f"formulaire introuvable : « {ref} » (chemin sous forms/)",
                        *where[1:],
                    )
                )
                continue
            try:
                check_form(text)
            except FormProblem as exc:
                problems.append(
                    DefinitionProblem(
                        where[0], f"formulaire « {ref} » invalide : {exc.message}", *where[1:]
                    )
                )
                continue
            texts[ref] = text
    return texts


def _prefix(process: etree._Element, process_id: str) -> str:
    prefix = (process_property(process, "referencePrefix") or "").strip().upper()
    if prefix.isalnum() and 2 <= len(prefix) <= 8:
        return prefix
    letters = "".join(c for c in process_id.upper() if c.isalpha())
    return (letters[:3] or "DOS").ljust(3, "X")


def _index(documents: list[_Document], problems: list[DefinitionProblem]) -> tuple[dict, dict]:
    process_files: dict[str, tuple[str, etree._Element]] = {}
    decision_files: dict[str, str] = {}
    for doc in documents:
        if doc.is_bpmn:
            for process in executable_processes(doc.root):
                ident = process.get("id")
                if ident in process_files:
                    problems.append(
                        DefinitionProblem(
                            doc.name,
                            f"processus « {ident} » défini deux fois (aussi dans {process_files[ident][0]})",
                            process.sourceline,
                        )
                    )
                process_files[ident] = (doc.name, process)
        else:
            decisions = [e for e in doc.root.iter() if local(e) == "decision"]
            if local(doc.root) != "definitions" or not decisions:
                problems.append(DefinitionProblem(doc.name, "fichier DMN sans table de décision"))
            for decision in decisions:
                decision_files[decision.get("id")] = doc.name
            for table in (e for e in doc.root.iter() if local(e) == "decisionTable"):
                policy = (table.get("hitPolicy") or "UNIQUE").upper()
                if policy not in SUPPORTED_HIT_POLICIES:
                    problems.append(DefinitionProblem(
                        doc.name,
                        f"politique de résultat « {policy} » non prise en charge (UNIQUE ou COLLECT)",
                        table.sourceline, table.get("id"),
                    ))  # fmt: skip
    return process_files, decision_files


def _called(root: etree._Element) -> tuple[list[etree._Element], list[tuple[etree._Element, str]]]:
    calls = list(root.iterfind(".//bpmn:callActivity", NS))
    decisions = []
    for task in root.iterfind(".//bpmn:businessRuleTask", NS):
        ref = task.find(".//spiffworkflow:calledDecisionId", NS)
        if ref is not None:
            decisions.append((task, (ref.text or "").strip()))
    return calls, decisions


def _missing_references(
    documents: list[_Document], process_files: dict, decision_files: dict
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
                    DefinitionProblem(
                        doc.name,
                        f"processus appelé introuvable : « {called} »",
                        call.sourceline,
                        label(call),
                    )
                )
        for task, decision in decisions:
            if decision not in decision_files:
                problems.append(
                    DefinitionProblem(
                        doc.name,
                        f"table de décision introuvable : « {decision} »",
                        task.sourceline,
                        label(task),
                    )
                )
    return problems


def _closure(
    start: _Document, by_name: dict, process_files: dict, decision_files: dict
) -> set[str]:
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
        return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)
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
                )
            ]
        ) from None
    except InvalidDefinition:
        raise
    except Exception as exc:
        raise InvalidDefinition(
            [
                DefinitionProblem(
                    current or next(iter(files)), f"définition refusée par le moteur : {exc}"
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

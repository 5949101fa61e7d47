"""The one validator of process definitions: `anct deploy`, `anct validate` and the editor.

It reads every file, runs every check and reports every problem at once (errors and warnings,
each on its element), so that an owner fixes a diagram in one pass. Only when no error is left
does it parse each process with SpiffWorkflow and build the bundles that can be deployed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import DefinitionProblem, InvalidDefinition
from .bpmn_checks import NS, check_bpmn, process_property
from .bundle import (
    FORMS,
    Document,
    FormSource,
    ProcessBundle,
    build_specs,
    closure,
    content_hash,
    form_refs,
    forms_of,
    index,
    missing_references,
    reference_prefix,
)
from .dmn_checks import check_dmn
from .flow_checks import check_flow
from .reader_checks import check_readers
from .variable_checks import check_variables
from .xml import parse_xml

#: Parses a bundle's files (files, process id, content hash) into its specs.
Parse = Callable[[Mapping[str, str], str, str], Any]


@dataclass(frozen=True)
class Validation:
    problems: list[DefinitionProblem]
    #: One per executable process, when there is no error.
    bundles: list[ProcessBundle]

    @property
    def errors(self) -> list[DefinitionProblem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[DefinitionProblem]:
        return [p for p in self.problems if not p.is_error]


def validate(
    sources: Mapping[str, bytes], forms: FormSource | None = None, *, parse: Parse | None = None
) -> Validation:
    problems: list[DefinitionProblem] = []
    documents = _read(sources, problems)
    called = {
        call.get("calledElement")
        for doc in documents
        if doc.is_bpmn
        for call in doc.root.iterfind(".//bpmn:callActivity", NS)
    }
    for doc in documents:
        if doc.is_bpmn:
            problems.extend(check_bpmn(doc.root, doc.name))
            problems.extend(check_flow(doc.root, doc.name, called))
        else:
            problems.extend(check_dmn(doc.root, doc.name))
    process_files, decision_files = index(documents, problems)
    problems.extend(missing_references(documents, process_files, decision_files))
    form_texts = forms_of(documents, forms, problems)
    schemas = {ref: json.loads(text) for ref, text in form_texts.items()}
    problems.extend(check_variables(((d.name, d.root) for d in documents), schemas))
    problems.extend(check_readers(((d.name, d.root) for d in documents), schemas))
    if any(p.is_error for p in problems):
        return Validation(_unique(problems), [])
    by_name = {d.name: d for d in documents}
    bundles = []
    for process_id, (file_name, element) in sorted(process_files.items()):
        needed = closure(by_name[file_name], by_name, process_files, decision_files)
        files = {n: by_name[n].text for n in sorted(needed)}
        for name in sorted(needed):
            for ref, _ in form_refs(by_name[name].root):
                files[FORMS + ref] = form_texts[ref]
        bundle = ProcessBundle(
            process_id=process_id,
            name=element.get("name") or process_id,
            reference_prefix=reference_prefix(element, process_id),
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
            problems.extend(exc.problems)
            continue
        bundles.append(bundle)
    problems = _unique(problems)
    return Validation(problems, [] if any(p.is_error for p in problems) else bundles)


def prepare(
    sources: Mapping[str, bytes], forms: FormSource | None = None, *, parse: Parse | None = None
) -> list[ProcessBundle]:
    """The bundles to deploy; InvalidDefinition with every error when there is one."""
    validation = validate(sources, forms, parse=parse)
    if validation.errors:
        raise InvalidDefinition(validation.errors)
    return validation.bundles


def _read(sources: Mapping[str, bytes], problems: list[DefinitionProblem]) -> list[Document]:
    documents = []
    for name, content in sources.items():
        try:
            text = content.decode("utf-8")
            documents.append(Document(name, text, parse_xml(content, name)))
        except UnicodeDecodeError:
            problems.append(
                DefinitionProblem(name, "le fichier n'est pas encodé en UTF-8", rule="encoding")
            )
        except InvalidDefinition as exc:
            problems.extend(exc.problems)
    return documents


def _unique(problems: list[DefinitionProblem]) -> list[DefinitionProblem]:
    unique: list[DefinitionProblem] = []
    for problem in problems:
        if problem not in unique:
            unique.append(problem)
    return unique

"""Procedures through the API: the catalogue, each procedure's versions and files, checking
files against the validator and publishing a new version.

Everything goes through the service layer the pages use, with its checks: national staff
(catalogue readers) see every procedure, as on /processus; anyone else sees the procedures they
may open a dossier of now, as on the portal; only a procedure's owners and administrators check
and publish its files. Publishing goes through a draft, exactly as the editor does (open, save,
publish), so that the validator, the rules and the audit log are the editor's own; it is
refused while an owner has a draft open in the editor, which it would otherwise overwrite.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from engine.definitions.bundle import FORMS
from engine.definitions.xml import parse_xml
from engine.errors import (
    Conflict,
    DefinitionProblem,
    EngineError,
    InvalidDefinition,
    NotFound,
)
from engine.service.catalogue import deployments, editing, ownership, publishing, transfer
from engine.service.catalogue import processes as catalogue
from engine.service.catalogue.process_page import ProcessPage, VersionRow, process_page
from engine.service.dossiers import drafts

from ..access import services
from .blueprints import SECURITY, authenticated
from .caller import viewer
from .problems import PROBLEM_TYPE, ProblemSchema, problem

blueprint = authenticated("api_processes", __name__, "/api/v1/processes", "Procédures")

BPMN_NS = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


# ---------------------------------------------------------------- schemas


class ProcessSchema(Schema):
    id = fields.String(required=True, metadata={"example": "demande_ingenierie"})
    name = fields.String(required=True)
    version = fields.Integer(
        required=True, metadata={"description": "Version sur laquelle démarrent les dossiers"}
    )
    latest_version = fields.Integer(
        required=True, metadata={"description": "Plus haut numéro de version déployé"}
    )
    retired = fields.Boolean(
        required=True, metadata={"description": "Retirée : plus de nouveaux dossiers"}
    )


class ProcessDetailSchema(ProcessSchema):
    description = fields.String(
        allow_none=True, metadata={"description": "Documentation BPMN du processus"}
    )
    start_form = fields.Dict(
        allow_none=True,
        metadata={"description": "JSON Schema du formulaire de dépôt (null : aucun)"},
    )


class ProcessVersionSchema(Schema):
    number = fields.Integer(required=True)
    name = fields.String(required=True)
    content_hash = fields.String(required=True, metadata={"description": "Empreinte SHA-256"})
    deployed_at = fields.DateTime(required=True)
    deployed_by = fields.String(allow_none=True)
    current = fields.Boolean(
        required=True, metadata={"description": "Les nouveaux dossiers démarrent sur elle"}
    )


class ProcessFileSchema(Schema):
    name = fields.String(required=True, metadata={"example": "demande_ingenierie.bpmn"})
    kind = fields.String(required=True, validate=validate.OneOf(["bpmn", "dmn", "form"]))
    content = fields.String(required=True)


class ProcessFilesSchema(Schema):
    """The files of a procedure as the editor sends them: BPMN and DMN by name, forms under
    `forms/`."""

    files = fields.Dict(
        keys=fields.String(), values=fields.String(), required=True,
        metadata={"description": "Nom du fichier → contenu (nom.bpmn, nom.dmn, forms/…/nom.json)"},
    )  # fmt: skip


class PublicationSchema(ProcessFilesSchema):
    """The files of the new version (no release notes: the platform keeps none yet)."""


class DefinitionProblemSchema(Schema):
    file = fields.String(required=True)
    message = fields.String(required=True)
    line = fields.Integer(allow_none=True)
    element = fields.String(allow_none=True)
    element_id = fields.String(allow_none=True)
    rule = fields.String(required=True)
    severity = fields.String(required=True, validate=validate.OneOf(["error", "warning"]))


class FilesValidationSchema(Schema):
    valid = fields.Boolean(
        required=True, metadata={"description": "Aucune erreur : la version serait publiable"}
    )
    problems = fields.List(fields.Nested(DefinitionProblemSchema), required=True)


class InvalidFilesProblemSchema(ProblemSchema):
    problems = fields.List(
        fields.Nested(DefinitionProblemSchema),
        metadata={
            "description": "Erreurs du validateur, quand ce sont les fichiers qui sont refusés"
        },
    )


# ---------------------------------------------------------------- reading


def _readers_page(process_id: str) -> ProcessPage:
    """The procedure's page for national staff; 403 for anyone else, 404 if unknown (or only
    a draft, never published)."""
    page = process_page(services(), viewer(), process_id)
    if not page.versions:
        raise NotFound(f"Procédure introuvable : « {process_id} ».")
    return page


def _offers() -> dict[str, drafts.StartForm]:
    """What this caller may open now, by procedure (a call open in several campaigns once)."""
    return {form.process_id: form for form in drafts.offers(services(), viewer())}


def _version(row: VersionRow) -> dict[str, Any]:
    return {
        "number": row.version, "name": row.name, "content_hash": row.content_hash,
        "deployed_at": row.published_at, "deployed_by": row.published_by, "current": row.current,
    }  # fmt: skip


def _files_of(process_id: str, number: int) -> dict[str, str]:
    """A version's files, through the same export (and check) as the page's zip download."""
    export = transfer.export_version(services(), viewer(), process_id, number)
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def _description(files: dict[str, str], process_id: str) -> str | None:
    """The documentation of the executable process, as its owners wrote it in the diagram."""
    main = editing.main_file(files, process_id)
    if main is None:
        return None
    root = parse_xml(files[main].encode("utf-8"), main)
    for process in root.iter(f"{BPMN_NS}process"):
        if process.get("id") == process_id:
            text = process.findtext(f"{BPMN_NS}documentation")
            return text.strip() if text and text.strip() else None
    return None


def _kind(name: str) -> str:
    if name.startswith(FORMS):
        return "form"
    return "dmn" if name.endswith(".dmn") else "bpmn"


@blueprint.get("")
@blueprint.response(200, ProcessSchema(many=True))
@blueprint.doc(security=SECURITY)
def list_processes() -> ResponseReturnValue:
    """Lister les procédures visibles.

    L'équipe nationale voit tout le catalogue (procédures retirées comprises) ; les autres, les
    procédures dont ils peuvent ouvrir un dossier maintenant.
    """
    if ownership.may_read(viewer()):
        return [
            {
                "id": e.process_id, "name": e.name, "version": e.current,
                "latest_version": e.latest, "retired": e.retired,
            }
            for e in catalogue.entries(services(), viewer())
        ]  # fmt: skip
    return [
        {
            "id": f.process_id, "name": f.name, "version": f.version,
            "latest_version": f.version, "retired": False,
        }
        for f in _offers().values()
    ]  # fmt: skip


@blueprint.get("/<process_id>")
@blueprint.response(200, ProcessDetailSchema)
@blueprint.doc(security=SECURITY)
def get_process(process_id: str) -> ResponseReturnValue:
    """Lire une procédure.

    Sa version en service (celle où démarrent les nouveaux dossiers) et le JSON Schema de son
    formulaire de dépôt, tel que le portail l'utilise.
    """
    if not ownership.may_read(viewer()):
        form = _offers().get(process_id)
        if form is None:
            raise NotFound(f"Aucune procédure « {process_id} » à déposer.")
        return {
            "id": form.process_id, "name": form.name, "version": form.version,
            "latest_version": form.version, "retired": False, "description": None,
            "start_form": form.schema,
        }  # fmt: skip
    entry = next(
        (e for e in catalogue.entries(services(), viewer()) if e.process_id == process_id), None
    )
    if entry is None:
        raise NotFound(f"Procédure introuvable : « {process_id} ».")
    files = _files_of(process_id, entry.current)
    ref = next(
        (s.start_form for s in deployments.current_versions(services(), retired=True)
         if s.process_id == process_id),
        None,
    )  # fmt: skip
    form = files.get(FORMS + ref) if ref else None
    return {
        "id": process_id, "name": entry.name, "version": entry.current,
        "latest_version": entry.latest, "retired": entry.retired,
        "description": _description(files, process_id),
        "start_form": json.loads(form) if form else None,
    }  # fmt: skip


@blueprint.get("/<process_id>/versions")
@blueprint.response(200, ProcessVersionSchema(many=True))
@blueprint.doc(security=SECURITY)
def list_versions(process_id: str) -> ResponseReturnValue:
    """Lister les versions déployées, de la plus récente à la plus ancienne."""
    return [_version(row) for row in _readers_page(process_id).versions]


@blueprint.get("/<process_id>/versions/<int:number>/files")
@blueprint.response(200, ProcessFileSchema(many=True))
@blueprint.doc(security=SECURITY)
def list_files(process_id: str, number: int) -> ResponseReturnValue:
    """Lire les fichiers d'une version (BPMN, DMN, formulaires), tels que déployés."""
    _readers_page(process_id)
    files = _files_of(process_id, number)
    return [
        {"name": name, "kind": _kind(name), "content": text} for name, text in sorted(files.items())
    ]


# ---------------------------------------------------------------- checking, publishing


def _check_editor(process_id: str) -> ProcessPage:
    """404 for an unknown procedure, 403 unless the caller owns it (or is an administrator):
    the same checks as the editor's routes."""
    page = process_page(services(), viewer(), process_id)
    editing.check_editor(services(), viewer(), process_id)
    return page


def _problem(p: DefinitionProblem) -> dict[str, Any]:
    return {
        "file": p.file, "message": p.message, "line": p.line, "element": p.element,
        "element_id": p.element_id, "rule": p.rule, "severity": p.severity,
    }  # fmt: skip


def _refused(errors: list[DefinitionProblem]) -> ResponseReturnValue:
    """422 problem details listing the validator's errors, by file in `errors` and in full in
    `problems` (an RFC 9457 extension member)."""
    by_file: dict[str, list[str]] = {}
    for p in errors:
        by_file.setdefault(f"files.{p.file}", []).append(str(p))
    response = problem(
        422, "Les fichiers ne sont pas publiables : " + " ; ".join(str(p) for p in errors),
        code=InvalidDefinition.code, errors={k: " ; ".join(v) for k, v in by_file.items()},
    )  # fmt: skip
    body = json.loads(response.get_data(as_text=True))
    body["problems"] = [_problem(p) for p in errors]
    response.set_data(json.dumps(body, ensure_ascii=False))
    return response


@blueprint.post("/<process_id>/validate")
@blueprint.arguments(ProcessFilesSchema)
@blueprint.response(200, FilesValidationSchema)
@blueprint.doc(security=SECURITY)
def validate_files(body: dict[str, Any], process_id: str) -> ResponseReturnValue:
    """Vérifier des fichiers sans rien enregistrer.

    Le validateur de l'éditeur : erreurs (qui bloquent la publication) et avertissements.
    Réservé aux responsables de la procédure et aux administrateurs.
    """
    _check_editor(process_id)
    result = editing.validate_draft(services(), viewer(), process_id, body["files"])
    return {"valid": not result.errors, "problems": [_problem(p) for p in result.problems]}


@blueprint.post("/<process_id>/versions")
@blueprint.arguments(PublicationSchema)
@blueprint.response(201, ProcessVersionSchema, description="Version publiée")
@blueprint.alt_response(200, schema=ProcessVersionSchema, description="Contenu déjà déployé")
@blueprint.alt_response(
    422, schema=InvalidFilesProblemSchema, content_type=PROBLEM_TYPE,
    description="Fichiers ou données invalides (rien n'est publié)",
)  # fmt: skip
@blueprint.doc(security=SECURITY)
def publish_version(body: dict[str, Any], process_id: str) -> ResponseReturnValue:
    """Publier une nouvelle version.

    Mêmes règles que la publication depuis l'éditeur : des fichiers en erreur sont refusés
    (422) ; les nouveaux dossiers démarrent aussitôt sur la version publiée, ceux en cours
    restent sur la leur. Un contenu déjà déployé ne crée pas de version (200). Refusée (409)
    tant qu'un brouillon est ouvert dans l'éditeur. Réservé aux responsables de la procédure
    et aux administrateurs.
    """
    if _check_editor(process_id).draft is not None:
        raise Conflict(
            "Un brouillon de cette procédure est ouvert dans l'éditeur : publiez-le ou "
            "abandonnez-le avant de publier par l'API."
        )
    result = editing.validate_draft(services(), viewer(), process_id, body["files"])
    if result.errors:
        return _refused(result.errors)
    opened = editing.open_draft(services(), viewer(), process_id)
    try:
        lock = editing.save_draft(
            services(), viewer(), process_id, body["files"], opened.lock_version
        )
        published = publishing.publish(services(), viewer(), process_id, lock)
    except Conflict:
        raise  # someone else's draft now: it is theirs to keep
    except EngineError:
        editing.discard_draft(services(), viewer(), process_id)
        raise
    row = next(v for v in _readers_page(process_id).versions if v.version == published.version)
    return _version(row), 201 if published.new else 200

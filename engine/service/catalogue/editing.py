"""Drafts of procedures: opened from a version or from nothing, saved, imported, validated.

A draft lives in the database (it survives a restart and is shared by the procedure's owners)
and holds the same files a version holds: BPMN and DMN by name, forms under `forms/`. Saving
compares the lock version the editor loaded, so that of two owners saving the same draft the
second is told and keeps their work in the page. Files are checked on the way in (names,
sizes, XML parsed safely); the validator says the rest, and only publishing requires it clean.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row

from ...definitions import Validation, validate
from ...definitions.bpmn_checks import executable_processes
from ...definitions.bundle import FORMS
from ...definitions.xml import MAX_FILE_BYTES, parse_xml
from ...errors import Conflict, Forbidden, InvalidDefinition, InvalidInput, NotFound
from ...store import catalogue as catalogue_rows
from ...store import process_editing as store
from ..context import Services
from ..viewer import Viewer
from . import ownership
from .starter import starter_files

MAX_FILES = 200
MAX_TOTAL_BYTES = 20 * 1024 * 1024
_XML_NAME = re.compile(
    r"^([A-Za-z0-9][A-Za-z0-9_-]{0,80}/)*[A-Za-z0-9][A-Za-z0-9_.-]{0,120}\.(bpmn|dmn)$"
)
_FORM_NAME = re.compile(r"^forms/[a-z0-9][a-z0-9_-]{0,80}(/[a-z0-9][a-z0-9_-]{0,80})*\.json$")
PROCESS_ID = re.compile(r"^[a-z][a-z0-9_]{2,59}$")


@dataclass(frozen=True)
class Draft:
    process_id: str
    files: dict[str, str]
    lock_version: int
    base_version_id: int | None
    updated_at: datetime
    updated_by: str | None

    @property
    def main(self) -> str | None:
        """The BPMN file that defines the procedure itself (the editor opens it first)."""
        return main_file(self.files, self.process_id)

    def to_dict(self) -> dict[str, object]:
        return {"files": self.files, "lock_version": self.lock_version, "main": self.main}


def main_file(files: Mapping[str, str], process_id: str) -> str | None:
    bpmn = sorted(n for n in files if n.endswith(".bpmn"))
    for name in bpmn:
        if process_id in declared_processes({name: files[name]}):
            return name
    return bpmn[0] if bpmn else None


def sources_of(files: Mapping[str, str]) -> tuple[dict[str, bytes], dict[str, str]]:
    """(BPMN and DMN contents for the validator, forms by path under forms/)."""
    sources = {n: t.encode("utf-8") for n, t in files.items() if not n.startswith(FORMS)}
    forms = {n[len(FORMS) :]: t for n, t in files.items() if n.startswith(FORMS)}
    return sources, forms


def xml_name_allowed(name: str) -> bool:
    return bool(_XML_NAME.match(name))


def check_files(files: object) -> dict[str, str]:
    """The files as the editor may save them, or InvalidInput naming the first bad one."""
    if not isinstance(files, Mapping) or not files:
        raise InvalidInput("Le brouillon doit contenir au moins un fichier BPMN.")
    if len(files) > MAX_FILES:
        raise InvalidInput(f"Trop de fichiers dans le brouillon (au plus {MAX_FILES}).")
    checked: dict[str, str] = {}
    total = 0
    for name, text in files.items():
        if not isinstance(name, str) or not isinstance(text, str):
            raise InvalidInput("Chaque fichier est un nom et un texte.")
        if not (_XML_NAME.match(name) or _FORM_NAME.match(name)):
            raise InvalidInput(
                f"Nom de fichier refusé : « {name[:120]} » (attendu : nom.bpmn, nom.dmn ou "
                "forms/procedure/nom.json, sans accents ni espaces).",
                file=name[:120],
            )
        content = text.encode("utf-8")
        total += len(content)
        if len(content) > MAX_FILE_BYTES:
            raise InvalidInput(f"Fichier trop volumineux : « {name} ».", file=name)
        if not name.startswith(FORMS):
            try:
                parse_xml(content, name)
            except InvalidDefinition as exc:
                raise InvalidInput(str(exc.problems[0]), file=name) from None
        checked[name] = text
    if total > MAX_TOTAL_BYTES:
        raise InvalidInput("Le brouillon dépasse 20 Mio.")
    if not any(n.endswith(".bpmn") for n in checked):
        raise InvalidInput("Le brouillon doit contenir au moins un fichier BPMN.")
    return checked


def as_draft(row: Row[Any]) -> Draft:
    return Draft(
        row.process_id, dict(row.files), row.lock_version, row.base_version_id, row.updated_at,
        row.updated_by,
    )  # fmt: skip


def check_editor(services: Services, viewer: Viewer, process_id: str) -> None:
    """Forbidden unless `viewer` may edit the procedure (before reading what they sent)."""
    with services.read() as connection:
        ownership.require_editor(connection, viewer, process_id)


def get_draft(services: Services, viewer: Viewer, process_id: str) -> Draft:
    with services.read() as connection:
        ownership.require_editor(connection, viewer, process_id)
        row = store.draft(connection, process_id)
    if row is None:
        raise NotFound("Cette procédure n'a pas de brouillon ouvert.")
    return as_draft(row)


def open_draft(services: Services, viewer: Viewer, process_id: str) -> Draft:
    """The open draft, or a new one copied from the version new dossiers start on."""
    now = services.clock.now()
    with services.write() as connection:
        ownership.require_editor(connection, viewer, process_id)
        row = store.draft(connection, process_id, for_update=True)
        if row is not None:
            return as_draft(row)
        version = catalogue_rows.current_version(connection, process_id)
        if version is None:
            raise NotFound(f"Procédure introuvable : « {process_id} ».")
        insert(connection, process_id, dict(version.files), version.id, now, viewer.login)
        ownership.record(
            connection, process_id, "brouillon_ouvert", f"depuis la version {version.version}",
            at=now, actor=viewer.login,
        )  # fmt: skip
        return as_draft(store.draft(connection, process_id))


def insert(
    connection: Connection,
    process_id: str,
    files: dict[str, str],
    base_version_id: int | None,
    now: datetime,
    login: str,
) -> None:
    store.insert_draft(
        connection, process_id=process_id, files=files, lock_version=1,
        base_version_id=base_version_id, created_at=now, created_by=login,
        updated_at=now, updated_by=login,
    )  # fmt: skip


def save_draft(
    services: Services, viewer: Viewer, process_id: str, files: object, lock_version: object
) -> int:
    """The new lock version; Conflict when someone else saved since `lock_version`."""
    checked = check_files(files)
    if not isinstance(lock_version, int) or isinstance(lock_version, bool):
        raise InvalidInput("Numéro de version du brouillon manquant.")
    now = services.clock.now()
    with services.write() as connection:
        ownership.require_editor(connection, viewer, process_id)
        row = store.draft(connection, process_id, for_update=True)
        if row is None:
            raise NotFound("Ce brouillon n'existe plus (il a été publié ou abandonné).")
        if not store.update_draft(
            connection, process_id, lock_version, files=checked, updated_at=now,
            updated_by=viewer.login,
        ):  # fmt: skip
            raise Conflict(
                f"{row.updated_by or 'Quelqu’un'} a enregistré ce brouillon depuis que vous "
                "l'avez ouvert : vos modifications sont toujours dans la page ; rechargez le "
                "brouillon pour voir les siennes, puis refaites les vôtres.",
                updated_by=row.updated_by,
            )
        ownership.record(
            connection, process_id, "brouillon_enregistre", f"{len(checked)} fichiers",
            at=now, actor=viewer.login,
        )  # fmt: skip
    return lock_version + 1


def discard_draft(services: Services, viewer: Viewer, process_id: str) -> None:
    now = services.clock.now()
    with services.write() as connection:
        ownership.require_editor(connection, viewer, process_id)
        if not store.delete_draft(connection, process_id):
            raise NotFound("Cette procédure n'a pas de brouillon ouvert.")
        ownership.record(
            connection, process_id, "brouillon_abandonne", "", at=now, actor=viewer.login
        )


def create_process(services: Services, viewer: Viewer, process_id: str, name: str) -> Draft:
    """A new procedure, as a draft owned by its creator (« Nouvelle procédure »)."""
    if not ownership.may_create(viewer):
        raise Forbidden("Seuls les responsables de processus créent des procédures.")
    process_id, name = process_id.strip(), " ".join(name.split())
    if not PROCESS_ID.match(process_id):
        raise InvalidInput(
            "Identifiant refusé : 3 à 60 caractères, minuscules sans accents, chiffres et « _ », "
            "commençant par une lettre (par exemple « petites_villes_demain »).",
            field="process_id",
        )
    if not 3 <= len(name) <= 300:
        raise InvalidInput("Donnez un nom de 3 à 300 caractères.", field="name")
    now = services.clock.now()
    with services.write() as connection:
        if catalogue_rows.current_version(connection, process_id) is not None or store.draft(
            connection, process_id
        ):
            raise Conflict(f"La procédure « {process_id} » existe déjà.")
        insert(connection, process_id, starter_files(process_id, name), None, now, viewer.login)
        if not store.is_owner(connection, process_id, viewer.login) and not viewer.operator:
            store.add_owner(connection, process_id, viewer.login, now, viewer.login)
        ownership.record(connection, process_id, "creation", name, at=now, actor=viewer.login)
        return as_draft(store.draft(connection, process_id))


def validate_files(files: Mapping[str, str]) -> Validation:
    sources, forms = sources_of(files)
    return validate(sources, forms.get)


def validate_draft(
    services: Services, viewer: Viewer, process_id: str, files: object | None = None
) -> Validation:
    """Every problem of the draft as saved, or of `files` (what the editor holds now)."""
    if files is None:
        checked = get_draft(services, viewer, process_id).files
    else:
        check_editor(services, viewer, process_id)
        checked = check_files(files)
    return validate_files(checked)


def declared_processes(files: Mapping[str, str]) -> list[str]:
    """Ids of the executable processes the BPMN files define (a file that does not parse
    defines none: the validator says why)."""
    found = []
    for name, text in files.items():
        if name.endswith(".bpmn"):
            try:
                root = parse_xml(text.encode("utf-8"), name)
            except InvalidDefinition:
                continue
            found.extend(p.get("id") for p in executable_processes(root))
    return found

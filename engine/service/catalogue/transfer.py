"""Files in and out of the catalogue: a version's files as a zip, an import into a draft.

An import takes `.bpmn`, `.dmn` and form `.json` files, loose or in a zip (as Camunda Modeler
or the bpmn.io demo save them, or as we export them). The zip is read defensively: a bounded
number of entries, each size checked before it is read, names reduced to their file name (or to
their path under `forms/`), nothing written to disk. What is imported replaces the files of the
procedure's draft, which is created when there is none.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from ...definitions.bundle import FORMS, form_refs
from ...definitions.xml import MAX_FILE_BYTES, parse_xml
from ...errors import Conflict, Forbidden, InvalidDefinition, InvalidInput, NotFound
from ...store import catalogue as catalogue_rows
from ...store import process_editing as store
from ..context import Services
from ..viewer import Viewer
from . import editing, ownership

MAX_UPLOAD_BYTES = editing.MAX_TOTAL_BYTES


@dataclass(frozen=True)
class Export:
    filename: str
    content: bytes


def export_version(services: Services, viewer: Viewer, process_id: str, version: int) -> Export:
    ownership.require_reader(viewer)
    with services.read() as connection:
        row = catalogue_rows.version_files_by_number(connection, process_id, version)
    if row is None:
        raise NotFound(f"Version {version} de « {process_id} » introuvable.")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in sorted(row.files.items()):
            archive.writestr(name, text)
    return Export(f"{process_id}-v{version}.zip", buffer.getvalue())


def import_files(
    services: Services,
    viewer: Viewer,
    uploads: Iterable[tuple[str, bytes]],
    process_id: str | None = None,
) -> editing.Draft:
    """The draft holding the imported files (`process_id`: the procedure being edited; None
    from the catalogue, where the files say which procedure they are)."""
    if process_id is not None:
        with services.read() as connection:
            ownership.require_editor(connection, viewer, process_id)
    elif not ownership.may_create(viewer):
        raise Forbidden("Seuls les responsables de processus importent des procédures.")
    files = _collect(uploads)
    checked = editing.check_files(files)
    declared = editing.declared_processes(checked)
    if process_id is None:
        if len(set(declared)) != 1:
            raise InvalidInput(
                "Les fichiers importés doivent définir exactement un processus exécutable "
                f"(trouvés : {', '.join(declared) or 'aucun'}) ; importez-les depuis la page de "
                "la procédure voulue."
            )
        process_id = declared[0]
    elif process_id not in declared:
        raise InvalidInput(
            f"Aucun des fichiers importés ne définit le processus « {process_id} » "
            f"(trouvés : {', '.join(declared) or 'aucun'})."
        )
    if not editing.PROCESS_ID.match(process_id):
        raise InvalidInput(f"Identifiant de processus refusé : « {process_id[:80]} ».")
    now = services.clock.now()
    with services.write() as connection:
        version = catalogue_rows.current_version(connection, process_id)
        row = store.draft(connection, process_id, for_update=True)
        if version is None and row is None:
            if not ownership.may_create(viewer):
                raise Forbidden("Seuls les responsables de processus créent des procédures.")
            if not viewer.operator:
                store.add_owner(connection, process_id, viewer.login, now, viewer.login)
        else:
            ownership.require_editor(connection, viewer, process_id)
        if row is None:
            editing.insert(
                connection, process_id, checked, version.id if version else None, now, viewer.login
            )
        elif not store.update_draft(
            connection, process_id, row.lock_version, files=checked, updated_at=now,
            updated_by=viewer.login,
        ):  # fmt: skip
            raise Conflict("Le brouillon a changé pendant l'import : recommencez.")
        ownership.record(
            connection, process_id, "import", ", ".join(sorted(checked)), at=now,
            actor=viewer.login,
        )  # fmt: skip
        return editing.as_draft(store.draft(connection, process_id))


def _collect(uploads: Iterable[tuple[str, bytes]]) -> dict[str, str]:
    files: dict[str, str] = {}
    total = 0
    for filename, content in uploads:
        total += len(content)
        if total > MAX_UPLOAD_BYTES:
            raise InvalidInput("Import trop volumineux (20 Mio au plus).")
        if filename.lower().endswith(".zip"):
            for name, data in _unzip(filename, content):
                _add(files, name, data)
        else:
            _add(files, filename, content)
    if not files:
        raise InvalidInput("Aucun fichier .bpmn, .dmn ou .json à importer.")
    return _placed(files)


def _placed(files: dict[str, str]) -> dict[str, str]:
    """Forms moved to the path their diagram names when they came without it (a loose
    `avis.json` that the BPMN reads as `avis_simple/avis.json`)."""
    wanted: set[str] = set()
    for name, text in files.items():
        if name.endswith(".bpmn"):
            try:
                root = parse_xml(text.encode("utf-8"), name)
            except InvalidDefinition:
                continue
            wanted.update(ref for ref, _ in form_refs(root))
    placed = {}
    for name, text in files.items():
        path = name[len(FORMS) :]
        if name.startswith(FORMS) and path not in wanted:
            same = [w for w in wanted if PurePosixPath(w).name == PurePosixPath(path).name]
            if len(same) == 1 and FORMS + same[0] not in files:
                name = FORMS + same[0]
        placed[name] = text
    return placed


def _unzip(filename: str, content: bytes) -> Iterable[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise InvalidInput(f"« {filename} » n'est pas une archive zip lisible.") from None
    entries = [e for e in archive.infolist() if not e.is_dir()]
    if len(entries) > editing.MAX_FILES:
        raise InvalidInput(f"Archive trop grande : plus de {editing.MAX_FILES} fichiers.")
    total = 0
    for entry in entries:
        parts = PurePosixPath(entry.filename.replace("\\", "/")).parts
        if not parts or parts[0] == "__MACOSX" or parts[-1].startswith("."):
            continue
        total += entry.file_size
        if entry.file_size > MAX_FILE_BYTES or total > MAX_UPLOAD_BYTES:
            raise InvalidInput(f"Fichier trop volumineux dans l'archive : « {entry.filename} ».")
        with archive.open(entry) as member:
            data = member.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise InvalidInput(f"Fichier trop volumineux dans l'archive : « {entry.filename} ».")
        yield "/".join(parts), data


def _add(files: dict[str, str], name: str, data: bytes) -> None:
    path = PurePosixPath(name.replace("\\", "/"))
    suffix = path.suffix.lower()
    if suffix not in (".bpmn", ".dmn", ".json"):
        if suffix == ".form":
            raise InvalidInput(
                f"« {path.name} » est un formulaire Camunda : les formulaires de la plateforme "
                "sont des JSON Schema (voir forms/README.md)."
            )
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"« {path.name} » n'est pas encodé en UTF-8.") from None
    parts = [p for p in path.parts if p not in ("", ".", "..")]
    if suffix == ".json":
        if "forms" in parts:
            parts = parts[parts.index("forms") + 1 :]
        key = FORMS + "/".join(parts)
    else:
        key = "/".join(parts) if editing.xml_name_allowed("/".join(parts)) else path.name
    if key in files:
        raise InvalidInput(f"Deux fichiers importés s'appellent « {key} ».")
    files[key] = text

"""Attached files: receiving one (staged), attaching it to a dossier within the step that sent
it, listing a dossier's files and handing one out to whoever may see the dossier.

A file is received in two times so that a failed step loses nothing and writes nothing half:

1. `stage`: the content is checked (type read from the bytes, size), stored in the blob store
   under its SHA-256, then recorded in its own transaction, attached to nothing yet.
2. `claim` then `attach`, inside the step's transaction: the form's references are checked
   (a staged file is usable by whoever sent it, an attached one only on its own dossier) and
   replaced by the stored description, and the step attaches the new ones to the dossier with
   their history entries. If the step fails, nothing of this is written and the staged files
   are offered again (« déjà reçu ») on the re-shown form.
"""

from __future__ import annotations

import copy
import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from ... import l10n
from ...attachments.sniff import BY_MEDIA_TYPE, Refused, check_file, labels
from ...errors import Conflict, InvalidInput, NotFound
from ...forms.files import FileField, file_fields, value_at, with_value
from ...store import attachments as store
from ...store import dossier_territories as other_territories
from ..context import Services
from ..viewer import Viewer
from . import visibility

#: History entries written when a step attaches files.
ATTACHED, SIGNED = "piece_jointe", "signature"
MISSING = "Ce fichier n'est plus disponible : envoyez-le de nouveau."


def reference(row: Any) -> dict[str, Any]:
    """What the dossier's data keeps of a file: small, and enough to show and fetch it."""
    return {
        "id": row.id, "nom": row.filename, "taille": row.size, "type": row.media_type,
        "empreinte": row.sha256,
    }  # fmt: skip


def type_label(media_type: str) -> str:
    kind = BY_MEDIA_TYPE.get(media_type)
    return kind.label if kind else media_type


def clean_filename(name: str | None) -> str:
    """The file's own name without any folder, control character or excessive length."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(
        c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C"
    )
    base = base.strip().strip(".") or "fichier"
    if len(base) > 200:
        dot = base.rfind(".")
        extension = base[dot:] if dot > 0 and len(base) - dot <= 10 else ""
        base = base[: 200 - len(extension)] + extension
    return base


# ---------------------------------------------------------------- receiving


def limit_for(services: Services, field: FileField | None) -> int:
    """The largest file this field takes: its own limit, never above the platform's."""
    platform = services.attachment_max_bytes
    return min(field.max_bytes, platform) if field and field.max_bytes else platform


def stage(
    services: Services, viewer: Viewer, filename: str | None, content: bytes,
    field: FileField | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Check and store a received file; its reference, to put in the form's data.

    Refused (an InvalidInput) with a French message if the file is empty, too large, not of an
    accepted type, or named with an extension its content belies. `content` longer than the
    limit is refused without being stored (the caller reads at most limit + 1 bytes).
    """
    name = clean_filename(filename)
    limit = limit_for(services, field)
    if len(content) > limit:
        raise Refused(
            f"Le fichier « {name} » est trop volumineux : {l10n.file_size(limit)} au plus."
        )
    kind = check_file(name, content, field.types if field else None)
    sha256 = hashlib.sha256(content).hexdigest()
    # The bytes first, then the row: a row never names bytes that are not stored.
    services.blob_store().put(sha256, content, kind.media_type)
    with services.write() as connection:
        found = store.insert_staged(
            connection, sha256=sha256, size=len(content), media_type=kind.media_type,
            filename=name, signature=False, uploaded_by=viewer.login,
            uploaded_at=services.clock.now(),
        )  # fmt: skip
    return reference(found)


def describe(services: Services, viewer: Viewer, ids: list[int]) -> dict[int, dict[str, Any]]:
    """References of the files a re-shown form names: those the viewer sent and not attached
    yet, and those attached to a dossier the viewer may see; others are left out (never
    shown). The step checks again, in its transaction, that they are its dossier's."""
    wanted = sorted({i for i in ids if isinstance(i, int)})
    if not wanted:
        return {}
    with services.read() as connection:
        rows = store.visible_among(
            connection, wanted, uploader=None if viewer.operator else viewer.login,
            scope=viewer.dossier_filter(),
        )  # fmt: skip
    return {row.id: reference(row) for row in rows}


def _usable(row: Any, owner: str | None, any_owner: bool, instance_id: int | None) -> bool:
    if row.instance_id is None:
        return any_owner or row.uploaded_by == owner
    return instance_id is not None and row.instance_id == instance_id


# ---------------------------------------------------------------- within a step


@dataclass(frozen=True)
class Claimed:
    """A staged file a step will attach, and the field it came in."""

    id: int
    filename: str
    field: FileField


def claim(
    connection: Connection,
    schema: dict[str, Any] | None,
    data: dict[str, Any],
    *,
    owner: str | None,
    any_owner: bool = False,
    instance_id: int | None = None,
) -> tuple[dict[str, Any], list[Claimed]]:
    """The data with each file reference replaced by the stored one, and the staged files the
    step must attach (`attach`, after the step is written).

    A file is usable if staged by `owner` (`any_owner`: a trusted caller, the command line) or
    already attached to this dossier. Anything else is refused field by field (InvalidInput),
    as is a file of a type its field does not accept.
    """
    fields = file_fields(schema)
    present = [(f, value_at(data, f.path)) for f in fields]
    present = [(f, v) for f, v in present if v is not None]
    if not present:
        return data, []
    ids = [v.get("id") for _, v in present if isinstance(v, dict)]
    ids = [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]
    rows = store.rows_by_id(connection, ids)
    result = copy.deepcopy(data)
    claimed: list[Claimed] = []
    errors: dict[str, str] = {}
    for field, value in present:
        row = rows.get(value.get("id")) if isinstance(value, dict) else None
        if row is None or not _usable(row, owner, any_owner, instance_id):
            errors[field.path] = MISSING
            continue
        kind = BY_MEDIA_TYPE.get(row.media_type)
        if kind is None or kind.key not in field.types:
            errors[field.path] = (
                f"Le fichier « {row.filename} » est un fichier {type_label(row.media_type)} : "
                f"ce champ attend {labels(field.types)}."
            )
            continue
        with_value(result, field.path, reference(row))
        if row.instance_id is None and all(c.id != row.id for c in claimed):
            claimed.append(Claimed(row.id, row.filename, field))
    if errors:
        parts = [f"{f.label} : {errors[f.path]}" for f, _ in present if f.path in errors]
        raise InvalidInput("Pièces jointes — " + " ; ".join(parts), fields=errors)
    return result, claimed


def attach(
    connection: Connection,
    claimed: list[Claimed],
    *,
    instance_id: int,
    lock_version: int,
    actor: str | None,
    now: datetime,
    task_id: str | None = None,
    bpmn_id: str | None = None,
    task_name: str | None = None,
) -> None:
    """Attach the claimed files to the dossier, with one history entry each (a signature says
    who signed what). Part of the step's transaction: a file attached meanwhile to another
    dossier (the same staged file sent twice at once) fails the step with Conflict."""
    if not claimed:
        return
    events = []
    for item in claimed:
        done = store.attach_staged(
            connection, item.id, instance_id=instance_id, task_id=task_id,
            field=item.field.path[:200], label=item.field.label[:300],
            signature=item.field.signature, attached_by=actor, attached_at=now,
        )  # fmt: skip
        if not done:
            raise Conflict(
                f"Le fichier « {item.filename} » vient d'être joint à un autre envoi : "
                "envoyez-le de nouveau."
            )
        if item.field.signature:
            label = f"{task_name or item.field.label} — document signé : {item.filename}"
        else:
            label = f"{item.field.label} : {item.filename}"
        events.append(
            {
                "instance_id": instance_id, "at": now, "actor": actor,
                "kind": SIGNED if item.field.signature else ATTACHED, "task_id": task_id,
                "bpmn_id": bpmn_id, "label": label[:300], "changes": None,
                "lock_version": lock_version,
            }
        )  # fmt: skip
    store.insert_history(connection, events)


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class Listed:
    """One file of a dossier as its page lists it."""

    id: int
    filename: str
    size: int
    media_type: str
    label: str
    signature: bool
    attached_by: str | None
    attached_by_name: str | None
    attached_at: datetime | None
    task_name: str | None

    @property
    def size_text(self) -> str:
        """« 12 octets », « 340 Ko », « 1,5 Mo »."""
        return l10n.file_size(self.size)

    @property
    def type_label(self) -> str:
        return type_label(self.media_type)


def for_dossier(services: Services, viewer: Viewer, reference: str) -> list[Listed]:
    """The files attached to a dossier the viewer may see (none otherwise), oldest first."""
    with services.read() as connection:
        rows = store.dossier_files(
            connection, str(reference).strip().upper(), viewer.dossier_filter()
        )
        also = other_territories.of(connection, rows[0].instance_id) if rows else ()
    hidden = (
        visibility.hidden_paths(
            services, viewer, version_id=rows[0].instance_version,
            territory=rows[0].instance_territory, siren=rows[0].instance_siren, also=also,
        )
        if rows
        else []
    )  # fmt: skip
    return [
        Listed(
            id=row.id, filename=row.filename, size=row.size, media_type=row.media_type,
            label=row.label or "", signature=row.signature, attached_by=row.attached_by,
            attached_by_name=row.attacher_name, attached_at=row.attached_at,
            task_name=row.task_name,
        )
        for row in rows
        if not visibility.under(row.field, hidden)
    ]  # fmt: skip


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    content: bytes


def download(services: Services, viewer: Viewer, attachment_id: int) -> Download:
    """A file's bytes, for whoever may see its dossier (the rules of `Viewer.dossier_filter`),
    or, not attached yet, for whoever sent it. NotFound for anyone else, as for a file that
    does not exist."""
    dossier = None
    with services.read() as connection:
        row = store.attachment_row(connection, attachment_id)
        if row is None:
            allowed = False
        elif row.instance_id is None:
            allowed = viewer.operator or row.uploaded_by == viewer.login
        else:
            dossier = store.dossier_within(connection, row.instance_id, viewer.dossier_filter())
            allowed = dossier is not None
            also = other_territories.of(connection, row.instance_id) if allowed else ()
    if allowed and row is not None and dossier is not None:
        # A file attached in an internal field is as unknown to the authority as its field.
        hidden = visibility.hidden_paths(
            services, viewer, version_id=dossier.process_version_id,
            territory=dossier.territory, siren=dossier.siren, also=also,
        )  # fmt: skip
        allowed = not visibility.under(row.field, hidden)
    if not allowed or row is None:
        raise NotFound(f"Pièce jointe introuvable : « {attachment_id} ».")
    content = services.blob_store().get(row.sha256)
    return Download(row.filename, row.media_type, content)

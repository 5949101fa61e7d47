"""Attached files on the web: receiving them with a form's post, handing them out.

A form with file fields is posted as multipart; `receive` stages each file sent (checked and
stored at once, in its own transaction) and puts its reference in the form's data, and takes
back the files already received, which the re-shown form carries as hidden inputs named like
the field (« déjà reçu »): a step that fails loses no file, and the person does not send it
again. Downloads go through `/pieces/<id>`, for whoever may see the file's dossier.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Blueprint, request, send_file
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine import l10n
from engine.errors import InvalidInput
from engine.forms.files import FILE_WIDGET, file_fields, with_value
from engine.service.dossiers import attachments

from ..access import services, viewer

blueprint = Blueprint("attachments", __name__, url_prefix="/pieces")


def receive(
    schema: Mapping[str, Any] | None, data: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's data with its files (new ones staged, received ones taken back), and the
    message of each file refused, by field. A refused file leaves the one received before,
    if any, in place."""
    fields = file_fields(schema)
    if not fields:
        return data, {}
    kept = {f.path: int(v) for f in fields if (v := request.form.get(f.path, "")).isdigit()}
    known = attachments.describe(services(), viewer(), list(kept.values()))
    errors: dict[str, str] = {}
    for field in fields:
        received = known.get(kept.get(field.path, -1))
        upload = request.files.get(field.path)
        if upload is not None and upload.filename:
            limit = attachments.limit_for(services(), field)
            content = upload.stream.read(limit + 1)
            try:
                received = attachments.stage(services(), viewer(), upload.filename, content, field)
            except InvalidInput as error:
                errors[field.path] = error.message
        with_value(data, field.path, received)
    return data, errors


def _fields(fields: Iterable[Any]) -> Iterable[Any]:
    for item in fields:
        yield item
        yield from _fields(item.children)


@blueprint.app_template_global()
def form_enctype(fields: Iterable[Any]) -> str:
    """multipart/form-data for a form with a file field (files are not sent otherwise)."""
    if any(f.widget == FILE_WIDGET for f in _fields(fields)):
        return "multipart/form-data"
    return "application/x-www-form-urlencoded"


@blueprint.app_template_global()
def max_file_size() -> str:
    """The platform's limit per file (« 10,0 Mo »), for fields that set none of their own."""
    return l10n.file_size(services().attachment_max_bytes)


@blueprint.get("/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> ResponseReturnValue:
    """The file, always as a download (never shown inside the application's pages)."""
    found = attachments.download(services(), viewer(), attachment_id)
    response = send_file(
        io.BytesIO(found.content), mimetype=found.media_type, as_attachment=True,
        download_name=found.filename, max_age=0,
    )  # fmt: skip
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response

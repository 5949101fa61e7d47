"""Files sent through the API: uploaded first, then named in a form's data by the reference
this returns — as the pages do with a form's file fields. Checked on receipt (type by content,
size); a file nobody attaches stays the uploader's and is never shown to anyone else."""

from __future__ import annotations

from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from engine.errors import InvalidInput
from engine.service.dossiers import attachments

from ..access import services
from . import caller
from .blueprints import SECURITY, authenticated

blueprint = authenticated("api_files", __name__, "/api/v1/files", "Fichiers")


class UploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "Le fichier (PDF, image, tableur…)"})


class FileReferenceSchema(Schema):
    id = fields.Integer(required=True)
    nom = fields.String(required=True)
    taille = fields.Integer(required=True)
    type = fields.String(required=True)
    empreinte = fields.String(required=True, metadata={"description": "SHA-256 du contenu"})


@blueprint.post("")
@blueprint.arguments(UploadSchema, location="files")
@blueprint.response(201, FileReferenceSchema)
@blueprint.doc(security=SECURITY)
def upload(form: dict[str, Any]) -> dict[str, Any]:
    """Envoyer un fichier ; la référence rendue se met dans le champ fichier d'un formulaire
    (dépôt ou tâche)."""
    received = form["file"]
    limit = attachments.limit_for(services(), None)
    content = received.stream.read(limit + 1)
    if not received.filename:
        raise InvalidInput("Le fichier n'a pas de nom.", fields={"file": "Nom manquant."})
    try:
        return attachments.stage(services(), caller.viewer(), received.filename, content)
    except InvalidInput as error:
        raise InvalidInput(error.message, fields={"file": error.message}) from None

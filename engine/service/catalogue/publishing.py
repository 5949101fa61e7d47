"""Publishing a draft: the validator's errors block it; the files become an immutable,
hash-addressed version that new dossiers start on at once, and the draft closes.

One transaction: the version (or versions, when the draft also holds processes it calls) is
recorded, the draft deleted and the publication logged together, and only if the draft is
still the one the owner reviewed (its lock version). Running dossiers stay on their version.
"""

from __future__ import annotations

from ...definitions import prepare
from ...errors import Conflict, InvalidInput
from ...store import process_editing as store
from ..context import Services
from ..version_catalogue import specs_of
from ..viewer import Viewer
from . import deployments, editing, ownership
from .deployments import DeployedVersion


def publish(
    services: Services, viewer: Viewer, process_id: str, lock_version: int
) -> DeployedVersion:
    draft = editing.get_draft(services, viewer, process_id)
    if draft.lock_version != lock_version:
        raise Conflict(
            "Le brouillon a été enregistré depuis que vous avez relu ses modifications : "
            "relisez-les avant de publier."
        )
    if process_id not in editing.declared_processes(draft.files):
        raise InvalidInput(
            f"Le brouillon ne définit plus le processus « {process_id} » : l'identifiant du "
            "processus ne change pas d'une version à l'autre."
        )
    sources, forms = editing.sources_of(draft.files)
    bundles = prepare(sources, forms.get, parse=specs_of)
    now = services.clock.now()
    with services.write() as connection:
        ownership.require_editor(connection, viewer, process_id)
        row = store.draft(connection, process_id, for_update=True)
        if row is None or row.lock_version != lock_version:
            raise Conflict("Le brouillon a changé pendant la publication : relisez-le.")
        results = [
            deployments.record_bundle(connection, bundle, now, viewer.login, restore=True)
            for bundle in bundles
        ]
        store.delete_draft(connection, process_id)
        published = next(r for r in results if r.process_id == process_id)
        ownership.record(
            connection, process_id, "publication",
            f"version {published.version} (empreinte {published.content_hash[:12]})",
            at=now, actor=viewer.login,
        )  # fmt: skip
    return published

"""Which of a dossier's data a viewer reads: the forms' fields, less the internal ones for the
requesting authority.

The one place that decides it: the dossier page, the task pages, the files of the dossier
and whatever else shows dossier data ask here (engine.forms.internal says what the form
files declare, `Viewer.sees_internal` who reads internal fields).
"""

from __future__ import annotations

import json
from typing import Any

from ...definitions.bundle import FORMS
from ...forms.internal import form_properties, internal_paths, public_data
from ..context import Services
from ..version_catalogue import VersionFiles
from ..viewer import Viewer


def form_fields(services: Services, version_id: int) -> dict[str, dict[str, Any]]:
    """The JSON Schema of each field the forms of a version declare, by field name.

    The start form comes first, then each task form in the order of the process (a field two
    forms declare keeps its first declaration): what a dossier page needs to show data with the
    forms' labels, in the order people filled them. A field of a form marked internal as a
    whole carries the mark itself (`"x-interne": true`).
    """
    with services.read() as connection:
        return services.versions.derived(version_id, connection, "form_fields", _form_fields)


def _form_fields(version: VersionFiles) -> dict[str, dict[str, Any]]:
    files, start_form = version.files, version.start_form
    forms = []
    if start_form and FORMS + start_form in files:
        forms.append(files[FORMS + start_form])
    diagrams = "".join(text for name, text in sorted(files.items()) if name.endswith(".bpmn"))

    def place_in_process(name: str) -> tuple[int, str]:
        """Task forms in the order the BPMN names them, which follows the process as drawn."""
        found = diagrams.find(f">{name.removeprefix(FORMS)}<")
        return (found if found >= 0 else len(diagrams), name)

    forms.extend(
        files[name] for name in sorted(files, key=place_in_process)
        if name.startswith(FORMS) and name != FORMS + (start_form or "")
    )  # fmt: skip
    fields: dict[str, dict[str, Any]] = {}
    for text in forms:
        form = json.loads(text)
        properties = form_properties(form)
        for name in [*form.get("x-ordre", []), *properties]:
            if name in properties:
                fields.setdefault(name, properties[name])
    return fields


def visible_data(
    services: Services,
    viewer: Viewer,
    *,
    version_id: int | None,
    territory: str,
    siren: str,
    data: dict[str, Any],
) -> dict[str, Any]:
    """The dossier's data as this viewer may read it: all of it for the staff, without the
    internal fields for the requesting authority."""
    if viewer.sees_internal(territory, siren) or version_id is None:
        return data
    return public_data(data, form_fields(services, version_id))


def hidden_paths(
    services: Services, viewer: Viewer, *, version_id: int | None, territory: str, siren: str
) -> list[str]:
    """Dotted paths of the fields this viewer may not read (none for the staff): a file
    attached in one of them is neither listed nor given to the viewer."""
    if viewer.sees_internal(territory, siren) or version_id is None:
        return []
    return internal_paths(form_fields(services, version_id))


def under(path: str | None, paths: list[str]) -> bool:
    """Whether the dotted `path` is one of `paths` or inside one of them."""
    if not path:
        return False
    return any(path == hidden or path.startswith(f"{hidden}.") for hidden in paths)

"""Which of a dossier's data a viewer reads: what the forms declare for the roles they hold.

The one place that decides it: the dossier page, the task pages, the files of the dossier, the
search's export, the notices and whatever else shows dossier data ask here. engine.forms.readers
is the rule (each field lists its readers, `x-lecteurs`; the engine's own variables are declared
in `x-donnees`, the staff's when declared nowhere), `Viewer.roles_over` the roles a viewer holds
over one dossier.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ...definitions.bundle import FORMS
from ...forms import readers
from ...forms.readers import ENGINE_MARK, Roles, engine_declarations, form_properties
from ..context import Services
from ..version_catalogue import VersionFiles
from ..viewer import Viewer


def form_fields(services: Services, version_id: int) -> dict[str, dict[str, Any]]:
    """The JSON Schema of each field the forms of a version declare, by field name.

    The start form comes first, then each task form in the order of the process (a field two
    forms declare keeps its first declaration): what a dossier page needs to show data with the
    forms' labels, in the order people filled them. A field of a form that declares its
    readers as a whole carries the declaration itself. The engine's variables the forms declare
    (`x-donnees`) follow, marked `readers.ENGINE_MARK`.
    """
    with services.read() as connection:
        return services.versions.derived(version_id, connection, "form_fields", _form_fields)


def entered_fields(services: Services, version_id: int) -> dict[str, dict[str, Any]]:
    """The fields the forms of a version ask people to fill (`form_fields` without the
    engine's variables): the amount columns of the search's export."""
    fields = form_fields(services, version_id)
    return {name: schema for name, schema in fields.items() if not schema.get(ENGINE_MARK)}


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
    engine: dict[str, dict[str, Any]] = {}
    for text in forms:
        form = json.loads(text)
        properties = form_properties(form)
        for name in [*form.get("x-ordre", []), *properties]:
            if name in properties:
                fields.setdefault(name, properties[name])
        for name, schema in engine_declarations(form).items():
            engine.setdefault(name, schema)
    for name, schema in engine.items():
        fields.setdefault(name, schema)
    return fields


@dataclass(frozen=True)
class DossierReader:
    """How one viewer (the roles they hold over a dossier) reads that dossier's data."""

    #: None: an operator, who reads everything.
    roles: Roles
    #: The version's declarations by name (`form_fields`).
    fields: Mapping[str, Any]

    def data(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return readers.readable_data(data, self.fields, self.roles)

    def changes(self, changes: dict[str, Any] | None) -> dict[str, Any] | None:
        """A history entry's changes without what the viewer does not read."""
        if not changes or self.roles is None:
            return changes
        return readers.readable_changes(changes, self.fields, self.roles)

    def hidden_paths(self) -> list[str]:
        """Dotted paths of the fields the viewer does not read: a file attached in one of
        them is neither listed nor given to them."""
        return readers.hidden_paths(self.fields, self.roles)


def reader_for(services: Services, roles: Roles, version_id: int | None) -> DossierReader:
    """How holders of `roles` read a dossier of this version (a notice to the requesting
    authority is written from `reader_for(services, {COLLECTIVITE}, version)`)."""
    if roles is None or version_id is None:
        return DossierReader(roles, {})
    return DossierReader(frozenset(roles), form_fields(services, version_id))


def reader(
    services: Services, viewer: Viewer, *, version_id: int | None, territory: str, siren: str,
    also: Iterable[str] = (),
) -> DossierReader:  # fmt: skip
    """How this viewer reads a dossier: by the roles they hold over it (`Viewer.roles_over`;
    `also`: the dossier's other départements)."""
    return reader_for(services, viewer.roles_over(territory, siren, also), version_id)


def visible_data(
    services: Services,
    viewer: Viewer,
    *,
    version_id: int | None,
    territory: str,
    siren: str,
    data: dict[str, Any],
    also: Iterable[str] = (),
) -> dict[str, Any]:
    """The dossier's data as this viewer may read it: the fields one of the roles they hold
    over the dossier reads. `also`: the dossier's other départements."""
    found = reader(
        services, viewer, version_id=version_id, territory=territory, siren=siren, also=also
    )
    return found.data(data)


def hidden_paths(
    services: Services, viewer: Viewer, *, version_id: int | None, territory: str, siren: str,
    also: Iterable[str] = (),
) -> list[str]:  # fmt: skip
    """Dotted paths of the fields this viewer may not read: a file attached in one of them is
    neither listed nor given to the viewer."""
    found = reader(
        services, viewer, version_id=version_id, territory=territory, siren=siren, also=also
    )
    return found.hidden_paths()


def under(path: str | None, paths: list[str]) -> bool:
    """Whether the dotted `path` is one of `paths` or inside one of them."""
    if not path:
        return False
    return any(path == hidden or path.startswith(f"{hidden}.") for hidden in paths)

"""Who opens a dossier of a procedure, and for which territory.

The procedure says who opens it: the lane of its start event (`collectivite`, or none, for a
request an authority files; `equipe_nationale` for a contract the national team opens...).
An authority files only for its own territory — its commune, the communes of its EPCI, its
département for a département council, the départements of its région — read from the official
data: a commune of Creuse cannot file a request routed to the Ardennes. An organisation the data
does not describe (a syndicat mixte, an association) has no territory to check: it files
wherever its form or its choice places the dossier, and the préfet of that département instructs
it. Staff open dossiers within their grant's scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from ...definitions.parser import start_lanes
from ...errors import InvalidInput
from ...roles import COLLECTIVITE
from ...scope import expand
from ...territory import OrganisationTerritory, check_siren
from ..catalogue.deployments import ProcessSummary
from ..context import Services
from ..viewer import Viewer
from .search import authority_sirens

#: Keys of InvalidInput's `fields` for the portal's own choices (not fields of the form).
TERRITORY_FIELD = "territoire"
SIREN_FIELD = "siren_dossier"


def starters(services: Services, connection: Connection, version: ProcessSummary) -> set[str]:
    """The roles that open dossiers of this version (a start event without lane: authorities)."""
    if not version.start_form:
        return set()
    spec, _ = services.specs(version.version_id, connection)
    lanes = start_lanes(spec)
    return {lane or COLLECTIVITE for lane in lanes}


def may_open(viewer: Viewer, roles: set[str]) -> bool:
    """Whether the viewer opens dossiers of a procedure its start lanes give to `roles`."""
    if COLLECTIVITE in roles and authority_sirens(viewer):
        return True
    return any(g.role in roles and g.role != COLLECTIVITE for g in viewer.grants)


def files_as_authority(viewer: Viewer, roles: set[str]) -> bool:
    """An authority files for itself; staff open a dossier for an organisation they name."""
    return COLLECTIVITE in roles and bool(authority_sirens(viewer))


@dataclass(frozen=True)
class Place:
    """Where the filer may open a dossier."""

    #: « Guéret », « CA Ardenne Métropole », « votre périmètre ».
    name: str
    communes: frozenset[str] | None
    departements: frozenset[str]

    def covers_commune(self, services: Services, code: str) -> bool:
        if self.communes is not None:
            return code in self.communes
        return services.territories.commune_departement(code) in self.departements


def place_of(services: Services, viewer: Viewer, siren: str | None, as_authority: bool) -> Place:
    """The territory an authority speaks for (by the SIREN it files with), or the scope of a
    staff member's grants."""
    every = frozenset(services.territories.departements)
    if as_authority:
        found: OrganisationTerritory | None = services.territories.organisation(siren or "")
        if found is None:
            return Place("votre organisation", None, every)
        return Place(found.name, found.communes, found.departements)
    scopes = {g.scope for g in viewer.grants if g.role != COLLECTIVITE}
    if viewer.operator or None in scopes:
        return Place("votre périmètre", None, every)
    departements: set[str] = set()
    for scope in scopes:
        departements.update(d for d in expand(scope, services.territories) if d in every)
    return Place("votre périmètre", None, frozenset(departements))


def departement_choices(services: Services, place: Place) -> list[Any]:
    """The départements offered in the portal's list: those the filer may file in."""
    return sorted(
        (d for d in services.territories.departements.values() if d.code in place.departements),
        key=lambda d: d.code,
    )


def _formatted_fields(schema: dict[str, Any], *formats: str) -> list[tuple[str, str]]:
    """(name, format) of the top-level fields of these formats, in the form's order."""
    properties = schema.get("properties", {})
    order = [*schema.get("x-ordre", []), *properties]
    seen, found = set(), []
    for name in order:
        if name in seen or name not in properties:
            continue
        seen.add(name)
        fmt = properties[name].get("format") if isinstance(properties[name], dict) else None
        if fmt in formats:
            found.append((name, fmt))
    return found


def territory_from_form(schema: dict[str, Any]) -> bool:
    """Whether the form itself says where (a commune or a département field)."""
    return bool(_formatted_fields(schema, "commune", "departement"))


def _outside(place: Place, what: str) -> str:
    return (
        f"{what} n'est pas sur le territoire de {place.name} : vous ne pouvez déposer que "
        "pour votre propre territoire."
    )


def locate(
    services: Services, schema: dict[str, Any], data: dict[str, Any], chosen: str | None,
    place: Place,
) -> tuple[str | None, dict[str, str]]:  # fmt: skip
    """The dossier's département — from the form's commune or département field, else the one
    chosen in the list — with the errors to show by field: a place outside the filer's own
    territory is refused."""
    fields = _formatted_fields(schema, "commune", "departement")
    errors: dict[str, str] = {}
    found: str | None = None
    for name, fmt in fields:
        value = data.get(name)
        if not isinstance(value, str) or not value:
            continue
        if fmt == "commune":
            code = services.territories.commune_departement(value)
            if code and not place.covers_commune(services, value):
                errors[name] = _outside(place, f"La commune {value}")
                continue
        else:
            code = value
            if services.territories.has_departement(code) and code not in place.departements:
                errors[name] = _outside(place, f"Le département {services.territories.label(code)}")
                continue
        if found is None and code and services.territories.has_departement(code):
            found = code
    if fields:
        # Nothing found: the form's own validation says what is missing or wrong.
        return (None if errors else found), errors
    if not chosen:
        return None, {TERRITORY_FIELD: "Choisissez le département du dossier."}
    try:
        code = services.territories.departement(chosen).code
    except InvalidInput:
        return None, {TERRITORY_FIELD: "Code de département inconnu."}
    if code not in place.departements:
        return None, {
            TERRITORY_FIELD: _outside(place, f"Le département {services.territories.label(code)}")
        }
    return code, {}


def named_organisation(value: str | None) -> tuple[str | None, dict[str, str]]:
    """The SIREN staff give for the organisation a dossier is opened for."""
    if not value:
        return None, {SIREN_FIELD: "Indiquez le SIREN de la collectivité du dossier."}
    try:
        return check_siren(value.replace(" ", "")), {}
    except InvalidInput as error:
        return None, {SIREN_FIELD: error.message}

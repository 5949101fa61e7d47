"""What a person may file or open, an authority's drafts, and filing.

A procedure is offered when its version in service has a start form and its start event lies
in a lane of the person's role (`collectivite`, or none: authorities; `equipe_nationale`: the
national team opens the contract itself — see `filers`). A call for applications (a start form that asks for a
`campagne`) is offered once per campaign of that procedure open at this moment, the campaign's
code filling the field.

A draft is a request being written: the signed-in person's own, never an instance (nothing
runs, nobody else sees it). It keeps only the fields the start form declares, unchecked.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from ...errors import Forbidden, InvalidInput, NotFound
from ...forms import validate_submission
from ...forms.natures import DossierOrganisation, prefilled_natures
from ...store import drafts as store
from ..campaigns import calls
from ..catalogue.deployments import ProcessSummary, current_version_in, current_versions
from ..context import Services
from ..data_checks import check_data
from ..viewer import Viewer
from . import filers
from .instances import ORGANISATION_FIELDS, Once, StartedInstance, start
from .search import authority_sirens

#: The start-form field a call's campaign code fills.
CAMPAIGN_FIELD = "campagne"
#: The keys of the portal's own choices in InvalidInput's `fields`, and their labels.
TERRITORY_FIELD, SIREN_FIELD = filers.TERRITORY_FIELD, filers.SIREN_FIELD
PORTAL_LABELS = {TERRITORY_FIELD: "Département du dossier", SIREN_FIELD: "Collectivité du dossier"}


@dataclass(frozen=True)
class StartForm:
    """A procedure an authority may start now, with the form it fills."""

    process_id: str
    name: str
    version: int
    version_id: int
    form_ref: str
    schema: dict[str, Any]
    campaign: calls.Campaign | None = None
    #: An authority files for itself; staff (the national team opening a contract) name the
    #: organisation the dossier is for.
    as_authority: bool = True

    @property
    def title(self) -> str:
        return self.campaign.name if self.campaign else self.name

    @property
    def territory_from_form(self) -> bool:
        """Whether the form itself says where (a commune or a département field)."""
        return filers.territory_from_form(self.schema)


@dataclass(frozen=True)
class DraftRecord:
    id: int
    process_id: str
    process_name: str
    siren: str
    territory: str | None
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @property
    def campaign(self) -> str | None:
        value = self.data.get(CAMPAIGN_FIELD)
        return value if isinstance(value, str) and value else None

    @property
    def summary(self) -> str | None:
        """The first words typed (a project's title, usually), to recognise the draft."""
        for name, value in self.data.items():
            text = value.strip() if isinstance(value, str) else ""
            if name != CAMPAIGN_FIELD and len(text) > 2 and not text.isdigit():
                return text if len(text) <= 120 else text[:119] + "…"
        return None


# ---------------------------------------------------------------- what may be started


def _startable(
    services: Services, connection: Connection, version: ProcessSummary, viewer: Viewer
) -> bool:
    """Whether this viewer opens dossiers of this version (the lane of its start event)."""
    return filers.may_open(viewer, filers.starters(services, connection, version))


def _schema(services: Services, connection: Connection, version: ProcessSummary) -> dict[str, Any]:
    return services.form_validator(version.version_id, version.start_form, connection).schema


def _form(
    version: ProcessSummary, schema: dict[str, Any], campaign: Any = None, *,
    as_authority: bool = True,
) -> StartForm:  # fmt: skip
    return StartForm(
        version.process_id, version.name, version.version, version.version_id,
        version.start_form or "", schema, campaign, as_authority,
    )  # fmt: skip


def offers(services: Services, viewer: Viewer) -> list[StartForm]:
    """The requests, applications and procedures this person may open now."""
    now = services.clock.now()
    found = []
    versions = current_versions(services)
    with services.read() as connection:
        for version in versions:
            if not _startable(services, connection, version, viewer):
                continue
            schema = _schema(services, connection, version)
            if CAMPAIGN_FIELD in schema.get("properties", {}):
                found.extend(
                    _form(version, schema, campaign)
                    for campaign in calls.open_in(connection, version.process_id, now)
                )
            else:
                found.append(_form(version, schema))
    return found


def start_form(
    services: Services, viewer: Viewer, process_id: str, campaign: str | None = None
) -> StartForm:
    """The form to file for a procedure (and campaign, for a call), if it may be filed now."""
    with services.read() as connection:
        try:
            version = current_version_in(connection, process_id)
        except NotFound:
            version = None
        roles = filers.starters(services, connection, version) if version else set()
        if version is None or not roles:
            raise NotFound(f"Aucune demande à déposer pour « {process_id} ».")
        if not filers.may_open(viewer, roles):
            raise Forbidden(f"Votre rôle ne permet pas d'ouvrir un dossier « {version.name} ».")
        schema = _schema(services, connection, version)
        as_authority = filers.files_as_authority(viewer, roles)
        if CAMPAIGN_FIELD not in schema.get("properties", {}):
            return _form(version, schema, as_authority=as_authority)
        if not campaign:
            raise NotFound("Choisissez l'appel auquel vous répondez.")
        try:
            found = calls.get_in(connection, campaign)
        except NotFound:
            found = None
    if found is None or found.process_id != process_id:
        raise NotFound(f"Appel inconnu : « {campaign} ».")
    now = services.clock.now()
    if now < found.opens_at:
        raise InvalidInput(f"L'appel « {found.name} » n'est pas encore ouvert.")
    if now >= found.closes_at:
        raise InvalidInput(f"L'appel « {found.name} » est clos : les dépôts ne sont plus acceptés.")
    return _form(version, schema, found, as_authority=as_authority)


# ---------------------------------------------------------------- territory


def default_territory(services: Services, viewer: Viewer) -> str | None:
    """The département an authority most likely files in: its organisation's, from the
    official data, else that of its latest dossier."""
    sirens = authority_sirens(viewer)
    for siren in sirens:
        found = services.territories.organisation_departement(siren)
        if found:
            return found
    if not sirens:
        return None
    with services.read() as connection:
        return store.latest_territory(connection, sirens)


def departement_choices(services: Services, viewer: Viewer, form: StartForm) -> list[Any]:
    """The départements the portal's list offers this filer (its own territory's)."""
    sirens = authority_sirens(viewer) if form.as_authority else []
    place = filers.place_of(services, viewer, sirens[0] if sirens else None, form.as_authority)
    return filers.departement_choices(services, place)


def prefill(
    services: Services, viewer: Viewer, form: StartForm, organisation: str | None = None
) -> dict[str, Any]:
    """What a new form can say already: the organisation's SIREN, name and département."""
    sirens = authority_sirens(viewer)
    data: dict[str, Any] = {}
    for name, schema in form.schema.get("properties", {}).items():
        if not isinstance(schema, dict) or schema.get("type") != "string":
            continue
        fmt = schema.get("format")
        if fmt == "siren" and name.startswith("siren") and sirens:
            data[name] = sirens[0]
        elif fmt == "departement":
            territory = default_territory(services, viewer)
            if territory:
                data[name] = territory
        elif name in ORGANISATION_FIELDS and organisation and "enum" not in schema:
            data[name] = organisation
    if sirens and form.as_authority:
        here = DossierOrganisation(services.territories, sirens[0])
        data.update(prefilled_natures(form.schema, here, data))
    return data


# ---------------------------------------------------------------- drafts


def _declared(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    check_data(data, "données du brouillon")
    return {k: v for k, v in data.items() if k in schema.get("properties", {})}


def _siren_for(
    viewer: Viewer, data: dict[str, Any], siren: str | None = None, *, form: StartForm
) -> str:
    """The organisation the dossier is for: the authority's own (the one its form names, if it
    speaks for several), or the one staff name."""
    if not form.as_authority:
        return (siren or "").strip()[:9]
    sirens = authority_sirens(viewer)
    for candidate in (siren, data.get("siren")):
        if isinstance(candidate, str) and candidate in sirens:
            return candidate
    return sirens[0]


def save(
    services: Services,
    viewer: Viewer,
    process_id: str,
    data: dict[str, Any],
    *,
    campaign: str | None = None,
    territory: str | None = None,
    draft_id: int | None = None,
    siren: str | None = None,
) -> int:
    """Keep what the person typed so far (new draft, or an update of theirs); returns its id."""
    form = start_form(services, viewer, process_id, campaign)
    if not form.as_authority:
        raise Forbidden("Les brouillons sont réservés aux collectivités : déposez le formulaire.")
    values = _declared(form.schema, dict(data))
    if form.campaign is not None:
        values[CAMPAIGN_FIELD] = form.campaign.code
    row = {
        "process_id": process_id,
        "siren": _siren_for(viewer, values, siren, form=form),
        "territory": (territory or "").strip()[:3] or None,
        "data": values,
        "updated_at": services.clock.now(),
    }
    with services.write() as connection:
        if draft_id is not None:
            if store.update_draft(connection, draft_id, viewer.login, **row) == 1:
                return draft_id
            raise NotFound(f"Brouillon introuvable : « {draft_id} ».")
        return store.insert_draft(
            connection, login=viewer.login, created_at=row["updated_at"], **row
        )


def _record(row: Any, names: dict[str, str]) -> DraftRecord:
    return DraftRecord(
        row.id, row.process_id, names.get(row.process_id, row.process_id), row.siren,
        row.territory, row.data or {}, row.created_at, row.updated_at,
    )  # fmt: skip


def _names(services: Services) -> dict[str, str]:
    return {
        version.process_id: version.name for version in current_versions(services, retired=True)
    }


def list_drafts(services: Services, viewer: Viewer) -> list[DraftRecord]:
    """The signed-in person's drafts, last changed first."""
    with services.read() as connection:
        rows = store.drafts_of(connection, viewer.login)
    names = _names(services) if rows else {}
    return [_record(row, names) for row in rows]


def get(services: Services, viewer: Viewer, draft_id: int) -> DraftRecord:
    with services.read() as connection:
        row = store.draft_row(connection, draft_id, viewer.login)
    if row is None:
        raise NotFound(f"Brouillon introuvable : « {draft_id} ».")
    return _record(row, _names(services))


def remove(services: Services, viewer: Viewer, draft_id: int) -> None:
    with services.write() as connection:
        gone = store.delete_draft(connection, draft_id, viewer.login)
    if gone != 1:
        raise NotFound(f"Brouillon introuvable : « {draft_id} ».")


# ---------------------------------------------------------------- filing


def file(
    services: Services,
    viewer: Viewer,
    process_id: str,
    data: dict[str, Any],
    *,
    organisation: str | None = None,
    territory: str | None = None,
    campaign: str | None = None,
    draft_id: int | None = None,
    siren: str | None = None,
    once: Once | None = None,
) -> StartedInstance:
    """File a request or application for the authority (or open a dossier, for staff, for the
    organisation `siren`): the form's data checked on the server (errors by field,
    InvalidInput), the dossier started in its département — within the filer's own
    territory — and routed from there; the draft it came from, if any, is then deleted."""
    form = start_form(services, viewer, process_id, campaign)
    values = dict(check_data(dict(data), "données du formulaire"))
    if form.campaign is not None:
        values[CAMPAIGN_FIELD] = form.campaign.code
    sirens = authority_sirens(viewer) if form.as_authority else []
    errors: dict[str, str] = {}
    if not form.as_authority:
        siren, problems = filers.named_organisation(siren)
        errors.update(problems)
    if form.as_authority and "siren" in form.schema.get("properties", {}):
        given = values.get("siren")
        if isinstance(given, str) and given and given not in sirens:
            errors["siren"] = (
                "Indiquez le SIREN de votre collectivité ("
                + ", ".join(sirens)
                + ") : vous ne pouvez déposer que pour elle."
            )
    with services.read() as connection:
        validator = services.form_validator(form.version_id, form.form_ref, connection)
    filer = _siren_for(viewer, values, siren, form=form)
    try:
        validate_submission(
            validator, values, organisation=DossierOrganisation(services.territories, filer or None)
        )
    except InvalidInput as error:
        for name, message in (error.details.get("fields") or {}).items():
            errors.setdefault(name, message)
    place = filers.place_of(services, viewer, filer, form.as_authority)
    departement, problems = filers.locate(services, form.schema, values, territory, place)
    errors.update({k: v for k, v in problems.items() if k not in errors})
    if errors or departement is None:
        labels = form.schema.get("properties", {})
        parts = [
            f"{labels.get(name.split('.')[0], {}).get('title') or PORTAL_LABELS.get(name, name)} "
            f": {message}"
            for name, message in errors.items()
        ]
        raise InvalidInput(
            "Le formulaire est incomplet ou invalide — " + " ; ".join(parts), fields=errors
        )
    started = start(
        services, process_id, territory=departement, siren=filer,
        data=values, actor=viewer.login, organisation=organisation, once=once,
    )  # fmt: skip
    if draft_id is not None:
        with contextlib.suppress(NotFound):
            remove(services, viewer, draft_id)
    return started

"""The national team's management of the calls: list, create, change dates and caps, open, close.

Every function checks who asks (the national team without a programme limit, or an operator)
and validates the whole form before writing anything. A refusal is one `InvalidInput` whose
`errors` detail maps each faulty field (the names of CREATE_FIELDS) to its French message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ... import l10n
from ...clock import PARIS, as_utc
from ...errors import Forbidden, InvalidInput, NotFound
from ...roles import EQUIPE_NATIONALE
from ...store import campaigns as store
from ..catalogue.deployments import current_versions
from ..context import Services
from ..field_errors import FieldErrors
from ..viewer import Viewer
from . import programmes
from .calls import Campaign, cents, euros, from_row, get

UPCOMING, OPEN, CLOSED = "a_venir", "ouvert", "clos"
STATE_LABELS = {UPCOMING: "À venir", OPEN: "Ouvert", CLOSED: "Clos"}
#: The fields of the creation form, as the service's errors name them.
CREATE_FIELDS = (
    "code", "process_id", "name", "opens_at", "closes_at", "instruction_deadline",
    "committee_at", "envelope", "max_laureates", "programme",
)  # fmt: skip
#: What may change once the campaign exists: its dates and its caps, never its code, procedure
#: or programme (its grants count in the programme's totals).
EDIT_FIELDS = CREATE_FIELDS[3:-1]
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,59}$")


@dataclass(frozen=True)
class CampaignSummary:
    """A campaign as the national team's list shows it."""

    campaign: Campaign
    state: str
    applications: int
    process_name: str

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def state_of(campaign: Campaign, now: datetime) -> str:
    if now < campaign.opens_at:
        return UPCOMING
    return OPEN if now < campaign.closes_at else CLOSED


def require_national_team(viewer: Viewer) -> None:
    """Calls are national: only the national team without a programme limit manages them."""
    if viewer.operator or any(
        grant.role == EQUIPE_NATIONALE and grant.scope is None for grant in viewer.grants
    ):
        return
    raise Forbidden("La gestion des appels à projets est réservée à l'équipe nationale.")


def call_procedures(services: Services) -> dict[str, str]:
    """process id → name of the deployed procedures whose start form answers a call."""
    found = {}
    versions = current_versions(services)
    with services.read() as connection:
        for version in versions:
            if not version.start_form:
                continue
            try:
                schema = services.form_validator(
                    version.version_id, version.start_form, connection
                ).schema
            except KeyError:
                continue
            if store.FIELD in (schema.get("properties") or {}):
                found[version.process_id] = version.name
    return found


def list_campaigns(services: Services, viewer: Viewer) -> list[CampaignSummary]:
    """Every campaign, the latest opening first, with its state and its applications."""
    require_national_team(viewer)
    names = call_procedures(services)
    with services.read() as connection:
        rows = store.all_rows(connection)
        counts = store.application_counts(connection)
    now = services.clock.now()
    summaries = []
    for found in map(from_row, rows):
        name = names.get(found.process_id, found.process_id)
        applications = counts.get(found.code, 0)
        summaries.append(CampaignSummary(found, state_of(found, now), applications, name))
    return summaries


def summary(services: Services, viewer: Viewer, code: str) -> CampaignSummary:
    require_national_team(viewer)
    for found in list_campaigns(services, viewer):
        if found.campaign.code == code:
            return found
    raise NotFound(f"Appel à projets inconnu : « {code} ».")


def admin_create(services: Services, viewer: Viewer, values: Mapping[str, str | None]) -> Campaign:
    """Create a call from the national team's form; nothing is written if a field is refused."""
    require_national_team(viewer)
    errors = FieldErrors()
    code = (values.get("code") or "").strip()
    if not _CODE.match(code):
        errors.add(
            "code",
            "Code invalide : 2 à 60 lettres sans accent, chiffres, « - » ou « _ » "
            "(par exemple FABRIQUES-2027).",
        )
    process_id = (values.get("process_id") or "").strip()
    if process_id not in call_procedures(services):
        errors.add("process_id", "Choisissez la procédure d'appel à projets des candidatures.")
    name = " ".join((values.get("name") or "").split())
    if not 3 <= len(name) <= 300:
        errors.add("name", "Le nom de l'appel compte de 3 à 300 caractères.")
    typed = _checked(values, errors)
    programme = (values.get("programme") or "").strip() or None
    if programme is not None:
        known = {p.code: p for p in programmes.all_programmes(services)}
        if programme not in known:
            errors.add("programme", "Choisissez un programme de la liste, ou aucun.")
        elif process_id and known[programme].process_id != process_id:
            errors.add(
                "programme",
                f"Le programme « {known[programme].name} » réunit les appels d'une autre "
                "procédure.",
            )
    errors.raise_if_any()
    row = {**typed, "code": code, "process_id": process_id, "name": name, "granted_cents": 0,
           "laureates": 0, "created_at": services.clock.now(),
           "programme_code": programme}  # fmt: skip
    try:
        with services.write() as connection:
            store.insert_campaign(connection, row)
    except store.CodeTaken:
        raise FieldErrors({"code": f"L'appel « {code} » existe déjà."}).refusal() from None
    return get(services, code)


def admin_update(
    services: Services, viewer: Viewer, code: str, values: Mapping[str, str | None]
) -> Campaign:
    """Change a call's dates and caps. The envelope and the number of laureates never go below
    what is already granted: checked in the UPDATE itself, so that a selection granted at the
    same moment cannot slip under the new caps."""
    require_national_team(viewer)
    current = get(services, code)
    errors = FieldErrors()
    typed = _checked(values, errors)
    _above_grants(current, typed, errors)
    errors.raise_if_any()
    with services.write() as connection:
        changed = store.update_within_grants(connection, current.code, typed)
    if changed != 1:  # a selection was granted meanwhile: say so with the new totals
        _above_grants(get(services, code), typed, errors)
        if not errors:
            errors.add("form", "L'appel a changé entre-temps : recommencez.")
        raise errors.refusal()
    return get(services, code)


def open_now(services: Services, viewer: Viewer, code: str) -> Campaign:
    """Open an upcoming call at once (its closing date unchanged)."""
    require_national_team(viewer)
    now = services.clock.now()
    current = get(services, code)
    if state_of(current, now) != UPCOMING:
        raise InvalidInput(
            f"L'appel « {current.name} » est déjà ouvert."
            if state_of(current, now) == OPEN
            else f"L'appel « {current.name} » est clos : pour le rouvrir, reportez sa date "
            "de clôture."
        )
    with services.write() as connection:
        store.open_at(connection, current.code, now)
    return get(services, code)


def close_now(services: Services, viewer: Viewer, code: str) -> Campaign:
    """Close an open call at once: no more applications from this moment."""
    require_national_team(viewer)
    now = services.clock.now()
    current = get(services, code)
    if state_of(current, now) != OPEN:
        raise InvalidInput(f"L'appel « {current.name} » n'est pas ouvert : il n'y a rien à clore.")
    with services.write() as connection:
        store.close_at(connection, current.code, now)
    return get(services, code)


# --------------------------------------------------------------------- the fields of the forms


def _moment(text: str | None, required: bool) -> datetime | None:
    """A date typed in a form (« 2026-09-01T09:00 » or « 2026-09-01 »), in Paris time."""
    text = (text or "").strip()
    if not text:
        if required:
            raise InvalidInput("Indiquez la date et l'heure.")
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"Date invalide : « {text} » (attendu JJ/MM/AAAA et heure).") from None
    return as_utc(moment if moment.tzinfo else moment.replace(tzinfo=PARIS))


def _amount(text: str | None) -> int:
    compact = "".join((text or "").split()).replace("€", "").replace(",", ".")
    if not compact:
        raise InvalidInput("Indiquez l'enveloppe en euros.")
    return cents(compact, "montant de l'enveloppe")


def _count(text: str | None) -> int | None:
    compact = "".join((text or "").split())
    if not compact:
        return None
    if not compact.isdigit() or int(compact) < 1:
        raise InvalidInput("Le nombre maximal de lauréats est un nombre entier positif.")
    return int(compact)


def _checked(values: Mapping[str, str | None], errors: FieldErrors) -> dict[str, Any]:
    """The dates and caps of a form, typed; each refusal lands in `errors` under its field."""
    typed = {
        "opens_at": errors.check("opens_at", _moment, values.get("opens_at"), True),
        "closes_at": errors.check("closes_at", _moment, values.get("closes_at"), True),
        "instruction_deadline": errors.check(
            "instruction_deadline", _moment, values.get("instruction_deadline"), False
        ),
        "committee_at": errors.check("committee_at", _moment, values.get("committee_at"), False),
        "envelope_cents": errors.check("envelope", _amount, values.get("envelope")),
        "max_laureates": errors.check("max_laureates", _count, values.get("max_laureates")),
    }
    opens, closes = typed["opens_at"], typed["closes_at"]
    deadline, committee = typed["instruction_deadline"], typed["committee_at"]
    if opens and closes and closes <= opens:
        errors.add("closes_at", "La date de clôture des dépôts doit suivre la date d'ouverture.")
    if closes and deadline and deadline < closes:
        errors.add(
            "instruction_deadline",
            "La date limite d'instruction ne peut précéder la clôture des dépôts.",
        )
    after = deadline or closes
    if after and committee and committee < after:
        errors.add(
            "committee_at",
            "Le comité ne peut se réunir avant la date limite d'instruction."
            if deadline
            else "Le comité ne peut se réunir avant la clôture des dépôts.",
        )
    return typed


def _above_grants(current: Campaign, typed: dict[str, Any], errors: FieldErrors) -> None:
    envelope, laureates = typed.get("envelope_cents"), typed.get("max_laureates")
    granted = cents(current.granted_total)
    if envelope is not None and envelope < granted:
        errors.add(
            "envelope",
            "L'enveloppe ne peut être inférieure au montant déjà attribué "
            f"({l10n.euros(euros(granted))}).",
        )
    if laureates is not None and laureates < current.laureates:
        errors.add(
            "max_laureates",
            f"L'appel compte déjà {current.laureates} lauréat(s) : le nombre maximal ne peut "
            "être inférieur.",
        )

"""Calls for applications (Fabriques de territoire, pass numérique): window, envelope, totals.

A campaign is its own record, not a workflow variable: every application is its own instance,
and the totals across them are changed by one conditional UPDATE inside the granting step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..clock import PARIS, as_utc
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..roles import EQUIPE_NATIONALE
from ..store.models import Campaign as CampaignRow
from ..store.models import ProcessInstance
from .deployments import current_versions

if TYPE_CHECKING:
    from .context import Services
    from .viewer import Viewer

_TABLE = CampaignRow.__table__
_BY_CODE = select(_TABLE).where(_TABLE.c.code == bindparam("code"))
_RESERVE = (
    update(_TABLE)
    .where(
        _TABLE.c.code == bindparam("b_code"),
        _TABLE.c.granted_cents + bindparam("amount") <= _TABLE.c.envelope_cents,
        (_TABLE.c.max_laureates.is_(None)) | (_TABLE.c.laureates < _TABLE.c.max_laureates),
    )
    .values(
        granted_cents=_TABLE.c.granted_cents + bindparam("amount"), laureates=_TABLE.c.laureates + 1
    )
    .returning(_TABLE.c.granted_cents, _TABLE.c.laureates, _TABLE.c.envelope_cents)
)


@dataclass(frozen=True)
class Campaign:
    code: str
    process_id: str
    name: str
    opens_at: datetime
    closes_at: datetime
    instruction_deadline: datetime | None
    committee_at: datetime | None
    envelope: Decimal
    max_laureates: int | None
    granted_total: Decimal
    laureates: int

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at

    def as_data(self) -> dict[str, Any]:
        """What a process sees of its campaign (dates as ISO texts, amounts in euros)."""
        iso = lambda d: d.isoformat() if d else None  # noqa: E731
        return {
            "code": self.code, "nom": self.name, "ouverture": iso(self.opens_at),
            "cloture": iso(self.closes_at), "date_limite_instruction": iso(self.instruction_deadline),
            "date_comite": iso(self.committee_at), "enveloppe": float(self.envelope),
            "plafond_laureats": self.max_laureates,
        }  # fmt: skip


def cents(amount: Any, what: str = "montant") -> int:
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{what.capitalize()} invalide : « {amount} ».") from None
    if not value.is_finite() or value < 0:
        raise InvalidInput(f"{what.capitalize()} invalide : « {amount} ».")
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def euros(value: int) -> Decimal:
    return Decimal(value) / 100


def format_euros(value: int) -> str:
    """Cents as French reads euros (« 45 000 000 € », « 1 234,50 € »), by engine.l10n."""
    from .. import l10n  # a leaf module: the module's imports are kept as they stand

    return l10n.euros(euros(value))


def _from_row(row: Any) -> Campaign:
    return Campaign(
        code=row.code, process_id=row.process_id, name=row.name, opens_at=row.opens_at,
        closes_at=row.closes_at, instruction_deadline=row.instruction_deadline,
        committee_at=row.committee_at, envelope=euros(row.envelope_cents),
        max_laureates=row.max_laureates, granted_total=euros(row.granted_cents),
        laureates=row.laureates,
    )  # fmt: skip


def create(
    services: Services,
    *,
    code: str,
    process_id: str,
    name: str,
    opens_at: datetime | str,
    closes_at: datetime | str,
    envelope: Decimal | int | str,
    max_laureates: int | None = None,
    instruction_deadline: datetime | str | None = None,
    committee_at: datetime | str | None = None,
) -> Campaign:
    opens, closes = as_utc(opens_at), as_utc(closes_at)
    if closes <= opens:
        raise InvalidInput("La date de clôture doit suivre la date d'ouverture.")
    if max_laureates is not None and max_laureates < 1:
        raise InvalidInput("Le nombre maximal de lauréats doit être positif.")
    values = {
        "code": code.strip(), "process_id": process_id, "name": name, "opens_at": opens,
        "closes_at": closes,
        "instruction_deadline": as_utc(instruction_deadline) if instruction_deadline else None,
        "committee_at": as_utc(committee_at) if committee_at else None,
        "envelope_cents": cents(envelope, "enveloppe"), "max_laureates": max_laureates,
        "granted_cents": 0, "laureates": 0, "created_at": services.clock.now(),
    }  # fmt: skip
    try:
        with services.write() as connection:
            connection.execute(insert(_TABLE), values)
    except IntegrityError:
        raise Conflict(f"La campagne « {code} » existe déjà.") from None
    return get(services, code)


def get(services: Services, code: str) -> Campaign:
    with services.read() as connection:
        return get_in(connection, code)


def get_in(connection: Connection, code: str) -> Campaign:
    row = connection.execute(_BY_CODE, {"code": str(code).strip()}).first()
    if row is None:
        raise NotFound(f"Appel à projets inconnu : « {code} ».")
    return _from_row(row)


def open_in(connection: Connection, process_id: str, now: datetime) -> list[Campaign]:
    """The calls of a procedure open at this moment, closing soonest first."""
    rows = connection.execute(
        select(_TABLE)
        .where(
            _TABLE.c.process_id == process_id, _TABLE.c.opens_at <= now, _TABLE.c.closes_at > now
        )
        .order_by(_TABLE.c.closes_at, _TABLE.c.code)
    ).all()
    return [_from_row(row) for row in rows]


def reserve(connection: Connection, code: str, amount: Any) -> dict[str, Any]:
    """Grant `amount` from the envelope, atomically; refused with the reason otherwise."""
    value = cents(amount)
    row = connection.execute(_RESERVE, {"b_code": str(code).strip(), "amount": value}).first()
    if row is not None:
        return {
            "total_attribue": float(euros(row.granted_cents)),
            "laureats": row.laureates,
            "reste": float(euros(row.envelope_cents - row.granted_cents)),
        }
    campaign = get_in(connection, code)
    if campaign.max_laureates is not None and campaign.laureates >= campaign.max_laureates:
        raise InvalidInput(
            f"Sélection refusée : l'appel « {campaign.name} » a déjà ses {campaign.max_laureates} "
            "lauréats."
        )
    granted = cents(campaign.granted_total)
    raise InvalidInput(
        f"Sélection refusée : accorder {format_euros(value)} porterait le total attribué de "
        f"l'appel « {campaign.name} » à {format_euros(granted + value)}, au-delà de son "
        f"enveloppe de {format_euros(cents(campaign.envelope))} (reste "
        f"{format_euros(cents(campaign.envelope) - granted)})."
    )


# ---------------------------------------------------------------- management by the national team

#: The start-form field a call's campaign code fills (drafts.CAMPAIGN_FIELD says the same).
FIELD = "campagne"
UPCOMING, OPEN, CLOSED = "a_venir", "ouvert", "clos"
STATE_LABELS = {UPCOMING: "À venir", OPEN: "Ouvert", CLOSED: "Clos"}
#: The fields of the creation form, as the service's errors name them.
CREATE_FIELDS = (
    "code", "process_id", "name", "opens_at", "closes_at", "instruction_deadline",
    "committee_at", "envelope", "max_laureates",
)  # fmt: skip
#: What may change once the campaign exists: its dates and its caps, never its code or procedure.
EDIT_FIELDS = CREATE_FIELDS[3:]
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,59}$")
_APPLICATIONS = (
    select(_TABLE.c.code, func.count(ProcessInstance.id))
    .join(
        ProcessInstance,
        (ProcessInstance.process_id == _TABLE.c.process_id)
        & (ProcessInstance.data[FIELD].as_string() == _TABLE.c.code),
    )
    .group_by(_TABLE.c.code)
)


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
            if FIELD in (schema.get("properties") or {}):
                found[version.process_id] = version.name
    return found


def list_campaigns(services: Services, viewer: Viewer) -> list[CampaignSummary]:
    """Every campaign, the latest opening first, with its state and its applications."""
    require_national_team(viewer)
    names = call_procedures(services)
    with services.read() as connection:
        rows = connection.execute(
            select(_TABLE).order_by(_TABLE.c.opens_at.desc(), _TABLE.c.code)
        ).all()
        counts = dict(connection.execute(_APPLICATIONS).all())
    now = services.clock.now()
    summaries = []
    for found in map(_from_row, rows):
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


def _checked(values: Mapping[str, str | None], errors: dict[str, str]) -> dict[str, Any]:
    """The dates and caps of a form, typed; each refusal lands in `errors` under its field."""

    def field(name: str, check: Any, *args: Any) -> Any:
        try:
            return check(values.get(name), *args)
        except InvalidInput as refused:
            errors[name] = refused.message
            return None

    typed = {
        "opens_at": field("opens_at", _moment, True),
        "closes_at": field("closes_at", _moment, True),
        "instruction_deadline": field("instruction_deadline", _moment, False),
        "committee_at": field("committee_at", _moment, False),
        "envelope_cents": field("envelope", _amount),
        "max_laureates": field("max_laureates", _count),
    }
    opens, closes = typed["opens_at"], typed["closes_at"]
    deadline, committee = typed["instruction_deadline"], typed["committee_at"]
    if opens and closes and closes <= opens:
        errors["closes_at"] = "La date de clôture des dépôts doit suivre la date d'ouverture."
    if closes and deadline and deadline < closes:
        errors["instruction_deadline"] = (
            "La date limite d'instruction ne peut précéder la clôture des dépôts."
        )
    after = deadline or closes
    if after and committee and committee < after:
        errors["committee_at"] = (
            "Le comité ne peut se réunir avant la date limite d'instruction."
            if deadline
            else "Le comité ne peut se réunir avant la clôture des dépôts."
        )
    return typed


def _refused(errors: dict[str, str]) -> InvalidInput:
    what = "une erreur" if len(errors) == 1 else f"{len(errors)} erreurs"
    return InvalidInput(f"Le formulaire contient {what} : corrigez les champs signalés.",
                        errors=errors)  # fmt: skip


def admin_create(services: Services, viewer: Viewer, values: Mapping[str, str | None]) -> Campaign:
    """Create a call from the national team's form; nothing is written if a field is refused."""
    require_national_team(viewer)
    errors: dict[str, str] = {}
    code = (values.get("code") or "").strip()
    if not _CODE.match(code):
        errors["code"] = (
            "Code invalide : 2 à 60 lettres sans accent, chiffres, « - » ou « _ » "
            "(par exemple FABRIQUES-2027)."
        )
    process_id = (values.get("process_id") or "").strip()
    if process_id not in call_procedures(services):
        errors["process_id"] = "Choisissez la procédure d'appel à projets des candidatures."
    name = " ".join((values.get("name") or "").split())
    if not 3 <= len(name) <= 300:
        errors["name"] = "Le nom de l'appel compte de 3 à 300 caractères."
    typed = _checked(values, errors)
    if errors:
        raise _refused(errors)
    row = {**typed, "code": code, "process_id": process_id, "name": name, "granted_cents": 0,
           "laureates": 0, "created_at": services.clock.now()}  # fmt: skip
    try:
        with services.write() as connection:
            connection.execute(insert(_TABLE), row)
    except IntegrityError:
        raise _refused({"code": f"L'appel « {code} » existe déjà."}) from None
    return get(services, code)


def admin_update(
    services: Services, viewer: Viewer, code: str, values: Mapping[str, str | None]
) -> Campaign:
    """Change a call's dates and caps. The envelope and the number of laureates never go below
    what is already granted: checked in the UPDATE itself, so that a selection granted at the
    same moment cannot slip under the new caps."""
    require_national_team(viewer)
    current = get(services, code)
    errors: dict[str, str] = {}
    typed = _checked(values, errors)
    _above_grants(current, typed, errors)
    if errors:
        raise _refused(errors)
    with services.write() as connection:
        changed = connection.execute(
            update(_TABLE)
            .where(
                _TABLE.c.code == current.code,
                _TABLE.c.granted_cents <= typed["envelope_cents"],
                _TABLE.c.laureates <= (typed["max_laureates"] or 2**31 - 1),
            )
            .values(**typed)
        ).rowcount
    if changed != 1:  # a selection was granted meanwhile: say so with the new totals
        _above_grants(get(services, code), typed, errors)
        raise _refused(errors or {"form": "L'appel a changé entre-temps : recommencez."})
    return get(services, code)


def _above_grants(current: Campaign, typed: dict[str, Any], errors: dict[str, str]) -> None:
    envelope, laureates = typed.get("envelope_cents"), typed.get("max_laureates")
    granted = cents(current.granted_total)
    if envelope is not None and envelope < granted:
        errors["envelope"] = (
            f"L'enveloppe ne peut être inférieure au montant déjà attribué "
            f"({format_euros(granted)})."
        )
    if laureates is not None and laureates < current.laureates:
        errors["max_laureates"] = (
            f"L'appel compte déjà {current.laureates} lauréat(s) : le nombre maximal ne peut "
            "être inférieur."
        )


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
        connection.execute(
            update(_TABLE)
            .where(_TABLE.c.code == current.code, _TABLE.c.opens_at > now)
            .values(opens_at=now)
        )
    return get(services, code)


def close_now(services: Services, viewer: Viewer, code: str) -> Campaign:
    """Close an open call at once: no more applications from this moment."""
    require_national_team(viewer)
    now = services.clock.now()
    current = get(services, code)
    if state_of(current, now) != OPEN:
        raise InvalidInput(f"L'appel « {current.name} » n'est pas ouvert : il n'y a rien à clore.")
    with services.write() as connection:
        connection.execute(
            update(_TABLE)
            .where(_TABLE.c.code == current.code, _TABLE.c.closes_at > now)
            .values(closes_at=now)
        )
    return get(services, code)

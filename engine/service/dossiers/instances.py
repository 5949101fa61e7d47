"""Starting instances and reading them back with their tasks, timers and history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from ...definitions.bpmn_checks import executable_processes
from ...definitions.xml import parse_xml
from ...errors import NotFound
from ...forms import validate_submission
from ...forms.natures import DossierOrganisation
from ...roles import ASSIGNED_ONLY
from ...runtime.progress import element_states
from ...runtime.runner import MOTIVE
from ...store import dossier_territories as other_territories
from ...store import idempotency as idempotency_rows
from ...store import instances as stored
from ...store.instances import COMPLETED, RUNNING, LoadedInstance, from_row
from ...store.steps import next_reference_number
from ...territory import check_siren
from ..campaigns import grants
from ..campaigns.grants import GrantView
from ..catalogue.deployments import current_version_in
from ..context import Services
from ..data_checks import check_data
from ..decision_notice import Terms, decision_terms
from ..unit_of_work import open_workflow, unit_of_work
from ..version_catalogue import VersionFiles
from ..viewer import Viewer
from . import attachments
from .visibility import reader


@dataclass(frozen=True)
class Once:
    """An idempotency key: who sent it, the key, and the fingerprint of what was sent."""

    login: str
    key: str
    fingerprint: str


@dataclass
class StartedInstance:
    id: int
    reference: str
    process_id: str
    version: int
    status: str


def start(
    services: Services,
    process_id: str,
    *,
    territory: str,
    siren: str,
    data: dict[str, Any] | None = None,
    actor: str | None = None,
    organisation: str | None = None,
    once: Once | None = None,
) -> StartedInstance:
    """Start an instance of the latest version; its first steps run before this returns.

    One transaction: nothing is stored if the first steps fail (script error, incident).
    `organisation` is the requesting authority's name as inboxes show it (by default the
    name the start form asks for, else the SIREN). `once` takes an idempotency key in that
    same transaction (engine/service/dossiers/idempotency.py).
    """
    departement = services.territories.departement(territory).code
    siren = check_siren(siren)
    data = dict(check_data(data or {}, "données de départ"))
    now = services.clock.now()
    with unit_of_work(services, actor=actor) as work:
        connection = work.connection
        if once is not None:
            idempotency_rows.claim(connection, once.login, once.key, once.fingerprint, now)
        version = current_version_in(connection, process_id)
        files: list[attachments.Claimed] = []
        if version.start_form:
            validator = services.form_validator(version.version_id, version.start_form, connection)
            data, files = attachments.claim(
                connection, validator.schema, data, owner=actor, any_owner=actor is None
            )
            filer = DossierOrganisation(services.territories, siren)
            data = validate_submission(validator, data, organisation=filer)
        spec, subprocess_specs = services.specs(version.version_id, connection)
        work.begin(spec, subprocess_specs, {**data, "territoire": departement, "siren": siren})
        log = work.advance()
        number = next_reference_number(connection, version.reference_prefix, departement, now.year)
        reference = f"{version.reference_prefix}-{departement}-{now.year}-{number:05d}"
        work.instance = LoadedInstance(
            None, reference, process_id, version.version_id, departement, siren, RUNNING, 0, {}, ""
        )
        label = f"{version.name} (version {version.version})"
        instance_id, lock = work.save(
            log,
            audit=[{"kind": "dossier_cree", "actor": actor, "label": label}],
            new_instance={
                "reference": reference, "process_version_id": version.version_id,
                "process_id": process_id, "territory": departement, "siren": siren,
                "created_at": now, "created_by": actor,
                "organisation": _organisation_name(organisation, data, siren),
            },
        )  # fmt: skip
        attachments.attach(
            connection, files, instance_id=instance_id, lock_version=lock, actor=actor, now=now
        )
        if once is not None:
            idempotency_rows.settle(connection, once.login, once.key, reference)
    status = COMPLETED if work.completed else RUNNING
    return StartedInstance(instance_id, reference, process_id, version.version, status)


#: Start-form fields that name the requesting organisation, in order of preference.
ORGANISATION_FIELDS = ("nom_demandeur", "nom_porteur", "nom_collectivite", "collectivite")


def _organisation_name(given: str | None, data: dict[str, Any], siren: str) -> str:
    for candidate in (given, *(data.get(name) for name in ORGANISATION_FIELDS)):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()[:300]
    return f"SIREN {siren}"


@dataclass
class InstanceDetails:
    id: int
    reference: str
    process_id: str
    process_name: str
    version: int
    territory: str
    siren: str
    status: str
    outcome: str | None
    incident: str | None
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    created_by: str | None
    tasks: list[dict[str, Any]] = field(default_factory=list)
    timers: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    #: The requesting authority's name (as inboxes and search show it).
    organisation: str | None = None
    #: « Creuse (23) ».
    territory_label: str = ""
    #: The name of the end event reached (« Dossier orienté localement »), once finished.
    outcome_label: str | None = None
    #: Why it ended, in words (the end event's `motif`), once finished, if the procedure says.
    outcome_motive: str | None = None
    #: For a grant, the amount (« 90 000 € ») and conditions its end event states (`montant`,
    #: `conditions`), once finished.
    outcome_amount: str | None = None
    outcome_conditions: str | None = None
    #: Id of the deployed version the dossier runs on (its forms and diagram).
    version_id: int | None = None
    #: The grant the dossier holds or held on its call, with its payments (None if none).
    grant: GrantView | None = None
    #: Raised by one at each step: what an API's ETag is made of.
    lock_version: int = 0


def _assigned(connection: Any, viewer: Viewer, instance_id: int) -> bool:
    """Whether a task of this dossier is (or was) assigned to the viewer by name."""
    if viewer.operator or not any(g.role in ASSIGNED_ONLY for g in viewer.grants):
        return False
    return stored.has_task_assigned(connection, instance_id, viewer.login)


def _visible(connection: Connection, reference: str, viewer: Viewer) -> Any:
    """The dossier's row (with its version's name, number and hash) if the viewer may see it;
    a dossier outside the viewer's scope is as unknown as one that does not exist."""
    row = stored.dossier_row(connection, reference)
    if row is None or not viewer.may_see(
        row.territory, row.siren, assigned=_assigned(connection, viewer, row.id),
        also=other_territories.of(connection, row.id),
    ):  # fmt: skip
        raise NotFound(f"Dossier introuvable : « {reference} ».")
    return row


def get_instance(services: Services, reference: str, viewer: Viewer) -> InstanceDetails:
    with services.db.connect() as connection:
        row = _visible(connection, reference, viewer)
        instance, name, version = row, row.process_name, row.version
        tasks = stored.open_tasks_of(connection, instance.id)
        timers = stored.pending_timers_of(connection, instance.id)
        history = stored.history_of(connection, instance.id)
        also = other_territories.of(connection, instance.id)
        actors = {e.actor for e in history if e.actor} | {t.assignee for t in tasks if t.assignee}
        names = stored.names_of(connection, actors)
        grant = grants.view(connection, instance.id)
        terms = (
            decision_terms(
                services, connection, instance.process_version_id, instance.outcome,
                instance.data or {},
            )
            if instance.status == COMPLETED
            else Terms()
        )  # fmt: skip
    now = services.clock.now()
    ends = [e.label for e in history if e.kind == "fin" and e.label]
    reading = reader(
        services, viewer, version_id=instance.process_version_id,
        territory=instance.territory, siren=instance.siren, also=also,
    )  # fmt: skip
    data = reading.data(instance.data or {})
    return InstanceDetails(
        id=instance.id, reference=instance.reference, process_id=instance.process_id,
        process_name=name, version=version, territory=instance.territory, siren=instance.siren,
        status=instance.status, outcome=instance.outcome, incident=instance.incident,
        data=data, created_at=instance.created_at, updated_at=instance.updated_at,
        completed_at=instance.completed_at, created_by=instance.created_by,
        tasks=[
            {**task_summary(t, instance.reference, now),
             "may_act": viewer.may_act(t.role, t.territory, t.siren, t.assignee),
             "assignee_name": names.get(t.assignee)}
            for t in tasks
        ],
        timers=[
            {"id": t.id, "bpmn_id": t.bpmn_id, "name": t.name, "kind": t.kind, "due_at": t.due_at}
            for t in timers
        ],
        history=[
            {"at": e.at, "actor": e.actor, "actor_name": names.get(e.actor), "kind": e.kind,
             "task_id": e.task_id, "bpmn_id": e.bpmn_id, "label": e.label,
             "changes": reading.changes(e.changes)}
            for e in history
        ],
        organisation=instance.organisation,
        territory_label=services.territories.label(instance.territory),
        outcome_label=(ends[-1] if ends else None) if instance.status == COMPLETED else None,
        outcome_motive=(
            (instance.data or {}).get(MOTIVE) if instance.status == COMPLETED else None
        ),
        outcome_amount=terms.amount, outcome_conditions=terms.conditions,
        version_id=instance.process_version_id, grant=grant,
        lock_version=instance.lock_version,
    )  # fmt: skip


@dataclass(frozen=True)
class Diagram:
    """The BPMN of the version a dossier runs on, and where the dossier stands in it.

    `completed`: elements done (and not under way again); `current`: elements under way (open
    tasks); `pending`: elements waiting (timers, joins) or predicted further on the way.
    """

    xml: str
    completed: list[str]
    current: list[str]
    pending: list[str]

    def states(self) -> dict[str, list[str]]:
        return {"completed": self.completed, "current": self.current, "pending": self.pending}


def diagram(services: Services, reference: str, viewer: Viewer) -> Diagram:
    """The diagram of a dossier with the state of each element, read from its stored workflow."""
    with services.db.connect() as connection:
        row = _visible(connection, reference, viewer)
        workflow = open_workflow(services, from_row(row), connection)
        xml = _main_bpmn(services, connection, row.process_version_id)
    completed, current, pending = element_states(workflow)
    return Diagram(xml, sorted(completed), sorted(current), sorted(pending))


def diagram_source(services: Services, reference: str, viewer: Viewer) -> str:
    """The BPMN (XML) of the version a dossier runs on, for a viewer who may see the dossier."""
    with services.db.connect() as connection:
        row = _visible(connection, reference, viewer)
        return _main_bpmn(services, connection, row.process_version_id)


def _main_bpmn(services: Services, connection: Connection, version_id: int) -> str:
    """The BPMN file that defines the process (a version may also hold the processes it calls)."""
    return services.versions.derived(version_id, connection, "main_bpmn", _defining_bpmn)


def _defining_bpmn(version: VersionFiles) -> str:
    for name, text in sorted(version.files.items()):
        if not name.lower().endswith(".bpmn"):
            continue
        root = parse_xml(text.encode("utf-8"), name)
        if any(p.get("id") == version.process_id for p in executable_processes(root)):
            return text
    raise NotFound(f"Schéma introuvable pour la procédure « {version.process_id} ».")


def task_summary(task: Any, reference: str, now: datetime) -> dict[str, Any]:
    overdue = task.status == "ouverte" and task.due_at is not None and task.due_at < now
    return {
        "id": task.id, "instance": reference, "process_id": task.process_id,
        "bpmn_id": task.bpmn_id, "name": task.name, "role": task.role,
        "territory": task.territory, "siren": task.siren, "due_at": task.due_at,
        "assignee": task.assignee, "form": task.form_ref, "status": task.status,
        "created_at": task.created_at, "overdue": overdue,
    }  # fmt: skip


def advance(services: Services, reference: str, actor: str | None = None) -> str:
    """Let the instance see the current time: fire its due timers and run what follows.

    The scheduler calls this for each due timer row; returns the instance status.
    """
    with unit_of_work(services, actor=actor) as work:
        work.load(reference=reference)
        log = work.advance()
        if not work.changed(log):
            return work.status
        work.save(log)
    return COMPLETED if work.completed else RUNNING

"""Migration plans: which element of the target each waiting place of the source becomes, and
which timers are re-armed. Only the procedure's owners and the administrators make them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from ...errors import InvalidInput, NotFound
from ...runtime import migration
from ...store import catalogue as stored_catalogue
from ...store import migration_plans as store
from ..catalogue import ownership
from ..context import Services
from ..viewer import Viewer

#: What the results of a plan read as.
STATUSES = {
    store.MIGRABLE: "migrable",
    store.MIGRATED: "migré",
    store.REFUSED: "refusé",
    store.CONFLICT: "conflit",
}


@dataclass(frozen=True)
class MappingRow:
    """A place of the source version and what it becomes."""

    source: migration.Element
    target: migration.Element | None
    #: Whether the owner chose the target (else: same id, or nothing).
    chosen: bool
    choices: list[migration.Element]
    waiting: int


@dataclass(frozen=True)
class TimerRow:
    source: migration.Element
    target: migration.Element | None
    rearm: bool
    waiting: int

    @property
    def changed(self) -> bool:
        return self.target is not None and self.target.timer != self.source.timer


@dataclass
class Plan:
    id: int
    process_id: str
    source_version: int
    target_version: int
    source_version_id: int
    target_version_id: int
    revision: int
    created_at: datetime
    created_by: str | None
    updated_at: datetime
    updated_by: str | None
    mapping: dict[str, str]
    rearm: list[str]
    run_number: int
    run_mode: str | None
    run_by: str | None
    run_started_at: datetime | None
    run_finished_at: datetime | None

    @property
    def rules(self) -> migration.Rules:
        return migration.Rules(dict(self.mapping), frozenset(self.rearm))

    @property
    def running(self) -> bool:
        return self.run_number > 0 and self.run_finished_at is None


@dataclass
class PlanPage:
    plan: Plan
    rows: list[MappingRow]
    timers: list[TimerRow]
    progress: dict[str, int]
    outcomes: list[Any] = field(default_factory=list)
    #: Running dossiers of the source version (what a migration of them all would take).
    running: int = 0


def load(connection: Connection, plan_id: int) -> Plan:
    row = store.plan(connection, plan_id)
    if row is None:
        raise NotFound(f"Plan de migration introuvable : « {plan_id} ».")
    values = row._asdict()
    return Plan(**{name: values[name] for name in Plan.__dataclass_fields__})


def _elements(services: Services, connection: Connection, version_id: int) -> list[Any]:
    spec, subprocess_specs = services.specs(version_id, connection)
    return migration.elements(spec, subprocess_specs)


def _version_id(connection: Connection, process_id: str, number: int) -> int:
    row = stored_catalogue.version_files_by_number(connection, process_id, number)
    if row is None:
        raise InvalidInput(f"La procédure « {process_id} » n'a pas de version {number}.")
    return row.id


def default_rearm(sources: list[Any], targets: list[Any]) -> list[str]:
    """Timers whose deadline the target (same id) writes differently are re-armed unless the
    owner says otherwise; the others keep their due date."""
    by_id = {e.id: e for e in targets}
    return [
        e.id for e in sources
        if e.timer is not None and e.id in by_id and by_id[e.id].timer != e.timer
    ]  # fmt: skip


def create_plan(
    services: Services, viewer: Viewer, process_id: str, source: int, target: int
) -> int:
    """A new plan from version `source` to version `target` of a procedure (numbers)."""
    now = services.clock.now()
    with services.write() as connection:
        ownership.require_editor(connection, viewer, process_id)
        if source == target:
            raise InvalidInput("Choisissez une version cible différente de la version source.")
        source_id = _version_id(connection, process_id, source)
        target_id = _version_id(connection, process_id, target)
        rearm = default_rearm(
            _elements(services, connection, source_id), _elements(services, connection, target_id)
        )
        plan_id = store.insert_plan(
            connection, process_id=process_id, source_version_id=source_id,
            target_version_id=target_id, mapping={}, rearm=rearm, actor=viewer.login, now=now,
        )  # fmt: skip
        ownership.record(
            connection, process_id, "plan_migration",
            f"Plan n° {plan_id} : de la version {source} à la version {target}",
            at=now, actor=viewer.login,
        )  # fmt: skip
    return plan_id


def plans_of(services: Services, viewer: Viewer, process_id: str) -> list[Plan]:
    with services.read() as connection:
        ownership.require_editor(connection, viewer, process_id)
        return [load(connection, row.id) for row in store.plans_of(connection, process_id)]


def update_plan(
    services: Services,
    viewer: Viewer,
    plan_id: int,
    *,
    mapping: dict[str, str],
    rearm: list[str],
) -> int:
    """Change a plan's choices (empty target: the same id). Refused while a run is under way,
    and for a target of another type or scope. Returns the plan's new revision."""
    now = services.clock.now()
    with services.write() as connection:
        plan = load(connection, plan_id)
        ownership.require_editor(connection, viewer, plan.process_id)
        if plan.running:
            raise InvalidInput(
                "Une exécution de ce plan est en cours : attendez qu'elle finisse pour le modifier."
            )
        sources = {e.id: e for e in _elements(services, connection, plan.source_version_id)}
        targets = {e.id: e for e in _elements(services, connection, plan.target_version_id)}
        kept: dict[str, str] = {}
        errors: dict[str, str] = {}
        for source_id, target_id in mapping.items():
            if not target_id or target_id == source_id:
                continue
            source = sources.get(source_id)
            target = targets.get(target_id)
            if source is None:
                errors[source_id] = f"« {source_id} » n'est pas un élément de la version source."
            elif target is None:
                errors[source_id] = f"« {target_id} » n'est pas un élément de la version cible."
            elif target.type_key != source.type_key:
                errors[source_id] = (
                    f"« {source.name} » ({source.kind}) ne peut devenir « {target.name} » "
                    f"({target.kind}) : le type diffère."
                )
            elif target.scope != source.scope:
                errors[source_id] = (
                    f"« {source.name} » ne peut passer dans une autre portée (« {target.scope} »)."
                )
            else:
                kept[source_id] = target_id
        unknown = [t for t in rearm if t not in sources or sources[t].timer is None]
        for timer_id in unknown:
            errors[timer_id] = f"« {timer_id} » n'est pas une minuterie de la version source."
        if errors:
            raise InvalidInput(
                "Plan non enregistré — " + " ; ".join(errors.values()), fields=errors
            )
        revision = store.update_plan(
            connection, plan_id, mapping=kept, rearm=sorted(set(rearm)), actor=viewer.login,
            now=now,
        )  # fmt: skip
        ownership.record(
            connection, plan.process_id, "plan_migration_modifie",
            f"Plan n° {plan_id}, révision {revision}", at=now, actor=viewer.login,
        )  # fmt: skip
    return revision


def plan_page(services: Services, viewer: Viewer, plan_id: int, *, limit: int = 500) -> PlanPage:
    with services.read() as connection:
        plan = load(connection, plan_id)
        ownership.require_editor(connection, viewer, plan.process_id)
        sources = _elements(services, connection, plan.source_version_id)
        targets = _elements(services, connection, plan.target_version_id)
        waiting = store.waiting_counts(connection, plan.source_version_id)
        progress = store.progress(connection, plan.id, plan.run_number)
        outcomes = store.outcomes(connection, plan.id, limit=limit)
        running = store.running_count(connection, plan.source_version_id)
    by_id = {e.id: e for e in targets}
    rows, timers = [], []
    for source in sources:
        chosen = plan.mapping.get(source.id)
        target = by_id.get(chosen or source.id)
        if target is not None and target.type_key != source.type_key:
            target = None
        if source.timer is not None:
            timers.append(
                TimerRow(source, target, source.id in plan.rearm, waiting.get(source.id, 0))
            )
        choices = [e for e in targets if e.type_key == source.type_key and e.scope == source.scope]
        rows.append(MappingRow(source, target, bool(chosen), choices, waiting.get(source.id, 0)))
    return PlanPage(plan, rows, timers, progress, outcomes, running=running)

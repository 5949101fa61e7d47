"""Runs of a migration plan: every dossier in its own transaction, the same path for a dry run
(rolled back at the end) and for the real one.

A run queues its dossiers (`migration_items`); small ones are worked through at once, larger
ones by the worker in batches (`work`), under a lease so that a worker that dies leaves its
dossiers to another. A real migration records its outcome in the dossier's transaction, on the
condition that the item is still pending: nothing is migrated twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from ...errors import Conflict, EngineError, InvalidInput
from ...forms.submission import entered_value_errors, labelled
from ...runtime import migration
from ...runtime.runner import StepLog
from ...store import migration_plans as store
from ...store.instances import RUNNING
from ..catalogue import ownership
from ..context import Services
from ..unit_of_work import UnitOfWork, unit_of_work
from ..viewer import Viewer
from .plans import Plan, load

#: A run of at most this many dossiers is done in the request that starts it.
INLINE_LIMIT = 20
BATCH = 50
LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class ItemOutcome:
    reference: str
    status: str
    reason: str | None = None
    element_id: str | None = None
    rule: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "status": self.status, "reason": self.reason}


@dataclass(frozen=True)
class RunStarted:
    run_number: int
    total: int
    #: Done already (a small run), else left to the worker.
    done: bool


class NothingToMigrate(InvalidInput):
    """No running dossier of the source version matches the selection."""


class _Abandon(Exception):
    """Leave the dossier's transaction without keeping anything of it."""

    def __init__(self, outcome: ItemOutcome | None) -> None:
        super().__init__()
        self.outcome = outcome


def start(
    services: Services,
    viewer: Viewer,
    plan_id: int,
    *,
    mode: str,
    references: list[str] | None = None,
    territory: str | None = None,
    retry: bool = False,
    inline_limit: int = INLINE_LIMIT,
) -> RunStarted:
    """Queue a run of the plan over the running dossiers of its source version (or those
    named, of one département, or whose last attempt was refused or in conflict)."""
    if mode not in (store.DRY_RUN, store.EXECUTION):
        raise InvalidInput(f"Mode d'exécution inconnu : « {mode} ».")
    now = services.clock.now()
    with services.write() as connection:
        plan = load(connection, plan_id)
        ownership.require_editor(connection, viewer, plan.process_id)
        if plan.running:
            raise InvalidInput("Une exécution de ce plan est déjà en cours.")
        wanted = {r.strip().upper() for r in references or [] if r.strip()} or None
        instances = store.running_instances(
            connection, plan.source_version_id, references=wanted, territory=territory or None
        )
        if retry:
            again = set(
                store.items_with_status(connection, plan.id, [store.REFUSED, store.CONFLICT])
            )
            instances = [row for row in instances if row.id in again]
        if wanted:
            missing = wanted - {row.reference for row in instances}
            if missing:
                raise InvalidInput(
                    "Ces dossiers ne sont pas en cours sur la version "
                    f"{plan.source_version} : {', '.join(sorted(missing))}."
                )
        if not instances:
            raise NothingToMigrate(
                f"Aucun dossier en cours sur la version {plan.source_version} à traiter."
            )
        run = store.start_run(
            connection, plan.id, mode=mode, actor=viewer.login, now=now, instances=instances
        )
        action = "essai_migration" if mode == store.DRY_RUN else "migration_lancee"
        ownership.record(
            connection, plan.process_id, action,
            f"Plan n° {plan.id} (v{plan.source_version} → v{plan.target_version}), "
            f"{len(instances)} dossier(s)", at=now, actor=viewer.login,
        )  # fmt: skip
    done = len(instances) <= inline_limit
    if done:
        work(services, worker=f"requete:{viewer.login}", plan_id=plan.id, limit=len(instances))
    return RunStarted(run, len(instances), done)


def work(
    services: Services, *, worker: str, plan_id: int | None = None, limit: int = BATCH
) -> list[ItemOutcome]:
    """Claim up to `limit` pending dossiers and migrate (or try) each in its own transaction;
    the outcomes of those this worker dealt with (not those another worker did first)."""
    return _work(services, worker=worker, plan_id=plan_id, limit=limit)[1]


def _work(
    services: Services, *, worker: str, plan_id: int | None, limit: int
) -> tuple[int, list[ItemOutcome]]:
    now = services.clock.now()
    with services.write() as connection:
        items = store.claim_items(
            connection, now=now, worker=worker, limit=limit, lease=LEASE, plan_id=plan_id
        )
    outcomes = []
    plans: dict[int, Plan] = {}
    for item in items:
        if item.plan_id not in plans:
            with services.read() as connection:
                plans[item.plan_id] = load(connection, item.plan_id)
        outcome = migrate_item(services, plans[item.plan_id], item)
        if outcome is not None:
            outcomes.append(outcome)
    for plan in plans.values():
        _finish(services, plan)
    return len(items), outcomes


def work_all(services: Services, *, worker: str, plan_id: int | None = None) -> list[ItemOutcome]:
    """Work batches until nothing is pending (the worker's job, and `anct migrate`)."""
    done: list[ItemOutcome] = []
    while True:
        claimed, outcomes = _work(services, worker=worker, plan_id=plan_id, limit=BATCH)
        if not claimed:
            return done
        done.extend(outcomes)


def migrate_item(services: Services, plan: Plan, item: Any) -> ItemOutcome | None:
    """One dossier of a run; None if another worker dealt with it first."""
    actor = plan.run_by
    try:
        with unit_of_work(services, actor=actor) as work:
            return _attempt(work, plan, item)
    except _Abandon as abandoned:
        outcome = abandoned.outcome
    except Conflict:
        outcome = ItemOutcome(
            item.reference, store.CONFLICT,
            "le dossier a changé pendant la migration ; il est resté tel quel",
        )  # fmt: skip
    if outcome is None:
        return None
    with services.write() as connection:
        recorded = _write(connection, services, item, plan, outcome)
    return outcome if recorded else None


def _attempt(work: UnitOfWork, plan: Plan, item: Any) -> ItemOutcome:
    services, connection = work.services, work.connection
    work.load(instance_id=item.instance_id)
    instance = work.instance
    assert instance is not None
    if instance.process_version_id != plan.source_version_id or instance.status != RUNNING:
        reason = (
            "le dossier n'est plus en cours"
            if instance.status != RUNNING
            else f"le dossier n'est plus sur la version {plan.source_version}"
        )
        return _record(work, item, plan, ItemOutcome(item.reference, store.REFUSED, reason))
    try:
        result = work.migrate(
            plan.target_version_id, plan.rules, _form_check(services, connection, plan)
        )
    except EngineError as exc:
        return _record(work, item, plan, ItemOutcome(item.reference, store.REFUSED, exc.message))
    if result.refusals:
        first = result.refusals[0]
        reason = " ; ".join(r.reason for r in result.refusals)
        refused = ItemOutcome(item.reference, store.REFUSED, reason, first.element_id, first.rule)
        return _record(work, item, plan, refused)
    history = {
        "kind": "migration",
        "actor": plan.run_by,
        "label": f"Migré de la version {plan.source_version} à la version {plan.target_version}"
        f" (plan de migration n° {plan.id})",
        "changes": {
            "plan": plan.id, "revision": plan.revision, "de": plan.source_version,
            "vers": plan.target_version, "elements": result.moved,
            "minuteries_rearmees": result.rearmed,
        },
    }  # fmt: skip
    try:
        work.save(StepLog(), audit=[history])
    except Conflict:
        raise  # reported as a conflict by migrate_item, not as a refusal
    except EngineError as exc:
        raise _Abandon(ItemOutcome(item.reference, store.REFUSED, exc.message)) from None
    if item.mode == store.DRY_RUN:
        raise _Abandon(ItemOutcome(item.reference, store.MIGRABLE))
    return _record(work, item, plan, ItemOutcome(item.reference, store.MIGRATED))


def _record(work: UnitOfWork, item: Any, plan: Plan, outcome: ItemOutcome) -> ItemOutcome:
    """Write the outcome in the dossier's transaction; abandon it if another worker was first."""
    if not _write(work.connection, work.services, item, plan, outcome):
        raise _Abandon(None)
    return outcome


def _write(
    connection: Connection, services: Services, item: Any, plan: Plan, outcome: ItemOutcome
) -> bool:
    return store.record_outcome(
        connection, item, status=outcome.status, revision=plan.revision,
        now=services.clock.now(), element_id=outcome.element_id, rule=outcome.rule,
        reason=outcome.reason,
    )  # fmt: skip


def _form_check(services: Services, connection: Connection, plan: Plan) -> migration.FormCheck:
    """Whether the values an open task already holds still pass the target's form (fields
    not yet filled are the person's to fill, not a reason to refuse)."""

    def check(form_ref: str, data: dict[str, Any]) -> list[str]:
        try:
            validator = services.form_validator(plan.target_version_id, form_ref, connection)
        except KeyError:
            return [f"le formulaire « {form_ref} » manque à la version cible"]
        return labelled(validator.schema, entered_value_errors(validator, data))

    return check


def _finish(services: Services, plan: Plan) -> None:
    now = services.clock.now()
    with services.write() as connection:
        if not store.finish_run(connection, plan.id, plan.run_number, now):
            return
        counts = store.progress(connection, plan.id, plan.run_number)
        mode = plan.run_mode
        what = "Essai terminé" if mode == store.DRY_RUN else "Migration terminée"
        detail = (
            f"Plan n° {plan.id} : {what.lower()} — {counts[store.MIGRABLE]} migrable(s), "
            f"{counts[store.MIGRATED]} migré(s), {counts[store.REFUSED]} refusé(s), "
            f"{counts[store.CONFLICT]} conflit(s)"
        )
        action = "essai_termine" if mode == store.DRY_RUN else "migration_terminee"
        ownership.record(
            connection, plan.process_id, action, detail, at=now, actor=plan.run_by or "cli"
        )

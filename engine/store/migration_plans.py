"""Migration plans and their dossiers: the plan an owner made, the run queued, each outcome.

An item is `pending` while the plan's current run has not dealt with it; the outcome of a real
migration is recorded in the dossier's own transaction, on the condition that the item is still
pending for that run: two workers, or a worker that died and another that took its lease over,
can never migrate a dossier twice.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, and_, case, exists, func, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from .instances import RUNNING
from .models import HumanTask, MigrationItem, MigrationPlan, ProcessInstance, ProcessVersion, Timer

_PLANS = MigrationPlan.__table__
_ITEMS = MigrationItem.__table__
_INSTANCES = ProcessInstance.__table__

#: Outcomes of an item (`migration_items.status`).
MIGRABLE, MIGRATED, REFUSED, CONFLICT = "migrable", "migre", "refuse", "conflit"
#: Modes of a run.
DRY_RUN, EXECUTION = "essai", "migration"


def insert_plan(
    connection: Connection,
    *,
    process_id: str,
    source_version_id: int,
    target_version_id: int,
    mapping: dict[str, str],
    rearm: list[str],
    actor: str | None,
    now: datetime,
) -> int:
    return connection.execute(
        _PLANS.insert()
        .values(
            process_id=process_id, source_version_id=source_version_id,
            target_version_id=target_version_id, mapping=mapping, rearm=rearm, revision=1,
            created_at=now, created_by=actor, updated_at=now, updated_by=actor, run_number=0,
        )
        .returning(_PLANS.c.id)
    ).scalar_one()  # fmt: skip


def _with_versions() -> Any:
    source = ProcessVersion.__table__.alias("source")
    target = ProcessVersion.__table__.alias("target")
    return (
        select(
            _PLANS,
            source.c.version.label("source_version"),
            target.c.version.label("target_version"),
        )
        .join(source, source.c.id == _PLANS.c.source_version_id)
        .join(target, target.c.id == _PLANS.c.target_version_id)
    )


def plan(connection: Connection, plan_id: int) -> Row[Any] | None:
    """A plan with its source and target version numbers (`source_version`, `target_version`)."""
    return connection.execute(_with_versions().where(_PLANS.c.id == plan_id)).first()


def plans_of(connection: Connection, process_id: str) -> list[Row[Any]]:
    """The plans of a procedure, the latest first."""
    query = _with_versions().where(_PLANS.c.process_id == process_id).order_by(_PLANS.c.id.desc())
    return list(connection.execute(query))


def update_plan(
    connection: Connection,
    plan_id: int,
    *,
    mapping: dict[str, str],
    rearm: list[str],
    actor: str | None,
    now: datetime,
) -> int:
    """Change the plan's choices; returns its new revision."""
    return connection.execute(
        update(_PLANS)
        .where(_PLANS.c.id == plan_id)
        .values(
            mapping=mapping, rearm=rearm, revision=_PLANS.c.revision + 1, updated_at=now,
            updated_by=actor,
        )
        .returning(_PLANS.c.revision)
    ).scalar_one()  # fmt: skip


def running_instances(
    connection: Connection,
    version_id: int,
    *,
    references: Collection[str] | None = None,
    territory: str | None = None,
) -> list[Row[Any]]:
    """(id, reference) of the running dossiers of a version, oldest first, optionally only
    those named or of one département."""
    query = select(_INSTANCES.c.id, _INSTANCES.c.reference).where(
        _INSTANCES.c.process_version_id == version_id, _INSTANCES.c.status == RUNNING
    )
    if references is not None:
        query = query.where(_INSTANCES.c.reference.in_(sorted(references)))
    if territory:
        query = query.where(_INSTANCES.c.territory == territory)
    return list(connection.execute(query.order_by(_INSTANCES.c.id)))


def running_count(connection: Connection, version_id: int) -> int:
    query = select(func.count()).where(
        _INSTANCES.c.process_version_id == version_id, _INSTANCES.c.status == RUNNING
    )
    return connection.execute(query).scalar_one()


def items_with_status(connection: Connection, plan_id: int, statuses: Collection[str]) -> list[int]:
    """Instance ids of the plan's dossiers whose last outcome is among `statuses`."""
    query = select(_ITEMS.c.instance_id).where(
        _ITEMS.c.plan_id == plan_id, _ITEMS.c.status.in_(list(statuses))
    )
    return list(connection.execute(query.order_by(_ITEMS.c.instance_id)).scalars())


_UPSERTS = {
    name: dialect.insert(_ITEMS)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def start_run(
    connection: Connection,
    plan_id: int,
    *,
    mode: str,
    actor: str | None,
    now: datetime,
    instances: list[Row[Any]],
) -> int:
    """Queue the dossiers given (rows with id and reference) for a new run of the plan; the
    outcomes of dossiers left out of it are kept. Returns the run number."""
    run = connection.execute(
        update(_PLANS)
        .where(_PLANS.c.id == plan_id)
        .values(
            run_number=_PLANS.c.run_number + 1, run_mode=mode, run_by=actor, run_started_at=now,
            run_finished_at=None,
        )
        .returning(_PLANS.c.run_number)
    ).scalar_one()  # fmt: skip
    if instances:
        statement = _UPSERTS[connection.dialect.name]
        statement = statement.on_conflict_do_update(
            index_elements=["plan_id", "instance_id"],
            set_={"run_number": run, "mode": mode, "pending": True, "locked_by": None,
                  "locked_until": None},
        )  # fmt: skip
        rows = [
            {"plan_id": plan_id, "instance_id": row.id, "reference": row.reference,
             "run_number": run, "mode": mode, "pending": True}
            for row in instances
        ]  # fmt: skip
        for start in range(0, len(rows), 500):
            connection.execute(statement, rows[start : start + 500])
    return run


def claim_items(
    connection: Connection,
    *,
    now: datetime,
    worker: str,
    limit: int,
    lease: timedelta,
    plan_id: int | None = None,
) -> list[Row[Any]]:
    """Pending items nobody holds (or whose holder's lease ran out), now held by `worker`."""
    candidates = select(_ITEMS.c.plan_id, _ITEMS.c.instance_id).where(
        _ITEMS.c.pending.is_(True),
        or_(_ITEMS.c.locked_until.is_(None), _ITEMS.c.locked_until < now),
    )
    if plan_id is not None:
        candidates = candidates.where(_ITEMS.c.plan_id == plan_id)
    candidates = candidates.order_by(_ITEMS.c.plan_id, _ITEMS.c.instance_id).limit(limit)
    if connection.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    held = list(connection.execute(candidates))
    if not held:
        return []
    keys = [(row.plan_id, row.instance_id) for row in held]
    connection.execute(
        update(_ITEMS)
        .where(tuple_(_ITEMS.c.plan_id, _ITEMS.c.instance_id).in_(keys))
        .values(locked_by=worker, locked_until=now + lease)
    )
    query = select(_ITEMS).where(tuple_(_ITEMS.c.plan_id, _ITEMS.c.instance_id).in_(keys))
    return list(connection.execute(query.order_by(_ITEMS.c.plan_id, _ITEMS.c.instance_id)))


def record_outcome(
    connection: Connection,
    item: Any,
    *,
    status: str,
    revision: int,
    now: datetime,
    element_id: str | None = None,
    rule: str | None = None,
    reason: str | None = None,
) -> bool:
    """Write an item's outcome if the item is still pending for its run; False if another
    worker dealt with it first (the caller then abandons its transaction)."""
    result = connection.execute(
        update(_ITEMS)
        .where(
            _ITEMS.c.plan_id == item.plan_id,
            _ITEMS.c.instance_id == item.instance_id,
            _ITEMS.c.run_number == item.run_number,
            _ITEMS.c.pending.is_(True),
        )
        .values(
            pending=False, status=status, element_id=element_id, rule=rule, reason=reason,
            revision=revision, attempted_at=now, locked_by=None, locked_until=None,
        )
    )  # fmt: skip
    return result.rowcount == 1


def finish_run(connection: Connection, plan_id: int, run_number: int, now: datetime) -> bool:
    """Mark the run finished once none of its items is pending; True the first time only."""
    pending = exists().where(_ITEMS.c.plan_id == plan_id, _ITEMS.c.pending.is_(True))
    result = connection.execute(
        update(_PLANS)
        .where(
            _PLANS.c.id == plan_id,
            _PLANS.c.run_number == run_number,
            _PLANS.c.run_finished_at.is_(None),
            ~pending,
        )
        .values(run_finished_at=now)
    )
    return result.rowcount == 1


def progress(connection: Connection, plan_id: int, run_number: int) -> dict[str, int]:
    """Counts of the current run's items: 'total', 'pending' and one per outcome."""
    query = (
        select(_ITEMS.c.pending, _ITEMS.c.status, func.count())
        .where(_ITEMS.c.plan_id == plan_id, _ITEMS.c.run_number == run_number)
        .group_by(_ITEMS.c.pending, _ITEMS.c.status)
    )
    counts = {"total": 0, "pending": 0, MIGRABLE: 0, MIGRATED: 0, REFUSED: 0, CONFLICT: 0}
    for pending, status, count in connection.execute(query):
        counts["total"] += count
        if pending:
            counts["pending"] += count
        elif status in counts:
            counts[status] += count
    return counts


def outcomes(
    connection: Connection, plan_id: int, *, statuses: Collection[str] | None = None, limit: int
) -> list[Row[Any]]:
    """The plan's items with their last outcome, refused and conflicts first, then those still
    waiting, then the others."""
    query = select(_ITEMS).where(_ITEMS.c.plan_id == plan_id)
    if statuses:
        query = query.where(_ITEMS.c.status.in_(list(statuses)))
    order = case(
        (_ITEMS.c.pending.is_(True), 2), (_ITEMS.c.status == REFUSED, 0),
        (_ITEMS.c.status == CONFLICT, 1), else_=3,
    )  # fmt: skip
    return list(connection.execute(query.order_by(order, _ITEMS.c.instance_id).limit(limit)))


def waiting_counts(connection: Connection, version_id: int) -> dict[str, int]:
    """Element id → running dossiers of a version waiting there (open tasks, pending timers)."""
    running = and_(_INSTANCES.c.process_version_id == version_id, _INSTANCES.c.status == RUNNING)
    counts: dict[str, int] = {}
    for table, open_status in ((HumanTask.__table__, "ouverte"), (Timer.__table__, "en_attente")):
        query = (
            select(table.c.bpmn_id, func.count(func.distinct(table.c.instance_id)))
            .join(_INSTANCES, _INSTANCES.c.id == table.c.instance_id)
            .where(running, table.c.status == open_status)
            .group_by(table.c.bpmn_id)
        )
        for bpmn_id, count in connection.execute(query):
            counts[bpmn_id] = counts.get(bpmn_id, 0) + count
    return counts

"""Worker processes migrating a thousand running dossiers to v2 of their procedure at once, on
one PostgreSQL database, one of them killed with SIGKILL in the middle of a batch (issue 15).

Each worker is a process of its own (tests/scheduler/worker_process.py, mode `migrate`) looping
`runs.work` until a batch finds nothing. The victim hangs inside the transaction of one dossier's
migration (written, not committed) and is killed there; the dossiers it held under its lease wait
until the lease runs out (the workers' clocks are fixed: the late one's is past the lease), then a
late worker migrates them. Every dossier must be on v2 exactly once: one `migration` event, its
lock version up by one, the same open task, its item `migre`, no item left pending.
"""

from __future__ import annotations

import shutil
import signal
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from engine import service
from engine.clock import ManualClock, as_utc
from engine.config import Settings
from engine.service.migrations import plans, runs
from engine.store.models import (
    AuditEvent,
    HumanTask,
    MigrationItem,
    MigrationPlan,
    ProcessInstance,
    ProcessVersion,
    Timer,
)
from tests.conftest import FIXTURES, START, name_people
from tests.scheduler.test_worker_processes import Children, rows

pytestmark = [pytest.mark.postgresql, pytest.mark.slow, pytest.mark.timeout(240)]

DOSSIERS = 1000
CREATORS = 2
LIMIT = 50
#: The victim hangs in the 5th dossier of its second batch: 54 migrated, 46 held under its lease.
CRASH_AT = LIMIT + 5
#: The migration runs the day after the dossiers started; its leases run out at NOW + LEASE.
NOW = as_utc(START) + timedelta(days=1)
AFTER_LEASE = NOW + runs.LEASE + timedelta(minutes=1)
NEW_NAME = "Répondre aux compléments demandés"


def prepare(database: str, children: Children, tmp_path: Path) -> tuple[int, int, float]:
    """DOSSIERS running dossiers of `relance` (v1), a v2 (task renamed, reminder at 10 days
    instead of 7), a plan v1 → v2 and a real run queued for the workers; (plan id, v2 id, s)."""
    began = time.monotonic()
    services = service.create_services(Settings(database_url=database), clock=ManualClock(START))
    try:
        service.deploy_path(services, FIXTURES / "relance.bpmn")
        name_people(services)
        share = DOSSIERS // CREATORS
        for index in range(CREATORS):
            children.start(f"depot{index}", "start", str(share), ANCT_WORKER_NOW=START)
        for index in range(CREATORS):
            assert children.finish(f"depot{index}", timeout=120) == {"started": share}
        v2 = tmp_path / "v2" / "relance.bpmn"
        v2.parent.mkdir(parents=True)
        shutil.copy(FIXTURES / "relance.bpmn", v2)
        text = v2.read_text(encoding="utf-8")
        text = text.replace('"P7D"', '"P10D"').replace(
            'name="Répondre à la demande de compléments"', f'name="{NEW_NAME}"'
        )
        v2.write_text(text, encoding="utf-8")
        [deployed] = service.deploy_path(services, v2)
        assert deployed.version == 2
        services.clock = ManualClock(NOW)
        operator = service.Viewer.command_line()
        plan_id = plans.create_plan(services, operator, "relance", 1, 2)
        started = runs.start(services, operator, plan_id, mode="migration", inline_limit=0)
        assert (started.total, started.done) == (DOSSIERS, False)
        [(v2_id,)] = rows(database, select(ProcessVersion.id).where(ProcessVersion.version == 2))
    finally:
        services.close()
    return plan_id, v2_id, time.monotonic() - began


def snapshot(database: str) -> dict[int, tuple[int, int, tuple[str, ...]]]:
    """Instance id → (version id, lock version, ids of its open tasks)."""
    open_tasks: dict[int, list[str]] = {}
    for task in rows(
        database, select(HumanTask.instance_id, HumanTask.id).where(HumanTask.status == "ouverte")
    ):
        open_tasks.setdefault(task.instance_id, []).append(task.id)
    return {
        i.id: (i.process_version_id, i.lock_version, tuple(sorted(open_tasks.get(i.id, []))))
        for i in rows(
            database,
            select(
                ProcessInstance.id,
                ProcessInstance.process_version_id,
                ProcessInstance.lock_version,
            ),
        )
    }


def launch(children: Children, names: list[str], now: Any, go: Path, plan_id: int, **env: Any):
    """Start migrating workers, wait until each is ready, then let them all go at once."""
    for name in names:
        settings = {
            "ANCT_WORKER_NOW": now.isoformat(), "ANCT_WORKER_GO": str(go),
            "ANCT_WORKER_LIMIT": str(LIMIT), "ANCT_WORKER_PLAN": str(plan_id),
            **env.get(name, {}),
        }  # fmt: skip
        children.start(name, "migrate", name, **settings)
    for name in names:
        children.wait_for_line(name, "ready", timeout=60)
    go.touch()
    return time.monotonic()


def summaries(children: Children, names: list[str]) -> dict[str, dict[str, Any]]:
    done = {name: children.finish(name, timeout=180) for name in names}
    for name, summary in done.items():
        assert summary.get("done") is True, (name, summary)
        assert set(summary["statuses"]) <= {"migre"}, (name, summary)
    return done


def migration_events(database: str) -> dict[int, list[int]]:
    """Instance id → lock versions of its `migration` events."""
    found: dict[int, list[int]] = {}
    for event in rows(
        database,
        select(AuditEvent.instance_id, AuditEvent.lock_version).where(
            AuditEvent.kind == "migration"
        ),
    ):
        found.setdefault(event.instance_id, []).append(event.lock_version)
    return found


def test_workers_one_killed_mid_batch_migrate_every_dossier_exactly_once(
    database, children, tmp_path
):
    plan_id, v2_id, preparation = prepare(database, children, tmp_path)
    before = snapshot(database)
    assert len(before) == DOSSIERS
    assert all(len(tasks) == 1 and version != v2_id for version, _, tasks in before.values())

    victim, survivor = "w1", "w2"
    went = launch(
        children, [victim, survivor], NOW, tmp_path / "go", plan_id,
        **{victim: {"ANCT_WORKER_CRASH_AT": str(CRASH_AT)}},
    )  # fmt: skip
    crashed = children.wait_for_line(victim, "holding", timeout=120)["holding"]
    children.running[victim].send_signal(signal.SIGKILL)
    assert children.running[victim].wait(timeout=10) == -signal.SIGKILL
    [first] = summaries(children, [survivor]).values()
    first_round = time.monotonic() - went

    # The dead worker's lease still holds its dossiers: pending, untouched; the dossier it was
    # writing kept nothing of its transaction.
    items = rows(
        database,
        select(
            MigrationItem.instance_id, MigrationItem.reference, MigrationItem.pending,
            MigrationItem.status, MigrationItem.locked_by, MigrationItem.locked_until,
        ),
    )  # fmt: skip
    held = {i.instance_id: i for i in items if i.pending}
    assert len(held) == LIMIT - (CRASH_AT - LIMIT - 1)
    assert all(i.locked_by == victim and i.locked_until == NOW + runs.LEASE for i in held.values())
    assert crashed in {i.reference for i in held.values()}
    migrated_by_victim = CRASH_AT - 1
    assert first["migrated"] == DOSSIERS - migrated_by_victim - len(held)
    assert Counter(i.status for i in items if not i.pending) == {"migre": DOSSIERS - len(held)}
    middle = snapshot(database)
    assert {k: middle[k] for k in held} == {k: before[k] for k in held}
    assert not set(held) & set(migration_events(database))
    [(finished,)] = rows(
        database, select(MigrationPlan.run_finished_at).where(MigrationPlan.id == plan_id)
    )
    assert finished is None

    # A late worker, once the lease has run out, migrates exactly what the dead one held.
    went = launch(children, ["w3"], AFTER_LEASE, tmp_path / "go-again", plan_id)
    [late] = summaries(children, ["w3"]).values()
    second_round = time.monotonic() - went
    assert sorted(late["references"]) == sorted(i.reference for i in held.values())

    after = snapshot(database)
    assert after.keys() == before.keys()
    for instance_id, (_, lock_version, tasks) in before.items():
        assert after[instance_id] == (v2_id, lock_version + 1, tasks), instance_id
    events = migration_events(database)
    assert {k: v for k, v in events.items() if v != [before[k][1] + 1]} == {}
    assert events.keys() == before.keys(), "one migration event per dossier"
    items = rows(database, select(MigrationItem.pending, MigrationItem.status, MigrationItem.mode))
    assert Counter(tuple(i) for i in items) == {(False, "migre", "migration"): DOSSIERS}
    names = rows(database, select(HumanTask.name).where(HumanTask.status == "ouverte"))
    assert Counter(n for (n,) in names) == {NEW_NAME: DOSSIERS}
    # The reminder re-armed at 10 days from the migration, by whichever worker did it.
    reminders = rows(
        database,
        select(Timer.due_at).where(Timer.bpmn_id == "rappel", Timer.status == "en_attente"),
    )
    expected = {NOW + timedelta(days=10): DOSSIERS - len(held)}
    expected[AFTER_LEASE + timedelta(days=10)] = len(held)
    assert Counter(due for (due,) in reminders) == expected
    operator = service.Viewer.command_line()
    services = service.create_services(Settings(database_url=database), migrate=False)
    try:
        page = plans.plan_page(services, operator, plan_id)
        # The dossier whose migration died with the victim goes on, on v2, from the same task.
        [task_id] = before[next(k for k, i in held.items() if i.reference == crashed)][2]
        service.complete(services, operator, task_id, {})
        done = service.get_instance(services, crashed, operator)
    finally:
        services.close()
    assert not page.plan.running and page.plan.run_finished_at is not None
    assert page.progress["migre"] == DOSSIERS and page.progress["pending"] == 0
    assert (done.version, done.status, done.outcome) == (2, "terminee", "repondu")
    print(
        f"\n{DOSSIERS} dossiers ; préparation {preparation:.1f} s ; premier tour "
        f"{first_round:.1f} s : {victim} {migrated_by_victim} puis tué (SIGKILL) sur {crashed} "
        f"avec {len(held)} sous bail, {survivor} {first['migrated']} ; après le bail, w3 "
        f"{late['migrated']} en {second_round:.1f} s"
    )

"""A process of its own for the tests of tests/scheduler with several workers (not a test module).

    python -m tests.scheduler.worker_process start COUNT   # start COUNT dossiers of `relance`
    python -m tests.scheduler.worker_process fire NAME     # sweep until a sweep finds nothing
    python -m tests.scheduler.worker_process migrate NAME  # work migration batches until none

The database is DATABASE_URL; the clock is fixed at ANCT_WORKER_NOW. A firing worker says
`{"ready": …}` once connected and warmed up, waits for the file ANCT_WORKER_GO to exist (so that
all workers start racing at once), then prints one JSON line per sweep and a last summary line.

ANCT_WORKER_CRASH_AT=K makes the worker hang inside the transaction of its K-th engine step,
after the step has written everything but before the commit, and print `{"holding": reference}`:
the test kills it there with SIGKILL, as a machine losing power mid-step.

A migrating worker (tests/scheduler/test_migration_workers.py) does the same with `runs.work`:
ready once it has parsed both versions of the plan ANCT_WORKER_PLAN, then one JSON line per batch
of at most ANCT_WORKER_LIMIT dossiers until a batch finds nothing, and a summary line. There,
ANCT_WORKER_CRASH_AT=K hangs in the K-th dossier's migration, written but not committed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from engine import service
from engine.clock import ManualClock
from engine.config import Settings
from engine.scheduler import fire_due
from engine.service.migrations import plans, runs
from engine.service.unit_of_work import UnitOfWork

GUERET = {"territory": "23", "siren": "212309603"}
RELANCE = {"date_limite": "2026-04-01", "referent": "marie"}


def say(**values: object) -> None:
    print(json.dumps(values), flush=True)


def crash_at(step: int) -> None:
    """Hang inside the `step`-th step's transaction, once it has written but not committed."""
    original = UnitOfWork.save
    calls = 0

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        result = original(self, *args, **kwargs)
        calls += 1
        if calls == step:
            say(holding=self.instance.reference)
            time.sleep(3600)
        return result

    UnitOfWork.save = save


def warm_up(services: service.Services) -> None:
    """Connect and parse the process once, so that the race starts on equal terms."""
    version = service.current_version(services, "relance")
    with services.write() as connection:
        services.specs(version.version_id, connection)


def start(services: service.Services, count: int) -> None:
    for _ in range(count):
        service.start(services, "relance", data=RELANCE, **GUERET)
    say(started=count)


def fire(services: service.Services, name: str) -> None:
    limit = int(os.environ.get("ANCT_WORKER_LIMIT", "50"))
    if os.environ.get("ANCT_WORKER_CRASH_AT"):
        crash_at(int(os.environ["ANCT_WORKER_CRASH_AT"]))
    warm_up(services)
    say(ready=name)
    go = Path(os.environ["ANCT_WORKER_GO"])
    while not go.exists():
        time.sleep(0.01)
    began = time.monotonic()
    claimed, sweeps, failed, incidents = 0, 0, [], []
    while True:
        report = fire_due(services, worker=name, limit=limit)
        sweeps += 1
        claimed += report.claimed
        failed += report.failed
        incidents += report.incidents
        say(worker=name, sweep=sweeps, claimed=report.claimed)
        if report.claimed == 0:
            break
    say(
        worker=name, done=True, claimed=claimed, sweeps=sweeps, failed=failed,
        incidents=incidents, seconds=round(time.monotonic() - began, 2),
    )  # fmt: skip


def migrate(services: service.Services, name: str) -> None:
    limit = int(os.environ.get("ANCT_WORKER_LIMIT", str(runs.BATCH)))
    plan_id = int(os.environ["ANCT_WORKER_PLAN"])
    if os.environ.get("ANCT_WORKER_CRASH_AT"):
        crash_at(int(os.environ["ANCT_WORKER_CRASH_AT"]))
    with services.write() as connection:  # connect, parse both versions: equal terms
        plan = plans.load(connection, plan_id)
        for version_id in (plan.source_version_id, plan.target_version_id):
            services.specs(version_id, connection)
    say(ready=name)
    go = Path(os.environ["ANCT_WORKER_GO"])
    while not go.exists():
        time.sleep(0.01)
    began = time.monotonic()
    statuses: dict[str, int] = {}
    references: list[str] = []
    batches = 0
    while True:
        outcomes = runs.work(services, worker=name, plan_id=plan_id, limit=limit)
        batches += 1
        for outcome in outcomes:
            statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
        references += [outcome.reference for outcome in outcomes]
        say(worker=name, batch=batches, done_now=len(outcomes))
        if not outcomes:
            break
    say(
        worker=name, done=True, migrated=len(references), statuses=statuses,
        references=references, batches=batches, seconds=round(time.monotonic() - began, 2),
    )  # fmt: skip


def main() -> None:
    mode, argument = sys.argv[1], sys.argv[2]
    clock = ManualClock(os.environ["ANCT_WORKER_NOW"])
    settings = Settings(database_url=os.environ["DATABASE_URL"])
    services = service.create_services(settings, clock=clock, migrate=False)
    try:
        if mode == "start":
            start(services, int(argument))
        elif mode == "fire":
            fire(services, argument)
        elif mode == "migrate":
            migrate(services, argument)
        else:
            raise SystemExit(f"mode inconnu : {mode}")
    finally:
        services.close()


if __name__ == "__main__":
    main()

"""Worker processes racing over thousands of due timers on one PostgreSQL database.

Each worker is a process of its own (tests/scheduler/worker_process.py) with its own connections,
sweeping with `fire_due` until a sweep finds nothing. Every reminder must fire exactly once: one
timer row fired, one `minuterie` event and `relances == 1` per dossier — also when a worker is
killed with SIGKILL in the middle of a step, in which case the rows it held wait for their lease
to run out and are then fired by the next workers.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import service
from engine.clock import ManualClock, as_utc
from engine.config import Settings
from engine.scheduler.firing import LEASE
from engine.store.db import make_engine
from engine.store.models import AuditEvent, ProcessInstance, Timer
from tests.conftest import FIXTURES, START, name_people

pytestmark = [pytest.mark.postgresql, pytest.mark.slow, pytest.mark.timeout(240)]

ROOT = Path(__file__).parents[2]
TIMERS = 2000
WORKERS = 4
CREATORS = 2
LIMIT = 50
#: Eight days after the start: every 7-day reminder is due, the deadline (1 April) is not.
NOW = as_utc(START) + timedelta(days=8)
#: Past the lease of what was claimed at NOW.
AFTER_LEASE = NOW + LEASE + timedelta(minutes=1)
#: The victim hangs inside its third sweep, in the transaction of its step number CRASH_AT.
CRASH_AT = 2 * LIMIT + 5


class Children:
    """Child processes with their output in files; any still running is killed at the end."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str, **env: str) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "tests.scheduler.worker_process", *args]
        with (
            open(self.folder / f"{name}.out", "wb") as out,
            open(self.folder / f"{name}.err", "wb") as err,
        ):
            child = subprocess.Popen(
                command, cwd=ROOT, env={**self.env, **env}, stdout=out, stderr=err
            )
        self.running[name] = child
        return child

    def lines(self, name: str) -> list[dict[str, Any]]:
        text = (self.folder / f"{name}.out").read_text(encoding="utf-8", errors="replace")
        complete = text[: text.rfind("\n") + 1]  # a line being written is read next time
        return [json.loads(line) for line in complete.splitlines() if line.startswith("{")]

    def stderr(self, name: str) -> str:
        return (self.folder / f"{name}.err").read_text(encoding="utf-8", errors="replace")

    def wait_for_line(self, name: str, key: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in self.lines(name) if key in line]
            if found:
                return found[0]
            if self.running[name].poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"{name} : pas de « {key} » ; sortie : {self.stderr(name)[-3000:]}")

    def finish(self, name: str, timeout: float) -> dict[str, Any]:
        """Wait for a child to exit cleanly; its last summary line."""
        child = self.running[name]
        code = child.wait(timeout=timeout)
        assert code == 0, f"{name} a échoué ({code}) : {self.stderr(name)[-3000:]}"
        return self.lines(name)[-1]

    def stop_all(self) -> None:
        for child in self.running.values():
            if child.poll() is None:
                child.kill()
                child.wait(timeout=10)


def create_dossiers(database: str, children: Children) -> float:
    """TIMERS dossiers of the `relance` fixture started at START; returns the seconds it took."""
    began = time.monotonic()
    services = service.create_services(Settings(database_url=database), clock=ManualClock(START))
    service.deploy_path(services, FIXTURES / "relance.bpmn")
    name_people(services)
    services.close()
    share = TIMERS // CREATORS
    for index in range(CREATORS):
        children.start(f"depot{index}", "start", str(share), ANCT_WORKER_NOW=START)
    for index in range(CREATORS):
        assert children.finish(f"depot{index}", timeout=120) == {"started": share}
    return time.monotonic() - began


def launch(
    children: Children,
    names: list[str],
    now: datetime,
    go: Path,
    env: dict[str, dict[str, str]] | None = None,
) -> float:
    """Start firing workers (`env`: more variables by worker), wait until each is ready, then
    let them all go at once; returns the moment they went (`time.monotonic()`)."""
    for name in names:
        settings = {"ANCT_WORKER_NOW": now.isoformat(), "ANCT_WORKER_GO": str(go)}
        settings |= {"ANCT_WORKER_LIMIT": str(LIMIT), **(env or {}).get(name, {})}
        children.start(name, "fire", name, **settings)
    for name in names:
        children.wait_for_line(name, "ready", timeout=60)
    go.touch()
    return time.monotonic()


def summaries(children: Children, names: list[str]) -> dict[str, dict[str, Any]]:
    done = {name: children.finish(name, timeout=180) for name in names}
    for name, summary in done.items():
        assert summary.get("done") is True, (name, summary)
        assert (summary["failed"], summary["incidents"]) == ([], []), (name, summary)
    return done


def rows(database: str, statement: Any) -> list[Any]:
    engine = make_engine(database)
    try:
        with engine.connect() as connection:
            return connection.execute(statement).all()
    finally:
        engine.dispose()


def assert_fired_exactly_once(database: str, claimed_twice: set[str]) -> None:
    """Every reminder fired once, every dossier moved on once, nothing left or half-written.

    `claimed_twice`: the rows a dead worker held, claimed again after its lease.
    """
    timers = rows(
        database,
        select(
            Timer.id, Timer.bpmn_id, Timer.status, Timer.attempts, Timer.locked_by,
            Timer.locked_until, Timer.due_at, Timer.last_error,
        ),
    )  # fmt: skip
    reminders = [t for t in timers if t.bpmn_id == "rappel"]
    deadlines = [t for t in timers if t.bpmn_id == "delai_depasse"]
    assert len(reminders) == len(deadlines) == TIMERS
    assert Counter(t.status for t in reminders) == {"declenchee": TIMERS}
    assert all(t.locked_by is None and t.locked_until is None for t in reminders)
    assert all(t.last_error is None for t in reminders)
    attempts = Counter(t.attempts for t in reminders if t.id not in claimed_twice)
    assert attempts == {1: TIMERS - len(claimed_twice)}, "each row claimed by one worker only"
    assert all(t.attempts == 2 for t in reminders if t.id in claimed_twice)
    # The deadlines (1 April) were not due: untouched.
    assert Counter((t.status, t.attempts, t.locked_by) for t in deadlines) == {
        ("en_attente", 0, None): TIMERS
    }
    assert [t for t in timers if t.status == "en_attente" and t.due_at <= AFTER_LEASE] == []

    instances = rows(
        database,
        select(ProcessInstance.id, ProcessInstance.status, ProcessInstance.lock_version,
               ProcessInstance.data),
    )  # fmt: skip
    assert len(instances) == TIMERS
    assert Counter((i.status, i.lock_version, i.data.get("relances")) for i in instances) == {
        ("en_cours", 2, 1): TIMERS
    }, "started (version 1), then one timer step (version 2) with one reminder counted"

    events = rows(
        database, select(AuditEvent.instance_id, AuditEvent.kind, AuditEvent.lock_version)
    )
    by_instance: dict[int, list[tuple[str, int]]] = {}
    for event in events:
        by_instance.setdefault(event.instance_id, []).append((event.kind, event.lock_version))
    assert len(by_instance) == TIMERS
    # One `minuterie` event per dossier, written by the step that made it version 2.
    assert Counter(
        tuple(v for k, v in kinds if k == "minuterie") for kinds in by_instance.values()
    ) == {(2,): TIMERS}
    # Every dossier has exactly the same history: no step written twice or in part.
    histories = Counter(tuple(sorted(kinds)) for kinds in by_instance.values())
    assert len(histories) == 1, histories.most_common(3)


def test_racing_worker_processes_fire_every_timer_exactly_once(database, children, tmp_path):
    creation = create_dossiers(database, children)
    names = [f"w{i}" for i in range(1, WORKERS + 1)]
    went = launch(children, names, NOW, tmp_path / "go")
    done = summaries(children, names)
    firing = time.monotonic() - went

    assert sum(s["claimed"] for s in done.values()) == TIMERS
    assert sum(1 for s in done.values() if s["claimed"] > 0) >= 2, f"no race at all: {done}"
    assert_fired_exactly_once(database, claimed_twice=set())
    print(
        f"\n{TIMERS} minuteries, {WORKERS} processus ; création {creation:.1f} s, déclenchement "
        f"{firing:.1f} s ({TIMERS / firing:.0f}/s) ; par processus : "
        + ", ".join(f"{n} {s['claimed']}" for n, s in done.items())
    )


def test_timers_of_a_worker_killed_mid_step_are_fired_once_after_its_lease(
    database, children, tmp_path
):
    creation = create_dossiers(database, children)
    victim, survivors = "w1", [f"w{i}" for i in range(2, WORKERS + 1)]
    went = launch(
        children, [victim, *survivors], NOW, tmp_path / "go",
        env={victim: {"ANCT_WORKER_CRASH_AT": str(CRASH_AT)}},
    )  # fmt: skip
    crashed = children.wait_for_line(victim, "holding", timeout=120)["holding"]
    children.running[victim].send_signal(signal.SIGKILL)
    assert children.running[victim].wait(timeout=10) == -signal.SIGKILL
    done = summaries(children, survivors)
    first_round = time.monotonic() - went

    # The dead worker's leases still hold: its rows wait, untouched, and so does the dossier it
    # was writing (its transaction died with it).
    held = {
        t.id: t
        for t in rows(
            database,
            select(Timer.id, Timer.instance_id, Timer.status, Timer.attempts, Timer.locked_until)
            .where(Timer.bpmn_id == "rappel", Timer.locked_by == victim),
        )
    }  # fmt: skip
    assert held and all(t.status == "en_attente" and t.attempts == 1 for t in held.values())
    assert all(t.locked_until == NOW + LEASE for t in held.values())
    [dossier] = rows(
        database,
        select(ProcessInstance.id, ProcessInstance.lock_version, ProcessInstance.data).where(
            ProcessInstance.reference == crashed
        ),
    )
    assert dossier.id in {t.instance_id for t in held.values()}
    assert (dossier.lock_version, "relances" in dossier.data) == (1, False)
    kinds = rows(database, select(AuditEvent.kind).where(AuditEvent.instance_id == dossier.id))
    assert "minuterie" not in {k for (k,) in kinds}
    fired_by_victim = CRASH_AT - 1
    survived = sum(s["claimed"] for s in done.values())
    assert survived + fired_by_victim + len(held) == TIMERS
    [(fired,)] = rows(
        database, select(func.count()).select_from(Timer).where(Timer.status == "declenchee")
    )
    assert fired == TIMERS - len(held)

    # Next workers, once the lease has run out, fire exactly what the dead one held.
    late = ["w5", "w6"]
    went = launch(children, late, AFTER_LEASE, tmp_path / "go-again")
    again = summaries(children, late)
    second_round = time.monotonic() - went
    assert sum(s["claimed"] for s in again.values()) == len(held)
    assert_fired_exactly_once(database, claimed_twice=set(held))
    print(
        f"\n{TIMERS} minuteries, {WORKERS} processus dont un tué (SIGKILL) en pleine étape "
        f"({crashed}) ; création {creation:.1f} s ; premier tour {first_round:.1f} s : "
        + ", ".join(f"{n} {s['claimed']}" for n, s in done.items())
        + f", {victim} {fired_by_victim} puis tué avec {len(held)} minuteries sous bail ; "
        f"après le bail, {len(late)} processus en {second_round:.1f} s : "
        + ", ".join(f"{n} {s['claimed']}" for n, s in again.items())
    )

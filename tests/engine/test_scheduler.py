"""Due timers fired by the sweep: on time and not before, once, with retries then an incident."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from engine import service
from engine.config import Settings
from engine.scheduler import fire_due
from engine.scheduler import firing as firing_module
from engine.store.models import Timer
from tests.conftest import FIXTURES, name_people

GUERET = {"territory": "23", "siren": "212309603"}
RELANCE = {"date_limite": "2026-04-01", "referent": "marie"}


def statuses(services) -> dict[str, str]:
    with services.db.connect() as connection:
        return dict(connection.execute(select(Timer.bpmn_id, Timer.status)).all())


def test_sweep_fires_the_reminder_on_time_and_not_before(deployed, operator, clock):
    started = service.start(deployed, "relance", data=RELANCE, **GUERET)
    clock.advance(days=7, minutes=-1)
    assert fire_due(deployed).claimed == 0
    clock.advance(minutes=2)
    report = fire_due(deployed, worker="essai")
    assert (report.claimed, report.instances, report.failed) == (1, 1, [])
    details = service.get_instance(deployed, started.reference, operator)
    assert details.data["relances"] == 1
    assert [e["actor"] for e in details.history if e["kind"] == "minuterie"] == [None]
    assert statuses(deployed) == {"rappel": "declenchee", "delai_depasse": "en_attente"}
    assert fire_due(deployed).claimed == 0, "a fired timer is not fired again"


def test_failing_timer_is_retried_with_backoff_then_becomes_an_incident(
    database_url, clock, operator, tmp_path, monkeypatch
):
    monkeypatch.setattr(firing_module, "MAX_ATTEMPTS", 2)
    services = service.create_services(
        Settings(database_url=database_url, script_time_limit=0.2), clock=clock
    )
    content = (FIXTURES / "relance.bpmn").read_text(encoding="utf-8")
    path = tmp_path / "relance.bpmn"
    path.write_text(
        content.replace(
            "<bpmn:script>relances = 1</bpmn:script>", "<bpmn:script>relances = 1 / 0</bpmn:script>"
        ),
        encoding="utf-8",
    )
    service.deploy_path(services, path)
    name_people(services)
    started = service.start(services, "relance", data=RELANCE, **GUERET)
    clock.advance(days=8)
    first = fire_due(services)
    assert first.failed == [started.reference] and first.incidents == []
    assert fire_due(services).claimed == 0, "not retried before its backoff"
    clock.advance(seconds=31)
    second = fire_due(services)
    assert second.incidents == [started.reference]
    with services.db.connect() as connection:
        row = connection.execute(
            select(Timer.status, Timer.last_error, Timer.attempts).where(Timer.bpmn_id == "rappel")
        ).one()
    assert row.status == "incident" and row.attempts == 2 and "division by zero" in row.last_error
    details = service.get_instance(services, started.reference, operator)
    assert details.status == "en_cours" and "relances" not in details.data, (
        "the instance is untouched"
    )
    clock.advance(days=1)
    assert fire_due(services).claimed == 0
    services.close()


@pytest.mark.postgresql
def test_racing_workers_fire_each_timer_exactly_once(postgresql_database, clock, operator):
    from tests.conftest import _truncate

    _truncate(postgresql_database)
    services = service.create_services(Settings(database_url=postgresql_database), clock=clock)
    services.forms_path = FIXTURES / "forms"
    service.deploy_path(services, FIXTURES / "relance.bpmn")
    name_people(services)
    references = [
        service.start(services, "relance", data=RELANCE, **GUERET).reference for _ in range(60)
    ]
    clock.advance(days=8)
    reports = []
    barrier = threading.Barrier(4)

    def work(name: str) -> None:
        barrier.wait()
        while True:
            report = fire_due(services, worker=name, limit=7)
            reports.append(report)
            if report.claimed == 0:
                return

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sum(r.claimed for r in reports) == 60
    assert not any(r.failed or r.incidents for r in reports)
    for reference in references:
        history = service.get_instance(services, reference, operator).history
        assert [e["kind"] for e in history].count("minuterie") == 1
    services.close()


def test_a_timer_held_by_a_dead_worker_is_fired_by_another_once_the_lease_expires(
    deployed, operator, clock
):
    from engine.scheduler.claims import claim
    from engine.scheduler.firing import LEASE

    started = service.start(deployed, "relance", data=RELANCE, **GUERET)
    clock.advance(days=8)
    with deployed.write() as connection:  # worker "mort" claims, then is killed before firing
        assert len(claim(connection, clock.now(), "mort", 10, LEASE)) == 1
    assert fire_due(deployed, worker="vivant").claimed == 0, "the lease still protects the row"
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert fire_due(deployed, worker="vivant").claimed == 1
    details = service.get_instance(deployed, started.reference, operator)
    assert details.data["relances"] == 1
    assert [e["kind"] for e in details.history].count("minuterie") == 1


def test_a_claimed_timer_the_step_does_not_fire_is_retried_then_an_incident(
    deployed, clock, monkeypatch
):
    """A row due earlier than the workflow's own timer (a hand edit, a bug) must not spin."""
    monkeypatch.setattr(firing_module, "MAX_ATTEMPTS", 2)
    started = service.start(deployed, "relance", data=RELANCE, **GUERET)
    with deployed.write() as connection:
        connection.execute(
            Timer.__table__.update().where(Timer.bpmn_id == "rappel").values(due_at=clock.now())
        )
    first = fire_due(deployed)
    assert (first.claimed, first.failed) == (1, [started.reference])
    clock.advance(seconds=31)
    assert fire_due(deployed).incidents == [started.reference]
    with deployed.read() as connection:
        row = connection.execute(
            select(Timer.status, Timer.last_error).where(Timer.bpmn_id == "rappel")
        ).one()
    assert row.status == "incident" and "n'a pas déclenché" in row.last_error

"""Real concurrency on PostgreSQL: racing completions never both win, never lose a step."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from engine import service
from engine.config import Settings
from engine.errors import Conflict
from tests.conftest import FIXTURES, _truncate

pytestmark = pytest.mark.postgresql
CREUSE = {"territory": "23", "siren": "212309603"}


@pytest.fixture
def pg_services(postgresql_database, clock):
    _truncate(postgresql_database)
    context = service.create_services(Settings(database_url=postgresql_database), clock=clock)
    context.forms_path = FIXTURES / "forms"
    service.deploy_path(context, FIXTURES)
    yield context
    context.close()


def race(functions):
    """Run the functions at the same instant in threads; return their results or exceptions."""
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def run(index, function):
        barrier.wait()
        try:
            results[index] = function()
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_many_people_completing_one_task_only_one_wins(pg_services):
    operator = service.Viewer.command_line()
    for _ in range(5):
        started = service.start(pg_services, "approbation", **CREUSE)
        [task] = [
            t
            for t in service.list_tasks(pg_services, operator)
            if t["instance"] == started.reference
        ]
        contenders = [service.Viewer.command_line(f"agent{i}") for i in range(8)]
        results = race([
            (lambda v=v, i=i, t=task: service.complete(pg_services, v, t["id"], {"montant": 20000 + i}))
            for i, v in enumerate(contenders)
        ])  # fmt: skip
        winners = [i for i, r in enumerate(results) if r == started.reference]
        assert len(winners) == 1, results
        assert all(isinstance(r, Conflict) for i, r in enumerate(results) if i not in winners)
        details = service.get_instance(pg_services, started.reference, operator)
        assert details.data["montant"] == 20000 + winners[0]
        completions = [e for e in details.history if e["kind"] == "tache_terminee"]
        assert [e["actor"] for e in completions] == [f"agent{winners[0]}"]
        assert [t["bpmn_id"] for t in details.tasks] == ["donner_avis"]


def test_two_steps_on_one_instance_never_lose_each_other(pg_services):
    operator = service.Viewer.command_line()
    outcomes = Counter()
    for _ in range(10):
        started = service.start(pg_services, "signatures", **CREUSE)
        tasks = [
            t
            for t in service.list_tasks(pg_services, operator)
            if t["instance"] == started.reference
        ]
        results = race([
            (lambda t=t: service.complete(pg_services, operator, t["id"], {t["bpmn_id"]: True}))
            for t in tasks
        ])  # fmt: skip
        details = service.get_instance(pg_services, started.reference, operator)
        won = [t for t, r in zip(tasks, results, strict=True) if r == started.reference]
        lost = [t for t, r in zip(tasks, results, strict=True) if isinstance(r, Conflict)]
        assert len(won) + len(lost) == 2, results
        for task in won:
            assert details.data[task["bpmn_id"]] is True
        assert sorted(t["id"] for t in details.tasks) == sorted(t["id"] for t in lost)
        assert details.status == ("terminee" if not lost else "en_cours")
        outcomes["conflict" if lost else "both"] += 1
        for task in lost:  # the loser simply retries, and the instance completes
            service.complete(pg_services, operator, task["id"], {task["bpmn_id"]: True})
        assert service.get_instance(pg_services, started.reference, operator).outcome == "fin"
    assert outcomes["conflict"] > 0, f"the race never happened: {outcomes}"

"""Two people completing the same task through the API at the same instant (PostgreSQL, real
concurrency): exactly one wins, the other gets a 409 problem and nothing of theirs is kept."""

from __future__ import annotations

import threading

import pytest

from engine import service
from engine.service.people import accounts
from tests.api.conftest import problem_of
from tests.procedures.conftest import person
from tests.procedures.test_demande_ingenierie import COMPLEMENTS, NON_RECEVABLE

pytestmark = [pytest.mark.postgresql, pytest.mark.timeout(120)]
PREFET_23 = person("prefet.creuse", "prefet", "23")


def race(calls):
    """Run the calls at the same instant, each in its own thread; return their responses."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except BaseException as error:  # reported by the test
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_completions_of_one_task_only_one_wins(api_for, platform, dossiers):
    accounts.create_user(
        platform, "agent.creuse", name="Agnès Durand", grants=[("prefet", "23")],
        password="demo-anct-2026",
    )  # fmt: skip
    clients = [api_for("prefet.creuse"), api_for("agent.creuse")]
    for client in clients:  # each token known before the race
        assert client.get("/api/v1/tasks").status_code == 200
    [task] = [
        t for t in service.list_tasks(platform, PREFET_23) if t["instance"] == dossiers["gueret"]
    ]
    path = f"/api/v1/tasks/{task['id']}/complete"
    results = race(
        [
            lambda: clients[0].post(path, json={"data": COMPLEMENTS}),
            lambda: clients[1].post(path, json={"data": NON_RECEVABLE}),
        ]
    )
    assert not any(isinstance(r, BaseException) for r in results), results
    assert sorted(r.status_code for r in results) == [200, 409], [
        (r.status_code, r.get_data(as_text=True)[:300]) for r in results
    ]
    [won] = [i for i, r in enumerate(results) if r.status_code == 200]
    [lost] = [r for r in results if r.status_code == 409]
    assert problem_of(lost)["code"] == "conflit"

    details = service.get_instance(platform, dossiers["gueret"], service.Viewer.command_line())
    assert [e["kind"] for e in details.history].count("tache_terminee") == 1
    if won == 0:  # complements asked: the dossier waits for the authority
        assert details.status == "en_cours"
        assert "motif_non_recevabilite" not in details.data
    else:  # not receivable: the dossier is closed, no complements were asked
        assert details.status == "terminee"
        assert "complements_demandes" not in details.data

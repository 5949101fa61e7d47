"""Instances through the service layer: start, inboxes, completion, history, timers rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine import service
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.store.models import ProcessInstance, Timer

CREUSE = {"territory": "23", "siren": "212309603"}  # commune de Guéret
ARDENNES = {"territory": "08", "siren": "200041630"}  # CA Ardenne Métropole


def tasks_of(services, viewer, reference):
    return [t for t in service.list_tasks(services, viewer) if t["instance"] == reference]


def stored(services, reference):
    with services.db.connect() as connection:
        return connection.execute(
            select(ProcessInstance.__table__).where(ProcessInstance.reference == reference)
        ).one()


def test_references_follow_procedure_department_year_sequence(deployed):
    first = service.start(deployed, "approbation", **CREUSE)
    second = service.start(deployed, "approbation", **CREUSE)
    other = service.start(deployed, "approbation", **ARDENNES)
    assert (first.reference, second.reference) == ("APP-23-2026-00001", "APP-23-2026-00002")
    assert other.reference == "APP-08-2026-00001"


@pytest.mark.parametrize(
    ("territory", "siren", "message"),
    [
        ("99", "212309603", "Code de département inconnu"),
        ("abc", "212309603", "Code de département inconnu"),
        ("23", "212300017", "SIREN"),
        ("23", "12345", "SIREN"),
    ],
)
def test_invalid_territory_or_siren_is_refused_and_nothing_is_created(
    deployed, territory, siren, message
):
    with pytest.raises(InvalidInput, match=message):
        service.start(deployed, "approbation", territory=territory, siren=siren)
    with deployed.db.connect() as connection:
        assert connection.execute(select(ProcessInstance.id)).first() is None


def test_territory_codes_are_normalised(deployed):
    started = service.start(deployed, "approbation", territory="2a", siren="212309603")
    assert started.reference.startswith("APP-2A-")


@pytest.mark.parametrize("data", [[1, 2], {"_cache": 1}, {"a b": 1}, {"x": float("nan")}])
def test_invalid_start_data_is_refused(deployed, data):
    with pytest.raises(InvalidInput):
        service.start(deployed, "approbation", data=data, **CREUSE)


def test_unknown_process_is_not_found(deployed):
    with pytest.raises(NotFound, match="Procédure inconnue"):
        service.start(deployed, "inexistante", **CREUSE)


def test_full_path_with_tasks_due_dates_outcome_and_history(deployed, operator, clock):
    started = service.start(
        deployed, "approbation", data={"objet": "Voirie"}, actor="alice", **CREUSE
    )
    [first] = tasks_of(deployed, operator, started.reference)
    assert (first["bpmn_id"], first["role"], first["territory"]) == (
        "saisir_demande",
        "collectivite",
        "23",
    )
    assert first["due_at"] == clock.now() + timedelta(days=15)

    clock.advance(days=1)
    service.complete(
        deployed, service.Viewer.command_line("alice"), first["id"], {"montant": 50000}
    )
    [second] = tasks_of(deployed, operator, started.reference)
    assert (second["bpmn_id"], second["role"]) == ("donner_avis", "prefet")
    assert second["due_at"] == clock.now() + timedelta(days=7)

    service.complete(
        deployed, service.Viewer.command_line("bob"), second["id"], {"avis": "défavorable"}
    )
    details = service.get_instance(deployed, started.reference, operator)
    assert (details.status, details.outcome) == ("terminee", "refusee")
    assert details.tasks == []
    assert details.data["montant"] == 50000 and details.data["avis"] == "défavorable"
    kinds = [(e["kind"], e["actor"]) for e in details.history]
    assert kinds[0] == ("dossier_cree", "alice")
    assert ("tache_terminee", "alice") in kinds and ("tache_terminee", "bob") in kinds
    assert kinds[-1] == ("dossier_termine", None)
    alice_step = next(
        e for e in details.history if e["actor"] == "alice" and e["kind"] == "tache_terminee"
    )
    assert alice_step["changes"] == {"montant": [None, 50000]}
    assert alice_step["at"] == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def test_default_branch_ends_immediately(deployed, operator):
    started = service.start(deployed, "approbation", **CREUSE)
    [task] = tasks_of(deployed, operator, started.reference)
    service.complete(deployed, operator, task["id"], {"montant": 500})
    details = service.get_instance(deployed, started.reference, operator)
    assert (details.status, details.outcome) == ("terminee", "acceptee")


def test_second_completion_is_a_conflict_and_changes_nothing(deployed, operator):
    started = service.start(deployed, "approbation", **CREUSE)
    [task] = tasks_of(deployed, operator, started.reference)
    service.complete(deployed, operator, task["id"], {"montant": 50000})
    before = stored(deployed, started.reference)
    with pytest.raises(Conflict, match="déjà été traitée"):
        service.complete(deployed, operator, task["id"], {"montant": 1})
    assert stored(deployed, started.reference) == before


def test_stale_workflow_cannot_overwrite_a_newer_step(deployed, operator):
    """Two steps computed from the same stored version: the second to write gets a conflict."""
    from engine.runtime import snapshot
    from engine.service.unit_of_work import open_workflow, unit_of_work
    from engine.store.instances import load

    started = service.start(deployed, "signatures", **CREUSE)
    first, second = tasks_of(deployed, operator, started.reference)
    with deployed.db.connect() as connection:
        stale = load(connection, reference=started.reference)
        workflow = open_workflow(deployed, stale, connection)
    before = snapshot.take(workflow)
    log = deployed.runner.complete(workflow, second["id"], {"signe": True})

    service.complete(deployed, operator, first["id"], {"signe": True})
    winner = stored(deployed, started.reference)
    with pytest.raises(Conflict), unit_of_work(deployed, actor="x") as work:
        work.instance, work.workflow, work.before = stale, workflow, before
        work.save(log, completed_task=second["id"])
    assert stored(deployed, started.reference) == winner
    assert [t["id"] for t in tasks_of(deployed, operator, started.reference)] == [second["id"]]


def test_parallel_tasks_then_join(deployed, operator):
    started = service.start(deployed, "signatures", **CREUSE)
    tasks = tasks_of(deployed, operator, started.reference)
    assert sorted((t["bpmn_id"], t["role"]) for t in tasks) == [
        ("signer_anct", "equipe_nationale"),
        ("signer_collectivite", "collectivite"),
    ]
    for task in tasks:
        service.complete(deployed, operator, task["id"], {})
    details = service.get_instance(deployed, started.reference, operator)
    assert (details.status, details.outcome) == ("terminee", "fin")


def test_inbox_is_scoped_by_role_and_territory(deployed):
    creuse = service.start(deployed, "approbation", **CREUSE)
    ardennes = service.start(deployed, "approbation", **ARDENNES)
    for started in (creuse, ardennes):
        [task] = tasks_of(deployed, service.Viewer.command_line(), started.reference)
        service.complete(deployed, service.Viewer.command_line(), task["id"], {"montant": 50000})

    prefet_23 = service.Viewer("prefet23", (service.Grant("prefet", "23"),))
    prefet_08 = service.Viewer("prefet08", (service.Grant("prefet", "08"),))
    national = service.Viewer("anct", (service.Grant("equipe_nationale"),))
    mairie = service.Viewer("gueret", (service.Grant("collectivite", "212309603"),))

    assert [t["instance"] for t in service.list_tasks(deployed, prefet_23)] == [creuse.reference]
    assert [t["instance"] for t in service.list_tasks(deployed, prefet_08)] == [ardennes.reference]
    assert service.list_tasks(deployed, national) == []
    assert service.list_tasks(deployed, mairie) == []

    task_08 = service.list_tasks(deployed, prefet_08)[0]
    with pytest.raises(NotFound):
        service.complete(deployed, prefet_23, task_08["id"], {"avis": "favorable"})
    with pytest.raises(NotFound):
        service.get_instance(deployed, ardennes.reference, prefet_23)
    assert service.get_instance(deployed, creuse.reference, mairie).reference == creuse.reference
    with pytest.raises(Forbidden):
        service.complete(deployed, mairie, service.list_tasks(deployed, prefet_23)[0]["id"], {})


def test_claim_release_and_assignee_guard(deployed):
    started = service.start(deployed, "approbation", **CREUSE)
    [task] = tasks_of(deployed, service.Viewer.command_line(), started.reference)
    service.complete(deployed, service.Viewer.command_line(), task["id"], {"montant": 50000})
    alice = service.Viewer("alice", (service.Grant("prefet", "23"),))
    bruno = service.Viewer("bruno", (service.Grant("prefet", "23"),))
    [task] = service.list_tasks(deployed, alice)

    service.claim(deployed, alice, task["id"])
    assert service.list_tasks(deployed, bruno)[0]["assignee"] == "alice"
    with pytest.raises(Conflict, match="alice"):
        service.claim(deployed, bruno, task["id"])
    with pytest.raises(Conflict, match="alice"):
        service.complete(deployed, bruno, task["id"], {"avis": "favorable"})
    with pytest.raises(Forbidden):
        service.release(deployed, bruno, task["id"])
    service.release(deployed, alice, task["id"])
    service.claim(deployed, bruno, task["id"])
    service.complete(deployed, bruno, task["id"], {"avis": "favorable"})
    history = service.get_instance(deployed, started.reference, bruno).history
    assert [e["kind"] for e in history if e["kind"].startswith("tache_")][-4:] == [
        "tache_prise", "tache_liberee", "tache_prise", "tache_terminee",
    ]  # fmt: skip


def test_timer_rows_follow_waiting_events(deployed, operator, clock):
    started = service.start(
        deployed, "relance", data={"date_limite": "2026-04-01", "referent": "marie"}, **CREUSE
    )
    details = service.get_instance(deployed, started.reference, operator)
    [task] = details.tasks
    assert task["assignee"] == "marie"
    # The due date is the data's date limit, midnight Paris time.
    assert task["due_at"] == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
    timers = {t["bpmn_id"]: t for t in details.timers}
    assert timers["rappel"]["due_at"] == clock.now() + timedelta(days=7)
    assert timers["rappel"]["kind"] == "duree"
    assert timers["delai_depasse"]["due_at"] == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)

    service.complete(deployed, operator, task["id"], {"reponse": "pièces jointes"})
    details = service.get_instance(deployed, started.reference, operator)
    assert (details.status, details.outcome, details.timers) == ("terminee", "repondu", [])
    with deployed.db.connect() as connection:
        statuses = dict(connection.execute(select(Timer.bpmn_id, Timer.status)).all())
    assert statuses == {"rappel": "annulee", "delai_depasse": "annulee"}


def test_script_error_fails_the_step_and_keeps_the_instance(deployed, operator):
    started = service.start(deployed, "approbation", **CREUSE)
    [task] = tasks_of(deployed, operator, started.reference)
    before = stored(deployed, started.reference)
    from engine.errors import ScriptError

    with pytest.raises(ScriptError, match="montant"):
        service.complete(
            deployed, operator, task["id"], {"autre": 1}
        )  # the condition needs `montant`
    assert stored(deployed, started.reference) == before
    assert tasks_of(deployed, operator, started.reference) == [task]


def test_timers_fire_when_the_injected_clock_passes_them(deployed, operator, clock):
    started = service.start(
        deployed, "relance", data={"date_limite": "2026-04-01", "referent": "marie"}, **CREUSE
    )
    clock.advance(days=6, hours=23)
    assert service.advance(deployed, started.reference) == "en_cours"
    details = service.get_instance(deployed, started.reference, operator)
    assert "relances" not in details.data and len(details.timers) == 2

    clock.advance(hours=2)
    service.advance(deployed, started.reference)
    details = service.get_instance(deployed, started.reference, operator)
    assert details.data["relances"] == 1, "the non-interrupting reminder ran"
    assert [t["bpmn_id"] for t in details.tasks] == ["repondre"], "and the task stays open"
    assert [t["bpmn_id"] for t in details.timers] == ["delai_depasse"]
    assert "minuterie" in [e["kind"] for e in details.history]

    clock.set("2026-04-01T00:00:00+02:00")
    assert service.advance(deployed, started.reference) == "terminee"
    details = service.get_instance(deployed, started.reference, operator)
    assert (details.outcome, details.tasks, details.timers) == ("sans_suite", [], [])
    assert details.data["relances"] == 1, "what the reminder branch wrote stays in the dossier"
    with deployed.db.connect() as connection:
        statuses = dict(connection.execute(select(Timer.bpmn_id, Timer.status)).all())
    assert statuses == {"rappel": "declenchee", "delai_depasse": "declenchee"}


def test_runaway_script_is_stopped_and_the_instance_kept(database_url, clock, operator, tmp_path):
    from engine.config import Settings
    from engine.errors import SandboxViolation
    from tests.conftest import FIXTURES, name_people

    services = service.create_services(
        Settings(database_url=database_url, script_time_limit=0.3), clock=clock
    )
    content = (FIXTURES / "relance.bpmn").read_text(encoding="utf-8")
    path = tmp_path / "relance.bpmn"
    path.write_text(
        content.replace(
            "<bpmn:script>relances = 1</bpmn:script>",
            "<bpmn:script>while True:\n  relances = 1</bpmn:script>",
        ),
        encoding="utf-8",
    )
    service.deploy_path(services, path)
    name_people(services)
    started = service.start(
        services, "relance", data={"date_limite": "2026-04-01", "referent": "marie"}, **CREUSE
    )
    before = stored(services, started.reference)
    clock.advance(days=8)
    with pytest.raises(SandboxViolation, match="durée maximale"):
        service.advance(services, started.reference)
    assert stored(services, started.reference) == before
    services.close()


def test_an_expert_sees_only_the_dossiers_of_missions_assigned_to_them(deployed, operator):
    from engine.errors import NotFound
    from engine.service.demo import ensure_demo

    ensure_demo(deployed)
    data = {"date_limite": "2026-04-01", "referent": "expert.cerema"}
    mine = service.start(deployed, "relance", data=data, territory="23", siren="212309603")
    other = service.start(
        deployed, "relance", data={**data, "referent": "autre.expert"},
        territory="23", siren="212309603",
    )  # fmt: skip
    expert = service.Viewer("expert.cerema", (service.Grant("expert"),))
    assert service.get_instance(deployed, mine.reference, expert).reference == mine.reference
    with pytest.raises(NotFound):
        service.get_instance(deployed, other.reference, expert)

"""Core of dossier migration (issue 15): one procedure, a v2 with a renamed task and a changed
deadline; dossiers waiting at the qualification migrate and go on, refusals leave them intact."""

from __future__ import annotations

from datetime import timedelta

from engine import service
from engine.service.migrations import plans, runs
from engine.store import instances
from engine.store.instances import load
from tests.procedures import test_demande_ingenierie as ing
from tests.procedures.conftest import only_task, publish_edited

PROCESS = "demande_ingenierie"


def publish_v2(services, tmp_path, edit) -> None:
    publish_edited(services, tmp_path / "v2", PROCESS, edit)


def dossier(services, reference):
    return service.get_instance(services, reference, service.Viewer.command_line())


def test_a_waiting_dossier_moves_to_v2_keeps_its_task_and_goes_on(deploy, people, clock, tmp_path):
    services = deploy(PROCESS)
    reference = ing.deposer(services, people)
    before = dossier(services, reference)
    task_before = only_task(services, people["prefet_23"], reference, "qualifier_besoin")
    publish_v2(
        services, tmp_path,
        lambda text: text.replace('name="Qualifier le besoin"', 'name="Qualifier la demande"')
        .replace('"P14D"', '"P20D"'),
    )  # fmt: skip
    operator = service.Viewer.command_line()
    plan_id = plans.create_plan(services, operator, PROCESS, 1, 2)
    page = plans.plan_page(services, operator, plan_id)
    assert [t.source.id for t in page.timers if t.rearm] == ["rappel_prefet"]
    started = runs.start(services, operator, plan_id, mode="essai")
    assert started.done and started.total == 1
    page = plans.plan_page(services, operator, plan_id)
    assert page.progress["migrable"] == 1, [(o.status, o.reason, o.pending) for o in page.outcomes]
    assert dossier(services, reference).version == before.version
    clock.advance(timedelta(days=1))
    runs.start(services, operator, plan_id, mode="migration")
    after = dossier(services, reference)
    assert after.version == 2
    task_after = only_task(services, people["prefet_23"], reference, "qualifier_besoin")
    assert task_after["id"] == task_before["id"]
    assert task_after["name"] == "Qualifier la demande"
    timers = {t["bpmn_id"]: t["due_at"] for t in after.timers}
    assert timers["rappel_prefet"] == clock.now() + timedelta(days=20)
    [moved] = [e for e in after.history if e["kind"] == "migration"]
    assert (
        moved["label"] == f"Migré de la version 1 à la version 2 (plan de migration n° {plan_id})"
    )
    assert moved["actor"] == operator.login
    ing.qualifier(services, people, reference, ing.TRANSMISSION)
    assert "instruire_demande" in ing.open_tasks(services, reference)


def test_a_dossier_whose_task_is_gone_is_refused_and_left_intact(deploy, people, clock, tmp_path):
    services = deploy(PROCESS)
    reference = ing.deposer(services, people)
    publish_v2(services, tmp_path, lambda text: text.replace("qualifier_besoin", "qualifier_v2"))
    operator = service.Viewer.command_line()
    with services.read() as connection:
        before = load(connection, reference=reference)
    plan_id = plans.create_plan(services, operator, PROCESS, 1, 2)
    runs.start(services, operator, plan_id, mode="migration")
    page = plans.plan_page(services, operator, plan_id)
    assert page.progress["refuse"] == 1
    assert "qualifier_besoin" in page.outcomes[0].reason
    with services.read() as connection:
        after = load(connection, reference=reference)
    assert after == before


def test_a_dossier_that_moved_meanwhile_is_a_conflict_left_intact_then_retried(
    deploy, people, clock, tmp_path, monkeypatch
):
    """The dossier was read, then another step wrote it before the migration's write (its
    lock version moved on): the migration keeps nothing, the plan says « conflit », and the
    dossier migrates when tried again."""
    services = deploy(PROCESS)
    reference = ing.deposer(services, people)
    publish_v2(services, tmp_path, lambda text: text.replace('"P14D"', '"P20D"'))
    operator = service.Viewer.command_line()
    with services.read() as connection:
        before = load(connection, reference=reference)
    plan_id = plans.create_plan(services, operator, PROCESS, 1, 2)

    def read_before_another_step(connection, **key):
        found = load(connection, **key)
        found.lock_version -= 1
        return found

    with monkeypatch.context() as patch:
        patch.setattr(instances, "load", read_before_another_step)
        runs.start(services, operator, plan_id, mode="migration")
    [item] = plans.plan_page(services, operator, plan_id).outcomes
    assert (item.status, item.reason) == (
        "conflit", "le dossier a changé pendant la migration ; il est resté tel quel",
    )  # fmt: skip
    with services.read() as connection:
        assert load(connection, reference=reference) == before

    runs.start(services, operator, plan_id, mode="migration", retry=True)
    assert dossier(services, reference).version == 2

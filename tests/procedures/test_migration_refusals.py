"""Why a dossier may not move to another version, and what a run leaves behind (issue 15).

Each case of tests/fixtures/migration/ is a small procedure in two versions (`v1.xml`, `v2.xml`:
not `.bpmn`, so that the folder deploying tests/fixtures ignores them) whose change breaks one rule
for a dossier waiting at v1's element: it is refused with the element and the reason, and its rows
(the instance, its tasks, its timers, its history) are exactly as they were. Then: a refused
dossier migrates once the plan maps its element, and back again with the same machinery; a dry
run changes nothing; a timer kept keeps its due date, a timer re-armed counts from the migration,
and each fires at its own date.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import service
from engine.errors import InvalidInput
from engine.runtime import migration
from engine.scheduler.firing import fire_due
from engine.service.migrations import plans, runs
from engine.store.models import AuditEvent, HumanTask, ProcessInstance, Timer
from tests.procedures.conftest import GUERET, only_task

FIXTURES = Path(__file__).parents[1] / "fixtures" / "migration"
OPERATOR = service.Viewer.command_line()


@pytest.fixture
def publish(deploy, services):
    """`publish(case, "v1")`: deploy one version of a case (the people have their accounts)."""
    services.forms_path = FIXTURES / "forms"

    def run(case: str, version: str) -> None:
        text = (FIXTURES / case / f"{version}.xml").read_bytes()
        service.deploy(services, {f"mig_{case}.bpmn": text})

    return run


def file(services, case: str, **data) -> str:
    started = service.start(services, f"mig_{case}", data=data, actor="mairie.gueret", **GUERET)
    return started.reference


def details(services, reference):
    return service.get_instance(services, reference, OPERATOR)


def rows(services, reference) -> dict[str, list[tuple]]:
    """Everything stored of a dossier: its row, its tasks, its timers, its history."""
    with services.read() as connection:
        instance = connection.execute(
            select(ProcessInstance.__table__).where(ProcessInstance.reference == reference)
        ).one()
        found = {"instance": [tuple(instance)]}
        for name, table in (("tasks", HumanTask), ("timers", Timer), ("history", AuditEvent)):
            query = select(table.__table__).where(table.instance_id == instance.id)
            found[name] = sorted(tuple(row) for row in connection.execute(query.order_by("id")))
    return found


def run(services, plan_id: int, mode: str = "migration", **kwargs) -> None:
    runs.start(services, OPERATOR, plan_id, mode=mode, inline_limit=10**6, **kwargs)


def outcome(services, plan_id: int):
    [item] = plans.plan_page(services, OPERATOR, plan_id).outcomes
    return item


def complete(services, people, reference, bpmn_id, data=None, viewer="prefet_23") -> None:
    task = only_task(services, people[viewer], reference, bpmn_id)
    service.complete(services, people[viewer], task["id"], data or {})


# --- One case per rule ---------------------------------------------------------------------------


def _partner_signed(services, people, reference) -> None:
    complete(services, people, reference, "signer_collectivite")


def _one_signature(services, people, reference) -> None:
    first = next(t for t in details(services, reference).tasks if t["bpmn_id"] == "signer")
    service.complete(services, people["prefet_23"], first["id"], {})


#: case → (versions deployed, start data, what is done before migrating, rule, element, words of
#: the reason)
CASES = {
    "sans_cible": (["v1", "v2"], {}, None, migration.NO_TARGET, "examiner", "pas d'équivalent"),
    "type": (["v1", "v2"], {}, None, migration.TYPE_CHANGE, "examiner", "deviendrait"),
    "portee": (["v1", "v2"], {}, None, migration.SCOPE_CHANGE, "examiner", "passé dans « etape »"),
    "appel": (["v1", "v2"], {}, None, migration.CALL_ACTIVITY, "appel", "appel de processus"),
    "multi": (["v1", "v2", "v3"], {"signataires": ["maire", "prefete"]}, _one_signature,
              migration.MULTI_INSTANCE, "signer", "définition a changé"),
    "jonction": (["v1", "v2"], {}, _partner_signed, migration.JOIN, "fermer",
                 "ne mènent plus à cette jonction"),
    "formulaire": (["v1", "v2"], {"categorie": "c"}, None, migration.FORM, "examiner",
                   "Catégorie"),
    "role": (["v1", "v2"], {}, None, migration.ROLE, "examiner", "« equipe_nationale »"),
    "evenements": (["v1", "v2"], {}, None, migration.ATTACHED, "examiner",
                   "événements attachés"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_dossier_breaking_a_rule_is_refused_and_left_byte_identical(
    case, publish, services, people, clock
):
    versions, data, before_migrating, rule, element, words = CASES[case]
    publish(case, versions[0])
    reference = file(services, case, **data)
    if before_migrating is not None:
        before_migrating(services, people, reference)
    for version in versions[1:]:
        publish(case, version)
    before = rows(services, reference)
    clock.advance(timedelta(days=2))
    plan_id = plans.create_plan(services, OPERATOR, f"mig_{case}", 1, len(versions))
    run(services, plan_id, mode="essai")
    assert outcome(services, plan_id).status == "refuse"
    run(services, plan_id, retry=True)
    refused = outcome(services, plan_id)
    assert (refused.status, refused.element_id, refused.rule) == ("refuse", element, rule)
    assert f"({element})" in refused.reason and words in refused.reason, refused.reason
    assert rows(services, reference) == before


def test_an_unchanged_multi_instance_moves_with_its_instances(publish, services, people):
    """The multi-instance rule refuses only a changed definition: v2 renames it, and the
    signature still expected stays open, then completes the loop on v2."""
    publish("multi", "v1")
    reference = file(services, "multi", signataires=["maire", "prefete"])
    _one_signature(services, people, reference)
    publish("multi", "v2")
    [waiting] = details(services, reference).tasks
    plan_id = plans.create_plan(services, OPERATOR, "mig_multi", 1, 2)
    run(services, plan_id)
    assert outcome(services, plan_id).status == "migre", outcome(services, plan_id).reason
    dossier = details(services, reference)
    assert dossier.version == 2
    [task] = dossier.tasks
    assert (task["id"], task["due_at"], task["name"]) == (
        waiting["id"], waiting["due_at"], "Signer la convention",
    )  # fmt: skip
    service.complete(services, people["prefet_23"], task["id"], {})
    assert details(services, reference).status == "terminee"


# --- Mapping, retry, back, dry run ---------------------------------------------------------------


def test_a_refused_dossier_migrates_once_mapped_then_back_with_the_same_machinery(
    publish, services, people, clock
):
    publish("sans_cible", "v1")
    reference = file(services, "sans_cible")
    [task] = details(services, reference).tasks
    service.claim(services, people["prefet_23"], task["id"])
    publish("sans_cible", "v2")
    plan_id = plans.create_plan(services, OPERATOR, "mig_sans_cible", 1, 2)
    run(services, plan_id)
    assert outcome(services, plan_id).rule == migration.NO_TARGET

    plans.update_plan(services, OPERATOR, plan_id, mapping={"examiner": "examiner_v2"}, rearm=[])
    clock.advance(timedelta(days=1))
    run(services, plan_id, retry=True)
    assert outcome(services, plan_id).status == "migre"
    dossier = details(services, reference)
    [moved] = dossier.tasks
    assert dossier.version == 2
    assert (moved["id"], moved["bpmn_id"], moved["name"]) == (
        task["id"], "examiner_v2", "Examiner la demande",
    )  # fmt: skip
    assert (moved["assignee"], moved["due_at"]) == ("prefet.creuse", task["due_at"])
    [event] = [e for e in dossier.history if e["kind"] == "migration"]
    assert (
        event["label"] == f"Migré de la version 1 à la version 2 (plan de migration n° {plan_id})"
    )

    back = plans.create_plan(services, OPERATOR, "mig_sans_cible", 2, 1)
    plans.update_plan(services, OPERATOR, back, mapping={"examiner_v2": "examiner"}, rearm=[])
    run(services, back)
    assert outcome(services, back).status == "migre"
    dossier = details(services, reference)
    [returned] = dossier.tasks
    assert dossier.version == 1
    assert (returned["id"], returned["bpmn_id"], returned["name"], returned["assignee"]) == (
        task["id"], "examiner", "Examiner le dossier", "prefet.creuse",
    )  # fmt: skip
    complete(services, people, reference, "examiner")
    assert details(services, reference).status == "terminee"


def test_a_dry_run_changes_nothing(publish, services, people, clock):
    publish("minuteries", "v1")
    reference = file(services, "minuteries")
    publish("minuteries", "v2")
    before = rows(services, reference)
    clock.advance(timedelta(days=3))
    plan_id = plans.create_plan(services, OPERATOR, "mig_minuteries", 1, 2)
    run(services, plan_id, mode="essai")
    assert outcome(services, plan_id).status == "migrable"
    assert rows(services, reference) == before


def test_the_plan_cannot_map_onto_another_type_or_scope(publish, services):
    publish("portee", "v1")
    publish("portee", "v2")
    plan_id = plans.create_plan(services, OPERATOR, "mig_portee", 1, 2)
    with pytest.raises(InvalidInput, match="le type diffère"):
        plans.update_plan(services, OPERATOR, plan_id, mapping={"examiner": "etape"}, rearm=[])


# --- Timers: kept or re-armed, under the injected clock -----------------------------------------


def test_a_kept_timer_keeps_its_date_a_rearmed_one_counts_from_the_migration(
    publish, services, people, clock
):
    publish("minuteries", "v1")
    filed_at = clock.now()
    reference = file(services, "minuteries")
    publish("minuteries", "v2")
    plan_id = plans.create_plan(services, OPERATOR, "mig_minuteries", 1, 2)
    page = plans.plan_page(services, OPERATOR, plan_id)
    assert sorted(t.source.id for t in page.timers if t.rearm) == ["rappel_court", "rappel_long"]
    plans.update_plan(services, OPERATOR, plan_id, mapping={}, rearm=["rappel_court"])

    clock.advance(timedelta(days=3))
    migrated_at = clock.now()
    run(services, plan_id)
    assert outcome(services, plan_id).status == "migre"
    due = {t["bpmn_id"]: t["due_at"] for t in details(services, reference).timers}
    assert due == {
        "rappel_court": migrated_at + timedelta(days=20),  # re-armed: migration + v2's P20D
        "rappel_long": filed_at + timedelta(days=15),  # kept: v1's date, not P25D
    }

    def fired():
        return [e["bpmn_id"] for e in details(services, reference).history
                if e["kind"] == "minuterie"]  # fmt: skip

    clock.set(filed_at + timedelta(days=15) - timedelta(minutes=1))
    fire_due(services)
    assert fired() == []
    clock.set(filed_at + timedelta(days=15))
    assert fire_due(services).claimed == 1
    assert fired() == ["rappel_long"]
    clock.set(migrated_at + timedelta(days=20) - timedelta(minutes=1))
    fire_due(services)
    assert fired() == ["rappel_long"]
    clock.set(migrated_at + timedelta(days=20))
    assert fire_due(services).claimed == 1
    assert fired() == ["rappel_long", "rappel_court"]
    dossier = details(services, reference)
    assert dossier.data["rappel_court"] == (migrated_at + timedelta(days=20)).date().isoformat()
    assert [t["bpmn_id"] for t in dossier.tasks] == ["examiner"]

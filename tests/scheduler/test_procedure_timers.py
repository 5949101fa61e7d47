"""The timers of the four procedures, fired by the scheduler's sweep only, on SQLite and PostgreSQL.

Each scenario reaches its timer through the service calls of the scenario tests
(tests/procedures), which move time with `service.advance`; here time moves only through
`fire_due`: one second before the due moment the sweep claims nothing and changes nothing, at the
due moment it fires the timer. Then we look at what people see: whose inbox holds which task, the
dossier's data and outcome, and the timer rows (fired once, lease released).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

import tests.procedures.test_demande_ingenierie as ing
import tests.procedures.test_fabriques_territoire as fab
import tests.procedures.test_pass_numerique as pnu
import tests.procedures.test_territoires_en_renouveau as ter
from engine import service
from engine.errors import Conflict
from engine.scheduler import fire_due
from engine.service.campaigns import calls
from engine.store.models import AuditEvent, HumanTask, ProcessInstance, Timer
from tests.procedures.conftest import ARDENNE_METROPOLE, PROCESSES, inbox, only_task

SECOND = timedelta(seconds=1)
WORKER = "essai"
PENDING, FIRED, CANCELLED = "en_attente", "declenchee", "annulee"


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- What the database holds ------------------------------------------------------------------


_WORLD = {
    "instances": select(
        ProcessInstance.id, ProcessInstance.status, ProcessInstance.outcome,
        ProcessInstance.lock_version, ProcessInstance.data, ProcessInstance.updated_at,
    ).order_by(ProcessInstance.id),
    "tasks": select(HumanTask.id, HumanTask.status, HumanTask.due_at).order_by(HumanTask.id),
    "timers": select(
        Timer.id, Timer.status, Timer.due_at, Timer.attempts, Timer.locked_by,
        Timer.locked_until, Timer.updated_at,
    ).order_by(Timer.id),
    "history": select(AuditEvent.id, AuditEvent.kind).order_by(AuditEvent.id),
}  # fmt: skip


def world(services) -> dict[str, list[tuple]]:
    """Everything a sweep could change: instances, tasks, timer rows, history."""
    with services.db.connect() as connection:
        return {
            name: [tuple(row) for row in connection.execute(query)]
            for name, query in _WORLD.items()
        }


def all_rows(services, reference: str | None = None) -> list[Any]:
    query = select(Timer.__table__, ProcessInstance.reference).join(
        ProcessInstance, ProcessInstance.id == Timer.instance_id
    )
    if reference is not None:
        query = query.where(ProcessInstance.reference == reference)
    with services.db.connect() as connection:
        return connection.execute(query.order_by(Timer.due_at, Timer.bpmn_id)).all()


def statuses(services, reference: str) -> dict[str, list[str]]:
    """Status of each timer row of the dossier, by BPMN id (rows in due order)."""
    found: dict[str, list[str]] = {}
    for row in all_rows(services, reference):
        found.setdefault(row.bpmn_id, []).append(row.status)
    return found


def pending(services, reference: str) -> dict[str, datetime]:
    rows = [r for r in all_rows(services, reference) if r.status == PENDING]
    assert len({r.bpmn_id for r in rows}) == len(rows), rows
    return {r.bpmn_id: r.due_at for r in rows}


def details(services, reference: str):
    return service.get_instance(services, reference, service.Viewer.command_line())


def fired(services, reference: str) -> list[str]:
    """The timers the dossier's history shows as fired, in order."""
    return [e["bpmn_id"] for e in details(services, reference).history if e["kind"] == "minuterie"]


def same_task(found: dict, task: dict) -> bool:
    """The same open task (same row, same deadline, same people), whatever its overdue flag."""
    keys = ("id", "bpmn_id", "role", "territory", "siren", "assignee", "due_at", "status")
    return all(found[k] == task[k] for k in keys)


def seen(services, viewer, reference: str | None = None) -> list[str]:
    """The BPMN ids of the tasks in a person's inbox (of one dossier if given)."""
    return sorted(t["bpmn_id"] for t in inbox(services, viewer, reference))


# --- Moving time through the sweep only ---------------------------------------------------------


def not_yet(services, clock, due: datetime) -> None:
    """One second before `due`, the sweep claims nothing and writes nothing."""
    clock.set(due - SECOND)
    before = world(services)
    report = fire_due(services, worker=WORKER)
    assert report.claimed == 0, f"rien ne doit être pris à {clock.now()} : {report}"
    assert world(services) == before


def fire(services, clock, due: datetime, *, claimed: int = 1, instances: int = 1):
    """At `due`, the sweep takes the due rows, fires them once and releases them."""
    clock.set(due)
    due_rows = {r.id for r in all_rows(services) if r.status == PENDING and r.due_at <= due}
    report = fire_due(services, worker=WORKER)
    assert (report.claimed, report.instances, report.failed, report.incidents) == (
        claimed,
        instances,
        [],
        [],
    )
    assert len(due_rows) == claimed
    after = {r.id: r for r in all_rows(services)}
    for timer_id in due_rows:
        row = after[timer_id]
        assert (row.locked_by, row.locked_until, row.last_error) == (None, None, None), row
        if row.status == PENDING:  # a cycle, moved on to its next firing
            assert row.kind == "cycle" and row.due_at > due and row.attempts == 0, row
        else:
            assert row.status in (FIRED, CANCELLED) and row.attempts == 1, row
    late = [r for r in after.values() if r.status == PENDING and r.due_at <= due]
    assert late == [], "nothing due is left behind"
    return report


def on_time(services, clock, due: datetime, *, claimed: int = 1, instances: int = 1):
    not_yet(services, clock, due)
    return fire(services, clock, due, claimed=claimed, instances=instances)


def nothing_left(services, clock, when: datetime) -> None:
    clock.set(when)
    assert fire_due(services, worker=WORKER).claimed == 0


# --- Demande d'accompagnement en ingénierie ------------------------------------------------------


@pytest.fixture
def ingenierie(deploy):
    return deploy("demande_ingenierie")


def test_ingenierie_the_prefet_is_reminded_at_14_days(ingenierie, people, clock):
    reference = ing.deposer(ingenierie, people)
    task = only_task(ingenierie, people["prefet_23"], reference, "qualifier_besoin")
    rappel, escalade = ing.DEPOT_AT + timedelta(days=14), ing.DEPOT_AT + timedelta(days=30)
    assert pending(ingenierie, reference) == {"rappel_prefet": rappel, "escalade_prefet": escalade}

    on_time(ingenierie, clock, rappel)
    assert fired(ingenierie, reference) == ["rappel_prefet"]
    data = details(ingenierie, reference).data
    assert data["rappel_prefet"] == "2026-03-16" and "alerte_equipe_nationale" not in data
    # The same task stays with the préfet, with the same deadline; nobody else gets anything.
    still = only_task(ingenierie, people["prefet_23"], reference, "qualifier_besoin")
    assert same_task(still, task) and still["overdue"] is False  # due at 21 days
    for other in ("anct", "mairie_gueret", "comite", "expert", "prefet_08"):
        assert seen(ingenierie, people[other]) == [], other
    assert statuses(ingenierie, reference) == {
        "rappel_prefet": [FIRED],
        "escalade_prefet": [PENDING],
    }
    assert pending(ingenierie, reference) == {"escalade_prefet": escalade}


def test_ingenierie_past_30_days_the_national_team_is_alerted_and_the_prefet_keeps_the_task(
    ingenierie, people, clock
):
    reference = ing.deposer(ingenierie, people)
    task = only_task(ingenierie, people["prefet_23"], reference, "qualifier_besoin")
    on_time(ingenierie, clock, ing.DEPOT_AT + timedelta(days=14))
    escalade = ing.DEPOT_AT + timedelta(days=30)

    on_time(ingenierie, clock, escalade)
    assert fired(ingenierie, reference) == ["rappel_prefet", "escalade_prefet"]
    result = details(ingenierie, reference)
    assert result.data["alerte_equipe_nationale"] is True
    assert result.data["date_alerte_equipe_nationale"] == "2026-04-01"
    assert "alerter_equipe_nationale" in [e["bpmn_id"] for e in result.history]
    assert (result.status, result.timers) == ("en_cours", [])
    # An escalation, not a reassignment: the overdue task stays with the préfet alone.
    still = only_task(ingenierie, people["prefet_23"], reference, "qualifier_besoin")
    assert same_task(still, task) and still["due_at"] < clock.now() and still["overdue"] is True
    assert seen(ingenierie, people["anct"]) == []
    assert statuses(ingenierie, reference) == {"rappel_prefet": [FIRED], "escalade_prefet": [FIRED]}
    nothing_left(ingenierie, clock, escalade + timedelta(days=365))
    # The préfet may still decide.
    ing.qualifier(ingenierie, people, reference, ing.TRANSMISSION)
    assert seen(ingenierie, people["anct"], reference) == ["instruire_demande"]


def test_ingenierie_a_late_sweep_fires_the_reminder_and_the_escalation_together(
    ingenierie, people, clock
):
    reference = ing.deposer(ingenierie, people)
    fire(ingenierie, clock, ing.DEPOT_AT + timedelta(days=45), claimed=2, instances=1)
    assert fired(ingenierie, reference) == ["rappel_prefet", "escalade_prefet"]
    data = details(ingenierie, reference).data
    assert "rappel_prefet" in data and data["alerte_equipe_nationale"] is True
    assert seen(ingenierie, people["prefet_23"], reference) == ["qualifier_besoin"]
    assert details(ingenierie, reference).status == "en_cours"


def complements_demandes(services, people, clock) -> str:
    reference = ing.deposer(services, people)
    clock.set(ing.QUALIFICATION_AT)
    ing.qualifier(services, people, reference, ing.COMPLEMENTS)
    return reference


def test_ingenierie_the_authority_is_reminded_at_15_days(ingenierie, people, clock):
    reference = complements_demandes(ingenierie, people, clock)
    demande = paris(ing.QUALIFICATION_AT)
    task = only_task(ingenierie, people["mairie_gueret"], reference, "completer_demande")
    assert pending(ingenierie, reference) == {
        "relance_complements": demande + timedelta(days=15),
        "delai_complements": demande + timedelta(days=30),
    }
    # The préfet decided: the reminders of the qualification were cancelled, never fired.
    assert statuses(ingenierie, reference)["rappel_prefet"] == [CANCELLED]
    assert statuses(ingenierie, reference)["escalade_prefet"] == [CANCELLED]

    on_time(ingenierie, clock, demande + timedelta(days=15))
    assert fired(ingenierie, reference) == ["relance_complements"]
    assert details(ingenierie, reference).data["relance_complements"] == "2026-03-27"
    assert same_task(
        only_task(ingenierie, people["mairie_gueret"], reference, "completer_demande"), task
    )
    assert seen(ingenierie, people["prefet_23"]) == []
    assert statuses(ingenierie, reference)["relance_complements"] == [FIRED]
    assert pending(ingenierie, reference) == {"delai_complements": demande + timedelta(days=30)}


@pytest.mark.parametrize("sweeps", ["a-l-heure", "en-retard"])
def test_ingenierie_without_an_answer_at_30_days_the_request_is_closed_sans_suite(
    ingenierie, people, clock, sweeps
):
    reference = complements_demandes(ingenierie, people, clock)
    demande = paris(ing.QUALIFICATION_AT)
    task = only_task(ingenierie, people["mairie_gueret"], reference, "completer_demande")
    if sweeps == "a-l-heure":
        on_time(ingenierie, clock, demande + timedelta(days=15))
        not_yet(ingenierie, clock, demande + timedelta(days=30))
        assert details(ingenierie, reference).status == "en_cours"
        assert seen(ingenierie, people["mairie_gueret"]) == ["completer_demande"]
        fire(ingenierie, clock, demande + timedelta(days=30))
    else:  # the workers were down: reminder and closure fall due in the same sweep
        fire(ingenierie, clock, demande + timedelta(days=40), claimed=2, instances=1)

    result = service.get_instance(ingenierie, reference, people["mairie_gueret"])
    assert (result.status, result.outcome, result.tasks, result.timers) == (
        "terminee",
        "sans_suite",
        [],
        [],
    )
    assert result.history[-1]["kind"] == "dossier_termine"
    assert result.history[-1]["label"] == "sans_suite"
    assert fired(ingenierie, reference) == ["relance_complements", "delai_complements"]
    assert seen(ingenierie, people["mairie_gueret"]) == seen(ingenierie, people["prefet_23"]) == []
    with ingenierie.db.connect() as connection:
        row = connection.execute(
            select(HumanTask.status, HumanTask.completed_by).where(HumanTask.id == task["id"])
        ).one()
    assert tuple(row) == ("annulee", None)
    assert statuses(ingenierie, reference)["relance_complements"] == [FIRED]
    assert statuses(ingenierie, reference)["delai_complements"] == [FIRED]
    with pytest.raises(Conflict):
        service.complete(ingenierie, people["mairie_gueret"], task["id"], ing.REPONSE)
    nothing_left(ingenierie, clock, demande + timedelta(days=400))


SIGNATURE_REMINDERS = {
    "collectivite": "relance_signature_collectivite",
    "anct": "relance_signature_anct",
    "partenaires": "relance_signature_partenaires",
}


@pytest.mark.parametrize(
    "signed",
    [[], ["collectivite"], ["anct", "partenaires"]],
    ids=["personne", "collectivite", "anct-et-partenaires"],
)
def test_ingenierie_each_signatory_missing_after_10_days_is_reminded(
    ingenierie, people, clock, signed
):
    reference = ing.jusqu_a_la_convention(ingenierie, people, clock)
    parties = ing.signataires(people)
    clock.set("2026-05-07T11:00:00+02:00")
    for party in signed:
        for step in parties[party]:
            ing.signer(ingenierie, reference, *step)
    missing = [p for p in SIGNATURE_REMINDERS if p not in signed]
    dix_jours = paris(ing.CONVENTION_AT) + timedelta(days=10)
    assert pending(ingenierie, reference) == {SIGNATURE_REMINDERS[p]: dix_jours for p in missing}

    on_time(ingenierie, clock, dix_jours, claimed=len(missing), instances=1)
    assert sorted(fired(ingenierie, reference)) == sorted(SIGNATURE_REMINDERS[p] for p in missing)
    data = details(ingenierie, reference).data
    for party, bpmn_id in SIGNATURE_REMINDERS.items():
        if party in missing:
            assert data[bpmn_id] == "2026-05-14", bpmn_id
            assert statuses(ingenierie, reference)[bpmn_id] == [FIRED]
        else:
            assert bpmn_id not in data
            assert statuses(ingenierie, reference)[bpmn_id] == [CANCELLED]
    # Reminded, every missing signatory still has its signature task, and only those.
    assert seen(ingenierie, people["mairie_gueret"]) == (
        ["signer_collectivite"] if "collectivite" in missing else []
    )
    assert seen(ingenierie, people["anct"]) == (["signer_anct"] if "anct" in missing else [])
    for partenaire in ing.PARTENAIRES:
        assert seen(ingenierie, ing.partenaire(partenaire["login"])) == (
            ["signer_partenaires"] if "partenaires" in missing else []
        )
    assert pending(ingenierie, reference) == {}
    nothing_left(ingenierie, clock, dix_jours + timedelta(days=60))


def test_ingenierie_a_progress_report_is_asked_every_three_months_until_the_deliverable(
    ingenierie, people, clock
):
    reference = ing.convention_signee(ingenierie, people, clock)
    expert = people["expert"]
    # Signed on 11 May 2026 at 10:00 (Paris): every three months on the calendar, same instant.
    echeances = [
        datetime(2026, 8, 11, 8, tzinfo=UTC),
        datetime(2026, 11, 11, 8, tzinfo=UTC),
        datetime(2027, 2, 11, 8, tzinfo=UTC),
        datetime(2027, 5, 11, 8, tzinfo=UTC),
    ]
    [cycle_row] = [r for r in all_rows(ingenierie, reference) if r.status == PENDING]
    for numero, echeance in enumerate(echeances, start=1):
        assert pending(ingenierie, reference) == {"echeance_rapport_etape": echeance}
        on_time(ingenierie, clock, echeance)
        assert fired(ingenierie, reference) == ["echeance_rapport_etape"] * numero
        assert seen(ingenierie, expert, reference) == ["conduire_mission", "remettre_rapport_etape"]
        rapport = only_task(ingenierie, expert, reference, "remettre_rapport_etape")
        assert (rapport["assignee"], rapport["due_at"]) == (
            ing.EXPERT,
            echeance + timedelta(days=15),
        )
        assert details(ingenierie, reference).data["numero_rapport_etape"] == numero
        assert seen(ingenierie, people["prefet_23"]) == seen(ingenierie, people["anct"]) == []
        service.complete(ingenierie, expert, rapport["id"], ing.RAPPORT)
        assert seen(ingenierie, expert, reference) == ["conduire_mission"]
    # One row for the whole cycle, moved on after each firing.
    [row] = [r for r in all_rows(ingenierie, reference) if r.bpmn_id == "echeance_rapport_etape"]
    assert (row.id, row.status, row.attempts) == (cycle_row.id, PENDING, 0)
    assert row.due_at == datetime(2027, 8, 11, 8, tzinfo=UTC)

    # The final deliverable stops the cycle and opens the evaluations.
    clock.set("2027-05-20T10:00:00+02:00")
    ing.terminer(ingenierie, expert, reference, "conduire_mission", ing.LIVRABLE)
    assert statuses(ingenierie, reference)["echeance_rapport_etape"] == [CANCELLED]
    assert seen(ingenierie, people["mairie_gueret"]) == ["evaluer_collectivite"]
    assert seen(ingenierie, people["prefet_23"]) == ["evaluer_prefet"]
    nothing_left(ingenierie, clock, datetime(2028, 1, 1, tzinfo=UTC))
    assert fired(ingenierie, reference) == ["echeance_rapport_etape"] * 4


# --- Fabriques de territoire -----------------------------------------------------------------------


@pytest.fixture
def fabriques(deploy, services, clock):
    deploy("fabriques_territoire")
    calls.create(
        services, code=fab.CAMPAGNE, process_id=fab.PROCESS, name="AMI Fabriques de territoire 2020",
        envelope=Decimal("45000000"), max_laureates=300, **fab.FENETRE,
    )  # fmt: skip
    clock.set(fab.DEPOT)
    return services


FAB_CLOTURE = paris(fab.CLOTURE)
FAB_RAPPEL = paris("2020-11-08T00:00:00+01:00")  # 7 days before the instruction deadline


def test_fabriques_the_closing_date_sends_each_application_to_its_prefet(fabriques, people, clock):
    creuse = fab.deposer(fabriques)
    ardennes = fab.deposer(fabriques, ARDENNE_METROPOLE)
    for reference in (creuse, ardennes):
        assert pending(fabriques, reference) == {"cloture_candidatures": FAB_CLOTURE}
    not_yet(fabriques, clock, FAB_CLOTURE)
    assert seen(fabriques, people["prefet_23"]) == seen(fabriques, people["prefet_08"]) == []

    fire(fabriques, clock, FAB_CLOTURE, claimed=2, instances=2)
    for reference, prefet, other in ((creuse, "prefet_23", "prefet_08"), (ardennes, "prefet_08", "prefet_23")):  # fmt: skip
        task = only_task(fabriques, people[prefet], reference, "avis_prefet")
        assert (task["role"], task["due_at"]) == (
            "prefet",
            paris(fab.FENETRE["instruction_deadline"]),
        )
        assert seen(fabriques, people[other], reference) == []
        assert fired(fabriques, reference) == ["cloture_candidatures"]
        assert statuses(fabriques, reference) == {
            "cloture_candidatures": [FIRED],
            "rappel_avis_prefet": [PENDING],
        }
        assert pending(fabriques, reference) == {"rappel_avis_prefet": FAB_RAPPEL}
    assert seen(fabriques, people["comite"]) == seen(fabriques, people["anct"]) == []


def test_fabriques_the_prefet_is_reminded_7_days_before_the_instruction_deadline(
    fabriques, people, clock
):
    reference = fab.deposer(fabriques)
    on_time(fabriques, clock, FAB_CLOTURE)
    task = only_task(fabriques, people["prefet_23"], reference, "avis_prefet")

    on_time(fabriques, clock, FAB_RAPPEL)
    assert fired(fabriques, reference) == ["cloture_candidatures", "rappel_avis_prefet"]
    assert same_task(only_task(fabriques, people["prefet_23"], reference, "avis_prefet"), task)
    dossier = details(fabriques, reference)
    assert (dossier.status, dossier.timers) == ("en_cours", [])
    assert statuses(fabriques, reference)["rappel_avis_prefet"] == [FIRED]
    nothing_left(fabriques, clock, paris("2020-11-20T09:00:00+01:00"))  # late, still one reminder
    fab.donner_avis(fabriques, people, reference)
    assert seen(fabriques, people["comite"], reference) == ["selectionner"]


def fabrique_laureate(services, people, clock) -> str:
    reference = fab.deposer(services)
    on_time(services, clock, FAB_CLOTURE)
    fab.donner_avis(services, people, reference)
    clock.set(fab.COMITE)
    fab.selectionner(services, people, reference, 90000)
    fab.notifier(services, people, reference)
    clock.set(fab.SIGNATURE)
    fab.signer(services, people, reference)
    return reference


def test_fabriques_anniversaries_bring_the_yearly_reports_then_closure(fabriques, people, clock):
    reference = fabrique_laureate(fabriques, people, clock)
    anct, authority = people["anct"], people["mairie_gueret"]
    fab.verser(fabriques, people, reference, "verser_tranche_1", "2021-01-15")
    for annee in (1, 2, 3):
        # Each anniversary (midnight, Paris) opens the report of the year gone by.
        anniversaire = paris(f"{2021 + annee}-01-15T00:00:00+01:00")
        assert pending(fabriques, reference) == {"anniversaire": anniversaire}
        assert seen(fabriques, authority) == seen(fabriques, anct) == []
        on_time(fabriques, clock, anniversaire)
        assert fired(fabriques, reference).count("anniversaire") == annee
        rapport = only_task(fabriques, authority, reference, "rapport_activite")
        assert rapport["due_at"] == paris(f"{2021 + annee}-03-15T00:00:00+01:00")
        fab.rapport(fabriques, people, reference, annee, depenses=140000)
        fab.examiner(fabriques, people, reference)
        if annee == 1:
            fab.verser(fabriques, people, reference, "verser_tranche_2", "2022-01-20")
    assert pending(fabriques, reference) == {}
    fab.verser(fabriques, people, reference, "verser_solde", "2024-02-01")
    assert seen(fabriques, anct) == ["clore_accompagnement"]
    assert seen(fabriques, authority) == []
    assert fired(fabriques, reference) == [
        "cloture_candidatures", "anniversaire", "anniversaire", "anniversaire",
    ]  # fmt: skip
    nothing_left(fabriques, clock, paris("2026-01-15T10:00:00+01:00"))
    assert fired(fabriques, reference).count("anniversaire") == 3, "three reports, not four"


# --- Pass numérique --------------------------------------------------------------------------------


def pass_numerique_call(services, clock, **changes) -> None:
    service.deploy_path(services, PROCESSES / "pass_numerique")
    calls.create(
        services, code=pnu.CAMPAGNE, process_id=pnu.PROCESS,
        name="Appel à projets Pass numérique 2020", envelope=Decimal("15000000"),
        **{**pnu.FENETRE, **changes},
    )  # fmt: skip
    clock.set(pnu.DEPOT)


@pytest.mark.parametrize(
    ("deadline", "due", "rappel"),
    [
        (
            pnu.FENETRE["instruction_deadline"],
            paris(pnu.FENETRE["instruction_deadline"]),
            paris("2020-11-13T00:00:00+01:00"),
        ),
        (None, paris(pnu.DEPOT) + timedelta(days=30), paris(pnu.DEPOT) + timedelta(days=23)),
    ],
    ids=["date-limite-de-l-appel", "sans-date-limite"],
)
def test_pass_numerique_the_prefet_is_reminded_before_the_instruction_deadline(
    services, people, clock, deadline, due, rappel
):
    pass_numerique_call(services, clock, instruction_deadline=deadline)
    reference = pnu.deposer(services)
    task = only_task(services, people["prefet_08"], reference, "avis_prefet")
    assert task["due_at"] == due
    assert pending(services, reference) == {"rappel_avis_prefet": rappel}

    on_time(services, clock, rappel)
    assert fired(services, reference) == ["rappel_avis_prefet"]
    assert same_task(only_task(services, people["prefet_08"], reference, "avis_prefet"), task)
    assert seen(services, people["prefet_23"]) == seen(services, people["comite"]) == []
    assert statuses(services, reference) == {"rappel_avis_prefet": [FIRED]}
    nothing_left(services, clock, due + timedelta(days=10))
    pnu.donner_avis(services, people, reference)
    assert seen(services, people["comite"], reference) == ["deliberer_jury"]


def pass_signe(services, people, clock) -> str:
    pass_numerique_call(services, clock)
    reference = pnu.deposer(services)
    pnu.retenir(services, people, reference, 90000, clock=clock)
    clock.set(pnu.SIGNATURE)
    pnu.signer(services, people, reference)
    pnu.verser_avance(services, people, reference)
    return reference


def test_pass_numerique_report_reminders_15_days_before_six_and_twelve_months(
    services, people, clock
):
    reference = pass_signe(services, people, clock)
    authority = people["ardenne_metropole"]
    report = only_task(services, authority, reference, "rapport_6_mois")
    six = paris("2021-06-30T00:00:00+02:00")
    assert pending(services, reference) == {"rappel_rapport_6_mois": six}

    on_time(services, clock, six)
    assert fired(services, reference)[-1] == "rappel_rapport_6_mois"
    assert [t["id"] for t in inbox(services, authority)] == [report["id"]], "the report stays open"
    assert statuses(services, reference)["rappel_rapport_6_mois"] == [FIRED]
    assert pending(services, reference) == {}

    clock.set("2021-07-10T09:00:00+02:00")
    service.complete(
        services, authority, report["id"],
        {"pass_distribues_6_mois": 4200, "personnes_accompagnees_6_mois": 850},
    )  # fmt: skip
    final = only_task(services, authority, reference, "rapport_12_mois")
    douze = paris("2021-12-31T00:00:00+01:00")
    assert pending(services, reference) == {"rappel_rapport_12_mois": douze}

    on_time(services, clock, douze)
    assert fired(services, reference)[-1] == "rappel_rapport_12_mois"
    assert [t["id"] for t in inbox(services, authority)] == [final["id"]]
    assert seen(services, people["anct"]) == []
    assert statuses(services, reference)["rappel_rapport_12_mois"] == [FIRED]
    nothing_left(services, clock, paris("2022-02-01T00:00:00+01:00"))
    assert fired(services, reference).count("rappel_rapport_12_mois") == 1


def test_pass_numerique_a_reminder_already_due_when_its_task_opens_fires_within_the_step(
    services, people, clock
):
    """The six-month report is filed after the final report's reminder date: the reminder fires
    in the authority's own step, and the sweep finds nothing left to do."""
    reference = pass_signe(services, people, clock)
    authority = people["ardenne_metropole"]
    report = only_task(services, authority, reference, "rapport_6_mois")
    fire(services, clock, paris("2022-01-02T09:00:00+01:00"))  # the six-month reminder, late
    service.complete(
        services, authority, report["id"],
        {"pass_distribues_6_mois": 100, "personnes_accompagnees_6_mois": 20},
    )  # fmt: skip
    assert fired(services, reference)[-2:] == ["rappel_rapport_6_mois", "rappel_rapport_12_mois"]
    assert seen(services, authority) == ["rapport_12_mois"]
    assert pending(services, reference) == {}
    nothing_left(services, clock, clock.now())
    assert fired(services, reference).count("rappel_rapport_12_mois") == 1


# --- Territoires en renouveau ------------------------------------------------------------------------


@pytest.fixture
def contrat(deploy):
    return deploy("territoires_en_renouveau")


def test_territoires_committees_mid_term_review_and_evaluation_at_the_end_date(
    contrat, people, clock
):
    reference = ter.contrat_signe(contrat, people, clock)
    prefet, anct = people["prefet_23"], people["anct"]
    premier = paris("2027-06-15T10:00:00+02:00")
    mi_parcours = paris("2027-12-15T00:00:00+01:00")
    second = paris("2028-06-15T10:00:00+02:00")
    echeance = paris("2029-06-15T00:00:00+02:00")
    assert pending(contrat, reference) == {
        "comite_annuel": premier,
        "mi_parcours": mi_parcours,
        "echeance_contrat": echeance,
    }

    on_time(contrat, clock, premier)
    task = only_task(contrat, prefet, reference, "comite_pilotage")
    assert (task["role"], task["territory"], task["due_at"]) == (
        "prefet",
        "23",
        premier + timedelta(days=30),
    )
    assert seen(contrat, anct) == seen(contrat, people["prefet_08"]) == []
    assert pending(contrat, reference)["comite_annuel"] == second
    service.complete(contrat, prefet, task["id"], ter.COMITE)

    on_time(contrat, clock, mi_parcours)
    assert seen(contrat, anct) == ["revue_mi_parcours"] and seen(contrat, prefet) == []
    assert statuses(contrat, reference)["mi_parcours"] == [FIRED]
    ter.terminer(contrat, anct, reference, "revue_mi_parcours", ter.REVUE)

    on_time(contrat, clock, second)
    assert seen(contrat, prefet) == ["comite_pilotage"]
    ter.terminer(contrat, prefet, reference, "comite_pilotage", ter.COMITE)
    # Two committees for three years: the cycle is over, the evaluation takes the third.
    assert pending(contrat, reference) == {"echeance_contrat": echeance}

    on_time(contrat, clock, echeance)
    task = only_task(contrat, anct, reference, "evaluer_impact")
    assert task["due_at"] == echeance + timedelta(days=90)
    assert seen(contrat, prefet) == []
    assert fired(contrat, reference) == [
        "comite_annuel", "mi_parcours", "comite_annuel", "echeance_contrat",
    ]  # fmt: skip
    assert pending(contrat, reference) == {}
    nothing_left(contrat, clock, echeance + timedelta(days=800))
    service.complete(contrat, anct, task["id"], ter.EVALUATION)
    assert (details(contrat, reference).status, details(contrat, reference).outcome) == (
        "terminee",
        "contrat_clos",
    )


@pytest.mark.parametrize(("duree", "comites"), [(2, 1), (3, 2), (5, 4)])
def test_territoires_one_committee_per_anniversary_but_the_last(
    contrat, people, clock, duree, comites
):
    """Driven by the timer rows alone: the sweep goes from one due moment to the next."""
    reference = ter.contrat_signe(contrat, people, clock, duree)
    prefet, anct = people["prefet_23"], people["anct"]
    committees = []
    while rows := [r for r in all_rows(contrat, reference) if r.status == PENDING]:
        due = min(r.due_at for r in rows)
        on_time(contrat, clock, due, claimed=sum(r.due_at == due for r in rows))
        for task in inbox(contrat, prefet, reference):
            assert task["bpmn_id"] == "comite_pilotage"
            committees.append(clock.now())
            service.complete(contrat, prefet, task["id"], ter.COMITE)
        for task in inbox(contrat, anct, reference):
            if task["bpmn_id"] == "revue_mi_parcours":
                service.complete(contrat, anct, task["id"], ter.REVUE)
    assert committees == [
        paris(f"{2026 + year}-06-15T10:00:00+02:00") for year in range(1, comites + 1)
    ]
    assert fired(contrat, reference).count("comite_annuel") == comites
    assert fired(contrat, reference)[-1] == "echeance_contrat"
    assert clock.now() == paris(f"{2026 + duree}-06-15T00:00:00+02:00")
    assert seen(contrat, anct, reference) == ["evaluer_impact"]


def test_territoires_the_end_date_comes_with_a_committee_and_a_review_still_open(
    contrat, people, clock
):
    reference = ter.contrat_signe(contrat, people, clock, duree=2)
    prefet, anct = people["prefet_23"], people["anct"]
    on_time(contrat, clock, paris("2027-06-15T00:00:00+02:00"))  # mid-term review, midnight
    assert seen(contrat, anct) == ["revue_mi_parcours"]
    on_time(contrat, clock, paris("2027-06-15T10:00:00+02:00"))  # first and only committee
    assert seen(contrat, prefet) == ["comite_pilotage"]
    assert pending(contrat, reference) == {"echeance_contrat": paris("2028-06-15T00:00:00+02:00")}

    on_time(contrat, clock, paris("2028-06-15T00:00:00+02:00"))
    assert seen(contrat, anct) == ["evaluer_impact", "revue_mi_parcours"]
    assert seen(contrat, prefet) == ["comite_pilotage"]
    ter.terminer(contrat, anct, reference, "evaluer_impact", ter.EVALUATION)
    result = details(contrat, reference)
    assert (result.status, result.outcome, result.tasks, result.timers) == (
        "terminee",
        "contrat_clos",
        [],
        [],
    )
    assert seen(contrat, prefet) == seen(contrat, anct) == []
    assert all(s != PENDING for ss in statuses(contrat, reference).values() for s in ss)
    nothing_left(contrat, clock, paris("2031-01-01T00:00:00+01:00"))


def test_territoires_a_bounded_cycle_fired_for_the_last_time_is_recorded_as_fired(
    contrat, people, clock
):
    reference = ter.contrat_signe(contrat, people, clock, duree=2)  # one committee: "R1/P1Y"
    on_time(contrat, clock, paris("2027-06-15T00:00:00+02:00"))
    on_time(contrat, clock, paris("2027-06-15T10:00:00+02:00"))
    assert fired(contrat, reference).count("comite_annuel") == 1
    assert seen(contrat, people["prefet_23"]) == ["comite_pilotage"]
    assert statuses(contrat, reference)["comite_annuel"] == [FIRED]

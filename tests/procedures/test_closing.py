"""Withdrawal, « sans suite », renunciation, cancellation and reduction of a grant, through the
service layer (engine/service/dossiers/closing.py), on the Pass numérique call and, for
sub-processes and multi-instance tasks, on the other procedures.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from engine import service
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.service import notifications
from engine.service.campaigns import calls, grants
from engine.service.dossiers import closing
from engine.store.models import HumanTask, OutboxMessage, ProcessInstance, Timer, User
from tests.procedures import test_territoires_en_renouveau as ter
from tests.procedures.conftest import inbox, only_task
from tests.procedures.test_pass_numerique import (
    CAMPAGNE,
    DEPOT,
    FENETRE,
    PROCESS,
    deposer,
    details,
    donner_avis,
    retenir,
    signed,
    signer,
)

MOTIF = "Le conseil communautaire a renoncé au projet le 2 octobre."


@pytest.fixture
def appel(deploy, services, clock):
    """The Pass numérique 2020 call, open, on the day of the filings."""
    deploy(PROCESS)
    calls.create(
        services, code=CAMPAGNE, process_id=PROCESS, name="Appel à projets Pass numérique 2020",
        envelope=Decimal("15000000"), **FENETRE,
    )  # fmt: skip
    clock.set(DEPOT)
    return services


@pytest.fixture
def contrat(deploy):
    return deploy(ter.PROCESS)


def notices(services, viewer, reference, kinds=("decision", "tache_annulee", "aide_reduite")):
    """The viewer's notifications about the dossier's closing (not its new tasks)."""
    return [
        n
        for n in notifications.list_notifications(services, viewer)
        if n["dossier"] == reference and n["kind"] in kinds
    ]


def projections(services, reference):
    """(status of every task row, status of every timer row) of the dossier."""
    with services.read() as connection:
        instance = connection.execute(
            select(ProcessInstance.id).where(ProcessInstance.reference == reference)
        ).scalar_one()
        tasks = connection.execute(
            select(HumanTask.status).where(HumanTask.instance_id == instance)
        ).scalars()
        timers = connection.execute(select(Timer.status).where(Timer.instance_id == instance))
        return sorted(tasks), sorted(timers.scalars())


def give_email(services, login):
    with services.write() as connection:
        connection.execute(
            update(User).where(User.login == login).values(email=f"{login}@example.gouv.fr")
        )


def emails(services, login):
    with services.read() as connection:
        return connection.execute(
            select(OutboxMessage.subject, OutboxMessage.body).where(OutboxMessage.login == login)
        ).all()


def totals(services):
    found = calls.get(services, CAMPAGNE)
    return found.granted_total, found.laureates


def check_totals(services):
    with services.read() as connection:
        granted, laureates, live, count = grants.check_totals(connection, CAMPAGNE)
    assert (granted, laureates) == (live, count)


def history(services, reference):
    return [(e["kind"], e["actor"], e["label"]) for e in details(services, reference).history]


# --- Withdrawal ---------------------------------------------------------------------------


def test_an_undecided_dossier_is_withdrawn_its_tasks_and_timers_cancelled(appel, people):
    reference = deposer(appel)
    authority, prefet = people["ardenne_metropole"], people["prefet_08"]
    give_email(appel, "ardenne.metropole")
    assert closing.WITHDRAW in closing.options(appel, authority, reference)
    assert projections(appel, reference) == (["ouverte"], ["en_attente"])

    done = closing.withdraw(appel, authority, reference, reason=MOTIF, confirmed=True)

    assert (done.outcome, done.released) == ("retire", None)
    dossier = details(appel, reference)
    assert (dossier.status, dossier.outcome) == ("terminee", "retire")
    assert dossier.outcome_motive == MOTIF
    assert dossier.tasks == [] and dossier.timers == []
    assert projections(appel, reference) == (["annulee"], ["annulee"])
    assert inbox(appel, prefet, reference) == []
    assert ("retrait", "ardenne.metropole", f"Motif : {MOTIF}") in history(appel, reference)
    assert ("dossier_termine", None, "retire") in history(appel, reference)
    # The préfet whose opinion was awaited is told the task is gone, and why.
    [told] = notices(appel, prefet, reference)
    assert told["kind"] == "tache_annulee"
    assert "Donner l'avis du préfet" in told["subject"]
    assert "Retiré par la collectivité" in told["body"] and MOTIF in told["body"]
    # The authority hears of the closing (in the platform and by e-mail), as of a decision.
    [closed] = notices(appel, authority, reference)
    assert closed["kind"] == "decision"
    assert closed["subject"] == f"[ANCT] Dossier {reference} : Retiré par la collectivité"
    assert f"Motif : {MOTIF}" in closed["body"]
    assert any(
        "Retiré par la collectivité" in subject for subject, _ in emails(appel, "ardenne.metropole")
    )
    # Nothing is offered any more, and the closed dossier stays closed.
    assert closing.options(appel, authority, reference).allowed == frozenset()
    with pytest.raises(Conflict, match="est clos"):
        closing.withdraw(appel, authority, reference, confirmed=True)
    assert service.advance(appel, reference) == "terminee"
    assert details(appel, reference).status == "terminee"


def test_withdrawal_needs_the_confirmation_box_and_a_reason_is_optional(appel, people):
    reference = deposer(appel)
    authority = people["ardenne_metropole"]
    with pytest.raises(InvalidInput) as refused:
        closing.withdraw(appel, authority, reference, reason="")
    assert set(refused.value.details["fields"]) == {"confirmation"}
    assert details(appel, reference).status == "en_cours"
    closing.withdraw(appel, authority, reference, confirmed=True)
    dossier = details(appel, reference)
    assert (dossier.outcome, dossier.outcome_motive) == ("retire", None)
    assert ("retrait", "ardenne.metropole", "Sans motif indiqué") in history(appel, reference)


def test_withdrawal_is_refused_once_decided_and_to_anyone_else(appel, people, clock):
    reference = deposer(appel)
    for who in ("prefet_08", "anct", "comite"):
        with pytest.raises(Forbidden, match="Seule la collectivité qui a déposé"):
            closing.withdraw(appel, people[who], reference, confirmed=True)
    with pytest.raises(NotFound):
        closing.withdraw(appel, people["mairie_gueret"], reference, confirmed=True)
    retenir(appel, people, reference, 100000, clock=clock)
    before = details(appel, reference)
    authority = people["ardenne_metropole"]
    assert closing.WITHDRAW not in closing.options(appel, authority, reference)
    with pytest.raises(Conflict, match="Renoncer à l'aide"):
        closing.withdraw(appel, authority, reference, reason=MOTIF, confirmed=True)
    after = details(appel, reference)
    assert (after.status, after.tasks, after.history) == (
        before.status,
        before.tasks,
        before.history,
    )


def test_a_rejected_dossier_cannot_be_withdrawn(appel, people, clock):
    reference = deposer(appel)
    donner_avis(appel, people, reference)
    task = only_task(appel, people["comite"], reference, "deliberer_jury")
    service.complete(
        appel, people["comite"], task["id"],
        {"decision_jury": "non_retenu", "motif_jury": "Projet hors du périmètre de l'appel."},
    )  # fmt: skip
    with pytest.raises(Conflict, match="est clos"):
        closing.withdraw(appel, people["ardenne_metropole"], reference, confirmed=True)


# --- « Sans suite » -----------------------------------------------------------------------


def test_staff_class_a_dossier_sans_suite_with_a_reason(appel, people):
    reference = deposer(appel)
    prefet = people["prefet_08"]
    with pytest.raises(InvalidInput) as refused:
        closing.close_sans_suite(appel, prefet, reference, reason="  ", confirmed=True)
    assert set(refused.value.details["fields"]) == {"motif"}
    assert details(appel, reference).status == "en_cours"
    with pytest.raises(Forbidden, match="réservé à l'équipe nationale"):
        closing.close_sans_suite(
            appel, people["ardenne_metropole"], reference, reason=MOTIF, confirmed=True
        )
    with pytest.raises(NotFound):
        closing.close_sans_suite(
            appel, people["prefet_23"], reference, reason=MOTIF, confirmed=True
        )

    reason = "Pièces justificatives jamais transmises malgré deux relances."
    closing.close_sans_suite(appel, prefet, reference, reason=reason, confirmed=True)

    dossier = details(appel, reference)
    assert (dossier.outcome, dossier.outcome_motive, dossier.tasks) == ("sans_suite", reason, [])
    assert ("classement_sans_suite", "prefet.ardennes", f"Motif : {reason}") in history(
        appel, reference
    )
    [closed] = notices(appel, people["ardenne_metropole"], reference)
    assert "Classée sans suite" in closed["subject"] and reason in closed["body"]
    # The préfet closed their own task: they are not told about it.
    assert notices(appel, prefet, reference) == []


def test_after_the_decision_only_the_national_team_classes_sans_suite(appel, people, clock):
    reference = deposer(appel)
    retenir(appel, people, reference, 100000, clock=clock)
    assert totals(appel) == (Decimal(100000), 1)
    with pytest.raises(Conflict, match="seule l'équipe nationale"):
        closing.close_sans_suite(
            appel, people["prefet_08"], reference, reason=MOTIF, confirmed=True
        )
    closing.close_sans_suite(appel, people["anct"], reference, reason=MOTIF, confirmed=True)
    assert details(appel, reference).outcome == "sans_suite"
    assert totals(appel) == (Decimal(0), 0)
    check_totals(appel)


# --- Renunciation, cancellation, reduction ------------------------------------------------


def test_a_laureate_renounces_and_the_call_gets_its_amount_and_place_back(appel, people, clock):
    other = deposer(appel, intitule="Deuxième candidature")
    reference = deposer(appel)
    retenir(appel, people, other, 50000, clock=clock)
    retenir(appel, people, reference, 100000)
    assert totals(appel) == (Decimal(150000), 2)
    authority = people["ardenne_metropole"]
    options = closing.options(appel, authority, reference)
    assert options.allowed == {closing.RENOUNCE}
    assert options.grant is not None and options.grant.amount == Decimal(100000)

    done = closing.renounce(appel, authority, reference, reason=MOTIF, confirmed=True)

    assert (done.outcome, done.released) == ("renonce", Decimal(100000))
    assert totals(appel) == (Decimal(50000), 1)
    check_totals(appel)
    dossier = details(appel, reference)
    assert (dossier.outcome, dossier.outcome_motive, dossier.tasks) == ("renonce", MOTIF, [])
    with appel.read() as connection:
        ended = grants.view(connection, dossier.id)
    assert ended is not None and ended.status == "renoncee"
    [event] = [e for e in history(appel, reference) if e[0] == "renonciation"]
    assert event[1] == "ardenne.metropole" and "100 000 € rendus à l'appel" in event[2]
    # The national team's signature task is gone and its holders are told.
    assert inbox(appel, people["anct"], reference) == []
    assert [n["kind"] for n in notices(appel, people["anct"], reference)] == ["tache_annulee"]
    # Renouncing twice changes nothing more.
    with pytest.raises(Conflict, match="est clos"):
        closing.renounce(appel, authority, reference, confirmed=True)
    assert totals(appel) == (Decimal(50000), 1)


def test_only_the_national_team_cancels_or_reduces_a_grant(appel, people, clock):
    reference = deposer(appel)
    retenir(appel, people, reference, 100000, clock=clock)
    for who in ("ardenne_metropole", "prefet_08", "comite"):
        with pytest.raises(Forbidden, match="réservées à l'équipe nationale"):
            closing.cancel_grant(appel, people[who], reference, reason=MOTIF, confirmed=True)
        with pytest.raises(Forbidden, match="réservées à l'équipe nationale"):
            closing.reduce_grant(appel, people[who], reference, amount="60000", reason=MOTIF)
    assert totals(appel) == (Decimal(100000), 1)
    assert closing.options(appel, people["anct"], reference).allowed == {
        closing.SANS_SUITE, closing.CANCEL, closing.REDUCE,
    }  # fmt: skip


def test_the_national_team_reduces_then_cancels_a_grant(appel, people, clock):
    reference = deposer(appel)
    retenir(appel, people, reference, 100000, clock=clock)
    anct, authority = people["anct"], people["ardenne_metropole"]
    for amount, message in (("100000", "inférieur à l'aide actuelle de 100 000 €"),
                            ("0", "doit être positif"), ("", "Indiquez le nouveau montant"),
                            ("beaucoup", "invalide")):  # fmt: skip
        with pytest.raises(InvalidInput, match=message) as refused:
            closing.reduce_grant(appel, anct, reference, amount=amount, reason=MOTIF)
        assert "montant" in refused.value.details["fields"]
    with pytest.raises(InvalidInput) as refused:
        closing.reduce_grant(appel, anct, reference, amount="60000", reason="")
    assert set(refused.value.details["fields"]) == {"motif"}
    assert totals(appel) == (Decimal(100000), 1)

    reason = "Nombre de carnets ramené à 600 par la collectivité."
    done = closing.reduce_grant(appel, anct, reference, amount="60 000,00", reason=reason)

    assert (done.released, done.amount) == (Decimal(40000), Decimal(60000))
    assert totals(appel) == (Decimal(60000), 1)
    check_totals(appel)
    dossier = details(appel, reference)
    assert dossier.status == "en_cours"
    assert (dossier.data["montant_accorde"], dossier.data["motif_reduction"]) == (60000, reason)
    assert {t["bpmn_id"] for t in dossier.tasks} == {"signer_collectivite", "signer_anct"}
    [event] = [e for e in history(appel, reference) if e[0] == "reduction_aide"]
    assert event[1] == "anct.national" and event[2].startswith("De 100 000 € à 60 000 €")
    [told] = [n for n in notices(appel, authority, reference) if n["kind"] == "aide_reduite"]
    assert told["subject"] == f"[ANCT] Dossier {reference} : aide ramenée à 60 000 €"
    assert "de 100 000 € à 60 000 €" in told["body"] and reason in told["body"]
    # What runs next reads the new amount: the dossier keeps it through the signatures.
    signer(appel, people, reference)
    assert details(appel, reference).data["montant_accorde"] == 60000

    closing.cancel_grant(appel, anct, reference, reason="Convention non exécutée.", confirmed=True)
    assert totals(appel) == (Decimal(0), 0)
    check_totals(appel)
    dossier = details(appel, reference)
    assert (dossier.outcome, dossier.outcome_motive) == ("aide_annulee", "Convention non exécutée.")
    assert dossier.tasks == [] and dossier.timers == []


# --- Concurrency ----------------------------------------------------------------------------


def test_a_dossier_that_moved_since_the_page_was_shown_is_refused(appel, people):
    reference = deposer(appel)
    authority = people["ardenne_metropole"]
    seen = closing.confirmation(appel, authority, reference, closing.WITHDRAW)
    assert seen.tasks == ("Donner l'avis du préfet",)
    donner_avis(appel, people, reference)
    with pytest.raises(Conflict, match="modifié par quelqu'un d'autre"):
        closing.withdraw(
            appel, authority, reference, confirmed=True, lock_version=seen.lock_version
        )
    assert details(appel, reference).status == "en_cours"
    assert [t["bpmn_id"] for t in details(appel, reference).tasks] == ["deliberer_jury"]


@pytest.mark.postgresql
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_step_committed_during_a_renunciation_leaves_the_call_untouched(
    appel, people, clock, monkeypatch
):
    """The signature of the national team commits while the renunciation is under way: the
    renunciation is refused as a conflict and the grant it had given back is kept (two
    writing transactions at once: PostgreSQL only)."""
    reference = deposer(appel)
    retenir(appel, people, reference, 100000, clock=clock)
    release = grants.release

    def concurrent_then_release(connection, instance_id, **kwargs):
        task = only_task(appel, people["anct"], reference, "signer_anct")
        service.complete(
            appel, people["anct"], task["id"], signed(appel, people["anct"], "signer_anct")
        )
        return release(connection, instance_id, **kwargs)

    monkeypatch.setattr(closing.grants, "release", concurrent_then_release)
    with pytest.raises(Conflict, match="modifié par quelqu'un d'autre"):
        closing.renounce(appel, people["ardenne_metropole"], reference, confirmed=True)
    monkeypatch.undo()
    assert totals(appel) == (Decimal(100000), 1)
    check_totals(appel)
    dossier = details(appel, reference)
    assert dossier.status == "en_cours"
    assert [t["bpmn_id"] for t in dossier.tasks] == ["signer_collectivite"]


# --- Multi-instance tasks and sub-processes (Territoires en renouveau) ---------------------


def test_a_contract_is_withdrawn_before_the_agency_decides_not_after(contrat, people):
    reference = ter.ouvrir(contrat, people)
    authority = people["mairie_gueret"]  # the commune de Guéret leads the contract
    assert closing.WITHDRAW in closing.options(contrat, authority, reference)
    ter.diagnostiquer(contrat, people, reference)
    ter.valider(contrat, people, reference)
    with pytest.raises(Conflict, match="La décision sur ce dossier est prise"):
        closing.withdraw(contrat, authority, reference, confirmed=True)
    assert ter.open_tasks(contrat, reference) == ["elaborer_plan_action"]


def test_sans_suite_during_the_parallel_signatures_cancels_every_instance(contrat, people, clock):
    reference = ter.jusqu_aux_signatures(contrat, people)
    clock.set(ter.SIGNATURE)
    ter.signer(
        contrat, ter.collectivite(ter.GRAND_GUERET["siren"]), reference, "signer_collectivite"
    )
    assert ter.open_tasks(contrat, reference) == [
        "signer_anct", "signer_collectivite", "signer_collectivite", "signer_prefet",
    ]  # fmt: skip
    with pytest.raises(Conflict, match="seule l'équipe nationale"):
        closing.close_sans_suite(
            contrat, people["prefet_23"], reference, reason=MOTIF, confirmed=True
        )

    closing.close_sans_suite(contrat, people["anct"], reference, reason=MOTIF, confirmed=True)

    dossier = ter.details(contrat, reference)
    assert (dossier.status, dossier.outcome, dossier.tasks, dossier.timers) == (
        "terminee", "sans_suite", [], [],
    )  # fmt: skip
    tasks, timers = projections(contrat, reference)
    assert "ouverte" not in tasks and tasks.count("annulee") == 4
    assert set(timers) <= {"annulee", "declenchee"}
    [told] = notices(contrat, people["prefet_23"], reference)
    assert told["kind"] == "tache_annulee" and "Signer le contrat" in told["subject"]


def test_sans_suite_during_the_follow_up_ends_the_sub_process_and_its_timers(
    contrat, people, clock
):
    reference = ter.contrat_signe(contrat, people, clock)
    pending = ter.details(contrat, reference).timers
    assert pending  # the yearly committee, the mid-term review, the contract's end
    closing.close_sans_suite(contrat, people["anct"], reference, reason=MOTIF, confirmed=True)
    dossier = ter.details(contrat, reference)
    assert (dossier.status, dossier.tasks, dossier.timers) == ("terminee", [], [])
    assert "en_attente" not in projections(contrat, reference)[1]
    # Years later, nothing wakes up.
    clock.set("2031-01-01T09:00:00+01:00")
    assert service.advance(contrat, reference) == "terminee"
    assert ter.open_tasks(contrat, reference) == []


# --- Command line -------------------------------------------------------------------------


def test_an_operator_reduces_then_cancels_a_grant_at_the_command_line(appel, people, clock, anct):
    reference = deposer(appel)
    retenir(appel, people, reference, 100000, clock=clock)
    reduced = anct("reduce-grant", reference, "70000", "--reason", "Moins de carnets.")
    assert "ramenée à 70 000 € ; 30 000 € rendus à l'appel" in reduced.output
    refused = anct("close", reference, "--issue", "retire", code=4)
    assert "Renoncer à l'aide" in refused.stderr
    closed = anct("close", reference, "--issue", "aide_annulee", "--reason", "Non exécutée.")
    assert "clos : Aide annulée par l'équipe nationale ; 70 000 € rendus" in closed.output
    assert totals(appel) == (Decimal(0), 0)

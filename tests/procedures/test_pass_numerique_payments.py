"""Pass numérique money, service layer: the advance at the convention, reports consistent with
what was bought and reported before, a final report sent back for correction, and the balance
computed from the accepted final report, never above what remains of the grant."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine import service
from engine.errors import InvalidInput
from engine.service.campaigns import calls, grants
from tests.procedures.conftest import inbox, only_task
from tests.procedures.test_pass_numerique import (
    CAMPAGNE,
    DEPOT,
    FENETRE,
    PROCESS,
    SIGNATURE,
    deposer,
    details,
    retenir,
    signer,
    verser_avance,
)


@pytest.fixture
def appel(deploy, services, clock):
    deploy("pass_numerique")
    calls.create(
        services, code=CAMPAGNE, process_id=PROCESS, name="Appel à projets Pass numérique 2020",
        envelope=Decimal("15000000"), **FENETRE,
    )  # fmt: skip
    clock.set(DEPOT)
    return services


SIX_MOIS = {"pass_distribues_6_mois": 4200, "personnes_accompagnees_6_mois": 850}
FINAL = {
    "pass_distribues_12_mois": 9800,
    "personnes_accompagnees_12_mois": 1930,
    "depenses_realisees": 198000,
}


def laureat(services, people, clock, montant=90000) -> str:
    reference = deposer(services)
    retenir(services, people, reference, montant, clock=clock)
    clock.set(SIGNATURE)
    signer(services, people, reference)
    return reference


def rendre(services, people, reference, bpmn_id, data):
    authority = people["ardenne_metropole"]
    task = only_task(services, authority, reference, bpmn_id)
    service.complete(services, authority, task["id"], data)


def instance_id(services, reference) -> int:
    return details(services, reference).id


def test_the_advance_is_half_the_grant_and_the_balance_waits_for_it(appel, people, clock):
    reference = laureat(appel, people, clock)
    rendre(appel, people, reference, "rapport_6_mois", SIX_MOIS)
    rendre(appel, people, reference, "rapport_12_mois", FINAL)
    assert [t["bpmn_id"] for t in inbox(appel, people["anct"], reference)] == ["verser_avance"]

    verser_avance(appel, people, reference)
    with appel.read() as connection:
        held = grants.view(connection, instance_id(appel, reference))
    assert [(p.kind, p.amount) for p in held.payments] == [("avance", Decimal("45000"))]
    assert (held.paid, held.remaining) == (Decimal("45000"), Decimal("45000"))
    assert [t["bpmn_id"] for t in inbox(appel, people["anct"], reference)] == ["verser_solde"]


@pytest.mark.parametrize(
    ("task", "data", "field", "message"),
    [
        (
            "rapport_6_mois",
            {"pass_distribues_6_mois": 12000, "personnes_accompagnees_6_mois": 850},
            "pass_distribues_6_mois",
            "plus que les 10000 pass achetés",
        ),
        (
            "rapport_12_mois",
            {**FINAL, "pass_distribues_12_mois": 4000},
            "pass_distribues_12_mois",
            "au moins les 4200 pass déclarés à 6 mois",
        ),
        (
            "rapport_12_mois",
            {**FINAL, "personnes_accompagnees_12_mois": 800},
            "personnes_accompagnees_12_mois",
            "au moins les 850 personnes déclarées à 6 mois",
        ),
        (
            "rapport_12_mois",
            {**FINAL, "pass_distribues_12_mois": 10001},
            "pass_distribues_12_mois",
            "plus que les 10000 pass achetés",
        ),
    ],
)
def test_reports_inconsistent_with_the_application_or_the_last_report_are_refused(
    appel, people, clock, task, data, field, message
):
    reference = laureat(appel, people, clock)
    if task == "rapport_12_mois":
        rendre(appel, people, reference, "rapport_6_mois", SIX_MOIS)
    with pytest.raises(InvalidInput, match=message) as refused:
        rendre(appel, people, reference, task, data)
    assert field in refused.value.details["fields"]
    assert only_task(appel, people["ardenne_metropole"], reference, task)


def test_a_final_report_sent_back_is_corrected_and_the_balance_recomputed(appel, people, clock):
    reference = laureat(appel, people, clock)
    verser_avance(appel, people, reference)
    rendre(appel, people, reference, "rapport_6_mois", SIX_MOIS)
    rendre(appel, people, reference, "rapport_12_mois", FINAL)
    assert details(appel, reference).data["solde_calcule"] == 44100

    review = only_task(appel, people["anct"], reference, "verser_solde")
    with pytest.raises(InvalidInput, match="ce qu'elle doit corriger"):
        service.complete(
            appel, people["anct"], review["id"], {"decision_rapport_final": "a_corriger"}
        )
    service.complete(
        appel,
        people["anct"],
        review["id"],
        {
            "decision_rapport_final": "a_corriger",
            "motif_correction": "Les dépenses incluent des frais hors convention.",
        },
    )
    assert only_task(appel, people["ardenne_metropole"], reference, "corriger_rapport_final")
    with pytest.raises(InvalidInput, match="au moins les 4200 pass"):
        rendre(
            appel, people, reference, "corriger_rapport_final",
            {**FINAL, "pass_distribues_12_mois": 10},
        )  # fmt: skip
    rendre(
        appel, people, reference, "corriger_rapport_final", {**FINAL, "depenses_realisees": 150000}
    )
    # 150 000 € × 90 000 / 200 000 = 67 500 €, less the advance of 45 000 €.
    assert details(appel, reference).data["solde_calcule"] == 22500
    review = only_task(appel, people["anct"], reference, "verser_solde")
    service.complete(
        appel,
        people["anct"],
        review["id"],
        {
            "decision_rapport_final": "conforme",
            "date_versement_solde": "2022-02-01",
            "reference_solde": "MANDAT-2022-031",
        },
    )
    dossier = details(appel, reference)
    assert (dossier.status, dossier.outcome) == ("terminee", "solde_verse")
    assert dossier.data["aide"]["verse"] == 67500


def test_the_balance_never_exceeds_what_remains_of_the_grant(appel, people, clock):
    reference = laureat(appel, people, clock, montant=500)
    verser_avance(appel, people, reference)
    rendre(appel, people, reference, "rapport_6_mois", SIX_MOIS)
    rendre(appel, people, reference, "rapport_12_mois", {**FINAL, "depenses_realisees": 99999999})
    assert details(appel, reference).data["solde_calcule"] == 250

    with appel.write() as connection, pytest.raises(InvalidInput) as refused:
        grants.record_payment(
            connection, instance_id(appel, reference), kind="solde", label="Solde",
            amount=99999999, paid_on="2022-01-20", reference="M-1", actor="anct",
            now=clock.now(),
        )  # fmt: skip
    assert " ".join(str(refused.value).replace("\u202f", " ").replace("\xa0", " ").split()) == (
        "Versement refusé : 99 999 999 € dépasse le reste à verser de 250 € (aide de 500 €)."
    )


def test_no_payment_without_a_live_grant(appel, people, clock):
    reference = laureat(appel, people, clock)
    with appel.write() as connection:
        grants.release(
            connection, instance_id(appel, reference), status="renoncee",
            reason="Projet abandonné", actor="ardenne", now=clock.now(),
        )  # fmt: skip
    with pytest.raises(InvalidInput, match="n'a pas d'aide en cours"):
        verser_avance(appel, people, reference)
    state = calls.get(appel, CAMPAGNE)
    assert (state.granted_total, state.laureates) == (Decimal("0"), 0)

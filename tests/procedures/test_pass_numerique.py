"""Scenarios of the Pass numérique call for projects (processes/pass_numerique), service layer.

Time is the injected clock: the 2020 call opens on 1 September 2020 and closes on 1 November,
préfets give their opinion by 20 November, the national jury sits on 10 December.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from engine import service
from engine.errors import InvalidInput, NotFound
from engine.service.campaigns import calls
from engine.store.models import ProcessInstance
from tests.files import staged
from tests.procedures.conftest import ARDENNE_METROPOLE, GUERET, inbox, only_task, person

PROCESS = "pass_numerique"
CAMPAGNE = "pass-numerique-2020"
GRAND_GUERET = {"territory": "23", "siren": "200034825"}  # CA du Grand Guéret (Creuse)
FENETRE = {
    "opens_at": "2020-09-01T00:00:00+02:00",
    "closes_at": "2020-11-01T00:00:00+01:00",
    "instruction_deadline": "2020-11-20T00:00:00+01:00",
    "committee_at": "2020-12-10T10:00:00+01:00",
}
DEPOT = "2020-09-15T10:00:00+02:00"
COMITE = "2020-12-10T14:00:00+01:00"
SIGNATURE = "2021-01-15T10:00:00+01:00"  # date of the convention: 15 January 2021

CANDIDATURE = {
    "campagne": CAMPAGNE,
    "intitule": "Pass numériques pour l'agglomération",
    "type_collectivite": "epci",
    "nombre_carnets": 1000,
    "nombre_pass": 10000,
    "valeur_pass": 10,
    "cout_total": 200000,
    "cofinancement_etat": 100000,
    "part_collectivite": 100000,
    "lieux_qualifies": [
        {"nom": "Médiathèque Voyelles", "commune": "08105", "statut": "qualifie"},
        {"nom": "Espace public numérique", "commune": "08105", "statut": "en_cours"},
    ],
    "public_vise": ["seniors", "demandeurs_emploi"],
    "nombre_personnes": 2000,
    "hub_partenaire": "Hub Grand Est",
}
SIGNATURES = {
    "signer_collectivite": {
        "signataire_collectivite": "Boris Ravignon, président",
        "convention_signee_collectivite": True,
    },
    "signer_anct": {
        "signataire_anct": "Directeur général délégué, ANCT",
        "convention_signee_anct": True,
    },
}


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture
def appel(deploy, services, clock):
    deploy("pass_numerique")
    calls.create(
        services, code=CAMPAGNE, process_id=PROCESS, name="Appel à projets Pass numérique 2020",
        envelope=Decimal("15000000"), **FENETRE,
    )  # fmt: skip
    clock.set(DEPOT)
    return services


def count_instances(services) -> int:
    with services.db.connect() as connection:
        return connection.execute(select(func.count()).select_from(ProcessInstance)).scalar_one()


def deposer(services, organisation=ARDENNE_METROPOLE, **changes) -> str:
    started = service.start(
        services, PROCESS, data={**CANDIDATURE, **changes}, actor="depot", **organisation
    )
    return started.reference


def details(services, reference):
    return service.get_instance(services, reference, service.Viewer.command_line())


def donner_avis(services, people, reference, prefet="prefet_08"):
    task = only_task(services, people[prefet], reference, "avis_prefet")
    service.complete(services, people[prefet], task["id"], {"avis_prefet": "favorable"})


def retenir(services, people, reference, montant, prefet="prefet_08", clock=None):
    donner_avis(services, people, reference, prefet)
    if clock is not None:
        clock.set(COMITE)
    task = only_task(services, people["comite"], reference, "deliberer_jury")
    service.complete(
        services,
        people["comite"],
        task["id"],
        {"decision_jury": "retenu", "montant_accorde": montant},
    )


def signer(services, people, reference, order=("signer_collectivite", "signer_anct")):
    signatories = {
        "signer_collectivite": people["ardenne_metropole"],
        "signer_anct": people["anct"],
    }
    for bpmn_id in order:
        viewer = signatories[bpmn_id]
        task = only_task(services, viewer, reference, bpmn_id)
        service.complete(services, viewer, task["id"], signed(services, viewer, bpmn_id))


def signed(services, viewer, bpmn_id: str, **changes) -> dict:
    """A signature's data with the signed convention, uploaded by the signatory."""
    who = bpmn_id.removeprefix("signer_")
    document = staged(services, viewer.login, "convention-signee.pdf")
    return {**SIGNATURES[bpmn_id], f"document_signe_{who}": document, **changes}


def fired(services, reference, bpmn_id) -> bool:
    return any(
        e["kind"] == "minuterie" and e["bpmn_id"] == bpmn_id
        for e in details(services, reference).history
    )


# --- Campaign window ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "message"),
    [
        ("2020-08-31T23:59:00+02:00", "n'est pas encore ouvert"),
        ("2020-11-01T00:00:00+01:00", "est clos"),
    ],
)
def test_filing_outside_the_campaign_window_is_refused_and_nothing_is_stored(
    appel, clock, now, message
):
    clock.set(now)
    with pytest.raises(InvalidInput, match=message):
        deposer(appel)
    assert count_instances(appel) == 0


def test_unknown_campaign_is_refused(appel):
    with pytest.raises(NotFound, match="Appel à projets inconnu"):
        deposer(appel, campagne="pass-numerique-2031")
    assert count_instances(appel) == 0


def test_filing_within_the_window_reaches_the_prefet_with_the_campaign_dates(appel, people):
    reference = deposer(appel)
    assert reference == "PNU-08-2020-00001"
    dossier = details(appel, reference)
    assert (dossier.status, dossier.outcome) == ("en_cours", None)
    assert dossier.data["recevable"] is True and dossier.data["motif"] == ""
    info = dossier.data["campagne_info"]
    assert info["code"] == CAMPAGNE and info["enveloppe"] == 15000000.0
    assert paris(info["date_limite_instruction"]) == paris(FENETRE["instruction_deadline"])
    assert paris(info["date_comite"]) == paris(FENETRE["committee_at"])
    assert [t["bpmn_id"] for t in dossier.tasks] == ["avis_prefet"]


# --- Recevabilité (recevabilite.dmn) -----------------------------------------------------

NOT_QUALIFIED = [{"nom": "Tiers-lieu", "commune": "08105", "statut": "en_cours"}]


@pytest.mark.parametrize(
    ("organisation", "changes", "field", "message"),
    [
        (GUERET, {"type_collectivite": "region"}, "type_collectivite",
         "est celui de la commune de Guéret (Creuse) : choisissez « Commune »"),
        (ARDENNE_METROPOLE, {"cofinancement_etat": 100000.01, "part_collectivite": 99999.99},
         "cofinancement_etat", "ne peut pas dépasser 50 % du coût total"),
        (ARDENNE_METROPOLE, {"part_collectivite": 90000}, "cout_total",
         "doit être égal au cofinancement demandé à l'État plus la part financée"),
        (ARDENNE_METROPOLE, {"lieux_qualifies": NOT_QUALIFIED}, "lieux_qualifies",
         "Au moins un des lieux où les pass seront acceptés doit être déjà qualifié."),
        (ARDENNE_METROPOLE,
         {"cout_total": 800000, "cofinancement_etat": 300001, "part_collectivite": 499999},
         "cofinancement_etat", "plafonné à 300 000 € par projet"),
    ],
    ids=["nature-contredite", "taux-au-dela-de-50", "plan-desequilibre", "aucun-lieu-qualifie",
         "plafond-depasse"],
)  # fmt: skip
def test_fixable_mistakes_are_refused_on_the_form_and_nothing_is_filed(
    appel, people, organisation, changes, field, message
):
    """The admissibility criteria the person can correct are checked on the form (issue 12,
    defect 6): refused with a message on the field, instead of a dossier closed at once."""
    with pytest.raises(InvalidInput) as refused:
        deposer(appel, organisation, **changes)
    assert list(refused.value.details["fields"]) == [field]
    assert message in refused.value.details["fields"][field]
    assert count_instances(appel) == 0
    assert inbox(appel, people["prefet_08"]) == inbox(appel, people["prefet_23"]) == []


DEPARTEMENT_ARDENNES = {"territory": "08", "siren": "220800049"}
REGION_GRAND_EST = {"territory": "08", "siren": "200052264"}
SYNDICAT_MIXTE = {"territory": "08", "siren": "250800125"}  # unknown to the official data


@pytest.mark.parametrize(
    ("organisation", "type_collectivite", "changes"),
    [
        (ARDENNE_METROPOLE, "epci", {}),
        (DEPARTEMENT_ARDENNES, "departement", {}),
        (REGION_GRAND_EST, "region", {}),
        (SYNDICAT_MIXTE, "syndicat_mixte", {}),
        (ARDENNE_METROPOLE, "epci", {"cofinancement_etat": 100000, "part_collectivite": 100000}),
        (ARDENNE_METROPOLE, "epci",
         {"cout_total": 600000, "cofinancement_etat": 300000, "part_collectivite": 300000}),
    ],
    ids=["epci", "departement", "region", "syndicat-mixte", "taux-50", "plafond-atteint"],
)  # fmt: skip
def test_admissible_applications_go_to_the_prefet(
    appel, people, organisation, type_collectivite, changes
):
    reference = deposer(appel, organisation, type_collectivite=type_collectivite, **changes)
    dossier = details(appel, reference)
    assert (dossier.status, dossier.data["recevable"], dossier.data["motif"]) == (
        "en_cours",
        True,
        "",
    )
    task = only_task(appel, people["prefet_08"], reference, "avis_prefet")
    assert task["due_at"] == paris(FENETRE["instruction_deadline"])


def test_the_form_requires_at_least_one_place_and_speaks_french(appel):
    with pytest.raises(InvalidInput) as caught:
        deposer(appel, lieux_qualifies=[], type_collectivite="mairie")
    assert caught.value.details["fields"] == {
        "lieux_qualifies": "Indiquez au moins un lieu où les pass seront acceptés.",
        "type_collectivite": "Choisissez une des valeurs proposées.",
    }
    assert count_instances(appel) == 0


# --- Avis du préfet ----------------------------------------------------------------------


def test_prefet_inboxes_are_scoped_by_department(appel, people):
    creuse = deposer(appel, GRAND_GUERET, intitule="Pass numériques du Grand Guéret")
    ardennes = deposer(appel, ARDENNE_METROPOLE)
    assert creuse.startswith("PNU-23-2020-") and ardennes.startswith("PNU-08-2020-")

    assert [(t["instance"], t["bpmn_id"]) for t in inbox(appel, people["prefet_23"])] == [
        (creuse, "avis_prefet")
    ]
    assert [(t["instance"], t["bpmn_id"]) for t in inbox(appel, people["prefet_08"])] == [
        (ardennes, "avis_prefet")
    ]
    for nobody in ("mairie_gueret", "ardenne_metropole", "anct", "comite", "expert"):
        assert inbox(appel, people[nobody]) == [], nobody

    task_08 = only_task(appel, people["prefet_08"], ardennes, "avis_prefet")
    with pytest.raises(NotFound):
        service.complete(appel, people["prefet_23"], task_08["id"], {"avis_prefet": "favorable"})
    with pytest.raises(NotFound):
        service.get_instance(appel, ardennes, people["prefet_23"])
    grand_gueret = person("agglo.gueret", "collectivite", GRAND_GUERET["siren"])
    assert service.get_instance(appel, creuse, grand_gueret).reference == creuse
    with pytest.raises(NotFound):
        service.get_instance(appel, creuse, people["mairie_gueret"])


def test_a_reserved_opinion_needs_a_motivation(appel, people):
    reference = deposer(appel)
    task = only_task(appel, people["prefet_08"], reference, "avis_prefet")
    with pytest.raises(InvalidInput, match="Motivez un avis réservé ou défavorable"):
        service.complete(appel, people["prefet_08"], task["id"], {"avis_prefet": "reserve"})
    service.complete(
        appel,
        people["prefet_08"],
        task["id"],
        {
            "avis_prefet": "reserve",
            "rang_prefet": 2,
            "motivation_prefet": "Lieux trop peu nombreux.",
        },
    )
    data = details(appel, reference).data
    assert (data["avis_prefet"], data["rang_prefet"]) == ("reserve", 2)
    assert only_task(appel, people["comite"], reference, "deliberer_jury")


def test_prefet_reminder_fires_seven_days_before_the_instruction_deadline(appel, people, clock):
    reference = deposer(appel)
    [timer] = details(appel, reference).timers
    assert (timer["bpmn_id"], timer["due_at"]) == (
        "rappel_avis_prefet",
        paris("2020-11-13T00:00:00+01:00"),
    )
    clock.set("2020-11-12T23:59:00+01:00")
    assert service.advance(appel, reference) == "en_cours"
    assert not fired(appel, reference, "rappel_avis_prefet")

    clock.set("2020-11-13T00:00:00+01:00")
    assert service.advance(appel, reference) == "en_cours"
    dossier = details(appel, reference)
    assert fired(appel, reference, "rappel_avis_prefet")
    assert [t["bpmn_id"] for t in dossier.tasks] == ["avis_prefet"], "the task stays open"
    assert dossier.timers == []
    donner_avis(appel, people, reference)
    assert only_task(appel, people["comite"], reference, "deliberer_jury")


# --- Jury national -----------------------------------------------------------------------


def test_jury_grant_within_the_envelope_opens_the_convention(appel, people, clock):
    reference = deposer(appel)
    donner_avis(appel, people, reference)
    task = only_task(appel, people["comite"], reference, "deliberer_jury")
    assert task["due_at"] == paris(FENETRE["committee_at"])
    assert inbox(appel, people["prefet_08"]) == []

    clock.set(COMITE)
    with pytest.raises(InvalidInput, match="Indiquez le montant accordé au projet retenu"):
        service.complete(appel, people["comite"], task["id"], {"decision_jury": "retenu"})
    service.complete(
        appel, people["comite"], task["id"], {"decision_jury": "retenu", "montant_accorde": 90000}
    )

    state = calls.get(appel, CAMPAGNE)
    assert (state.granted_total, state.laureates) == (Decimal("90000"), 1)
    dossier = details(appel, reference)
    assert dossier.data["enveloppe"] == {
        "total_attribue": 90000.0, "laureats": 1, "reste": 14910000.0,
    }  # fmt: skip
    assert sorted((t["bpmn_id"], t["role"], t["siren"]) for t in dossier.tasks) == [
        ("signer_anct", "equipe_nationale", ARDENNE_METROPOLE["siren"]),
        ("signer_collectivite", "collectivite", ARDENNE_METROPOLE["siren"]),
    ]


def test_jury_cannot_grant_more_than_asked(appel, people, clock):
    reference = deposer(appel)
    donner_avis(appel, people, reference)
    task = only_task(appel, people["comite"], reference, "deliberer_jury")
    with pytest.raises(InvalidInput, match="dépasse le cofinancement demandé"):
        service.complete(
            appel,
            people["comite"],
            task["id"],
            {"decision_jury": "retenu", "montant_accorde": 100000.01},
        )
    assert only_task(appel, people["comite"], reference, "deliberer_jury")["id"] == task["id"]
    state = calls.get(appel, CAMPAGNE)
    assert (state.granted_total, state.laureates) == (Decimal("0"), 0)


def test_a_grant_past_the_envelope_is_refused_and_the_jury_task_stays_open(appel, people, clock):
    calls.create(
        appel, code="pass-numerique-essai", process_id=PROCESS, name="Appel d'essai",
        envelope=Decimal("150000"), **FENETRE,
    )  # fmt: skip
    first = deposer(appel, campagne="pass-numerique-essai")
    second = deposer(
        appel, campagne="pass-numerique-essai", cofinancement_etat=80000, part_collectivite=120000
    )
    retenir(appel, people, first, 100000, clock=clock)

    donner_avis(appel, people, second)
    task = only_task(appel, people["comite"], second, "deliberer_jury")
    before = details(appel, second)
    with pytest.raises(
        InvalidInput,
        match=r"porterait le total attribué de l'appel « Appel d'essai » à 160 000 €, au-delà de "
        r"son enveloppe de 150 000 € \(reste 50 000 €\)",
    ):
        service.complete(
            appel,
            people["comite"],
            task["id"],
            {"decision_jury": "retenu", "montant_accorde": 60000},
        )
    assert only_task(appel, people["comite"], second, "deliberer_jury")["id"] == task["id"]
    after = details(appel, second)
    assert (after.status, after.data, after.history) == (before.status, before.data, before.history)
    state = calls.get(appel, "pass-numerique-essai")
    assert (state.granted_total, state.laureates) == (Decimal("100000"), 1)
    untouched = calls.get(appel, CAMPAGNE)
    assert (untouched.granted_total, untouched.laureates) == (Decimal("0"), 0)

    service.complete(
        appel, people["comite"], task["id"], {"decision_jury": "retenu", "montant_accorde": 50000}
    )
    state = calls.get(appel, "pass-numerique-essai")
    assert (state.granted_total, state.laureates) == (Decimal("150000"), 2)
    assert details(appel, second).data["enveloppe"]["reste"] == 0.0


def test_jury_rejection_ends_the_dossier_without_touching_the_envelope(appel, people, clock):
    reference = deposer(appel)
    donner_avis(appel, people, reference)
    clock.set(COMITE)
    task = only_task(appel, people["comite"], reference, "deliberer_jury")
    with pytest.raises(InvalidInput, match="Donnez le motif du refus"):
        service.complete(appel, people["comite"], task["id"], {"decision_jury": "non_retenu"})
    service.complete(
        appel,
        people["comite"],
        task["id"],
        {"decision_jury": "non_retenu", "motif_jury": "Projet moins prioritaire."},
    )
    dossier = details(appel, reference)
    assert (dossier.status, dossier.outcome) == ("terminee", "non_retenu")
    assert dossier.data["motif_jury"] == "Projet moins prioritaire."
    assert "enveloppe" not in dossier.data and dossier.tasks == [] and dossier.timers == []
    state = calls.get(appel, CAMPAGNE)
    assert (state.granted_total, state.laureates) == (Decimal("0"), 0)


# --- Convention --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "order",
    [("signer_collectivite", "signer_anct"), ("signer_anct", "signer_collectivite")],
    ids=["collectivite-puis-anct", "anct-puis-collectivite"],
)
def test_convention_is_signed_in_either_order(appel, people, clock, order):
    reference = deposer(appel)
    retenir(appel, people, reference, 90000, clock=clock)
    assert [t["bpmn_id"] for t in inbox(appel, people["ardenne_metropole"])] == [
        "signer_collectivite"
    ]
    assert [t["bpmn_id"] for t in inbox(appel, people["anct"])] == ["signer_anct"]
    assert inbox(appel, people["mairie_gueret"]) == []

    clock.set(SIGNATURE)
    first, second = order
    signer(appel, people, reference, (first,))
    dossier = details(appel, reference)
    assert [t["bpmn_id"] for t in dossier.tasks] == [second]
    assert "date_convention" not in dossier.data

    signer(appel, people, reference, (second,))
    dossier = details(appel, reference)
    assert dossier.data["date_convention"] == "2021-01-15"
    assert dossier.data["convention_signee_collectivite"] is True
    assert dossier.data["convention_signee_anct"] is True
    assert sorted(t["bpmn_id"] for t in dossier.tasks) == ["rapport_6_mois", "verser_avance"]
    assert dossier.data["avance_prevue"] == 45000


def test_signature_needs_the_box_ticked(appel, people, clock):
    reference = deposer(appel)
    retenir(appel, people, reference, 90000, clock=clock)
    task = only_task(appel, people["ardenne_metropole"], reference, "signer_collectivite")
    with pytest.raises(InvalidInput, match="Cochez la case pour signer"):
        service.complete(
            appel,
            people["ardenne_metropole"],
            task["id"],
            signed(
                appel,
                people["ardenne_metropole"],
                "signer_collectivite",
                convention_signee_collectivite=False,
            ),
        )


# --- Deployment reports and balance ------------------------------------------------------


def verser_avance(services, people, reference, day="2021-01-25", mandat="MANDAT-2021-003"):
    task = only_task(services, people["anct"], reference, "verser_avance")
    service.complete(
        services,
        people["anct"],
        task["id"],
        {"date_versement_avance": day, "reference_avance": mandat},
    )


def test_reports_at_six_and_twelve_months_with_reminders_then_balance(appel, people, clock):
    reference = deposer(appel)
    retenir(appel, people, reference, 90000, clock=clock)
    clock.set(SIGNATURE)
    signer(appel, people, reference)
    verser_avance(appel, people, reference)
    authority = people["ardenne_metropole"]

    # Six-month report: due 15 July 2021, reminder on 30 June 2021 (Paris midnight).
    report = only_task(appel, authority, reference, "rapport_6_mois")
    assert report["due_at"] == paris("2021-07-15T00:00:00+02:00")
    [timer] = details(appel, reference).timers
    assert (timer["bpmn_id"], timer["due_at"]) == (
        "rappel_rapport_6_mois",
        paris("2021-06-30T00:00:00+02:00"),
    )
    clock.set("2021-06-29T23:59:00+02:00")
    assert service.advance(appel, reference) == "en_cours"
    assert not fired(appel, reference, "rappel_rapport_6_mois")
    assert len(details(appel, reference).timers) == 1

    clock.set("2021-06-30T00:00:00+02:00")
    assert service.advance(appel, reference) == "en_cours"
    assert fired(appel, reference, "rappel_rapport_6_mois")
    dossier = details(appel, reference)
    assert [t["id"] for t in dossier.tasks] == [report["id"]], "the report stays open"
    assert dossier.timers == []

    clock.set("2021-07-10T09:00:00+02:00")
    with pytest.raises(InvalidInput, match="Indiquez le nombre de personnes accompagnées"):
        service.complete(appel, authority, report["id"], {"pass_distribues_6_mois": 4200})
    service.complete(
        appel,
        authority,
        report["id"],
        {"pass_distribues_6_mois": 4200, "personnes_accompagnees_6_mois": 850},
    )

    # Final report: due 15 January 2022, reminder on 31 December 2021.
    final = only_task(appel, authority, reference, "rapport_12_mois")
    assert final["due_at"] == paris("2022-01-15T00:00:00+01:00")
    [timer] = details(appel, reference).timers
    assert (timer["bpmn_id"], timer["due_at"]) == (
        "rappel_rapport_12_mois",
        paris("2021-12-31T00:00:00+01:00"),
    )
    clock.set("2021-12-30T23:59:00+01:00")
    service.advance(appel, reference)
    assert not fired(appel, reference, "rappel_rapport_12_mois")
    clock.set("2021-12-31T00:00:00+01:00")
    service.advance(appel, reference)
    assert fired(appel, reference, "rappel_rapport_12_mois")
    assert [t["id"] for t in details(appel, reference).tasks] == [final["id"]]

    clock.set("2022-01-12T11:00:00+01:00")
    service.complete(
        appel,
        authority,
        final["id"],
        {
            "pass_distribues_12_mois": 9800,
            "personnes_accompagnees_12_mois": 1930,
            "depenses_realisees": 198000,
            "bilan": "Objectifs presque atteints.",
        },
    )
    assert inbox(appel, authority) == []

    # Balance: the State's share of the expenses (198 000 € × 90 000 / 200 000 = 89 100 €)
    # less the advance of 45 000 €, paid by the national team on the final report.
    payment = only_task(appel, people["anct"], reference, "verser_solde")
    assert payment["due_at"] == clock.now() + timedelta(days=30)
    assert details(appel, reference).data["solde_calcule"] == 44100
    service.complete(
        appel,
        people["anct"],
        payment["id"],
        {
            "decision_rapport_final": "conforme",
            "date_versement_solde": "2022-01-20",
            "reference_solde": "MANDAT-2022-014",
        },
    )
    dossier = details(appel, reference)
    assert (dossier.status, dossier.outcome) == ("terminee", "solde_verse")
    assert dossier.tasks == [] and dossier.timers == []
    data = dossier.data
    assert (data["pass_distribues_6_mois"], data["personnes_accompagnees_6_mois"]) == (4200, 850)
    assert (data["pass_distribues_12_mois"], data["personnes_accompagnees_12_mois"]) == (9800, 1930)
    assert (data["montant_accorde"], data["solde_calcule"]) == (90000, 44100)
    assert [
        (p["nature"], p["montant"], p["date"], p["reference"]) for p in data["aide"]["versements"]
    ] == [
        ("avance", 45000, "2021-01-25", "MANDAT-2021-003"),
        ("solde", 44100, "2022-01-20", "MANDAT-2022-014"),
    ]
    assert (data["aide"]["verse"], data["aide"]["reste"]) == (89100, 900)
    assert data["date_convention"] == "2021-01-15"
    assert [e["kind"] for e in dossier.history][-1] == "dossier_termine"
    state = calls.get(appel, CAMPAGNE)
    assert (state.granted_total, state.laureates) == (Decimal("90000"), 1)


def test_a_late_six_month_report_lets_the_final_reminder_fire_at_once(appel, people, clock):
    """Filed after the final report's reminder date, the six-month report brings it due now."""
    reference = deposer(appel)
    retenir(appel, people, reference, 90000, clock=clock)
    clock.set(SIGNATURE)
    signer(appel, people, reference)
    authority = people["ardenne_metropole"]
    report = only_task(appel, authority, reference, "rapport_6_mois")
    clock.set("2022-01-02T09:00:00+01:00")
    service.advance(appel, reference)
    service.complete(
        appel,
        authority,
        report["id"],
        {"pass_distribues_6_mois": 100, "personnes_accompagnees_6_mois": 20},
    )
    assert fired(appel, reference, "rappel_rapport_6_mois")
    assert fired(appel, reference, "rappel_rapport_12_mois")
    assert only_task(appel, authority, reference, "rapport_12_mois")["due_at"] == paris(
        "2022-01-15T00:00:00+01:00"
    )

"""Scenarios of the Fabriques de territoire call for expressions of interest
(processes/fabriques_territoire), through the service layer.

Time is the injected clock: the 2020 call opens on 1 July 2020 and closes on 1 October, préfets
give their opinion by 15 November, the selection committee sits on 8 December.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from engine import service
from engine.config import Settings
from engine.errors import InvalidInput, NotFound
from engine.service.campaigns import calls, grants
from engine.store.models import ProcessInstance
from tests.conftest import _truncate
from tests.files import staged
from tests.procedures.conftest import (
    ARDENNE_METROPOLE,
    GUERET,
    PROCESSES,
    inbox,
    only_task,
)

PROCESS = "fabriques_territoire"
CAMPAGNE = "fabriques-2020"
FENETRE = {
    "opens_at": "2020-07-01T00:00:00+02:00",
    "closes_at": "2020-10-01T00:00:00+02:00",
    "instruction_deadline": "2020-11-15T00:00:00+01:00",
    "committee_at": "2020-12-08T10:00:00+01:00",
}
DEPOT = "2020-09-10T10:00:00+02:00"
CLOTURE = FENETRE["closes_at"]
COMITE = "2020-12-08T14:00:00+01:00"
SIGNATURE = "2021-01-15T10:00:00+01:00"  # date of the convention: 15 January 2021

PIECES = ["statuts", "budget_detaille", "lettre_soutien_collectivite", "rib"]
CANDIDATURE = {
    "campagne": CAMPAGNE,
    "nom_tiers_lieu": "La Quincaillerie",
    "nature_porteur": "commune",
    "nom_porteur": "Commune de Guéret",
    "commune": "23096",
    "adresse": "1 avenue de la Sénatorerie, Guéret",
    "diagnostic": "Peu de lieux de travail partagé et d'accompagnement numérique dans le bassin.",
    "services": ["inclusion_numerique", "teletravail_coworking", "fabrication_numerique"],
    "gouvernance": "Collège des usagers, des associations locales et de la communauté d'agglo.",
    "reseau": "reseau",
    "nom_reseau": "Réseau des tiers-lieux de Nouvelle-Aquitaine",
    "budget_previsionnel": [
        {"depenses": 140000, "aide_demandee": 50000, "autres_ressources": 90000},
        {"depenses": 120000, "aide_demandee": 40000, "autres_ressources": 80000},
        {"depenses": 110000, "aide_demandee": 30000, "autres_ressources": 80000},
    ],
    "montant_demande": 120000,
    "courriel_contact": "tiers-lieu@ville-gueret.fr",
}
ARDENNES = {
    "nom_tiers_lieu": "La Machinerie",
    "nom_porteur": "Ardenne Métropole",
    "nature_porteur": "epci",
    "commune": "08105",
}
SIGNATURES = {
    "signer_collectivite": {
        "signataire_collectivite": "Marie-Françoise Fournier, maire",
        "convention_signee_collectivite": True,
    },
    "signer_anct": {
        "signataire_anct": "Directeur général délégué, ANCT",
        "convention_signee_anct": True,
    },
}


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def budget(*aides: float) -> list[dict]:
    return [
        {"depenses": 2 * a + 10000, "aide_demandee": a, "autres_ressources": a + 10000}
        for a in aides
    ]


@pytest.fixture
def appel(deploy, services, clock):
    deploy("fabriques_territoire")
    calls.create(
        services, code=CAMPAGNE, process_id=PROCESS, name="AMI Fabriques de territoire 2020",
        envelope=Decimal("45000000"), max_laureates=300, **FENETRE,
    )  # fmt: skip
    clock.set(DEPOT)
    return services


def count_instances(services) -> int:
    with services.db.connect() as connection:
        return connection.execute(select(func.count()).select_from(ProcessInstance)).scalar_one()


def pieces(services, *names: str, login: str = "depot") -> dict:
    """The application's files (the mandatory ones by default), uploaded by `login`."""
    return {name: staged(services, login, f"{name}.pdf") for name in names or PIECES}


def deposer(context, organisation=GUERET, **changes) -> str:
    data = {
        **CANDIDATURE, **(ARDENNES if organisation is ARDENNE_METROPOLE else {}),
        "pieces_jointes": pieces(context), **changes,
    }  # fmt: skip
    return service.start(context, PROCESS, data=data, actor="depot", **organisation).reference


def details(services, reference):
    return service.get_instance(services, reference, service.Viewer.command_line())


def fired(services, reference, bpmn_id) -> int:
    """How many times the timer `bpmn_id` fired on the dossier."""
    return sum(
        1
        for e in details(services, reference).history
        if e["kind"] == "minuterie" and e["bpmn_id"] == bpmn_id
    )


def timers(services, reference) -> list[tuple[str, datetime]]:
    return [(t["bpmn_id"], t["due_at"]) for t in details(services, reference).timers]


def cloturer(services, clock, *references):
    """Move to the closing date of the call and let the dossiers see it."""
    clock.set(CLOTURE)
    for reference in references:
        assert service.advance(services, reference) == "en_cours"


def donner_avis(services, people, reference, prefet="prefet_23", rang=1):
    task = only_task(services, people[prefet], reference, "avis_prefet")
    service.complete(
        services, people[prefet], task["id"], {"avis_prefet": "favorable", "rang_prefet": rang}
    )


def selectionner(services, people, reference, montant):
    task = only_task(services, people["comite"], reference, "selectionner")
    service.complete(
        services,
        people["comite"],
        task["id"],
        {"decision_comite": "laureat", "montant_accorde": montant},
    )


def jusqu_au_comite(services, people, clock, *references, prefet="prefet_23"):
    cloturer(services, clock, *references)
    for rang, reference in enumerate(references, start=1):
        donner_avis(services, people, reference, prefet, rang)
    clock.set(COMITE)


def notifier(services, people, reference):
    task = only_task(services, people["anct"], reference, "notifier_laureat")
    service.complete(
        services,
        people["anct"],
        task["id"],
        {
            "date_notification": "2020-12-10",
            "lettre_notification": staged(services, people["anct"].login, "notification.pdf"),
        },
    )


def signer(services, people, reference, order=("signer_collectivite", "signer_anct")):
    signatories = {"signer_collectivite": people["mairie_gueret"], "signer_anct": people["anct"]}
    for bpmn_id in order:
        viewer = signatories[bpmn_id]
        task = only_task(services, viewer, reference, bpmn_id)
        service.complete(services, viewer, task["id"], signed(services, viewer, bpmn_id))


def signed(services, viewer, bpmn_id: str, **changes) -> dict:
    """A signature's data with the signed convention, uploaded by the signatory."""
    who = bpmn_id.removeprefix("signer_")
    document = staged(services, viewer.login, "convention-signee.pdf")
    return {**SIGNATURES[bpmn_id], f"document_signe_{who}": document, **changes}


def laureat_signe(services, people, clock, montant=90000) -> str:
    reference = deposer(services)
    jusqu_au_comite(services, people, clock, reference)
    selectionner(services, people, reference, montant)
    notifier(services, people, reference)
    clock.set(SIGNATURE)
    signer(services, people, reference)
    return reference


def totals(services, code=CAMPAGNE) -> tuple[Decimal, int]:
    state = calls.get(services, code)
    return state.granted_total, state.laureates


# --- Campaign window ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "message"),
    [
        ("2020-06-30T23:59:00+02:00", "n'est pas encore ouvert"),
        ("2020-10-01T00:00:00+02:00", "est clos"),
        ("2021-03-01T09:00:00+01:00", "est clos"),
    ],
    ids=["avant-ouverture", "a-la-cloture", "apres-cloture"],
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
        deposer(appel, campagne="fabriques-2031")
    assert count_instances(appel) == 0


def test_an_admissible_application_waits_for_the_closing_date_then_reaches_the_prefet(
    appel, people, clock
):
    reference = deposer(appel)
    assert reference == "FAB-23-2020-00001"
    dossier = details(appel, reference)
    assert (dossier.status, dossier.outcome) == ("en_cours", None)
    assert (dossier.data["recevable"], dossier.data["motif"]) == (True, "")
    info = dossier.data["campagne_info"]
    assert (info["code"], info["enveloppe"], info["plafond_laureats"]) == (CAMPAGNE, 45e6, 300)
    assert paris(info["cloture"]) == paris(CLOTURE)
    assert dossier.tasks == []
    assert timers(appel, reference) == [("cloture_candidatures", paris(CLOTURE))]
    assert inbox(appel, people["prefet_23"]) == []

    clock.set("2020-09-30T23:59:00+02:00")
    assert service.advance(appel, reference) == "en_cours"
    assert details(appel, reference).tasks == []

    clock.set(CLOTURE)
    assert service.advance(appel, reference) == "en_cours"
    assert fired(appel, reference, "cloture_candidatures") == 1
    task = only_task(appel, people["prefet_23"], reference, "avis_prefet")
    assert task["due_at"] == paris(FENETRE["instruction_deadline"])
    assert timers(appel, reference) == [("rappel_avis_prefet", paris("2020-11-08T00:00:00+01:00"))]


# --- Recevabilité (recevabilite.dmn) -----------------------------------------------------


YEARLY_CAP = "plafonnée à 50 000 € par an"
TOTAL_CAP = "plafonnée à 150 000 € sur trois ans"
NOT_THE_SUM = "doit être la somme des aides demandées pour chacune des trois années"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"budget_previsionnel": budget(60000, 50000, 50000), "montant_demande": 160000},
            {"budget_previsionnel.0.aide_demandee": YEARLY_CAP, "montant_demande": TOTAL_CAP},
        ),
        (
            {"budget_previsionnel": budget(50000, 50000, 50000), "montant_demande": 150000.01},
            {"montant_demande": TOTAL_CAP},
        ),
        (
            {"budget_previsionnel": budget(60000, 40000, 30000), "montant_demande": 130000},
            {"budget_previsionnel.0.aide_demandee": YEARLY_CAP},
        ),
        (
            {"budget_previsionnel": budget(20000, 20000, 50000.01), "montant_demande": 90000.01},
            {"budget_previsionnel.2.aide_demandee": YEARLY_CAP},
        ),
        (
            {"budget_previsionnel": budget(50000, 40000, 30000), "montant_demande": 100000},
            {"montant_demande": NOT_THE_SUM},
        ),
    ],
    ids=[
        "total-160000", "total-150000.01", "annee-60000", "annee-50000.01",
        "montant-incoherent",
    ],
)  # fmt: skip
def test_fixable_mistakes_are_refused_on_the_form_and_nothing_is_filed(
    appel, people, changes, expected
):
    """Caps and the sum of the yearly aid are checked on the form, where the person corrects
    them (issue 12, defect 6), not found by the admissibility table once the dossier is filed."""
    with pytest.raises(InvalidInput) as refused:
        deposer(appel, **changes)
    fields = refused.value.details["fields"]
    assert sorted(fields) == sorted(expected)
    for name, message in expected.items():
        assert message in fields[name]
    assert count_instances(appel) == 0
    assert inbox(appel, people["prefet_23"]) == []


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"budget_previsionnel": budget(50000, 50000, 50000), "montant_demande": 150000},
        {
            "budget_previsionnel": budget(33333.33, 33333.33, 33333.34),
            "montant_demande": 100000,
        },
        {"charte": True, "reseau": "aucun", "nom_reseau": None},
    ],
    ids=["exemple", "plafonds-atteints", "centimes", "pieces-en-plus-sans-reseau"],
)
def test_admissible_applications(appel, changes):
    changes = {k: v for k, v in changes.items() if v is not None}
    extra = ("charte_gouvernance",) if changes.pop("charte", False) else ()
    data = {**CANDIDATURE, "pieces_jointes": pieces(appel, *PIECES, *extra), **changes}
    if changes.get("reseau") == "aucun":
        del data["nom_reseau"]
    reference = service.start(appel, PROCESS, data=data, **GUERET).reference
    dossier = details(appel, reference)
    assert (dossier.status, dossier.data["recevable"], dossier.data["motif"]) == (
        "en_cours",
        True,
        "",
    )
    assert [t["bpmn_id"] for t in dossier.timers] == ["cloture_candidatures"]


def test_the_application_form_checks_fields_in_french(appel):
    with pytest.raises(InvalidInput) as caught:
        deposer(
            appel,
            services=[],
            commune="99999",
            budget_previsionnel=budget(50000, 50000),
            nom_reseau="X",
        )
    assert caught.value.details["fields"] == {
        "budget_previsionnel": "Remplissez le budget des trois années.",
        "commune": "Code INSEE de commune inconnu : vérifiez le code officiel géographique.",
        "nom_reseau": "Au moins 2 caractère(s).",
        "services": "Choisissez au moins un service.",
    }
    data = {k: v for k, v in CANDIDATURE.items() if k != "nom_reseau"}
    data["pieces_jointes"] = pieces(appel)
    with pytest.raises(InvalidInput) as caught:
        service.start(appel, PROCESS, data=data, **GUERET)
    assert caught.value.details["fields"] == {
        "nom_reseau": "Donnez le nom du réseau ou du consortium."
    }
    assert count_instances(appel) == 0


def test_missing_mandatory_files_are_asked_on_the_form_and_nothing_is_filed(appel):
    """The mandatory files are checked on the form (the person adds them), not found missing
    by the admissibility table after the application is filed."""
    without_letter = pieces(appel, "statuts", "budget_detaille", "rib")
    with pytest.raises(InvalidInput) as caught:
        deposer(appel, pieces_jointes=without_letter)
    assert caught.value.details["fields"] == {
        "pieces_jointes.lettre_soutien_collectivite": "Joignez la lettre de soutien d'une collectivité."
    }
    data = {k: v for k, v in CANDIDATURE.items()}
    with pytest.raises(InvalidInput) as caught:
        service.start(appel, PROCESS, data=data, actor="depot", **GUERET)
    assert caught.value.details["fields"] == {"pieces_jointes": "Joignez les pièces obligatoires."}
    assert count_instances(appel) == 0


# --- Avis du préfet ----------------------------------------------------------------------


def test_prefet_inboxes_are_scoped_by_department(appel, people, clock):
    creuse = deposer(appel, GUERET)
    ardennes = deposer(appel, ARDENNE_METROPOLE)
    assert creuse.startswith("FAB-23-2020-") and ardennes.startswith("FAB-08-2020-")
    cloturer(appel, clock, creuse, ardennes)

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
        service.complete(
            appel,
            people["prefet_23"],
            task_08["id"],
            {"avis_prefet": "favorable", "rang_prefet": 1},
        )
    with pytest.raises(NotFound):
        service.get_instance(appel, ardennes, people["prefet_23"])
    assert service.get_instance(appel, creuse, people["mairie_gueret"]).reference == creuse
    with pytest.raises(NotFound):
        service.get_instance(appel, creuse, people["ardenne_metropole"])

    donner_avis(appel, people, ardennes, "prefet_08")
    assert inbox(appel, people["prefet_08"]) == []
    assert [t["bpmn_id"] for t in inbox(appel, people["prefet_23"])] == ["avis_prefet"]
    assert [(t["instance"], t["bpmn_id"]) for t in inbox(appel, people["comite"])] == [
        (ardennes, "selectionner")
    ]


def test_the_prefet_gives_a_rank_and_motivates_a_reserved_opinion(appel, people, clock):
    reference = deposer(appel)
    cloturer(appel, clock, reference)
    prefet = people["prefet_23"]
    task = only_task(appel, prefet, reference, "avis_prefet")
    with pytest.raises(InvalidInput) as caught:
        service.complete(appel, prefet, task["id"], {"avis_prefet": "reserve"})
    assert caught.value.details["fields"] == {
        "motivation_prefet": "Motivez un avis réservé ou défavorable.",
        "rang_prefet": "Classez la candidature parmi celles du département.",
    }
    service.complete(
        appel,
        prefet,
        task["id"],
        {"avis_prefet": "reserve", "rang_prefet": 3, "motivation_prefet": "Gouvernance fragile."},
    )
    data = details(appel, reference).data
    assert (data["avis_prefet"], data["rang_prefet"], data["motivation_prefet"]) == (
        "reserve",
        3,
        "Gouvernance fragile.",
    )
    comite = only_task(appel, people["comite"], reference, "selectionner")
    assert comite["due_at"] == paris(FENETRE["committee_at"])


def test_prefet_reminder_fires_seven_days_before_the_instruction_deadline(appel, people, clock):
    reference = deposer(appel)
    cloturer(appel, clock, reference)
    assert timers(appel, reference) == [("rappel_avis_prefet", paris("2020-11-08T00:00:00+01:00"))]
    clock.set("2020-11-07T23:59:00+01:00")
    assert service.advance(appel, reference) == "en_cours"
    assert fired(appel, reference, "rappel_avis_prefet") == 0

    clock.set("2020-11-08T00:00:00+01:00")
    assert service.advance(appel, reference) == "en_cours"
    dossier = details(appel, reference)
    assert fired(appel, reference, "rappel_avis_prefet") == 1
    assert [t["bpmn_id"] for t in dossier.tasks] == ["avis_prefet"], "the task stays open"
    assert dossier.timers == [] and dossier.status == "en_cours"

    clock.set("2020-11-20T09:00:00+01:00")  # late: the task is still there, overdue
    assert service.advance(appel, reference) == "en_cours"
    assert fired(appel, reference, "rappel_avis_prefet") == 1
    donner_avis(appel, people, reference)
    assert only_task(appel, people["comite"], reference, "selectionner")


# --- Sélection par le comité et enveloppe ------------------------------------------------


def test_a_selection_within_the_envelope_reserves_the_amount_then_notifies(appel, people, clock):
    reference = deposer(appel)
    jusqu_au_comite(appel, people, clock, reference)
    task = only_task(appel, people["comite"], reference, "selectionner")
    with pytest.raises(InvalidInput, match="Indiquez l'aide accordée à la lauréate"):
        service.complete(appel, people["comite"], task["id"], {"decision_comite": "laureat"})
    with pytest.raises(InvalidInput, match="ne peut pas dépasser 150 000 €"):
        service.complete(
            appel,
            people["comite"],
            task["id"],
            {"decision_comite": "laureat", "montant_accorde": 150000.01},
        )
    selectionner(appel, people, reference, 90000)

    assert totals(appel) == (Decimal("90000"), 1)
    dossier = details(appel, reference)
    assert dossier.data["enveloppe"] == {
        "total_attribue": 90000.0, "laureats": 1, "reste": 44910000.0,
    }  # fmt: skip
    assert [t["bpmn_id"] for t in dossier.tasks] == ["notifier_laureat"]
    assert [t["bpmn_id"] for t in inbox(appel, people["anct"])] == ["notifier_laureat"]
    assert inbox(appel, people["mairie_gueret"]) == inbox(appel, people["comite"]) == []

    task = only_task(appel, people["anct"], reference, "notifier_laureat")
    assert task["due_at"] == clock.now() + timedelta(days=15)
    with pytest.raises(InvalidInput, match="Joignez la lettre de notification envoyée au porteur"):
        service.complete(appel, people["anct"], task["id"], {"date_notification": "2020-12-10"})
    notifier(appel, people, reference)
    dossier = details(appel, reference)
    assert sorted((t["bpmn_id"], t["role"], t["siren"]) for t in dossier.tasks) == [
        ("signer_anct", "equipe_nationale", GUERET["siren"]),
        ("signer_collectivite", "collectivite", GUERET["siren"]),
    ]
    assert dossier.data["date_notification"] == "2020-12-10"


def test_the_committee_cannot_grant_more_than_asked(appel, people, clock):
    reference = deposer(appel)
    jusqu_au_comite(appel, people, clock, reference)
    task = only_task(appel, people["comite"], reference, "selectionner")
    with pytest.raises(InvalidInput, match="dépasse le montant demandé") as refused:
        selectionner(appel, people, reference, 120000.01)
    assert list(refused.value.details["fields"]) == ["montant_accorde"]
    assert only_task(appel, people["comite"], reference, "selectionner")["id"] == task["id"]
    assert totals(appel) == (Decimal("0"), 0)


def test_not_selected_ends_without_touching_the_envelope(appel, people, clock):
    reference = deposer(appel)
    jusqu_au_comite(appel, people, clock, reference)
    task = only_task(appel, people["comite"], reference, "selectionner")
    with pytest.raises(InvalidInput, match="Donnez le motif de la décision"):
        service.complete(appel, people["comite"], task["id"], {"decision_comite": "non_retenu"})
    service.complete(
        appel,
        people["comite"],
        task["id"],
        {"decision_comite": "non_retenu", "motif_comite": "Maillage déjà dense sur ce bassin."},
    )
    dossier = details(appel, reference)
    assert (dossier.status, dossier.outcome) == ("terminee", "non_retenu")
    assert dossier.data["motif_comite"] == "Maillage déjà dense sur ce bassin."
    assert dossier.outcome_motive == "Maillage déjà dense sur ce bassin."  # told in words
    assert "enveloppe" not in dossier.data and dossier.tasks == [] and dossier.timers == []
    assert totals(appel) == (Decimal("0"), 0)
    assert inbox(appel, people["comite"]) == inbox(appel, people["anct"]) == []


def test_a_selection_past_the_envelope_is_refused_and_the_task_stays_open(appel, people, clock):
    calls.create(
        appel, code="fabriques-essai", process_id=PROCESS, name="AMI d'essai",
        envelope=Decimal("200000"), max_laureates=300, **FENETRE,
    )  # fmt: skip
    first = deposer(appel, campagne="fabriques-essai")
    second = deposer(appel, campagne="fabriques-essai")
    jusqu_au_comite(appel, people, clock, first, second)
    selectionner(appel, people, first, 120000)

    task = only_task(appel, people["comite"], second, "selectionner")
    before = details(appel, second)
    with pytest.raises(
        InvalidInput,
        match=r"Sélection refusée : accorder 100 000 € porterait le total attribué de l'appel "
        r"« AMI d'essai » à 220 000 €, au-delà de son enveloppe de 200 000 € \(reste 80 000 €\)",
    ):
        selectionner(appel, people, second, 100000)
    assert only_task(appel, people["comite"], second, "selectionner")["id"] == task["id"]
    after = details(appel, second)
    assert (after.status, after.data, after.history) == (before.status, before.data, before.history)
    assert totals(appel, "fabriques-essai") == (Decimal("120000"), 1)
    assert totals(appel) == (Decimal("0"), 0)

    selectionner(appel, people, second, 80000)
    assert totals(appel, "fabriques-essai") == (Decimal("200000"), 2)
    assert details(appel, second).data["enveloppe"]["reste"] == 0.0
    assert only_task(appel, people["anct"], second, "notifier_laureat")


def test_a_selection_past_the_maximum_number_of_laureates_is_refused(appel, people, clock):
    calls.create(
        appel, code="fabriques-deux", process_id=PROCESS, name="AMI à deux lauréats",
        envelope=Decimal("45000000"), max_laureates=2, **FENETRE,
    )  # fmt: skip
    references = [deposer(appel, campagne="fabriques-deux") for _ in range(3)]
    jusqu_au_comite(appel, people, clock, *references)
    selectionner(appel, people, references[0], 100000)
    selectionner(appel, people, references[1], 50000)
    assert totals(appel, "fabriques-deux") == (Decimal("150000"), 2)

    task = only_task(appel, people["comite"], references[2], "selectionner")
    before = details(appel, references[2])
    with pytest.raises(
        InvalidInput,
        match="Sélection refusée : l'appel « AMI à deux lauréats » a déjà ses 2 lauréats",
    ):
        selectionner(appel, people, references[2], 1000)
    assert only_task(appel, people["comite"], references[2], "selectionner")["id"] == task["id"]
    assert details(appel, references[2]).data == before.data
    assert totals(appel, "fabriques-deux") == (Decimal("150000"), 2)

    service.complete(
        appel,
        people["comite"],
        task["id"],
        {"decision_comite": "non_retenu", "motif_comite": "Plus de place parmi les lauréats."},
    )
    assert details(appel, references[2]).outcome == "non_retenu"
    assert totals(appel, "fabriques-deux") == (Decimal("150000"), 2)


# --- Convention --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "order",
    [("signer_collectivite", "signer_anct"), ("signer_anct", "signer_collectivite")],
    ids=["porteur-puis-anct", "anct-puis-porteur"],
)
def test_convention_is_signed_in_either_order(appel, people, clock, order):
    reference = deposer(appel)
    jusqu_au_comite(appel, people, clock, reference)
    selectionner(appel, people, reference, 90000)
    notifier(appel, people, reference)
    assert [t["bpmn_id"] for t in inbox(appel, people["mairie_gueret"])] == ["signer_collectivite"]
    assert [t["bpmn_id"] for t in inbox(appel, people["anct"])] == ["signer_anct"]
    assert inbox(appel, people["ardenne_metropole"]) == []

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
    # 90 000 € granted out of 120 000 € asked (50 000 / 40 000 / 30 000): same split per year.
    assert dossier.data["echeancier"] == [37500.0, 30000.0, 22500.0]
    assert [t["bpmn_id"] for t in dossier.tasks] == ["verser_tranche_1"]


def test_signature_needs_the_box_ticked(appel, people, clock):
    reference = deposer(appel)
    jusqu_au_comite(appel, people, clock, reference)
    selectionner(appel, people, reference, 90000)
    notifier(appel, people, reference)
    task = only_task(appel, people["mairie_gueret"], reference, "signer_collectivite")
    with pytest.raises(InvalidInput, match="Cochez la case pour signer"):
        service.complete(
            appel,
            people["mairie_gueret"],
            task["id"],
            signed(
                appel,
                people["mairie_gueret"],
                "signer_collectivite",
                convention_signee_collectivite=False,
            ),
        )


# --- Accompagnement : first tranche, yearly reports examined, second tranche, balance ---------


def verser(services, people, reference, bpmn_id, day):
    task = only_task(services, people["anct"], reference, bpmn_id)
    service.complete(
        services,
        people["anct"],
        task["id"],
        {"date_versement": day, "reference_paiement": f"MANDAT-{day}", "versement_effectue": True},
    )


RAPPORT = {
    "services_rendus": ["inclusion_numerique", "fabrication_numerique"],
    "faits_marquants": "Ateliers ouverts six jours sur sept.",
}


def rapport(services, people, reference, annee, depenses=100000, bpmn_id="rapport_activite"):
    task = only_task(services, people["mairie_gueret"], reference, bpmn_id)
    service.complete(
        services,
        people["mairie_gueret"],
        task["id"],
        {**RAPPORT, "frequentation": 1000 * annee, "depenses_annee": depenses},
    )


def examiner(services, people, reference, decision="conforme", motif=None):
    task = only_task(services, people["anct"], reference, "examiner_rapport")
    data = {"decision_rapport": decision, **({"motif_correction": motif} if motif else {})}
    service.complete(services, people["anct"], task["id"], data)


def payments(services, reference) -> list[tuple[str, Decimal, str]]:
    with services.read() as connection:
        held = grants.view(connection, details(services, reference).id)
    return [(p.kind, p.amount, p.paid_on) for p in held.payments]


def test_laureate_path_tranches_follow_the_accepted_reports_then_balance(appel, people, clock):
    reference = laureat_signe(appel, people, clock)
    authority, anct = people["mairie_gueret"], people["anct"]

    # At the signature: the first tranche (the advance) is due in 30 days.
    payment = only_task(appel, anct, reference, "verser_tranche_1")
    assert payment["due_at"] == paris(SIGNATURE) + timedelta(days=30)
    clock.set("2021-01-20T09:00:00+01:00")
    verser(appel, people, reference, "verser_tranche_1", "2021-01-20")
    assert payments(appel, reference) == [("avance", Decimal("37500"), "2021-01-20")]
    assert timers(appel, reference) == [("anniversaire", paris("2022-01-15T00:00:00+01:00"))]
    assert inbox(appel, authority) == inbox(appel, anct) == []

    # Year 1: the report at the anniversary, due in two months; no tranche before it is accepted.
    clock.set("2022-01-14T23:59:00+01:00")
    assert service.advance(appel, reference) == "en_cours"
    assert details(appel, reference).tasks == []
    clock.set("2022-01-15T00:00:00+01:00")
    service.advance(appel, reference)
    report = only_task(appel, authority, reference, "rapport_activite")
    assert report["due_at"] == paris("2022-03-15T00:00:00+01:00")
    with pytest.raises(InvalidInput, match="Décrivez les faits marquants de l'année"):
        service.complete(
            appel, authority, report["id"],
            {"frequentation": 10, "services_rendus": ["culture"], "depenses_annee": 10},
        )  # fmt: skip
    clock.set("2022-02-10T09:00:00+01:00")
    rapport(appel, people, reference, 1, depenses=140000)
    assert details(appel, reference).data["annee_rapport"] == 1
    assert [t["bpmn_id"] for t in details(appel, reference).tasks] == ["examiner_rapport"]
    examiner(appel, people, reference, "a_corriger", "Joignez le bilan financier de l'année.")
    assert [t["bpmn_id"] for t in details(appel, reference).tasks] == ["corriger_rapport_activite"]
    rapport(appel, people, reference, 1, depenses=130000, bpmn_id="corriger_rapport_activite")
    examiner(appel, people, reference)
    verser(appel, people, reference, "verser_tranche_2", "2022-02-20")

    # Year 2: accepted, no payment.
    clock.set("2023-01-15T00:00:00+01:00")
    service.advance(appel, reference)
    rapport(appel, people, reference, 2, depenses=120000)
    assert details(appel, reference).data["annee_rapport"] == 2
    examiner(appel, people, reference)
    assert details(appel, reference).tasks == []

    # Year 3: the final report; the balance is the State's share of what was spent.
    clock.set("2024-01-15T00:00:00+01:00")
    service.advance(appel, reference)
    rapport(appel, people, reference, 3, depenses=110000)
    examiner(appel, people, reference)
    # 360 000 € spent of 370 000 € planned: 90 000 × 360 / 370 = 87 567,57 €, less 67 500 €.
    assert details(appel, reference).data["solde_calcule"] == 20067.57
    verser(appel, people, reference, "verser_solde", "2024-02-01")
    closure = only_task(appel, anct, reference, "clore_accompagnement")
    service.complete(
        appel,
        anct,
        closure["id"],
        {
            "rapports_recus": 3,
            "bilan_accompagnement": "Fabrique pérenne, 3 emplois créés.",
            "accompagnement_clos": True,
        },
    )
    dossier = details(appel, reference)
    assert (dossier.status, dossier.outcome) == ("terminee", "laureat")
    assert dossier.tasks == [] and dossier.timers == []
    assert payments(appel, reference) == [
        ("avance", Decimal("37500"), "2021-01-20"),
        ("tranche", Decimal("30000"), "2022-02-20"),
        ("solde", Decimal("20067.57"), "2024-02-01"),
    ]
    assert dossier.data["depenses_par_annee"] == [130000, 120000, 110000]
    reports = [
        e for e in dossier.history
        if e["kind"] == "tache_terminee" and e["bpmn_id"] == "rapport_activite"
    ]  # fmt: skip
    assert [e["actor"] for e in reports] == ["mairie.gueret"] * 3
    assert [e["kind"] for e in dossier.history][-1] == "dossier_termine"
    assert totals(appel) == (Decimal("90000"), 1)


def test_expenses_out_of_proportion_with_the_budget_are_refused(appel, people, clock):
    reference = laureat_signe(appel, people, clock)
    verser(appel, people, reference, "verser_tranche_1", "2021-01-15")
    clock.set("2022-01-15T10:00:00+01:00")
    service.advance(appel, reference)
    with pytest.raises(InvalidInput, match="sans commune mesure avec les 140000 €") as refused:
        rapport(appel, people, reference, 1, depenses=99999999)
    assert "depenses_annee" in refused.value.details["fields"]
    assert only_task(appel, people["mairie_gueret"], reference, "rapport_activite")


def test_the_closure_needs_the_three_reports_and_the_balance_may_be_nothing(appel, people, clock):
    reference = laureat_signe(appel, people, clock)
    verser(appel, people, reference, "verser_tranche_1", "2021-01-15")
    for year in (1, 2, 3):
        clock.set(f"{2021 + year}-01-15T10:00:00+01:00")
        service.advance(appel, reference)
        rapport(appel, people, reference, year, depenses=50000)
        examiner(appel, people, reference)
        if year == 1:
            verser(appel, people, reference, "verser_tranche_2", "2022-01-20")
    # 150 000 € spent: the State's share (36 486,49 €) is below the 67 500 € paid: no balance.
    assert details(appel, reference).data["solde_calcule"] == 0
    closure = only_task(appel, people["anct"], reference, "clore_accompagnement")
    bilan = {"bilan_accompagnement": "Activité en deçà du prévu.", "accompagnement_clos": True}
    with pytest.raises(InvalidInput, match="trois rapports d'activité annuels sont requis"):
        service.complete(appel, people["anct"], closure["id"], {"rapports_recus": 2, **bilan})
    service.complete(appel, people["anct"], closure["id"], {"rapports_recus": 3, **bilan})
    dossier = details(appel, reference)
    assert (dossier.status, dossier.outcome) == ("terminee", "laureat")
    assert [kind for kind, _, _ in payments(appel, reference)] == ["avance", "tranche"]


# --- Concurrency (PostgreSQL) ------------------------------------------------------------


@pytest.fixture
def pg_appel(postgresql_database, clock):
    _truncate(postgresql_database)
    context = service.create_services(Settings(database_url=postgresql_database), clock=clock)
    service.deploy_path(context, PROCESSES / "fabriques_territoire")
    clock.set(DEPOT)
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


@pytest.mark.postgresql
@pytest.mark.parametrize(
    ("envelope", "max_laureates", "amounts", "winners"),
    [
        ("250000", 300, [100000] * 6, 2),
        ("300000", 300, [120000, 90000, 60000, 100000, 80000, 70000, 110000, 50000], None),
        ("45000000", 3, [50000] * 8, 3),
    ],
    ids=["enveloppe-pour-deux", "montants-varies", "trois-laureats-au-plus"],
)
def test_simultaneous_selections_never_pass_the_envelope(
    pg_appel, people, clock, envelope, max_laureates, amounts, winners
):
    services = pg_appel
    calls.create(
        services, code="fabriques-course", process_id=PROCESS, name="AMI en course",
        envelope=Decimal(envelope), max_laureates=max_laureates, **FENETRE,
    )  # fmt: skip
    references = [deposer(services, campagne="fabriques-course") for _ in amounts]
    jusqu_au_comite(services, people, clock, *references)
    tasks = [only_task(services, people["comite"], r, "selectionner") for r in references]

    results = race([
        (lambda t=t, m=m: service.complete(
            services, people["comite"], t["id"], {"decision_comite": "laureat", "montant_accorde": m}
        ))
        for t, m in zip(tasks, amounts, strict=True)
    ])  # fmt: skip

    won = [i for i, r in enumerate(results) if r == references[i]]
    lost = [i for i in range(len(results)) if i not in won]
    assert all(isinstance(results[i], InvalidInput) for i in lost), results
    assert all("Sélection refusée" in results[i].message for i in lost)
    if winners is not None:
        assert len(won) == winners, results
    granted, laureates = totals(services, "fabriques-course")
    assert granted == sum(Decimal(amounts[i]) for i in won) <= Decimal(envelope)
    assert laureates == len(won) <= max_laureates
    assert lost, "the envelope or the maximum must refuse someone"
    for i in lost:  # refusal here was right: even the smallest loser did not fit
        assert granted + amounts[i] > Decimal(envelope) or laureates == max_laureates
    for i, reference in enumerate(references):
        dossier = details(services, reference)
        if i in won:
            assert dossier.data["montant_accorde"] == amounts[i]
            assert [t["bpmn_id"] for t in dossier.tasks] == ["notifier_laureat"]
        else:
            assert "enveloppe" not in dossier.data
            assert [t["id"] for t in dossier.tasks] == [tasks[i]["id"]]
    reserved = sorted(details(services, references[i]).data["enveloppe"]["laureats"] for i in won)
    assert reserved == list(range(1, len(won) + 1)), "each reservation saw the others"

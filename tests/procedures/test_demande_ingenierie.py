"""Scenarios of the engineering request, Demande d'accompagnement en ingénierie sur mesure
(processes/demande_ingenierie), driven through the service layer with the injected clock.

The town of Guéret (Creuse) files on Monday 2 March 2026 at 9:00, Paris time (the clock
fixture's start). Unless a scenario says otherwise, the préfet qualifies on day 10, the national
team instructs on 2 April for the committee session of 16 April, the convention is prepared on
4 May and signed on 11 May: the mission then runs twelve months, with a progress report due every
three months (11 August, 11 November, 11 February…).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine import service
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.store.models import ProcessInstance
from tests.files import staged
from tests.procedures.conftest import ARDENNE_METROPOLE, GUERET, inbox, only_task, person

PROCESS = "demande_ingenierie"
MINUTE = timedelta(minutes=1)


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


DEPOT_AT = paris("2026-03-02T09:00:00+01:00")
QUALIFICATION_AT = "2026-03-12T10:00:00+01:00"
INSTRUCTION_AT = "2026-04-02T10:00:00+02:00"
COMITE_AT = "2026-04-16T14:00:00+02:00"
CONVENTION_AT = "2026-05-04T10:00:00+02:00"
SIGNATURE_AT = "2026-05-11T10:00:00+02:00"

DEPOT = {
    "intitule_projet": "Revitalisation commerciale du centre-ville de Guéret",
    "description_projet": (
        "Un commerce sur cinq de la Grande Rue est vacant. La commune veut reconquérir ces "
        "locaux, requalifier la place Bonnyaud et réorganiser le stationnement, mais ne dispose "
        "pas de l'ingénierie nécessaire pour le montage immobilier."
    ),
    "champs_intervention": ["revitalisation_commerciale", "habitat", "mobilite"],
    "type_accompagnement": "montage",
    "nature_demandeur": "commune",
    "nom_demandeur": "Commune de Guéret",
    "siren": "212309603",
    "commune": "23096",
    "epci": "200034825",
    "contact": {
        "nom": "Sophie Lemaire",
        "fonction": "Directrice générale des services",
        "courriel": "dgs@ville-gueret.fr",
        "telephone": "05 55 51 47 00",
    },
    "date_debut_souhaitee": "2026-09-01",
    "calendrier_souhaite": "Délibération du conseil municipal en juin ; travaux en 2027.",
}
DEPOT_ARDENNES = {
    **DEPOT,
    "intitule_projet": "Réhabilitation des friches industrielles de la vallée de la Meuse",
    "champs_intervention": ["developpement_economique", "transition_ecologique"],
    "type_accompagnement": "etudes",
    "nature_demandeur": "epci",
    "nom_demandeur": "CA Ardenne Métropole",
    "siren": "200041630",
    "commune": "08105",
    "epci": "200041630",
    "contact": {"nom": "Jean Moreau", "courriel": "j.moreau@ardenne-metropole.fr"},
}
TRANSMISSION = {
    "decision_prefet": "transmission",
    "besoin_qualifie": (
        "Montage d'une foncière de redynamisation commerciale : aucune offre locale (ni la DDT, "
        "ni l'agence technique départementale) ne couvre le portage immobilier."
    ),
}
INGENIERIE_LOCALE = {
    "decision_prefet": "ingenierie_locale",
    "structure_locale": {
        "type_structure": "caue",
        "nom": "CAUE de la Creuse",
        "courriel": "caue23@caue23.fr",
        "telephone": "05 55 52 96 21",
    },
}
NON_RECEVABLE = {
    "decision_prefet": "non_recevable",
    "motif_non_recevabilite": (
        "Le projet relève d'un financement de fonctionnement, hors de l'offre d'ingénierie."
    ),
}
COMPLEMENTS = {
    "decision_prefet": "complements",
    "complements_demandes": "Joignez l'étude de vacance commerciale de 2024 et le plan de financement.",
}
REPONSE = {
    "reponse_complements": "L'étude de vacance est jointe ; le plan de financement suit en juin.",
}
EXPERT = "expert.cerema"
BDT = {
    "organisme": "Banque des Territoires",
    "login": "bdt.nouvelle-aquitaine",
    "apport": "Cofinancement de l'étude de programmation.",
}
EPF = {"organisme": "EPF Nouvelle-Aquitaine", "login": "epf.nouvelle-aquitaine"}
PARTENAIRES = [BDT, EPF]
INSTRUCTION = {
    "analyse_besoin": (
        "Besoin de programmation commerciale et de montage d'une foncière ; l'expertise du "
        "Cerema en revitalisation des centres-villes est adaptée."
    ),
    "accompagnement_propose": "montage",
    "modalite_intervention": "operateur_partenaire",
    "expert_login": EXPERT,
    "expert": {
        "nom": "Luc Girard",
        "organisme": "Cerema Centre-Est",
        "courriel": "luc.girard@cerema.fr",
    },
    "partenaires": PARTENAIRES,
    "cout_estime": 45000,
    "date_comite": "2026-04-16",
}
ACCEPTE = {"decision_comite": "accepte"}
REFUSE = {
    "decision_comite": "refuse",
    "motif_comite": "Le projet est déjà accompagné au titre d'Action Cœur de Ville.",
}
RENVOI = {
    "decision_comite": "renvoi_instruction",
    "motif_comite": "Préciser le partage du portage immobilier avec l'EPF.",
}
CONVENTION = {
    "objet_convention": "Accompagnement au montage d'une foncière de redynamisation commerciale.",
    "engagements_collectivite": "Désigner un chef de projet et mettre à disposition les données.",
    "engagements_agence": "Mandater et financer l'expert du Cerema pendant douze mois.",
    "duree_mission_mois": 12,
}
RAPPORT = {
    "avancement": "Diagnostic commercial achevé ; scénarios de portage en cours.",
    "pourcentage_avancement": 30,
}
LIVRABLE = {
    "livrable_titre": "Stratégie de reconquête commerciale de la Grande Rue",
    "livrable_synthese": "Programme de 12 cellules, montage d'une foncière avec la Banque des Territoires.",
    "livrable_lien": "https://partage.anct.gouv.fr/ing-23/livrable-final.pdf",
    "indicateurs_resultat": [{"indicateur": "Cellules commerciales programmées", "valeur": "12"}],
}


def evaluation(key: str, execution: str = "satisfaisante") -> dict:
    return {
        key: {
            "execution": execution,
            "impact_territoire": "Une foncière créée, quatre cellules déjà recommercialisées.",
            "impact_habitants": "Retour d'une boulangerie et d'une épicerie en centre-ville.",
        }
    }


def signature(key: str, signataire: str, qualite: str) -> dict:
    return {key: {"signataire": signataire, "qualite": qualite, "convention_signee": True}}


SIGNATURE_COLLECTIVITE = signature("signature_collectivite", "Marie-Françoise Fournier", "maire")
SIGNATURE_ANCT = signature("signature_anct", "Yves Le Breton", "directeur général de l'ANCT")


def signature_partenaire(partenaire: dict) -> dict:
    return signature(
        "signature_partenaire", f"Directeur de {partenaire['organisme']}", "directeur régional"
    )


# --- Helpers --------------------------------------------------------------------------------


@pytest.fixture
def ingenierie(deploy):
    return deploy(PROCESS)


def details(services, reference):
    return service.get_instance(services, reference, service.Viewer.command_line())


def open_tasks(services, reference) -> list[str]:
    return sorted(t["bpmn_id"] for t in details(services, reference).tasks)


def timers(services, reference) -> dict[str, datetime]:
    return {t["bpmn_id"]: t["due_at"] for t in details(services, reference).timers}


def fired(services, reference, bpmn_id: str | None = None) -> list[str]:
    """The timers that fired, in order (only `bpmn_id`'s if given)."""
    history = details(services, reference).history
    found = [e["bpmn_id"] for e in history if e["kind"] == "minuterie"]
    return [b for b in found if bpmn_id is None or b == bpmn_id]


def at(services, clock, reference, moment: datetime | str) -> list[str]:
    """Move the clock, let the dossier see the time, return its open tasks."""
    clock.set(moment)
    service.advance(services, reference)
    return open_tasks(services, reference)


def count_instances(services) -> int:
    with services.db.connect() as connection:
        return connection.execute(select(func.count()).select_from(ProcessInstance)).scalar_one()


def partenaire(login: str) -> service.Viewer:
    return person(login, "expert")


def deposer(services, people, organisation=GUERET, data=DEPOT, **changes) -> str:
    viewer = people["mairie_gueret" if organisation is GUERET else "ardenne_metropole"]
    started = service.start(
        services, PROCESS, data={**data, **changes}, actor=viewer.login, **organisation
    )
    return started.reference


def terminer(services, viewer, reference, bpmn_id, data) -> None:
    task = only_task(services, viewer, reference, bpmn_id)
    service.complete(services, viewer, task["id"], data)


def qualifier(services, people, reference, decision, prefet="prefet_23") -> None:
    terminer(services, people[prefet], reference, "qualifier_besoin", decision)


def instruire(services, people, reference, **changes) -> None:
    terminer(services, people["anct"], reference, "instruire_demande", {**INSTRUCTION, **changes})


def decider(services, people, reference, decision) -> None:
    terminer(services, people["comite"], reference, "decider_accompagnement", decision)


def jusqu_a_la_convention(services, people, clock, partenaires=PARTENAIRES) -> str:
    reference = deposer(services, people)
    clock.set(QUALIFICATION_AT)
    qualifier(services, people, reference, TRANSMISSION)
    clock.set(INSTRUCTION_AT)
    instruire(services, people, reference, partenaires=partenaires)
    clock.set(COMITE_AT)
    decider(services, people, reference, ACCEPTE)
    clock.set(CONVENTION_AT)
    terminer(services, people["anct"], reference, "preparer_convention", CONVENTION)
    return reference


def signataires(people, partenaires=PARTENAIRES) -> dict[str, list[tuple]]:
    """(viewer, bpmn_id, data) of each party's signatures; the partners in reverse order."""
    return {
        "collectivite": [(people["mairie_gueret"], "signer_collectivite", SIGNATURE_COLLECTIVITE)],
        "anct": [(people["anct"], "signer_anct", SIGNATURE_ANCT)],
        "partenaires": [
            (partenaire(p["login"]), p["login"], signature_partenaire(p))
            for p in reversed(partenaires)
        ],
    }


def with_document(services, viewer, data: dict) -> dict:
    """A signature's data with the signed convention, uploaded by the signatory."""
    [(key, signature)] = data.items()
    if "document_signe" in signature:
        return data
    document = staged(services, viewer.login, "convention-signee.pdf")
    return {key: {**signature, "document_signe": document}}


def signer(services, reference, viewer, bpmn_id, data) -> None:
    data = with_document(services, viewer, data)
    if bpmn_id in ("signer_collectivite", "signer_anct"):
        terminer(services, viewer, reference, bpmn_id, data)
        return
    # A partner: the signature task assigned to this signatory.
    [task] = [
        t
        for t in inbox(services, viewer, reference)
        if t["bpmn_id"] == "signer_partenaires" and t["assignee"] == bpmn_id
    ]
    service.complete(services, viewer, task["id"], data)


def convention_signee(services, people, clock, partenaires=PARTENAIRES) -> str:
    reference = jusqu_a_la_convention(services, people, clock, partenaires)
    clock.set(SIGNATURE_AT)
    for steps in signataires(people, partenaires).values():
        for viewer, bpmn_id, data in steps:
            signer(services, reference, viewer, bpmn_id, data)
    return reference


# --- Dépôt -----------------------------------------------------------------------------------


def test_filing_routes_the_request_to_the_prefet_of_the_departement(ingenierie, people):
    reference = deposer(ingenierie, people)
    assert reference == "ING-23-2026-00001"
    task = only_task(ingenierie, people["prefet_23"], reference, "qualifier_besoin")
    assert (task["name"], task["role"], task["territory"], task["siren"], task["form"]) == (
        "Qualifier le besoin",
        "prefet",
        "23",
        "212309603",
        "demande_ingenierie/qualifier.json",
    )
    assert task["due_at"] == DEPOT_AT + timedelta(days=21)
    assert timers(ingenierie, reference) == {
        "rappel_prefet": DEPOT_AT + timedelta(days=14),
        "escalade_prefet": DEPOT_AT + timedelta(days=30),
    }
    # Nobody else has anything to do, and the Ardennes préfet does not even see the dossier.
    assert inbox(ingenierie, people["prefet_08"]) == []
    for other in ("mairie_gueret", "anct", "comite", "expert"):
        assert inbox(ingenierie, people[other], reference) == []
    with pytest.raises(NotFound):
        service.get_instance(ingenierie, reference, people["prefet_08"])
    with pytest.raises(NotFound):
        service.complete(ingenierie, people["prefet_08"], task["id"], TRANSMISSION)
    with pytest.raises(Forbidden):
        service.complete(ingenierie, people["mairie_gueret"], task["id"], TRANSMISSION)
    # The authority follows its own dossier; the data of the filing is carried.
    mine = service.get_instance(ingenierie, reference, people["mairie_gueret"])
    assert mine.process_name == "Demande d'accompagnement en ingénierie sur mesure"
    assert mine.data["champs_intervention"] == ["revitalisation_commerciale", "habitat", "mobilite"]
    assert mine.data["contact"]["courriel"] == "dgs@ville-gueret.fr"
    assert (mine.data["date_depot"], mine.data["territoire"], mine.data["siren"]) == (
        "2026-03-02",
        "23",
        "212309603",
    )
    assert mine.history[0]["kind"] == "dossier_cree" and mine.history[0]["actor"] == "mairie.gueret"


def test_an_ardennes_request_goes_to_the_ardennes_prefet_only(ingenierie, people):
    creuse = deposer(ingenierie, people)
    ardennes = deposer(ingenierie, people, ARDENNE_METROPOLE, DEPOT_ARDENNES)
    assert ardennes == "ING-08-2026-00001"
    assert [t["instance"] for t in inbox(ingenierie, people["prefet_08"])] == [ardennes]
    assert [t["instance"] for t in inbox(ingenierie, people["prefet_23"])] == [creuse]
    with pytest.raises(NotFound):
        service.get_instance(ingenierie, ardennes, people["mairie_gueret"])


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"siren": "212300017"}, "siren", "SIREN invalide"),
        ({"commune": "23999"}, "commune", "Code INSEE de commune inconnu"),
        ({"epci": "200034826"}, "epci", "SIREN d'EPCI inconnu"),
        ({"champs_intervention": []}, "champs_intervention", "au moins un champ"),
        (
            {"champs_intervention": ["agriculture"]},
            "champs_intervention.0",
            "champs d.intervention proposés",
        ),
        ({"type_accompagnement": "subvention"}, "type_accompagnement", "valeurs proposées"),
        (
            {"contact": {"nom": "Sophie Lemaire", "courriel": "dgs-ville-gueret.fr"}},
            "contact.courriel",
            "Adresse électronique invalide",
        ),
        ({"date_debut_souhaitee": "01/09/2026"}, "date_debut_souhaitee", "Date invalide"),
        ({"intitule_projet": ""}, "intitule_projet", "Donnez un intitulé"),
    ],
)
def test_an_invalid_filing_is_refused_field_by_field(ingenierie, people, changes, field, message):
    with pytest.raises(InvalidInput, match=message) as refused:
        deposer(ingenierie, people, **changes)
    assert field in refused.value.details["fields"]
    assert count_instances(ingenierie) == 0


def test_a_missing_required_field_is_named(ingenierie, people):
    data = {k: v for k, v in DEPOT.items() if k != "champs_intervention"}
    with pytest.raises(InvalidInput, match="Choisissez au moins un champ") as refused:
        deposer(ingenierie, people, data=data)
    assert "champs_intervention" in refused.value.details["fields"]


def test_a_project_outside_the_departement_is_refused(ingenierie, people):
    """Our check: the project's commune must be in the département whose préfet is seized."""
    with pytest.raises(InvalidInput, match="n'est pas dans le département du dossier"):
        deposer(ingenierie, people, commune="08105")
    assert count_instances(ingenierie) == 0


# --- Qualification du besoin ----------------------------------------------------------------


def test_local_engineering_ends_the_request_with_the_structure_to_contact(
    ingenierie, people, clock
):
    reference = deposer(ingenierie, people)
    clock.set(QUALIFICATION_AT)
    with pytest.raises(InvalidInput, match="structure que la collectivité doit contacter") as e:
        qualifier(ingenierie, people, reference, {"decision_prefet": "ingenierie_locale"})
    assert "structure_locale" in e.value.details["fields"]
    qualifier(ingenierie, people, reference, INGENIERIE_LOCALE)
    result = service.get_instance(ingenierie, reference, people["mairie_gueret"])
    assert (result.status, result.outcome, result.tasks, result.timers) == (
        "terminee",
        "orientee_localement",
        [],
        [],
    )
    assert result.data["structure_locale"]["nom"] == "CAUE de la Creuse"
    assert result.completed_at == paris(QUALIFICATION_AT)
    assert inbox(ingenierie, people["prefet_23"]) == []
    # The reminders of a decided qualification never fire.
    assert at(ingenierie, clock, reference, DEPOT_AT + timedelta(days=60)) == []
    assert fired(ingenierie, reference) == []


def test_an_inadmissible_request_ends_with_its_reason(ingenierie, people, clock):
    reference = deposer(ingenierie, people)
    with pytest.raises(InvalidInput, match="Motivez la non-recevabilité"):
        qualifier(ingenierie, people, reference, {"decision_prefet": "non_recevable"})
    assert open_tasks(ingenierie, reference) == ["qualifier_besoin"]
    qualifier(ingenierie, people, reference, NON_RECEVABLE)
    result = service.get_instance(ingenierie, reference, people["mairie_gueret"])
    assert (result.status, result.outcome) == ("terminee", "non_recevable")
    assert result.data["motif_non_recevabilite"].startswith("Le projet relève")


def test_transmission_sends_the_request_to_the_national_team(ingenierie, people, clock):
    reference = deposer(ingenierie, people)
    clock.set(QUALIFICATION_AT)
    with pytest.raises(InvalidInput, match="synthèse du besoin"):
        qualifier(ingenierie, people, reference, {"decision_prefet": "transmission"})
    qualifier(ingenierie, people, reference, TRANSMISSION)
    task = only_task(ingenierie, people["anct"], reference, "instruire_demande")
    assert (task["role"], task["form"]) == ("equipe_nationale", "demande_ingenierie/instruire.json")
    assert task["due_at"] == paris(QUALIFICATION_AT) + timedelta(days=30)
    assert inbox(ingenierie, people["prefet_23"]) == []
    assert timers(ingenierie, reference) == {}
    data = details(ingenierie, reference).data
    assert data["decision_prefet"] == "transmission"
    assert data["besoin_qualifie"].startswith("Montage d'une foncière")


def test_an_unknown_decision_is_refused(ingenierie, people):
    reference = deposer(ingenierie, people)
    with pytest.raises(InvalidInput, match="valeurs proposées"):
        qualifier(ingenierie, people, reference, {"decision_prefet": "ajournement"})
    assert open_tasks(ingenierie, reference) == ["qualifier_besoin"]


# --- Délais du préfet -------------------------------------------------------------------------


def test_the_prefet_is_reminded_at_14_days_and_not_before(ingenierie, people, clock):
    reference = deposer(ingenierie, people)
    task = only_task(ingenierie, people["prefet_23"], reference, "qualifier_besoin")
    rappel = DEPOT_AT + timedelta(days=14)

    assert at(ingenierie, clock, reference, rappel - MINUTE) == ["qualifier_besoin"]
    assert fired(ingenierie, reference) == []
    assert "rappel_prefet" not in details(ingenierie, reference).data

    assert at(ingenierie, clock, reference, rappel + MINUTE) == ["qualifier_besoin"]
    assert fired(ingenierie, reference) == ["rappel_prefet"]
    result = details(ingenierie, reference)
    assert result.data["rappel_prefet"] == "2026-03-16"
    assert "alerte_equipe_nationale" not in result.data
    # The same task stays with the préfet, with the same deadline; the escalation still waits.
    assert only_task(ingenierie, people["prefet_23"], reference, "qualifier_besoin") == task
    assert timers(ingenierie, reference) == {"escalade_prefet": DEPOT_AT + timedelta(days=30)}


def test_past_30_days_the_national_team_is_alerted_and_the_task_stays_with_the_prefet(
    ingenierie, people, clock
):
    reference = deposer(ingenierie, people)
    task = only_task(ingenierie, people["prefet_23"], reference, "qualifier_besoin")
    at(ingenierie, clock, reference, DEPOT_AT + timedelta(days=15))
    escalade = DEPOT_AT + timedelta(days=30)

    at(ingenierie, clock, reference, escalade - MINUTE)
    assert fired(ingenierie, reference) == ["rappel_prefet"]
    assert "alerte_equipe_nationale" not in details(ingenierie, reference).data

    at(ingenierie, clock, reference, escalade + MINUTE)
    assert fired(ingenierie, reference) == ["rappel_prefet", "escalade_prefet"]
    result = details(ingenierie, reference)
    assert result.data["alerte_equipe_nationale"] is True
    assert result.data["date_alerte_equipe_nationale"] == "2026-04-01"
    scripts = [e["bpmn_id"] for e in result.history if e["kind"] == "script"]
    assert "alerter_equipe_nationale" in scripts
    assert result.timers == []
    # Escalation, not reassignment: the préfet keeps the (overdue) task, nobody else gets one.
    still = only_task(ingenierie, people["prefet_23"], reference, "qualifier_besoin")
    assert {**still, "overdue": False} == {**task, "overdue": False}
    assert still["overdue"] and not task["overdue"] and still["due_at"] < clock.now()
    assert inbox(ingenierie, people["anct"], reference) == []
    # The préfet may still decide.
    qualifier(ingenierie, people, reference, TRANSMISSION)
    assert open_tasks(ingenierie, reference) == ["instruire_demande"]


def test_reminder_and_escalation_both_fire_when_the_scheduler_was_late(ingenierie, people, clock):
    reference = deposer(ingenierie, people)
    assert at(ingenierie, clock, reference, DEPOT_AT + timedelta(days=45)) == ["qualifier_besoin"]
    assert sorted(fired(ingenierie, reference)) == ["escalade_prefet", "rappel_prefet"]
    assert details(ingenierie, reference).status == "en_cours"


# --- Demande de compléments ---------------------------------------------------------------------


def test_more_information_goes_to_the_authority_and_back_to_the_prefet(ingenierie, people, clock):
    reference = deposer(ingenierie, people)
    clock.set(QUALIFICATION_AT)
    with pytest.raises(InvalidInput, match="Précisez les compléments"):
        qualifier(ingenierie, people, reference, {"decision_prefet": "complements"})
    qualifier(ingenierie, people, reference, COMPLEMENTS)
    demande = paris(QUALIFICATION_AT)
    task = only_task(ingenierie, people["mairie_gueret"], reference, "completer_demande")
    assert (task["role"], task["siren"], task["form"]) == (
        "collectivite",
        "212309603",
        "demande_ingenierie/completer.json",
    )
    assert task["due_at"] == demande + timedelta(days=30)
    assert inbox(ingenierie, people["prefet_23"]) == []
    assert inbox(ingenierie, people["ardenne_metropole"]) == []
    # The préfet's reminders are gone; the authority's are set.
    assert timers(ingenierie, reference) == {
        "relance_complements": demande + timedelta(days=15),
        "delai_complements": demande + timedelta(days=30),
    }

    clock.set("2026-03-20T16:30:00+01:00")
    terminer(ingenierie, people["mairie_gueret"], reference, "completer_demande", REPONSE)
    # Back to the préfet: the 21 days run again from the answer.
    retour = only_task(ingenierie, people["prefet_23"], reference, "qualifier_besoin")
    recu = paris("2026-03-20T16:30:00+01:00")
    assert retour["id"] != task["id"] and retour["due_at"] == recu + timedelta(days=21)
    assert timers(ingenierie, reference) == {
        "rappel_prefet": recu + timedelta(days=14),
        "escalade_prefet": recu + timedelta(days=30),
    }
    data = details(ingenierie, reference).data
    assert data["complements_demandes"].startswith("Joignez l'étude")
    assert data["reponse_complements"].startswith("L'étude de vacance est jointe")
    qualifier(ingenierie, people, reference, TRANSMISSION)
    assert open_tasks(ingenierie, reference) == ["instruire_demande"]
    assert at(ingenierie, clock, reference, recu + timedelta(days=90)) == ["instruire_demande"]
    assert fired(ingenierie, reference) == []


def test_the_authority_is_reminded_at_15_days_and_closed_without_answer_at_30(
    ingenierie, people, clock
):
    reference = deposer(ingenierie, people)
    clock.set(QUALIFICATION_AT)
    qualifier(ingenierie, people, reference, COMPLEMENTS)
    demande = paris(QUALIFICATION_AT)
    task = only_task(ingenierie, people["mairie_gueret"], reference, "completer_demande")

    assert at(ingenierie, clock, reference, demande + timedelta(days=15) - MINUTE) == [
        "completer_demande"
    ]
    assert fired(ingenierie, reference) == []
    assert at(ingenierie, clock, reference, demande + timedelta(days=15) + MINUTE) == [
        "completer_demande"
    ]
    assert fired(ingenierie, reference) == ["relance_complements"]
    assert details(ingenierie, reference).data["relance_complements"] == "2026-03-27"
    assert only_task(ingenierie, people["mairie_gueret"], reference, "completer_demande") == task

    assert at(ingenierie, clock, reference, demande + timedelta(days=30) - MINUTE) == [
        "completer_demande"
    ]
    assert details(ingenierie, reference).status == "en_cours"
    assert at(ingenierie, clock, reference, demande + timedelta(days=30) + MINUTE) == []
    result = service.get_instance(ingenierie, reference, people["mairie_gueret"])
    assert (result.status, result.outcome, result.tasks, result.timers) == (
        "terminee",
        "sans_suite",
        [],
        [],
    )
    assert fired(ingenierie, reference) == ["relance_complements", "delai_complements"]
    with pytest.raises(Conflict):
        service.complete(ingenierie, people["mairie_gueret"], task["id"], REPONSE)


def test_closure_without_answer_when_the_scheduler_was_late(ingenierie, people, clock):
    """Reminder and closure fall due in the same step: the closure is the dossier's outcome."""
    reference = deposer(ingenierie, people)
    clock.set(QUALIFICATION_AT)
    qualifier(ingenierie, people, reference, COMPLEMENTS)
    assert at(ingenierie, clock, reference, paris(QUALIFICATION_AT) + timedelta(days=40)) == []
    result = details(ingenierie, reference)
    assert (result.status, result.outcome) == ("terminee", "sans_suite")


def test_an_answer_after_the_reminder_keeps_the_request_alive(ingenierie, people, clock):
    reference = deposer(ingenierie, people)
    clock.set(QUALIFICATION_AT)
    qualifier(ingenierie, people, reference, COMPLEMENTS)
    at(ingenierie, clock, reference, paris(QUALIFICATION_AT) + timedelta(days=20))
    assert fired(ingenierie, reference) == ["relance_complements"]
    terminer(ingenierie, people["mairie_gueret"], reference, "completer_demande", REPONSE)
    assert at(ingenierie, clock, reference, paris(QUALIFICATION_AT) + timedelta(days=31)) == [
        "qualifier_besoin"
    ]
    result = details(ingenierie, reference)
    assert (result.status, result.outcome) == ("en_cours", None)
    # Asked twice: the authority answers twice.
    qualifier(ingenierie, people, reference, COMPLEMENTS)
    terminer(ingenierie, people["mairie_gueret"], reference, "completer_demande", REPONSE)
    qualifier(ingenierie, people, reference, INGENIERIE_LOCALE)
    assert details(ingenierie, reference).outcome == "orientee_localement"


# --- Instruction nationale et comité --------------------------------------------------------------


def test_instruction_is_checked_and_the_committee_decides_at_its_session(ingenierie, people, clock):
    reference = deposer(ingenierie, people)
    clock.set(QUALIFICATION_AT)
    qualifier(ingenierie, people, reference, TRANSMISSION)
    clock.set(INSTRUCTION_AT)
    task = only_task(ingenierie, people["anct"], reference, "instruire_demande")
    with pytest.raises(InvalidInput, match="doit être postérieure") as e:
        instruire(ingenierie, people, reference, date_comite="2026-03-26")
    with pytest.raises(InvalidInput, match="figure deux fois"):
        instruire(ingenierie, people, reference, partenaires=[BDT, {**EPF, "login": BDT["login"]}])
    with pytest.raises(InvalidInput, match="Désignez l'expert") as e:
        instruire(ingenierie, people, reference, expert_login="")
    assert "expert_login" in e.value.details["fields"]
    data = {k: v for k, v in INSTRUCTION.items() if k != "partenaires"}
    with pytest.raises(InvalidInput, match="liste vide si aucun"):
        service.complete(ingenierie, people["anct"], task["id"], data)
    assert only_task(ingenierie, people["anct"], reference, "instruire_demande") == task

    instruire(ingenierie, people, reference)
    decision = only_task(ingenierie, people["comite"], reference, "decider_accompagnement")
    assert (decision["role"], decision["form"]) == ("comite", "demande_ingenierie/decider.json")
    # Due at the committee's session (midnight, Paris time).
    assert decision["due_at"] == paris("2026-04-16T00:00:00+02:00")
    assert inbox(ingenierie, people["anct"], reference) == []
    assert inbox(ingenierie, people["prefet_23"], reference) == []
    result = details(ingenierie, reference).data
    assert (result["expert_login"], result["accompagnement_propose"]) == (EXPERT, "montage")
    assert [p["organisme"] for p in result["partenaires"]] == [
        "Banque des Territoires",
        "EPF Nouvelle-Aquitaine",
    ]


def test_the_committee_refuses_with_a_reason(ingenierie, people, clock):
    reference = deposer(ingenierie, people)
    qualifier(ingenierie, people, reference, TRANSMISSION)
    clock.set(INSTRUCTION_AT)
    instruire(ingenierie, people, reference)
    clock.set(COMITE_AT)
    with pytest.raises(InvalidInput, match="Motivez la décision du comité"):
        decider(ingenierie, people, reference, {"decision_comite": "refuse"})
    decider(ingenierie, people, reference, REFUSE)
    result = service.get_instance(ingenierie, reference, people["mairie_gueret"])
    assert (result.status, result.outcome, result.tasks) == ("terminee", "refusee", [])
    assert result.data["motif_comite"].endswith("Action Cœur de Ville.")


def test_the_committee_sends_the_request_back_to_instruction(ingenierie, people, clock):
    reference = deposer(ingenierie, people)
    qualifier(ingenierie, people, reference, TRANSMISSION)
    clock.set(INSTRUCTION_AT)
    instruire(ingenierie, people, reference)
    first = only_task(ingenierie, people["comite"], reference, "decider_accompagnement")
    clock.set(COMITE_AT)
    decider(ingenierie, people, reference, RENVOI)
    again = only_task(ingenierie, people["anct"], reference, "instruire_demande")
    assert again["due_at"] == paris(COMITE_AT) + timedelta(days=30)
    assert details(ingenierie, reference).data["motif_comite"].startswith("Préciser le partage")
    # Instructed again for the next session (21 May), then accepted.
    instruire(ingenierie, people, reference, date_comite="2026-05-21", partenaires=[EPF])
    second = only_task(ingenierie, people["comite"], reference, "decider_accompagnement")
    assert second["id"] != first["id"]
    assert second["due_at"] == paris("2026-05-21T00:00:00+02:00")
    clock.set("2026-05-21T15:00:00+02:00")
    decider(ingenierie, people, reference, ACCEPTE)
    task = only_task(ingenierie, people["anct"], reference, "preparer_convention")
    assert task["form"] == "demande_ingenierie/preparer_convention.json"
    data = details(ingenierie, reference).data
    assert (data["decision_comite"], data["date_comite"], data["partenaires"]) == (
        "accepte",
        "2026-05-21",
        [EPF],
    )
    finished = [
        e["bpmn_id"]
        for e in details(ingenierie, reference).history
        if e["kind"] == "tache_terminee"
    ]
    assert finished == [
        "qualifier_besoin", "instruire_demande", "decider_accompagnement",
        "instruire_demande", "decider_accompagnement",
    ]  # fmt: skip


# --- Convention et signatures ---------------------------------------------------------------------


def test_each_party_sees_its_own_signature_task(ingenierie, people, clock):
    reference = jusqu_a_la_convention(ingenierie, people, clock)
    assert open_tasks(ingenierie, reference) == [
        "signer_anct", "signer_collectivite", "signer_partenaires", "signer_partenaires",
    ]  # fmt: skip
    [mairie] = inbox(ingenierie, people["mairie_gueret"])
    assert (mairie["bpmn_id"], mairie["form"]) == (
        "signer_collectivite",
        "demande_ingenierie/signer_collectivite.json",
    )
    assert mairie["due_at"] == paris(CONVENTION_AT) + timedelta(days=30)
    assert [t["bpmn_id"] for t in inbox(ingenierie, people["anct"], reference)] == ["signer_anct"]
    assert inbox(ingenierie, people["ardenne_metropole"]) == []
    assert inbox(ingenierie, people["prefet_23"], reference) == []
    # One partner task per partner, assigned to its signatory, seen by that signatory only.
    bdt, epf = partenaire(BDT["login"]), partenaire(EPF["login"])
    [own] = inbox(ingenierie, bdt, reference)
    [other] = inbox(ingenierie, epf, reference)
    assert (own["assignee"], other["assignee"]) == (BDT["login"], EPF["login"])
    assert {own["role"], other["role"]} == {"expert"}
    with pytest.raises(NotFound):
        service.complete(ingenierie, bdt, other["id"], signature_partenaire(BDT))
    with pytest.raises(InvalidInput, match="Cochez la case"):
        signer(ingenierie, reference, people["mairie_gueret"], "signer_collectivite",
               {"signature_collectivite": {"signataire": "Marie-Françoise Fournier",
                                           "qualite": "maire", "convention_signee": False}})  # fmt: skip
    assert timers(ingenierie, reference) == {
        "relance_signature_collectivite": paris(CONVENTION_AT) + timedelta(days=10),
        "relance_signature_anct": paris(CONVENTION_AT) + timedelta(days=10),
        "relance_signature_partenaires": paris(CONVENTION_AT) + timedelta(days=10),
    }


ORDRES = [list(o) for o in itertools.permutations(["collectivite", "anct", "partenaires"])]


@pytest.mark.parametrize(
    ("ordre", "partenaires"),
    [(o, PARTENAIRES) for o in ORDRES]
    + [(o, []) for o in itertools.permutations(["collectivite", "anct"])],
    ids=[f"{'-'.join(o)}" for o in ORDRES]
    + [f"{'-'.join(o)}-sans-partenaire" for o in itertools.permutations(["collectivite", "anct"])],
)
def test_the_mission_starts_at_the_last_signature_in_any_order(
    ingenierie, people, clock, ordre, partenaires
):
    reference = jusqu_a_la_convention(ingenierie, people, clock, partenaires)
    parties = signataires(people, partenaires)
    sequence = [step for party in ordre for step in parties[party]]
    expected = 2 + len(partenaires)
    assert len(open_tasks(ingenierie, reference)) == expected == len(sequence)
    clock.set("2026-05-06T09:00:00+02:00")
    for step in sequence[:-1]:
        signer(ingenierie, reference, *step)
        clock.advance(hours=5)
        expected -= 1
        current = details(ingenierie, reference)
        assert len(current.tasks) == expected
        assert "conduire_mission" not in open_tasks(ingenierie, reference)
        assert "date_signature_convention" not in current.data
    clock.set(SIGNATURE_AT)
    signer(ingenierie, reference, *sequence[-1])

    assert inbox(ingenierie, people["mairie_gueret"]) == []
    [mission] = inbox(ingenierie, people["expert"], reference)
    assert (mission["bpmn_id"], mission["assignee"], mission["form"]) == (
        "conduire_mission",
        EXPERT,
        "demande_ingenierie/conduire_mission.json",
    )
    assert mission["due_at"] == paris("2027-05-11T00:00:00+02:00")
    data = details(ingenierie, reference).data
    assert (data["date_signature_convention"], data["date_fin_mission_prevue"]) == (
        "2026-05-11",
        "2027-05-11",
    )
    assert data["signature_collectivite"]["signataire"] == "Marie-Françoise Fournier"
    assert data["signature_anct"]["qualite"] == "directeur général de l'ANCT"
    # The partners' signatures by signatory, whatever the order they signed in.
    assert {login: s["signataire"] for login, s in data["signatures_partenaires"].items()} == {
        p["login"]: f"Directeur de {p['organisme']}" for p in partenaires
    }
    assert timers(ingenierie, reference) == {
        "echeance_rapport_etape": paris("2026-08-11T10:00:00+02:00")
    }


def test_each_signatory_still_missing_after_10_days_is_reminded(ingenierie, people, clock):
    reference = jusqu_a_la_convention(ingenierie, people, clock)
    dix_jours = paris(CONVENTION_AT) + timedelta(days=10)
    clock.set("2026-05-07T11:00:00+02:00")
    signer(ingenierie, reference, *signataires(people)["collectivite"][0])

    at(ingenierie, clock, reference, dix_jours - MINUTE)
    assert fired(ingenierie, reference) == []
    at(ingenierie, clock, reference, dix_jours + MINUTE)
    # The authority had signed: only the agency and the partners are reminded.
    assert sorted(fired(ingenierie, reference)) == [
        "relance_signature_anct",
        "relance_signature_partenaires",
    ]
    assert open_tasks(ingenierie, reference) == [
        "signer_anct", "signer_partenaires", "signer_partenaires",
    ]  # fmt: skip
    assert timers(ingenierie, reference) == {}
    # Reminded, the signatories still sign and the mission starts.
    clock.set("2026-05-20T10:00:00+02:00")
    for party in ("partenaires", "anct"):
        for step in signataires(people)[party]:
            signer(ingenierie, reference, *step)
    assert open_tasks(ingenierie, reference) == ["conduire_mission"]
    assert details(ingenierie, reference).data["date_signature_convention"] == "2026-05-20"


def test_without_partners_there_is_no_partner_task_nor_reminder(ingenierie, people, clock):
    reference = jusqu_a_la_convention(ingenierie, people, clock, partenaires=[])
    assert open_tasks(ingenierie, reference) == ["signer_anct", "signer_collectivite"]
    assert sorted(timers(ingenierie, reference)) == [
        "relance_signature_anct",
        "relance_signature_collectivite",
    ]
    at(ingenierie, clock, reference, paris(CONVENTION_AT) + timedelta(days=10, minutes=1))
    assert sorted(fired(ingenierie, reference)) == [
        "relance_signature_anct",
        "relance_signature_collectivite",
    ]
    data = details(ingenierie, reference).data
    assert data["partenaires"] == []


# --- Mission -----------------------------------------------------------------------------------


def test_a_progress_report_is_asked_every_three_months(ingenierie, people, clock):
    reference = convention_signee(ingenierie, people, clock)
    expert = people["expert"]
    debut = paris(SIGNATURE_AT)
    premier = paris("2026-08-11T10:00:00+02:00")
    assert timers(ingenierie, reference)["echeance_rapport_etape"] == premier

    assert at(ingenierie, clock, reference, premier - MINUTE) == ["conduire_mission"]
    assert at(ingenierie, clock, reference, premier + MINUTE) == [
        "conduire_mission",
        "remettre_rapport_etape",
    ]
    rapport = only_task(ingenierie, expert, reference, "remettre_rapport_etape")
    assert (rapport["assignee"], rapport["form"]) == (
        EXPERT,
        "demande_ingenierie/rapport_etape.json",
    )
    assert rapport["due_at"] == premier + MINUTE + timedelta(days=15)
    assert details(ingenierie, reference).data["numero_rapport_etape"] == 1
    with pytest.raises(NotFound):  # another expert does not even see it
        service.complete(ingenierie, person("expert.autre", "expert"), rapport["id"], RAPPORT)
    with pytest.raises(InvalidInput, match="Entre 0 et 100"):
        service.complete(
            ingenierie, expert, rapport["id"], {**RAPPORT, "pourcentage_avancement": 130}
        )
    service.complete(ingenierie, expert, rapport["id"], RAPPORT)
    assert open_tasks(ingenierie, reference) == ["conduire_mission"]

    # Seven months after the signature, month by month: two reports were asked, no more.
    for mois in range(4, 8):
        clock.set(debut.replace(month=5 + mois))
        service.advance(ingenierie, reference)
        if mois == 6:
            assert details(ingenierie, reference).data["numero_rapport_etape"] == 2
    assert clock.now() == paris("2026-12-11T09:00:00+01:00")
    assert fired(ingenierie, reference, "echeance_rapport_etape") == ["echeance_rapport_etape"] * 2
    assert open_tasks(ingenierie, reference) == ["conduire_mission", "remettre_rapport_etape"]
    assert timers(ingenierie, reference)["echeance_rapport_etape"] > clock.now()
    assert inbox(ingenierie, people["prefet_23"], reference) == []


def test_the_final_deliverable_ends_the_reports_and_opens_the_evaluations(
    ingenierie, people, clock
):
    reference = convention_signee(ingenierie, people, clock)
    expert = people["expert"]
    at(ingenierie, clock, reference, "2026-08-11T12:00:00+02:00")
    assert open_tasks(ingenierie, reference) == ["conduire_mission", "remettre_rapport_etape"]
    mission = only_task(ingenierie, expert, reference, "conduire_mission")
    with pytest.raises(NotFound):  # another expert does not even see it
        service.complete(ingenierie, person("expert.autre", "expert"), mission["id"], LIVRABLE)
    with pytest.raises(InvalidInput, match="Donnez le titre du livrable"):
        service.complete(ingenierie, expert, mission["id"], {"livrable_synthese": "x" * 30})

    clock.set("2026-08-25T10:00:00+02:00")
    service.complete(ingenierie, expert, mission["id"], LIVRABLE)
    # The report still expected is dropped with the mission; the evaluations are open.
    assert open_tasks(ingenierie, reference) == ["evaluer_collectivite", "evaluer_prefet"]
    assert timers(ingenierie, reference) == {}
    assert inbox(ingenierie, expert, reference) == []
    [mairie] = inbox(ingenierie, people["mairie_gueret"])
    [prefet] = inbox(ingenierie, people["prefet_23"])
    assert (mairie["bpmn_id"], prefet["bpmn_id"]) == ("evaluer_collectivite", "evaluer_prefet")
    assert (
        mairie["due_at"]
        == prefet["due_at"]
        == paris("2026-08-25T10:00:00+02:00") + timedelta(days=30)
    )
    assert inbox(ingenierie, people["prefet_08"]) == []
    assert at(ingenierie, clock, reference, "2027-03-01T10:00:00+01:00") == [
        "evaluer_collectivite",
        "evaluer_prefet",
    ]
    assert fired(ingenierie, reference, "echeance_rapport_etape") == ["echeance_rapport_etape"]


@pytest.mark.parametrize("premier", ["collectivite", "prefet"])
def test_the_whole_accompaniment_to_its_end(ingenierie, people, clock, premier):
    expert = people["expert"]
    reference = deposer(ingenierie, people)
    clock.set(QUALIFICATION_AT)
    qualifier(ingenierie, people, reference, COMPLEMENTS)
    clock.set("2026-03-18T11:00:00+01:00")
    terminer(ingenierie, people["mairie_gueret"], reference, "completer_demande", REPONSE)
    clock.set("2026-03-25T11:00:00+01:00")
    qualifier(ingenierie, people, reference, TRANSMISSION)
    clock.set(INSTRUCTION_AT)
    instruire(ingenierie, people, reference, partenaires=[BDT])
    clock.set(COMITE_AT)
    decider(ingenierie, people, reference, ACCEPTE)
    clock.set(CONVENTION_AT)
    terminer(ingenierie, people["anct"], reference, "preparer_convention", CONVENTION)
    clock.set(SIGNATURE_AT)
    for steps in signataires(people, [BDT]).values():
        for step in steps:
            signer(ingenierie, reference, *step)

    # A report every quarter until the final deliverable (11 August, November, February).
    months = [(2026, m) for m in range(6, 13)] + [(2027, m) for m in range(1, 5)]
    for year, month in months:
        clock.set(datetime(year, month, 11, 10, 0, tzinfo=UTC))
        service.advance(ingenierie, reference)
        for task in inbox(ingenierie, expert, reference):
            if task["bpmn_id"] == "remettre_rapport_etape":
                service.complete(ingenierie, expert, task["id"], RAPPORT)
    assert fired(ingenierie, reference, "echeance_rapport_etape") == ["echeance_rapport_etape"] * 3
    clock.set("2027-05-03T10:00:00+02:00")
    terminer(ingenierie, expert, reference, "conduire_mission", LIVRABLE)

    evaluations = {
        "collectivite": (people["mairie_gueret"], "evaluer_collectivite",
                         evaluation("evaluation_collectivite", "tres_satisfaisante")),
        "prefet": (people["prefet_23"], "evaluer_prefet", evaluation("evaluation_prefet")),
    }  # fmt: skip
    second = "prefet" if premier == "collectivite" else "collectivite"
    clock.set("2027-05-20T10:00:00+02:00")
    viewer, bpmn_id, data = evaluations[premier]
    terminer(ingenierie, viewer, reference, bpmn_id, data)
    assert details(ingenierie, reference).status == "en_cours"
    viewer, bpmn_id, data = evaluations[second]
    terminer(ingenierie, viewer, reference, bpmn_id, data)

    result = service.get_instance(ingenierie, reference, people["mairie_gueret"])
    assert (result.status, result.outcome, result.tasks, result.timers) == (
        "terminee",
        "accompagnement_termine",
        [],
        [],
    )
    assert result.completed_at == paris("2027-05-20T10:00:00+02:00")
    data = result.data
    assert data["evaluation_collectivite"]["execution"] == "tres_satisfaisante"
    # The préfet's evaluation is internal (x-interne): the authority does not read it.
    assert "evaluation_prefet" not in data
    staff_view = details(ingenierie, reference).data
    assert staff_view["evaluation_prefet"]["execution"] == "satisfaisante"
    assert data["livrable_titre"] == LIVRABLE["livrable_titre"]
    assert data["reponse_complements"] == REPONSE["reponse_complements"]
    signed = data["signatures_partenaires"][BDT["login"]]
    assert signed["document_signe"]["nom"] == "convention-signee.pdf"
    assert data["signatures_partenaires"] == {
        BDT["login"]: {
            **signature_partenaire(BDT)["signature_partenaire"],
            "document_signe": signed["document_signe"],
        }
    }
    assert (data["expert_login"], data["decision_comite"], data["intitule_projet"]) == (
        EXPERT,
        "accepte",
        DEPOT["intitule_projet"],
    )
    finished = [(e["bpmn_id"], e["actor"]) for e in result.history if e["kind"] == "tache_terminee"]
    assert finished[:5] == [
        ("qualifier_besoin", "prefet.creuse"),
        ("completer_demande", "mairie.gueret"),
        ("qualifier_besoin", "prefet.creuse"),
        ("instruire_demande", "anct.national"),
        ("decider_accompagnement", "comite.membre"),
    ]
    assert [b for b, _ in finished].count("remettre_rapport_etape") == 3
    assert result.history[-1]["kind"] == "dossier_termine"
    assert result.history[-1]["label"] == "accompagnement_termine"

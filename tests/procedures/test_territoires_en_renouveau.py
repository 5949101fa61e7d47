"""Scenarios of the cohesion contract, Territoires en renouveau (processes/territoires_en_renouveau).

Service layer, injected clock. The national team opens the procedure on 2 March 2026 (the
fixture's start); the last signature is given on 15 June 2026 at 10:00, Paris time, so a
three-year contract runs to 15 June 2029, its mid-term review falls on 15 December 2027 and its
yearly steering committees on the first and second anniversaries (the third anniversary is the
end date: the impact evaluation takes the place of a last committee).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine import service
from engine.errors import InvalidInput, NotFound
from engine.store.models import ProcessInstance
from tests.files import staged
from tests.procedures.conftest import ARDENNE_METROPOLE, GUERET, inbox, only_task, person

PROCESS = "territoires_en_renouveau"
SIGNATURE = "2026-06-15T10:00:00+02:00"  # last signature: the contract takes effect

# Creuse: the département, the agglomeration of Guéret and the town of Guéret (chef de file).
DEPARTEMENT_CREUSE = {
    "siren": "222300014",
    "nom": "Département de la Creuse",
    "nature": "departement",
}
GRAND_GUERET = {"siren": "200034825", "nom": "CA du Grand Guéret", "nature": "epci"}
COMMUNE_GUERET = {"siren": "212309603", "nom": "Commune de Guéret", "nature": "commune"}
CREUSE = [DEPARTEMENT_CREUSE, GRAND_GUERET, COMMUNE_GUERET]
# Ardennes: CA Ardenne Métropole alone.
ARDENNE = {"siren": "200041630", "nom": "CA Ardenne Métropole", "nature": "epci"}

IDENTIFICATION = {
    "situation_contrat": "a_engager",
    "nom_territoire": "Creuse",
    "departements": ["23"],
    "difficultes": ["declin_demographique", "vieillissement", "acces_aux_soins", "enclavement"],
    "justification": (
        "Département le moins peuplé de Nouvelle-Aquitaine, dont la population baisse depuis "
        "un siècle ; un habitant sur trois a plus de 65 ans."
    ),
    "collectivites": CREUSE,
    "chef_de_projet": {
        "nom": "Claire Martin",
        "fonction": "Cheffe de projet Territoires en renouveau",
        "courriel": "claire.martin@anct.gouv.fr",
    },
}
DIAGNOSTIC = {
    "constats": "Perte de population, vieillissement, désertification médicale, faible débit.",
    "atouts": "Cadre de vie, foncier disponible, filière bois.",
    "enjeux": ["sante", "numerique", "developpement_economique"],
    "partenaires_associes": "Banque des Territoires, ARS Nouvelle-Aquitaine, Cerema",
    "conclusion_diagnostic": "contrat_adapte",
}
PLAN = {
    "duree_contrat_annees": 3,
    "actions": [
        {
            "intitule": "Maison de santé pluriprofessionnelle de Guéret",
            "enjeu": "sante",
            "pilote": "CA du Grand Guéret",
            "siren_pilote": "200034825",
            "partenaires": ["ARS Nouvelle-Aquitaine", "Banque des Territoires"],
            "engagement_etat": "DETR et appui de l'ARS au recrutement de médecins",
            "montant_etat": 800000,
            "debut": "2026-09-01",
            "fin": "2028-06-30",
        },
        {
            "intitule": "Très haut débit pour les bourgs-centres",
            "enjeu": "numerique",
            "pilote": "Département de la Creuse",
            "siren_pilote": "222300014",
            "partenaires": ["Région Nouvelle-Aquitaine"],
            "engagement_etat": "Crédits du plan France Très Haut Débit",
            "montant_etat": 1500000,
            "debut": "2026-07-01",
            "fin": "2029-03-31",
        },
    ],
    "gouvernance": "Comité de pilotage présidé par la préfète, avec les trois signataires.",
}
COMITE = {
    "date_comite": "2027-06-20",
    "etat_actions": [
        {"action": "Maison de santé pluriprofessionnelle de Guéret", "etat": "en_cours"},
        {
            "action": "Très haut débit pour les bourgs-centres",
            "etat": "en_retard",
            "commentaire": "Appel d'offres relancé.",
        },
    ],
    "decisions_comite": "Relancer l'appel d'offres du très haut débit avant l'automne.",
}
REVUE = {
    "bilan_mi_parcours": "La maison de santé ouvre à l'été ; le très haut débit prend du retard.",
    "orientation_mi_parcours": "poursuivre",
}
EVALUATION = {
    "appreciation_globale": "objectifs_partiellement_atteints",
    "bilan_impact": "Six médecins installés ; 80 % des bourgs-centres raccordés.",
    "indicateurs": [
        {"indicateur": "Médecins généralistes installés", "valeur_initiale": 0, "valeur_finale": 6}
    ],
    "suites": "droit_commun",
}
SIGNATAIRES = {
    "signer_prefet": ("signature_prefet", "Virginie Darpheuille", "préfète de la Creuse"),
    "signer_anct": ("signature_anct", "Yves Le Breton", "directeur général de l'ANCT"),
    "signer_collectivite": ("signature_collectivite", "Marie-Françoise Fournier", "maire"),
}


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def collectivite(siren: str) -> service.Viewer:
    return person(f"elu.{siren}", "collectivite", siren)


@pytest.fixture
def contrat(deploy):
    return deploy(PROCESS)


def details(services, reference):
    return service.get_instance(services, reference, service.Viewer.command_line())


def count_instances(services) -> int:
    with services.db.connect() as connection:
        return connection.execute(select(func.count()).select_from(ProcessInstance)).scalar_one()


def ouvrir(services, people, organisation=GUERET, **changes) -> str:
    started = service.start(
        services, PROCESS, data={**IDENTIFICATION, **changes}, actor=people["anct"].login,
        **organisation,
    )  # fmt: skip
    return started.reference


def diagnostiquer(services, people, reference, prefet="prefet_23", **changes):
    task = only_task(services, people[prefet], reference, "conduire_diagnostic")
    service.complete(services, people[prefet], task["id"], {**DIAGNOSTIC, **changes})


def valider(services, people, reference, decision="engager_contrat", observations=None):
    task = only_task(services, people["anct"], reference, "valider_diagnostic")
    data = {"decision_diagnostic": decision}
    if observations:
        data["observations_validation"] = observations
    service.complete(services, people["anct"], task["id"], data)


def planifier(services, people, reference, prefet="prefet_23", **changes):
    task = only_task(services, people[prefet], reference, "elaborer_plan_action")
    service.complete(services, people[prefet], task["id"], {**PLAN, **changes})


def signature(bpmn_id: str) -> dict:
    key, nom, qualite = SIGNATAIRES[bpmn_id]
    return {key: {"signataire": nom, "qualite": qualite, "contrat_signe": True}}


def signed(services, viewer, bpmn_id: str) -> dict:
    """A signature's data with the signed contract, uploaded by the signatory."""
    [(key, values)] = signature(bpmn_id).items()
    document = staged(services, viewer.login, "contrat-signe.pdf")
    return {key: {**values, "document_signe": document}}


def signer(services, viewer, reference, bpmn_id):
    task = only_task(services, viewer, reference, bpmn_id)
    service.complete(services, viewer, task["id"], signed(services, viewer, bpmn_id))


def jusqu_aux_signatures(services, people, **plan):
    reference = ouvrir(services, people)
    diagnostiquer(services, people, reference)
    valider(services, people, reference)
    planifier(services, people, reference, **plan)
    return reference


def signataires(people, collectivites, prefet="prefet_23"):
    """(viewer, bpmn_id) of every signatory: the préfet, each authority, the agency."""
    return (
        [(people[prefet], "signer_prefet")]
        + [(collectivite(c["siren"]), "signer_collectivite") for c in collectivites]
        + [(people["anct"], "signer_anct")]
    )


def contrat_signe(services, people, clock, duree=3):
    reference = jusqu_aux_signatures(services, people, duree_contrat_annees=duree)
    clock.set(SIGNATURE)
    for viewer, bpmn_id in signataires(people, CREUSE):
        signer(services, viewer, reference, bpmn_id)
    return reference


def timer(services, reference, bpmn_id) -> datetime:
    [found] = [t for t in details(services, reference).timers if t["bpmn_id"] == bpmn_id]
    return found["due_at"]


def open_tasks(services, reference) -> list[str]:
    return sorted(t["bpmn_id"] for t in details(services, reference).tasks)


def fire_at(services, clock, reference, moment: datetime) -> list[str]:
    clock.set(moment)
    service.advance(services, reference)
    return open_tasks(services, reference)


def terminer(services, viewer, reference, bpmn_id, data):
    task = only_task(services, viewer, reference, bpmn_id)
    service.complete(services, viewer, task["id"], data)


# --- Identification ----------------------------------------------------------------------


def test_opening_routes_the_shared_diagnostic_to_the_prefet_of_the_departement(contrat, people):
    reference = ouvrir(contrat, people)
    assert reference.startswith("TER-23-2026-")
    task = only_task(contrat, people["prefet_23"], reference, "conduire_diagnostic")
    assert (task["role"], task["territory"], task["form"]) == (
        "prefet",
        "23",
        "territoires_en_renouveau/diagnostic.json",
    )
    assert task["due_at"] == paris("2026-03-02T09:00:00+01:00") + timedelta(days=90)
    assert inbox(contrat, people["prefet_08"]) == []
    assert inbox(contrat, people["anct"], reference) == []
    assert inbox(contrat, people["mairie_gueret"], reference) == []
    with pytest.raises(NotFound):
        service.complete(contrat, people["prefet_08"], task["id"], DIAGNOSTIC)
    data = details(contrat, reference).data
    assert data["collectivites_par_siren"]["200034825"]["nom"] == "CA du Grand Guéret"
    assert data["chef_de_projet"]["nom"] == "Claire Martin"


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        (
            {"collectivites": [{**COMMUNE_GUERET, "siren": "212300017"}]},
            InvalidInput,
            "SIREN invalide",
        ),
        ({"departements": ["99"]}, InvalidInput, "Code de département inconnu"),
        ({"collectivites": []}, InvalidInput, "au moins une collectivité"),
        ({"chef_de_projet": {"nom": "Claire Martin"}}, InvalidInput, "obligatoire"),
        (
            {"collectivites": [COMMUNE_GUERET, GRAND_GUERET, {**GRAND_GUERET, "nom": "Doublon"}]},
            InvalidInput,
            "figure deux fois",
        ),
        ({"collectivites": [DEPARTEMENT_CREUSE]}, InvalidInput, "chef de file"),
        ({"departements": ["87"]}, InvalidInput, "départements couverts"),
    ],
)
def test_an_invalid_opening_is_refused_and_nothing_is_stored(
    contrat, people, changes, error, message
):
    with pytest.raises(error, match=message):
        ouvrir(contrat, people, **changes)
    assert count_instances(contrat) == 0


# --- Diagnostic partagé ------------------------------------------------------------------


def test_abandonment_when_a_contract_is_not_appropriate(contrat, people):
    """Our choice: the national team, on the préfet's diagnostic, may abandon (end « abandonne »)."""
    reference = ouvrir(contrat, people)
    with pytest.raises(InvalidInput, match="Motif"):
        diagnostiquer(contrat, people, reference, conclusion_diagnostic="contrat_non_adapte")
    diagnostiquer(
        contrat, people, reference, conclusion_diagnostic="contrat_non_adapte",
        motif_conclusion="Le contrat de plan État-région couvre déjà ces besoins.",
    )  # fmt: skip
    with pytest.raises(InvalidInput, match="Observations"):
        valider(contrat, people, reference, "abandonner")
    valider(contrat, people, reference, "abandonner", "Pas de contrat : droit commun suffisant.")
    result = details(contrat, reference)
    assert (result.status, result.outcome, result.tasks, result.timers) == (
        "terminee",
        "abandonne",
        [],
        [],
    )
    assert result.data["observations_validation"] == "Pas de contrat : droit commun suffisant."


def test_the_national_team_may_send_the_diagnostic_back_to_the_prefet(contrat, people):
    reference = ouvrir(contrat, people)
    diagnostiquer(contrat, people, reference)
    valider(contrat, people, reference, "completer_diagnostic", "Chiffrer l'offre de soins.")
    diagnostiquer(contrat, people, reference, constats="Densité médicale : 60 pour 100 000.")
    valider(contrat, people, reference)
    assert open_tasks(contrat, reference) == ["elaborer_plan_action"]
    assert inbox(contrat, people["prefet_08"]) == []
    assert details(contrat, reference).data["constats"].startswith("Densité médicale")


# --- Plan d'action -----------------------------------------------------------------------


def test_a_plan_with_an_action_ending_before_it_starts_is_refused(contrat, people):
    reference = ouvrir(contrat, people)
    diagnostiquer(contrat, people, reference)
    valider(contrat, people, reference)
    action = {**PLAN["actions"][0], "debut": "2027-01-01", "fin": "2026-12-31"}
    with pytest.raises(InvalidInput, match="Maison de santé") as refused:
        planifier(contrat, people, reference, actions=[action])
    assert list(refused.value.details["fields"]) == ["actions.0.fin"]
    assert open_tasks(contrat, reference) == ["elaborer_plan_action"]
    with pytest.raises(InvalidInput, match="au moins 2 ans"):
        planifier(contrat, people, reference, duree_contrat_annees=1)
    planifier(contrat, people, reference)
    data = details(contrat, reference).data
    assert data["engagement_etat_total"] == 2300000
    assert len(data["actions"]) == 2 and data["actions"][0]["partenaires"][0].startswith("ARS")


# --- Signature du contrat ----------------------------------------------------------------


def test_each_authority_sees_only_its_own_signature_task(contrat, people):
    reference = jusqu_aux_signatures(contrat, people)
    assert sorted(open_tasks(contrat, reference)) == [
        "signer_anct", "signer_collectivite", "signer_collectivite", "signer_collectivite",
        "signer_prefet",
    ]  # fmt: skip
    tasks = {}
    for authority in CREUSE:
        viewer = collectivite(authority["siren"])
        [task] = inbox(contrat, viewer)
        assert (task["bpmn_id"], task["siren"], task["role"]) == (
            "signer_collectivite",
            authority["siren"],
            "collectivite",
        )
        tasks[authority["siren"]] = task
    assert [t["bpmn_id"] for t in inbox(contrat, people["prefet_23"], reference)] == [
        "signer_prefet"
    ]
    assert [t["bpmn_id"] for t in inbox(contrat, people["anct"], reference)] == ["signer_anct"]
    assert inbox(contrat, people["prefet_08"]) == []
    # Another authority's signature task is out of reach.
    with pytest.raises(NotFound):
        service.complete(
            contrat,
            collectivite(GRAND_GUERET["siren"]),
            tasks[DEPARTEMENT_CREUSE["siren"]]["id"],
            signature("signer_collectivite"),
        )
    with pytest.raises(InvalidInput, match="Cochez la case"):
        service.complete(
            contrat,
            collectivite(GRAND_GUERET["siren"]),
            tasks[GRAND_GUERET["siren"]]["id"],
            {"signature_collectivite": {"signataire": "Éric Correia", "qualite": "président",
                                        "contrat_signe": False}},
        )  # fmt: skip


ORDRES_PARTIES = list(itertools.permutations(["prefet", "collectivites", "anct"]))


@pytest.mark.parametrize("ordre", ORDRES_PARTIES, ids="-".join)
@pytest.mark.parametrize(
    ("organisation", "collectivites", "prefet"),
    [(GUERET, CREUSE, "prefet_23"), (ARDENNE_METROPOLE, [ARDENNE], "prefet_08")],
    ids=["3-collectivites", "1-collectivite"],
)
def test_the_contract_takes_effect_at_the_last_signature_in_any_order(
    contrat, people, clock, ordre, organisation, collectivites, prefet
):
    changes = {}
    if collectivites == [ARDENNE]:
        changes = {"nom_territoire": "Ardennes", "departements": ["08"], "collectivites": [ARDENNE]}
    reference = ouvrir(contrat, people, organisation, **changes)
    diagnostiquer(contrat, people, reference, prefet)
    valider(contrat, people, reference)
    planifier(contrat, people, reference, prefet)
    parties = {
        "prefet": [(people[prefet], "signer_prefet")],
        # The authorities sign in the reverse order of the list.
        "collectivites": [
            (collectivite(c["siren"]), "signer_collectivite") for c in reversed(collectivites)
        ],
        "anct": [(people["anct"], "signer_anct")],
    }
    sequence = [step for party in ordre for step in parties[party]]
    clock.set("2026-06-01T09:00:00+02:00")
    for viewer, bpmn_id in sequence:
        if bpmn_id == "signer_collectivite":
            assert len(inbox(contrat, viewer)) == 1  # its own signature task, nothing else
    for viewer, bpmn_id in sequence[:-1]:
        signer(contrat, viewer, reference, bpmn_id)
        clock.advance(days=1)
        current = details(contrat, reference)
        assert current.status == "en_cours" and current.timers == []
        assert "date_debut_contrat" not in current.data
    clock.set(SIGNATURE)
    last_viewer, last_task = sequence[-1]
    signer(contrat, last_viewer, reference, last_task)
    result = details(contrat, reference)
    assert result.tasks == []
    assert (result.data["date_debut_contrat"], result.data["date_fin_contrat"]) == (
        "2026-06-15",
        "2029-06-15",
    )
    assert sorted(result.data["signatures_collectivites"]) == sorted(
        c["siren"] for c in collectivites
    )
    assert {t["bpmn_id"] for t in result.timers} == {
        "comite_annuel",
        "mi_parcours",
        "echeance_contrat",
    }


def test_every_interleaving_of_the_five_signatures_leads_to_the_contract(contrat, people, clock):
    """The préfet and the agency at any two of the five places, the authorities in between in
    each of their six orders in turn: every relative order of the signatories."""
    clock.set(SIGNATURE)
    prefet, *authorities, anct = signataires(people, CREUSE)
    orders = itertools.cycle(itertools.permutations(authorities))
    for places in itertools.permutations(range(5), 2):
        sequence = list(next(orders))
        for place, signatory in sorted(zip(places, (prefet, anct), strict=True)):
            sequence.insert(place, signatory)
        reference = jusqu_aux_signatures(contrat, people)
        for viewer, bpmn_id in sequence:
            assert details(contrat, reference).timers == []
            signer(contrat, viewer, reference, bpmn_id)
        result = details(contrat, reference)
        assert result.tasks == [] and len(result.timers) == 3, sequence
        assert len(result.data["signatures_collectivites"]) == 3


# --- Suivi des engagements ---------------------------------------------------------------

MINUTE = timedelta(minutes=1)


def test_yearly_committees_mid_term_review_and_evaluation_at_the_end_date(contrat, people, clock):
    reference = contrat_signe(contrat, people, clock)
    data = details(contrat, reference).data
    assert (data["date_revue_mi_parcours"], data["cycle_comites"]) == ("2027-12-15", "R2/P1Y")

    # First anniversary: the first steering committee, not a minute before.
    premier = timer(contrat, reference, "comite_annuel")
    assert premier == paris("2027-06-15T10:00:00+02:00")
    assert fire_at(contrat, clock, reference, premier - MINUTE) == []
    assert fire_at(contrat, clock, reference, premier + MINUTE) == ["comite_pilotage"]
    task = only_task(contrat, people["prefet_23"], reference, "comite_pilotage")
    assert (task["name"], task["role"], task["territory"]) == (
        "Comité de pilotage annuel",
        "prefet",
        "23",
    )
    assert task["due_at"] == premier + MINUTE + timedelta(days=30)
    assert inbox(contrat, people["prefet_08"]) == []
    assert inbox(contrat, people["anct"], reference) == []
    service.complete(contrat, people["prefet_23"], task["id"], COMITE)
    assert open_tasks(contrat, reference) == []

    # Mid-term review: halfway through the contract, midnight Paris time.
    mi_parcours = timer(contrat, reference, "mi_parcours")
    assert mi_parcours == paris("2027-12-15T00:00:00+01:00")
    assert fire_at(contrat, clock, reference, mi_parcours - MINUTE) == []
    assert fire_at(contrat, clock, reference, mi_parcours + MINUTE) == ["revue_mi_parcours"]
    assert inbox(contrat, people["prefet_23"], reference) == []
    with pytest.raises(InvalidInput, match="Ajustements"):
        terminer(contrat, people["anct"], reference, "revue_mi_parcours",
                 {**REVUE, "orientation_mi_parcours": "ajuster_plan"})  # fmt: skip
    terminer(contrat, people["anct"], reference, "revue_mi_parcours", REVUE)
    assert "mi_parcours" not in {t["bpmn_id"] for t in details(contrat, reference).timers}

    # Second anniversary: cycles follow the calendar, 29 February 2028 does not shift it.
    second = timer(contrat, reference, "comite_annuel")
    assert second == paris("2028-06-15T10:00:00+02:00")
    assert fire_at(contrat, clock, reference, second - MINUTE) == []
    assert fire_at(contrat, clock, reference, second + MINUTE) == ["comite_pilotage"]
    terminer(contrat, people["prefet_23"], reference, "comite_pilotage",
             {**COMITE, "date_comite": "2028-06-20"})  # fmt: skip
    # Two committees for three years: no third cycle, the evaluation takes its place.
    assert {t["bpmn_id"] for t in details(contrat, reference).timers} == {"echeance_contrat"}

    # End date: the impact evaluation, then the contract is closed.
    echeance = timer(contrat, reference, "echeance_contrat")
    assert echeance == paris("2029-06-15T00:00:00+02:00")
    assert fire_at(contrat, clock, reference, echeance - MINUTE) == []
    assert fire_at(contrat, clock, reference, echeance + MINUTE) == ["evaluer_impact"]
    assert inbox(contrat, people["prefet_23"], reference) == []
    task = only_task(contrat, people["anct"], reference, "evaluer_impact")
    assert task["due_at"] == echeance + MINUTE + timedelta(days=90)
    service.complete(contrat, people["anct"], task["id"], EVALUATION)
    result = details(contrat, reference)
    assert (result.status, result.outcome, result.tasks, result.timers) == (
        "terminee",
        "contrat_clos",
        [],
        [],
    )
    assert result.data["appreciation_globale"] == "objectifs_partiellement_atteints"
    finished = [e["bpmn_id"] for e in result.history if e["kind"] == "tache_terminee"]
    assert finished.count("comite_pilotage") == 2
    assert finished[-4:] == [
        "comite_pilotage", "revue_mi_parcours", "comite_pilotage", "evaluer_impact",
    ]  # fmt: skip


@pytest.mark.parametrize(("duree", "comites"), [(2, 1), (3, 2), (5, 4)])
def test_one_committee_per_year_of_the_contract_but_the_last(
    contrat, people, clock, duree, comites
):
    reference = contrat_signe(contrat, people, clock, duree)
    fin = paris(details(contrat, reference).data["date_fin_contrat"] + "T00:00:00+02:00")
    tenus = 0
    while clock.now() < fin + timedelta(days=31):
        clock.advance(days=30)
        service.advance(contrat, reference)
        for task in inbox(contrat, people["prefet_23"], reference):
            assert task["bpmn_id"] == "comite_pilotage"
            assert clock.now() < fin
            service.complete(contrat, people["prefet_23"], task["id"], COMITE)
            tenus += 1
        for task in inbox(contrat, people["anct"], reference):
            if task["bpmn_id"] == "revue_mi_parcours":
                service.complete(contrat, people["anct"], task["id"], REVUE)
    assert tenus == comites
    assert open_tasks(contrat, reference) == ["evaluer_impact"]


def test_closing_the_contract_ends_a_committee_still_open(contrat, people, clock):
    reference = contrat_signe(contrat, people, clock, duree=2)
    # Two-year contract: mid-term review at midnight, first committee at 10:00, on 15 June 2027.
    mi_parcours = timer(contrat, reference, "mi_parcours")
    comite = timer(contrat, reference, "comite_annuel")
    assert (mi_parcours, comite) == (
        paris("2027-06-15T00:00:00+02:00"),
        paris("2027-06-15T10:00:00+02:00"),
    )
    assert fire_at(contrat, clock, reference, mi_parcours) == ["revue_mi_parcours"]
    assert fire_at(contrat, clock, reference, comite) == ["comite_pilotage", "revue_mi_parcours"]
    echeance = timer(contrat, reference, "echeance_contrat")
    assert echeance == paris("2028-06-15T00:00:00+02:00")
    assert fire_at(contrat, clock, reference, echeance) == [
        "comite_pilotage",
        "evaluer_impact",
        "revue_mi_parcours",
    ]
    terminer(contrat, people["anct"], reference, "evaluer_impact", EVALUATION)
    result = details(contrat, reference)
    assert (result.status, result.outcome, result.tasks) == ("terminee", "contrat_clos", [])
    assert inbox(contrat, people["prefet_23"], reference) == []

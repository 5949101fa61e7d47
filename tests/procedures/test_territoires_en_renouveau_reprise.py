"""Registering a cohesion contract already signed, part-way through its life.

The national team opens the dossier choosing « Déjà signé » (`situation_contrat`), then
records the contract (`reprendre_contrat`): its real signature date, duration, action plan,
the steering committees already held, whether the mid-term review took place, and the signed
contract (PDF). `dater_reprise` computes the dates from the real signature: the contract's end
and its mid-term review as for a contract signed on the platform, and the yearly committees
from the next anniversary only. Anniversaries already past open no committee (a cycle started
at the signature would replay them all in one step); a date already past (an overdue review,
an end already reached) opens its task at once.

The fixture's clock starts on 2 March 2026, 09:00, Paris time.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import service
from engine.errors import InvalidInput
from engine.service.dossiers import attachments
from tests.files import staged
from tests.procedures import test_territoires_en_renouveau as ter
from tests.procedures import test_territoires_en_renouveau_departements as multi
from tests.procedures.conftest import inbox, only_task

#: The préfets of the Nord, the Pas-de-Calais, the Aisne and Paris, with the scenarios' people.
prefets = multi.prefets
MINUTE = timedelta(minutes=1)
PLAN = ter.PLAN["actions"]


def reprise(services, people, *, signature, duree, comites=(), revue="a_venir", **changes):
    """The data of `reprendre_contrat`: the contract signed on `signature` for `duree` years,
    with the committees held on the dates `comites`."""
    data = {
        "date_signature_contrat": signature,
        "duree_contrat_annees": duree,
        "signataires_contrat": "Les préfets, les présidents des collectivités, l'ANCT.",
        "document_contrat_signe": staged(services, people["anct"].login, "contrat-signe.pdf"),
        "actions": PLAN,
        "comites_tenus": [
            {"date_comite": day, "decisions_comite": "Poursuivre le plan d'action."}
            for day in comites
        ],
        "etat_revue_mi_parcours": revue,
    }
    if revue == "faite":
        data["bilan_mi_parcours"] = "Engagements tenus ; deux actions en retard."
        data["orientation_mi_parcours"] = "poursuivre"
    return {**data, **changes}


def ouvrir_signe(services, people, organisation=ter.GUERET, **identification) -> str:
    return ter.ouvrir(services, people, organisation, situation_contrat="signe", **identification)


def reprendre(services, people, reference, **contract) -> None:
    task = only_task(services, people["anct"], reference, "reprendre_contrat")
    service.complete(services, people["anct"], task["id"], reprise(services, people, **contract))


def timers(services, reference) -> dict[str, object]:
    return {t["bpmn_id"]: t["due_at"] for t in ter.details(services, reference).timers}


def test_a_signed_contract_skips_to_its_registration_by_the_national_team(services, prefets):
    reference = ouvrir_signe(services, prefets)
    task = only_task(services, prefets["anct"], reference, "reprendre_contrat")
    assert (task["role"], task["form"]) == (
        "equipe_nationale",
        "territoires_en_renouveau/reprise_contrat.json",
    )
    assert inbox(services, prefets["prefet_23"], reference) == []
    assert ter.open_tasks(services, reference) == ["reprendre_contrat"]


def test_sambre_avesnois_thierache_resumes_at_its_next_committee(services, prefets, clock):
    """Signed on 7 November 2022 for five years, three committees held, the mid-term review
    done in May 2025: the next committee on the fourth anniversary, 7 November 2026, and the
    evaluation on 7 November 2027; the préfets of the Nord and of the Aisne see it."""
    contrat = multi.SAMBRE_AVESNOIS_THIERACHE
    reference = ouvrir_signe(
        services, prefets, contrat["organisation"], **contrat["identification"]
    )
    reprendre(
        services, prefets, reference, signature="2022-11-07", duree=5,
        comites=["2023-11-20", "2024-11-18", "2025-11-17"], revue="faite",
    )  # fmt: skip
    result = ter.details(services, reference)
    assert result.tasks == [] and result.status == "en_cours"
    data = result.data
    assert (data["date_debut_contrat"], data["date_fin_contrat"], data["date_revue_mi_parcours"]) == (
        "2022-11-07", "2027-11-07", "2025-05-07",
    )  # fmt: skip
    assert data["cycle_comites"] == "R1/2026-11-07/P1Y"
    assert data["engagement_etat_total"] == 2300000
    assert [c["date_comite"] for c in data["comites_tenus"]] == [
        "2023-11-20",
        "2024-11-18",
        "2025-11-17",
    ]
    assert not {"debut", "erreurs", "a_venir"} & set(data)
    # The review already done opens nothing: its date passed, it ends at once.
    assert timers(services, reference) == {
        "comite_annuel": ter.paris("2026-11-07T00:00:00+01:00"),
        "echeance_contrat": ter.paris("2027-11-07T00:00:00+01:00"),
    }
    ends = [e["label"] for e in result.history if e["kind"] == "fin"]
    assert "Revue à mi-parcours faite avant la reprise" in ends
    # Both préfets see the dossier and the signed contract.
    for key in ("prefet_59", "prefet_02"):
        [listed] = attachments.for_dossier(services, prefets[key], reference)
        assert listed.filename == "contrat-signe.pdf"
    assert not multi.sees(services, prefets["prefet_75"], reference)

    # The fourth anniversary: the committee, for the chef de file's préfet, not a minute before.
    comite = timers(services, reference)["comite_annuel"]
    assert ter.fire_at(services, clock, reference, comite - MINUTE) == []
    assert ter.fire_at(services, clock, reference, comite + MINUTE) == ["comite_pilotage"]
    task = only_task(services, prefets["prefet_59"], reference, "comite_pilotage")
    assert task["due_at"] == comite + MINUTE + timedelta(days=30)
    assert inbox(services, prefets["prefet_02"], reference) == []
    service.complete(
        services, prefets["prefet_59"], task["id"], {**ter.COMITE, "date_comite": "2026-11-12"}
    )
    # The fifth anniversary is the end date: no committee then, the evaluation instead.
    assert set(timers(services, reference)) == {"echeance_contrat"}
    echeance = timers(services, reference)["echeance_contrat"]
    assert ter.fire_at(services, clock, reference, echeance - MINUTE) == []
    assert ter.fire_at(services, clock, reference, echeance + MINUTE) == ["evaluer_impact"]
    ter.terminer(services, prefets["anct"], reference, "evaluer_impact", ter.EVALUATION)
    assert ter.details(services, reference).outcome == "contrat_clos"


def test_past_anniversaries_do_not_all_open_at_once(services, prefets, clock):
    """Signed on 10 March 2019 for ten years: six anniversaries passed, none opens a
    committee; the three left (2026, 2027, 2028) open one each, at their date. The mid-term
    review (10 March 2024) not yet held is overdue: it opens at once."""
    reference = ouvrir_signe(services, prefets)
    reprendre(services, prefets, reference, signature="2019-03-10", duree=10)
    assert ter.open_tasks(services, reference) == ["revue_mi_parcours"]
    assert ter.details(services, reference).data["cycle_comites"] == "R3/2026-03-10/P1Y"
    ter.terminer(services, prefets["anct"], reference, "revue_mi_parcours", ter.REVUE)
    held = []
    for year in (2026, 2027, 2028):
        anniversary = ter.paris(f"{year}-03-10T00:00:00+01:00")
        assert timers(services, reference)["comite_annuel"] == anniversary
        assert ter.fire_at(services, clock, reference, anniversary - MINUTE) == []
        # Even a month late, one committee per anniversary.
        assert ter.fire_at(services, clock, reference, anniversary + timedelta(days=31)) == [
            "comite_pilotage"
        ]
        ter.terminer(services, prefets["prefet_23"], reference, "comite_pilotage",
                     {**ter.COMITE, "date_comite": f"{year}-03-20"})  # fmt: skip
        held.append(year)
    assert held == [2026, 2027, 2028]
    assert set(timers(services, reference)) == {"echeance_contrat"}
    assert ter.fire_at(services, clock, reference, ter.paris("2029-03-10T00:01:00+01:00")) == [
        "evaluer_impact"
    ]
    finished = [e["bpmn_id"] for e in ter.details(services, reference).history
                if e["kind"] == "tache_terminee"]  # fmt: skip
    assert finished.count("comite_pilotage") == 3


def test_a_contract_in_its_last_year_has_no_committee_left(services, prefets, clock):
    """The Ardennes, signed on 1 June 2024 for two years: its only committee anniversary
    (1 June 2025) passed; the contract runs to 1 June 2026, then the evaluation."""
    ardennes = {
        "nom_territoire": "Ardennes",
        "departements": ["08"],
        "collectivites": [ter.ARDENNE],
    }
    reference = ouvrir_signe(services, prefets, ter.ARDENNE_METROPOLE, **ardennes)
    reprendre(services, prefets, reference, signature="2024-06-01", duree=2,
              comites=["2025-06-10"], revue="faite")  # fmt: skip
    assert ter.open_tasks(services, reference) == []
    assert timers(services, reference) == {
        "echeance_contrat": ter.paris("2026-06-01T00:00:00+02:00")
    }
    assert ter.fire_at(services, clock, reference, ter.paris("2026-05-31T23:59:00+02:00")) == []
    assert ter.fire_at(services, clock, reference, ter.paris("2026-06-01T00:01:00+02:00")) == [
        "evaluer_impact"
    ]
    assert inbox(services, prefets["prefet_08"], reference) == []


def test_a_contract_past_its_end_opens_at_its_evaluation(services, prefets):
    """The Nièvre, signed on 15 January 2021 for three years: it ended on 15 January 2024;
    registered now, it goes straight to the impact evaluation."""
    nievre = {"nom_territoire": "Nièvre", "departements": ["23"]}
    reference = ouvrir_signe(services, prefets, **nievre)
    reprendre(services, prefets, reference, signature="2021-01-15", duree=3,
              comites=["2022-01-20", "2023-01-19"], revue="faite")  # fmt: skip
    result = ter.details(services, reference)
    assert ter.open_tasks(services, reference) == ["evaluer_impact"]
    assert result.timers == []
    ter.terminer(services, prefets["anct"], reference, "evaluer_impact", ter.EVALUATION)
    assert ter.details(services, reference).outcome == "contrat_clos"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"signature": "2026-04-01"}, "date_signature_contrat", "après aujourd'hui"),
        ({"comites": ["2022-01-10"]}, "comites_tenus.0.date_comite", "entre la signature"),
        (
            {"comites": ["2023-01-10", "2026-04-10"]},
            "comites_tenus.1.date_comite",
            "entre la signature",
        ),
        (
            {"actions": [{**PLAN[0], "debut": "2024-01-01", "fin": "2023-12-31"}]},
            "actions.0.fin",
            "précède son début",
        ),
    ],
)
def test_an_inconsistent_registration_is_refused_and_nothing_is_kept(
    services, prefets, changes, field, message
):
    reference = ouvrir_signe(services, prefets)
    before = ter.details(services, reference).data
    contract = {"signature": "2022-06-15", "duree": 4, **changes}
    with pytest.raises(InvalidInput, match=message) as refused:
        reprendre(services, prefets, reference, **contract)
    assert list(refused.value.details["fields"]) == [field]
    assert ter.open_tasks(services, reference) == ["reprendre_contrat"]
    assert ter.details(services, reference).data == before
    assert timers(services, reference) == {}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"document_contrat_signe": None}, "Joignez le contrat signé"),
        ({"revue": "faite", "bilan_mi_parcours": None}, "Rédigez le bilan"),
        ({"duree": 12}, "au plus 10 ans"),
    ],
)
def test_the_registration_form_says_what_is_missing(services, prefets, changes, message):
    reference = ouvrir_signe(services, prefets)
    changes = dict(changes)
    data = reprise(services, prefets, signature="2022-06-15", duree=changes.pop("duree", 4),
                   revue=changes.pop("revue", "a_venir"))  # fmt: skip
    data = {k: v for k, v in {**data, **changes}.items() if v is not None}
    task = only_task(services, prefets["anct"], reference, "reprendre_contrat")
    with pytest.raises(InvalidInput, match=message):
        service.complete(services, prefets["anct"], task["id"], data)
    assert ter.open_tasks(services, reference) == ["reprendre_contrat"]

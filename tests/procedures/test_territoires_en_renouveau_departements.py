"""A cohesion contract over several départements (processes/territoires_en_renouveau).

The process property `territoires` (`departements`) gives the départements a dossier covers
besides its own: the préfet of each sees it (dossier page, lists, search, files, task pages)
and signs the contract for their département (`signer_prefet`, one task per département); the
shared diagnostic, the action plan and the steering committees stay with the préfet of the
dossier's own département, the chef de file's. A préfet of any other département sees nothing.
"""

from __future__ import annotations

import pytest

from engine import service
from engine.errors import NotFound
from engine.service import users
from engine.service.dossiers import attachments
from engine.service.dossiers.search import SearchFilter, search
from engine.service.notifications import list_notifications
from engine.service.people import accounts
from tests.procedures import test_territoires_en_renouveau as ter
from tests.procedures.conftest import inbox, only_task, person

# Bassin minier du Nord et du Pas-de-Calais: the CA de Lens-Liévin (62) leads.
LENS_LIEVIN = {"siren": "246200364", "nom": "CA de Lens-Liévin", "nature": "epci"}
DOUAISIS = {"siren": "200044618", "nom": "CA Douaisis Agglo", "nature": "epci"}
NORD = {"siren": "225900018", "nom": "Département du Nord", "nature": "departement"}
PAS_DE_CALAIS = {"siren": "226200012", "nom": "Département du Pas-de-Calais",
                 "nature": "departement"}  # fmt: skip
# Sambre-Avesnois-Thiérache: the CA Maubeuge Val de Sambre (59) leads, with the Aisne (02).
MAUBEUGE = {"siren": "200043396", "nom": "CA Maubeuge Val de Sambre", "nature": "epci"}
THIERACHE = {"siren": "240200444", "nom": "CC de la Thiérache du Centre", "nature": "epci"}
AISNE = {"siren": "220200026", "nom": "Département de l'Aisne", "nature": "departement"}

BASSIN_MINIER = {
    "organisation": {"territory": "62", "siren": LENS_LIEVIN["siren"]},
    "identification": {
        "nom_territoire": "Bassin minier du Nord et du Pas-de-Calais",
        "departements": ["59", "62"],
        "collectivites": [LENS_LIEVIN, DOUAISIS, NORD, PAS_DE_CALAIS],
    },
    "chef_de_file": "prefet_62",
    "autres": ["prefet_59"],
}
SAMBRE_AVESNOIS_THIERACHE = {
    "organisation": {"territory": "59", "siren": MAUBEUGE["siren"]},
    "identification": {
        "nom_territoire": "Sambre-Avesnois-Thiérache",
        "departements": ["02", "59"],
        "collectivites": [MAUBEUGE, THIERACHE, NORD, AISNE],
    },
    "chef_de_file": "prefet_59",
    "autres": ["prefet_02"],
}
CONTRATS = pytest.mark.parametrize(
    "contrat_multi",
    [BASSIN_MINIER, SAMBRE_AVESNOIS_THIERACHE],
    ids=["bassin-minier-59-62", "sambre-avesnois-thierache-59-02"],
)
PREFETS = {"prefet_59": "59", "prefet_62": "62", "prefet_02": "02", "prefet_75": "75"}


@pytest.fixture
def prefets(deploy, services, people) -> dict[str, service.Viewer]:
    """The TeR procedure deployed; the préfets of the Nord, the Pas-de-Calais, the Aisne and
    Paris with their accounts (they get the notices of their tasks)."""
    deploy(ter.PROCESS)
    found = {}
    for key, code in PREFETS.items():
        viewer = person(f"prefet.{code}", "prefet", code)
        accounts.create_user(services, viewer.login, name=f"Préfet {code}",
                             grants=[("prefet", code)])  # fmt: skip
        found[key] = viewer
    return {**people, **found}


def ouvrir_multi(services, people, contrat) -> str:
    return ter.ouvrir(services, people, contrat["organisation"], **contrat["identification"])


def jusqu_aux_signatures(services, people, contrat) -> str:
    reference = ouvrir_multi(services, people, contrat)
    chef = contrat["chef_de_file"]
    ter.diagnostiquer(services, people, reference, chef)
    ter.valider(services, people, reference)
    ter.planifier(services, people, reference, chef)
    return reference


def sees(services, viewer, reference) -> bool:
    try:
        service.get_instance(services, reference, viewer)
    except NotFound:
        return False
    return True


def found_by(services, viewer, reference, **filters) -> bool:
    page = search(services, viewer, SearchFilter(**filters))
    return reference in [item["reference"] for item in page.items]


@CONTRATS
def test_every_prefet_of_the_contract_sees_the_dossier_and_no_other(
    services, prefets, contrat_multi
):
    reference = ouvrir_multi(services, prefets, contrat_multi)
    chef, [autre] = contrat_multi["chef_de_file"], contrat_multi["autres"]
    own = contrat_multi["organisation"]["territory"]
    other = PREFETS[autre]
    assert reference.startswith(f"TER-{own}-2026-")
    # The shared diagnostic is led by the chef de file's préfet alone.
    task = only_task(services, prefets[chef], reference, "conduire_diagnostic")
    assert task["territory"] == own
    assert inbox(services, prefets[autre], reference) == []
    # Both préfets see the dossier: its page, the lists and the search by département.
    for key in (chef, autre):
        assert sees(services, prefets[key], reference)
        assert found_by(services, prefets[key], reference)
        assert found_by(services, prefets[key], reference, territory=other)
    assert found_by(services, prefets["anct"], reference, territory=other)
    page = service.get_instance(services, reference, prefets[autre])
    assert page.data["departements"] == contrat_multi["identification"]["departements"]
    # A préfet of another département sees nothing of it, and cannot act on its task.
    outsider = prefets["prefet_75"]
    assert not sees(services, outsider, reference)
    assert not found_by(services, outsider, reference)
    assert inbox(services, outsider) == []
    with pytest.raises(NotFound):
        service.complete(services, prefets[autre], task["id"], ter.DIAGNOSTIC)
    with pytest.raises(NotFound):
        service.task_form(services, outsider, task["id"])


@CONTRATS
def test_each_prefet_signs_the_contract_for_their_own_departement(
    services, prefets, clock, contrat_multi
):
    reference = jusqu_aux_signatures(services, prefets, contrat_multi)
    chef, [autre] = contrat_multi["chef_de_file"], contrat_multi["autres"]
    collectivites = contrat_multi["identification"]["collectivites"]
    tasks = {}
    for key in (chef, autre):
        [task] = inbox(services, prefets[key], reference)
        assert (task["bpmn_id"], task["territory"], task["role"]) == (
            "signer_prefet",
            PREFETS[key],
            "prefet",
        )
        tasks[key] = task
    # The other préfet hears of their signature (the chef de file's has just filed the plan).
    told = list_notifications(services, prefets[autre])
    assert [n["task_id"] for n in told] == [tasks[autre]["id"]]
    assert inbox(services, prefets["prefet_75"]) == []
    # A préfet cannot sign for the other département (it is no task of theirs).
    with pytest.raises(NotFound):
        service.complete(
            services, prefets[autre], tasks[chef]["id"],
            ter.signed(services, prefets[autre], "signer_prefet"),
        )  # fmt: skip
    # The other département's préfet reads the dossier from their task page.
    page = service.task_form(services, prefets[autre], tasks[autre]["id"])
    assert page.may_act and page.dossier_data["nom_territoire"].startswith(
        contrat_multi["identification"]["nom_territoire"][:6]
    )
    clock.set(ter.SIGNATURE)
    ter.signer(services, prefets[autre], reference, "signer_prefet")
    assert [t["bpmn_id"] for t in inbox(services, prefets[chef], reference)] == ["signer_prefet"]
    assert "date_debut_contrat" not in ter.details(services, reference).data
    ter.signer(services, prefets[chef], reference, "signer_prefet")
    for authority in collectivites:
        ter.signer(services, ter.collectivite(authority["siren"]), reference, "signer_collectivite")
    assert "date_debut_contrat" not in ter.details(services, reference).data
    ter.signer(services, prefets["anct"], reference, "signer_anct")
    data = ter.details(services, reference).data
    assert sorted(data["signatures_prefets"]) == sorted(PREFETS[k] for k in (chef, autre))
    assert data["signatures_prefets"][PREFETS[autre]]["signataire"] == "Virginie Darpheuille"
    assert data["date_debut_contrat"] == "2026-06-15"

    # Files: both préfets list and download every signed contract; the outsider none.
    for key in (chef, autre):
        listed = attachments.for_dossier(services, prefets[key], reference)
        assert len(listed) == len(collectivites) + 3
        assert attachments.download(services, prefets[key], listed[0].id).content.startswith(
            b"%PDF"
        )
    listed = attachments.for_dossier(services, prefets[chef], reference)
    assert attachments.for_dossier(services, prefets["prefet_75"], reference) == []
    with pytest.raises(NotFound):
        attachments.download(services, prefets["prefet_75"], listed[0].id)

    # The yearly steering committee is one meeting, held by the chef de file's préfet.
    clock.set("2027-06-15T10:01:00+02:00")
    service.advance(services, reference)
    task = only_task(services, prefets[chef], reference, "comite_pilotage")
    assert task["territory"] == contrat_multi["organisation"]["territory"]
    assert inbox(services, prefets[autre], reference) == []
    assert sees(services, prefets[autre], reference)


def test_a_single_departement_contract_has_one_prefet_signature(services, prefets):
    """The Creuse: one département, one préfet's signature, the dossier seen by the Creuse
    alone (no other département recorded)."""
    reference = ter.jusqu_aux_signatures(services, prefets)
    assert [t["territory"] for t in inbox(services, prefets["prefet_23"], reference)] == ["23"]
    for key in ("prefet_59", "prefet_62", "prefet_75", "prefet_08"):
        assert not sees(services, prefets[key], reference)
        assert inbox(services, prefets[key]) == []


def test_a_region_prefect_sees_the_contracts_of_the_departements_of_the_region(services, prefets):
    """A grant over the Hauts-de-France reaches the Bassin minier by either département; one
    over Île-de-France does not."""
    reference = ouvrir_multi(services, prefets, BASSIN_MINIER)
    for code, expected in (("32", True), ("11", False)):
        login = f"prefet.region.{code}"
        account = accounts.create_user(
            services, login, name=login, grants=[("prefet", f"region:{code}")]
        )
        viewer = users.viewer_of(services, account)
        assert sees(services, viewer, reference) is expected
        assert found_by(services, viewer, reference) is expected

"""Who may apply, read from official data, and money that adds up (issue 16), service layer.

The applicant's nature comes from its SIREN where the official data knows it (a commune's SIREN
can only be a commune's); the pass numérique is open to communes, EPCI, départements, régions
and syndicats mixtes (guide ANCT 2020); an association applies to the Fabriques with its SIRET
(and its RNA); the State share plus the local share make the total cost, and each year of a
Fabrique's budget is balanced — on the form, and again in the process's admissibility table for
a dossier whose form did not check it.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal

import pytest

from engine import service
from engine.config import PROJECT_ROOT
from engine.errors import InvalidInput
from engine.service.campaigns import calls
from engine.service.dossiers import drafts
from engine.service.people import accounts
from tests.procedures import test_fabriques_territoire as fabriques
from tests.procedures import test_pass_numerique as pass_numerique
from tests.procedures.conftest import GUERET, inbox, only_task, person
from tests.procedures.test_demande_ingenierie import DEPOT
from tests.procedures.test_territoires_en_renouveau import IDENTIFICATION

REGION_NOUVELLE_AQUITAINE = {"territory": "23", "siren": "200053759"}
#: An association of Guéret (a SIREN the official data does not list), its SIRET and RNA.
ASSOCIATION = {"territory": "23", "siren": "443061841"}
SIRET_ASSOCIATION, RNA_ASSOCIATION = "44306184100013", "W231000123"
SIRET_GUERET = "21230960300018"  # an establishment of the commune of Guéret
ASSOCIATION_FORM = {
    "nature_porteur": "association", "nom_porteur": "Association La Quincaillerie",
    "siret_porteur": SIRET_ASSOCIATION, "rna": RNA_ASSOCIATION,
}  # fmt: skip


@pytest.fixture
def appels(deploy, services, clock):
    """The pass numérique and Fabriques calls of 2020, both open on 15 September 2020."""
    for name, module in (("pass_numerique", pass_numerique), ("fabriques_territoire", fabriques)):
        deploy(name)
        calls.create(
            services, code=module.CAMPAGNE, process_id=module.PROCESS, name=module.CAMPAGNE,
            envelope=Decimal("45000000"), **module.FENETRE,
        )  # fmt: skip
    clock.set("2020-09-15T10:00:00+02:00")
    return services


def candidater_pass(services, organisation, **changes) -> str:
    data = {**pass_numerique.CANDIDATURE, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    return service.start(
        services, pass_numerique.PROCESS, data=data, actor="depot", **organisation
    ).reference


def candidater_fabrique(services, organisation, **changes) -> str:
    data = {**fabriques.CANDIDATURE, "pieces_jointes": fabriques.pieces(services), **changes}
    data = {k: v for k, v in data.items() if v is not None}
    return service.start(
        services, fabriques.PROCESS, data=data, actor="depot", **organisation
    ).reference


def refusal(call) -> dict[str, str]:
    with pytest.raises(InvalidInput) as refused:
        call()
    return refused.value.details["fields"]


def details(services, reference):
    return service.get_instance(services, reference, service.Viewer.command_line())


# --- Nature from the SIREN ---------------------------------------------------------------


def test_a_commune_s_siren_declared_as_a_region_is_refused_saying_what_it_is(appels, people):
    fields = refusal(lambda: candidater_pass(appels, GUERET, type_collectivite="region"))
    assert fields == {
        "type_collectivite": "Le SIREN de votre organisation (212309603) est celui de la commune "
        "de Guéret (Creuse) : choisissez « Commune » (et non « Région »)."
    }
    assert pass_numerique.count_instances(appels) == 0
    assert inbox(appels, people["prefet_23"]) == []


def test_a_commune_applies_to_the_pass_numerique_and_is_admissible(appels, people):
    """The guide opens the call to communes; the nature is read from the SIREN, not typed."""
    reference = candidater_pass(appels, GUERET, type_collectivite=None)
    dossier = details(appels, reference)
    assert dossier.data["type_collectivite"] == "commune"
    assert (dossier.status, dossier.data["recevable"], dossier.data["motif"]) == (
        "en_cours", True, ""
    )  # fmt: skip
    assert only_task(appels, people["prefet_23"], reference, "avis_prefet")


def test_a_region_s_nature_is_read_from_its_siren(appels, people):
    reference = candidater_pass(appels, REGION_NOUVELLE_AQUITAINE, type_collectivite=None)
    dossier = details(appels, reference)
    assert (dossier.data["type_collectivite"], dossier.data["recevable"]) == ("region", True)


def test_a_nature_the_data_cannot_tell_is_the_applicant_s_to_give(appels):
    """A syndicat mixte is not in the official data: it says what it is, and must."""
    syndicat = {"territory": "23", "siren": "250800125"}
    fields = refusal(lambda: candidater_pass(appels, syndicat, type_collectivite=None))
    assert fields == {"type_collectivite": "Choisissez la nature de votre collectivité."}
    reference = candidater_pass(appels, syndicat, type_collectivite="syndicat_mixte")
    assert details(appels, reference).data["recevable"] is True


def test_a_request_names_the_dossier_s_own_siren_and_its_nature_follows(deploy, services):
    deploy("demande_ingenierie")
    other = {**DEPOT, "siren": "200041630", "nature_demandeur": "epci"}
    fields = refusal(lambda: service.start(services, "demande_ingenierie", data=other, **GUERET))
    assert fields == {
        "siren": "Ce SIREN n'est pas celui de l'organisation du dossier (SIREN 212309603) : "
        "indiquez le SIREN de votre propre structure."
    }
    without = {k: v for k, v in DEPOT.items() if k != "nature_demandeur"}
    started = service.start(services, "demande_ingenierie", data=without, **GUERET)
    assert details(services, started.reference).data["nature_demandeur"] == "commune"


def test_each_signatory_of_a_contract_has_the_nature_of_its_siren(deploy, services, people):
    deploy("territoires_en_renouveau")
    wrong = [IDENTIFICATION["collectivites"][0], {**IDENTIFICATION["collectivites"][2],
                                                   "nature": "epci"}]  # fmt: skip
    fields = refusal(lambda: service.start(
        services, "territoires_en_renouveau", data={**IDENTIFICATION, "collectivites": wrong},
        actor=people["anct"].login, **GUERET,
    ))  # fmt: skip
    assert fields == {
        "collectivites.1.nature": "Le SIREN 212309603 est celui de la commune de Guéret "
        "(Creuse) : choisissez « Commune » (et non « Établissement public de coopération "
        "intercommunale (EPCI) »)."
    }


# --- Associations and the Fabriques ------------------------------------------------------


def test_an_association_applies_to_the_fabriques_with_its_siret_and_rna(appels):
    reference = candidater_fabrique(appels, ASSOCIATION, **ASSOCIATION_FORM)
    dossier = details(appels, reference)
    assert dossier.siren == "443061841"
    assert (dossier.data["nature_porteur"], dossier.data["siret_porteur"], dossier.data["rna"]) == (
        "association", SIRET_ASSOCIATION, RNA_ASSOCIATION
    )  # fmt: skip
    assert (dossier.status, dossier.data["recevable"]) == ("en_cours", True)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"siret_porteur": None},
         {"siret_porteur": "Indiquez le SIRET de la structure porteuse : sans lui, l'aide ne peut "
                           "pas lui être versée."}),
        ({"siret_porteur": SIRET_GUERET},
         {"siret_porteur": "Ce SIRET n'est pas celui de l'organisation du dossier (SIREN "
                           "443061841) : indiquez le SIRET de votre propre structure."}),
        ({"rna": "751234567"},
         {"rna": "Numéro RNA invalide : W suivi de 9 caractères, sans espace (par exemple "
                 "W751234567)."}),
    ],
    ids=["sans-siret", "siret-d-une-autre-structure", "rna-invalide"],
)  # fmt: skip
def test_an_association_corrects_its_numbers_on_the_form(appels, changes, expected):
    fields = refusal(lambda: candidater_fabrique(appels, ASSOCIATION, **{**ASSOCIATION_FORM,
                                                                          **changes}))  # fmt: skip
    assert fields == expected
    assert pass_numerique.count_instances(appels) == 0


def test_an_association_without_rna_applies_with_its_siret(appels):
    """Associations of Alsace-Moselle are registered at the court, not in the RNA."""
    reference = candidater_fabrique(appels, ASSOCIATION, **{**ASSOCIATION_FORM, "rna": None})
    assert details(appels, reference).data["recevable"] is True


def test_a_commune_cannot_apply_as_an_association(appels):
    fields = refusal(lambda: candidater_fabrique(appels, GUERET, **ASSOCIATION_FORM))
    assert fields["nature_porteur"] == (
        "Le SIREN de votre organisation (212309603) est celui de la commune de Guéret (Creuse) : "
        "choisissez « Commune » (et non « Association »)."
    )
    assert "n'est pas celui de l'organisation du dossier" in fields["siret_porteur"]


def test_an_association_files_from_the_portal_where_its_tiers_lieu_is(appels, people):
    """The official data does not describe an association's territory: it files where its
    form places the dossier (the tiers-lieu's commune) and the préfet there instructs it."""
    login = "asso.quincaillerie"
    accounts.create_user(appels, login, name="Association", grants=[("collectivite", "443061841")])
    viewer = person(login, "collectivite", "443061841")
    form = drafts.start_form(appels, viewer, fabriques.PROCESS, fabriques.CAMPAGNE)
    assert "nature_porteur" not in drafts.prefill(appels, viewer, form)
    application = {k: v for k, v in fabriques.CANDIDATURE.items() if k != "campagne"}
    data = {**application, **ASSOCIATION_FORM,
            "pieces_jointes": fabriques.pieces(appels, login=login)}  # fmt: skip
    started = drafts.file(appels, viewer, fabriques.PROCESS, data, campaign=fabriques.CAMPAGNE)
    assert started.reference.startswith("FAB-23-")
    assert details(appels, started.reference).siren == "443061841"


# --- Money that adds up ------------------------------------------------------------------


def test_shares_that_do_not_make_the_total_cost_are_refused_on_the_form(appels):
    fields = refusal(
        lambda: candidater_pass(appels, GUERET, type_collectivite=None, part_collectivite=90000)
    )
    assert fields == {
        "cout_total": "Le coût total du projet doit être égal au cofinancement demandé à l'État "
        "plus la part financée par la collectivité : corrigez l'un de ces trois montants."
    }
    assert pass_numerique.count_instances(appels) == 0


def test_a_year_of_a_fabrique_s_budget_that_is_not_balanced_is_refused_on_its_line(appels):
    budget = [dict(line) for line in fabriques.CANDIDATURE["budget_previsionnel"]]
    budget[1]["depenses"] = 125000
    fields = refusal(lambda: candidater_fabrique(appels, GUERET, budget_previsionnel=budget))
    assert fields == {
        "budget_previsionnel.1.depenses": "Budget non équilibré : les dépenses de l'année doivent "
        "être égales à l'aide demandée à l'État plus les autres ressources."
    }
    assert pass_numerique.count_instances(appels) == 0


@pytest.fixture
def unchecked_forms(services, tmp_path):
    """The forms of the two calls without their `x-regles`: a dossier that reaches the process
    by a path that does not check sums (the future API, an older form)."""
    copy = tmp_path / "forms"
    shutil.copytree(PROJECT_ROOT / "forms", copy)
    for name in ("pass_numerique", "fabriques_territoire"):
        path = copy / name / "candidature.json"
        form = json.loads(path.read_text(encoding="utf-8"))
        form.pop("x-regles")
        path.write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")
    services.forms_path = copy
    return services


def test_the_process_refuses_sums_that_do_not_add_up_when_the_form_did_not(unchecked_forms, appels):
    plan = details(
        appels, candidater_pass(appels, GUERET, type_collectivite=None, part_collectivite=90000)
    )
    assert (plan.status, plan.outcome, plan.data["recevable"]) == (
        "terminee", "non_recevable", False
    )  # fmt: skip
    assert plan.outcome_motive == (
        "Plan de financement incohérent : le coût total du projet n'est pas égal au "
        "cofinancement demandé à l'État plus la part financée par la collectivité."
    )
    budget = [dict(line) for line in fabriques.CANDIDATURE["budget_previsionnel"]]
    budget[2]["autres_ressources"] = 70000
    fabrique = details(appels, candidater_fabrique(appels, GUERET, budget_previsionnel=budget))
    assert (fabrique.status, fabrique.outcome) == ("terminee", "non_recevable")
    assert fabrique.outcome_motive == (
        "Budget prévisionnel non équilibré : pour chaque année, les dépenses prévues doivent "
        "être égales à l'aide demandée à l'État plus les autres ressources."
    )

"""Issue 12: what the collectivité does not read (the préfet's internal opinion and ranking),
and signature tasks that say for whom each one is, as each demo account sees them.

A Pass numérique application of CA Ardenne Métropole in the demo call: the Ardennes préfet
gives his opinion, the jury retains it, the convention opens to the two signatures.
"""

from __future__ import annotations

import re

import pytest

from engine import service
from engine.errors import NotFound
from engine.forms import readers
from engine.service.dossiers import attachments
from tests.files import staged
from tests.procedures.conftest import ARDENNE_METROPOLE, person
from tests.procedures.test_pass_numerique import CANDIDATURE
from tests.web.pages import seen

PREFET_08 = person("prefet.ardennes", "prefet", "08")
COMITE = person("comite.membre", "comite")
MOTIVATION = "Porteur encore peu structuré, à accompagner avant tout déploiement."
NOM = "Communauté d'agglomération Ardenne Métropole"


def file_application(platform, **changes) -> str:
    data = {**CANDIDATURE, "campagne": "PASS-NUMERIQUE-DEMO", "nom_collectivite": NOM, **changes}
    data = {name: value for name, value in data.items() if value is not None}
    return service.start(
        platform, "pass_numerique", data=data, actor="ardenne.metropole",
        organisation="CA Ardenne Métropole", **ARDENNE_METROPOLE,
    ).reference  # fmt: skip


def task_of(platform, viewer, reference: str, bpmn_id: str) -> dict:
    (task,) = [
        t for t in service.list_tasks(platform, viewer)
        if t["instance"] == reference and t["bpmn_id"] == bpmn_id
    ]  # fmt: skip
    return task


def give_opinion(platform, reference: str) -> None:
    task = task_of(platform, PREFET_08, reference, "avis_prefet")
    service.complete(
        platform, PREFET_08, task["id"],
        {"avis_prefet": "reserve", "rang_prefet": 3, "motivation_prefet": MOTIVATION},
    )  # fmt: skip


@pytest.fixture
def opinion_given(platform) -> str:
    reference = file_application(platform)
    give_opinion(platform, reference)
    return reference


@pytest.fixture
def to_sign(platform, opinion_given) -> str:
    task = task_of(platform, COMITE, opinion_given, "deliberer_jury")
    service.complete(
        platform, COMITE, task["id"], {"decision_jury": "retenu", "montant_accorde": 90000}
    )
    return opinion_given


# ---------------------------------------------------------------- A. internal fields


def test_the_collectivite_does_not_read_the_prefets_opinion_on_its_dossier_page(
    client_for, opinion_given
):
    page = client_for("ardenne.metropole").get(f"/dossiers/{opinion_given}")
    assert page.status_code == 200
    text = seen(page, "")
    assert "Pass numériques pour l'agglomération" in text, "its own data is shown"
    assert MOTIVATION not in text
    assert "Rang parmi les candidatures" not in text
    assert "Avis réservé" not in text and "Réservé" not in seen(page, "donnees")
    assert "Interne" not in text


@pytest.mark.parametrize("login", ["prefet.ardennes", "anct.national", "comite.membre"])
def test_the_staff_read_the_opinion_marked_internal(client_for, opinion_given, login):
    page = client_for(login).get(f"/dossiers/{opinion_given}")
    assert page.status_code == 200
    data = seen(page, "donnees")
    assert MOTIVATION in data
    assert "Rang parmi les candidatures du département" in data
    assert "Interne, non visible de la collectivité" in data


def test_the_collectivites_task_page_and_portal_keep_the_opinion_out(client_for, to_sign):
    collectivite = client_for("ardenne.metropole")
    portal = collectivite.get("/portail/")
    assert MOTIVATION not in seen(portal, "")
    (link,) = set(portal_links(portal))
    page = collectivite.get(link)
    assert page.status_code == 200
    assert "Pass numériques pour l'agglomération" in seen(page, "donnees")
    assert MOTIVATION not in seen(page, "")
    assert "Rang parmi les candidatures" not in seen(page, "")


def test_the_service_gives_the_authority_its_data_without_the_internal_fields(
    platform, opinion_given
):
    authority = person("ardenne.metropole", "collectivite", ARDENNE_METROPOLE["siren"])
    mine = service.get_instance(platform, opinion_given, authority).data
    assert "motivation_prefet" not in mine and "rang_prefet" not in mine
    assert "avis_prefet" not in mine and mine["intitule"] == CANDIDATURE["intitule"]
    staff = service.get_instance(platform, opinion_given, PREFET_08).data
    assert staff["motivation_prefet"] == MOTIVATION and staff["rang_prefet"] == 3
    changed = [e["changes"] or {} for e in service.get_instance(
        platform, opinion_given, authority).history]  # fmt: skip
    assert not any("motivation_prefet" in c for c in changed), "nor in the history's changes"


# ---------------------------------------------------------------- B. signatories


def portal_links(page) -> list[str]:
    return re.findall(r'href="(/taches/[^"]+)"', page.get_data(as_text=True))


def test_each_signature_task_says_for_whom_it_is(client_for, platform, to_sign):
    collectivite = task_of(platform, person("ardenne.metropole", "collectivite",
                                            ARDENNE_METROPOLE["siren"]), to_sign,
                           "signer_collectivite")  # fmt: skip
    wanted = "Signer la convention — pour la communauté d'agglomération Ardenne Métropole"
    assert collectivite["name"] == wanted

    portal = client_for("ardenne.metropole").get("/portail/")
    assert wanted in seen(portal, "mes-taches")
    page = client_for("ardenne.metropole").get(f"/taches/{collectivite['id']}")
    assert seen(page, "").count(wanted) >= 2, "title and heading"
    assert "Signer la convention — pour la collectivité" in seen(page, "")

    inbox = client_for("anct.national").get("/taches/")
    assert "Signer la convention — pour l'ANCT" in seen(inbox, "")
    anct = task_of(platform, person("anct.national", "equipe_nationale"), to_sign, "signer_anct")
    assert anct["name"] == "Signer la convention — pour l'ANCT"
    page = client_for("anct.national").get(f"/taches/{anct['id']}")
    assert "Signer la convention — pour l'ANCT" in seen(page, "")


def test_without_the_name_in_the_data_the_task_says_for_which_kind_of_signatory(platform):
    reference = file_application(platform, nom_collectivite=None)
    give_opinion(platform, reference)
    task = task_of(platform, COMITE, reference, "deliberer_jury")
    service.complete(
        platform, COMITE, task["id"], {"decision_jury": "retenu", "montant_accorde": 90000}
    )
    authority = person("ardenne.metropole", "collectivite", ARDENNE_METROPOLE["siren"])
    found = task_of(platform, authority, reference, "signer_collectivite")
    assert found["name"] == "Signer la convention — pour la collectivité"


def test_a_file_of_an_internal_field_is_neither_listed_nor_given_to_the_authority(
    platform, monkeypatch
):
    """A procedure may attach a document to an internal field: the authority neither sees it
    among the dossier's files nor downloads it (404, as for a file that does not exist)."""
    plan = staged(platform, "ardenne.metropole", "plan-de-financement.pdf")
    reference = file_application(platform, plan_financement=plan)
    authority = person("ardenne.metropole", "collectivite", ARDENNE_METROPOLE["siren"])
    assert [f.filename for f in attachments.for_dossier(platform, authority, reference)] == [
        "plan-de-financement.pdf"
    ]
    # The same procedure, had it declared the financing plan internal.
    monkeypatch.setattr(
        readers,
        "hidden_paths",
        lambda fields, roles: ["plan_financement"] if roles == {"collectivite"} else [],
    )
    assert attachments.for_dossier(platform, authority, reference) == []
    with pytest.raises(NotFound):
        attachments.download(platform, authority, plan["id"])
    (listed,) = attachments.for_dossier(platform, PREFET_08, reference)
    assert attachments.download(platform, PREFET_08, listed.id).filename == listed.filename

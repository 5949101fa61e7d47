"""Who opens a dossier, and where (issue 12, defects 2 and 12): an authority files only for
its own territory — its commune, its EPCI's communes — checked on the server, and is offered
only its own départements; the national team opens a Territoires en renouveau contract from
the web, as the procedure says it does."""

from __future__ import annotations

import re

from engine import service
from tests.procedures.conftest import person
from tests.procedures.test_demande_ingenierie import DEPOT, DEPOT_ARDENNES
from tests.procedures.test_territoires_en_renouveau import IDENTIFICATION
from tests.web.conftest import post_form
from tests.web.pages import seen
from tests.web.test_portal import CANDIDATURE_FORM, as_form, field_group

FORM = "/portail/deposer/demande_ingenierie"
PASS = "/portail/deposer/pass_numerique?campagne=PASS-NUMERIQUE-DEMO"
CONTRACT = "/portail/deposer/territoires_en_renouveau"
PREFET_08 = person("prefet.ardennes", "prefet", "08")
PREFET_23 = person("prefet.creuse", "prefet", "23")


def dossier_count(platform) -> int:
    return len(service.list_tasks(platform, service.Viewer.command_line()))


def test_a_commune_cannot_file_for_a_commune_of_another_departement(client_for, platform):
    client = client_for("mairie.gueret")
    data = {**as_form(DEPOT), "commune": "08105", "_action": "deposer"}
    refused = post_form(client, FORM, data)
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in field_group(refused, "commune")
    assert (
        "Commune du projet (code INSEE) : La commune 08105 n'est pas sur le territoire de "
        "Guéret : vous ne pouvez déposer que pour votre propre territoire."
        in seen(refused, "erreurs")
    )
    assert "Votre demande n'a pas été déposée" in seen(refused, "erreurs")
    assert service.list_tasks(platform, PREFET_08) == [] and dossier_count(platform) == 0


def test_an_epci_files_for_its_member_communes_only(client_for, platform):
    client = client_for("ardenne.metropole")
    outside = {**as_form(DEPOT_ARDENNES), "commune": "08001", "_action": "deposer"}
    refused = post_form(client, FORM, outside)
    assert refused.status_code == 422
    assert "La commune 08001 n'est pas sur le territoire de CA Ardenne Métropole" in seen(
        refused, "erreurs"
    )
    member = post_form(client, FORM, {**as_form(DEPOT_ARDENNES), "_action": "deposer"})
    assert member.status_code == 302
    assert member.headers["Location"].rsplit("/", 1)[-1].startswith("ING-08-")


def test_a_call_offers_and_accepts_only_the_authority_s_own_departement(client_for, platform):
    client = client_for("mairie.gueret")
    body = client.get(PASS).get_data(as_text=True)
    assert re.findall(r'<option value="(\d\w+)"', body) == ["23"]
    refused = post_form(
        client, PASS,
        {**as_form(CANDIDATURE_FORM), "_campagne": "PASS-NUMERIQUE-DEMO", "_territoire": "08",
         "_action": "deposer"},
    )  # fmt: skip
    assert refused.status_code == 422
    assert "Le département Ardennes (08) n'est pas sur le territoire de Guéret" in seen(
        refused, "erreurs"
    )
    assert service.list_tasks(platform, PREFET_08) == []


def test_the_national_team_opens_a_territoires_en_renouveau_contract_from_the_web(
    client_for, platform
):
    national = client_for("anct.national")
    inbox = national.get("/taches/")
    assert "Ouvrir un dossier « Territoires en renouveau" in seen(inbox, "ouvrir")
    page = national.get(CONTRACT)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'name="_siren"' in body and "Ouvrir le dossier" in body
    assert "Enregistrer le brouillon" not in body

    posted = {**as_form({**IDENTIFICATION, "departements": None}), "departements.0": "23",
              "_territoire": "23", "_action": "deposer"}  # fmt: skip
    del posted["departements"]
    missing = post_form(national, CONTRACT, posted)
    assert missing.status_code == 422
    assert "Indiquez le SIREN de la collectivité du dossier." in seen(missing, "erreurs")

    opened = post_form(national, CONTRACT, {**posted, "_siren": "212309603"})
    assert opened.status_code == 302, seen(opened, "erreurs")
    reference = opened.headers["Location"].rsplit("/", 1)[-1]
    assert reference.startswith("TER-23-")
    assert f"Le dossier {reference} est ouvert." in seen(national.get(opened.headers["Location"]))
    [task] = [t for t in service.list_tasks(platform, PREFET_23) if t["instance"] == reference]
    assert task["bpmn_id"] == "conduire_diagnostic"
    # Authorities do not open contracts: the procedure says the national team does.
    assert client_for("mairie.gueret").get(CONTRACT).status_code == 403

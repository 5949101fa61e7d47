"""The authorities' portal: their dossiers, what they may file, drafts, filing through the form."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engine import service
from engine.service.dossiers import drafts
from tests.procedures.conftest import person
from tests.procedures.test_demande_ingenierie import COMPLEMENTS, DEPOT
from tests.procedures.test_pass_numerique import CANDIDATURE
from tests.web.conftest import csrf_token, post_form
from tests.web.test_dossiers import text

#: A pass numérique application as the portal's form takes it (the campaign comes from the link).
CANDIDATURE_FORM = {k: v for k, v in CANDIDATURE.items() if k != "campagne"}
GUERET_VIEWER = person("mairie.gueret", "collectivite", "212309603")
PREFET_23 = person("prefet.creuse", "prefet", "23")


def links(answer) -> list[str]:
    return re.findall(r'href="([^"]+)"', answer.get_data(as_text=True))


# ---------------------------------------------------------------- following one's dossiers


def test_an_authority_follows_its_own_dossiers_only(client_for, dossiers):
    page = client_for("mairie.gueret").get("/portail/")
    assert page.status_code == 200
    mine = text(page, "mes-dossiers")
    assert dossiers["gueret"] in mine and dossiers["ardenne"] not in mine
    assert "Demande d'accompagnement en ingénierie sur mesure" in mine and "En cours" in mine
    # Current step (the préfet's) and the expected next step with its date.
    assert "Qualifier le besoin — Préfet (délégué territorial)" in mine
    assert "avant le 23 mars 2026" in mine
    assert f"/dossiers/{dossiers['gueret']}" in links(page)
    assert f"/dossiers/{dossiers['ardenne']}" not in links(page)

    other = client_for("ardenne.metropole").get("/portail/")
    assert dossiers["ardenne"] in text(other, "mes-dossiers")
    assert dossiers["gueret"] not in other.get_data(as_text=True)


def test_an_authority_is_led_to_its_own_tasks(client_for, dossiers, platform):
    [task] = [
        t for t in service.list_tasks(platform, PREFET_23) if t["instance"] == dossiers["gueret"]
    ]
    service.complete(platform, PREFET_23, task["id"], COMPLEMENTS)
    [mine] = service.list_tasks(platform, GUERET_VIEWER)
    page = client_for("mairie.gueret").get("/portail/")
    todo = text(page, "mes-taches")
    assert "Compléter la demande" in todo and dossiers["gueret"] in todo
    assert f"/taches/{mine['id']}" in links(page)
    assert "À vous" in text(page, "mes-dossiers")
    nothing = client_for("ardenne.metropole").get("/portail/")
    assert f"/taches/{mine['id']}" not in links(nothing)
    assert "Rien à faire pour le moment" in text(nothing)


@pytest.mark.parametrize("login", ["prefet.creuse", "anct.national", "admin"])
def test_the_portal_is_for_authorities(client_for, login):
    client = client_for(login)
    assert client.get("/portail/").status_code == 403
    assert client.get("/portail/deposer/demande_ingenierie").status_code == 403


def test_anonymous_visitors_sign_in_first(client_for):
    assert client_for(None).get("/portail/").status_code in (302, 401)


# ---------------------------------------------------------------- what may be filed


def test_calls_show_only_while_their_campaign_is_open(client_for, clock, platform):
    client = client_for("mairie.gueret")
    offers = text(client.get("/portail/"), "offres")
    assert "Demander un accompagnement en ingénierie sur mesure" in offers
    assert "Fabriques de territoire (démonstration)" in offers
    assert "Pass numérique (démonstration)" in offers
    assert "Territoires en renouveau" not in offers
    assert "/portail/deposer/pass_numerique?campagne=PASS-NUMERIQUE-DEMO" in links(
        client.get("/portail/")
    )

    clock.advance(days=90)
    offers = text(client.get("/portail/"), "offres")
    assert "Demander un accompagnement en ingénierie sur mesure" in offers
    assert "Fabriques" not in offers and "Pass numérique" not in offers
    closed = client.get("/portail/deposer/pass_numerique?campagne=PASS-NUMERIQUE-DEMO")
    assert closed.status_code == 422
    assert "est clos" in text(closed)


def test_procedures_authorities_do_not_start_are_not_offered(client_for):
    client = client_for("mairie.gueret")
    assert client.get("/portail/deposer/territoires_en_renouveau").status_code == 403
    assert client.get("/portail/deposer/inconnue").status_code == 404
    assert client.get("/portail/deposer/pass_numerique").status_code == 404
    assert client.get("/portail/deposer/pass_numerique?campagne=FABRIQUES-DEMO").status_code == 404


# ---------------------------------------------------------------- drafts


def test_drafts_are_listed_resumable_and_deletable(client_for, platform, clock):
    request = drafts.save(
        platform, GUERET_VIEWER, "demande_ingenierie", {"intitule_projet": "Halles couvertes"}
    )
    call = drafts.save(
        platform, GUERET_VIEWER, "pass_numerique", {"intitule": "Pass pour tous"},
        campaign="PASS-NUMERIQUE-DEMO", territory="23",
    )  # fmt: skip
    client = client_for("mairie.gueret")
    page = client.get("/portail/")
    listed = text(page, "brouillons")
    assert "Halles couvertes" in listed and "Pass pour tous" in listed
    assert f"/portail/deposer/demande_ingenierie?brouillon={request}" in links(page)
    assert (
        f"/portail/deposer/pass_numerique?brouillon={call}&amp;campagne=PASS-NUMERIQUE-DEMO"
        in page.get_data(as_text=True)
    )
    assert "Aucun brouillon." in text(client_for("ardenne.metropole").get("/portail/"))

    # Another authority can neither see nor delete it.
    other = client_for("ardenne.metropole")
    token = csrf_token(other, "/portail/")
    refused = other.post(f"/portail/brouillons/{request}/supprimer", data={"csrf_token": token})
    assert refused.status_code == 404

    # Once the call closes, its draft can only be deleted.
    clock.advance(days=90)
    page = client.get("/portail/")
    assert "Appel clos" in text(page, "brouillons")
    assert f"brouillon={call}" not in page.get_data(as_text=True)

    deleted = post_form(client, f"/portail/brouillons/{call}/supprimer", {}, page="/portail/")
    assert deleted.status_code == 302 and deleted.headers["Location"].endswith("/portail/")
    page = client.get("/portail/")
    assert "Brouillon supprimé." in text(page)
    assert "Pass pour tous" not in text(page, "brouillons")
    assert "Halles couvertes" in text(page, "brouillons")


def test_deleting_needs_the_csrf_token(client_for, platform):
    draft = drafts.save(platform, GUERET_VIEWER, "demande_ingenierie", {"intitule_projet": "X"})
    answer = client_for("mairie.gueret").post(f"/portail/brouillons/{draft}/supprimer")
    assert answer.status_code == 400
    assert drafts.list_drafts(platform, GUERET_VIEWER) != []


def test_a_call_link_expires_with_its_campaign(client_for, clock):
    client = client_for("ardenne.metropole")
    clock.advance(timedelta(days=89, hours=23))
    assert "PASS-NUMERIQUE-DEMO" in client.get("/portail/").get_data(as_text=True)
    clock.advance(hours=2)
    assert "PASS-NUMERIQUE-DEMO" not in client.get("/portail/").get_data(as_text=True)


# ---------------------------------------------------------------- filing through the form


def as_form(data: dict, prefix: str = "") -> dict:
    """Dossier data as a browser posts it (the renderer names fields by their data path)."""
    posted: dict = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            posted.update(as_form(value, name + "."))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for index, item in enumerate(value):
                posted.update(as_form(item, f"{name}.{index}."))
        elif isinstance(value, list):
            posted[name] = value
        else:
            posted[name] = str(value)
    return posted


def field_group(answer, name: str) -> str:
    """The HTML of the group of one field (label, control, messages)."""
    body = answer.get_data(as_text=True)
    start = body.index(f'data-champ="{name}"')
    return body[start : body.index("fr-messages-group", start) + 400]


FORM = "/portail/deposer/demande_ingenierie"


def test_the_request_form_is_prefilled_with_the_organisation(client_for):
    page = client_for("mairie.gueret").get(FORM)
    assert page.status_code == 200
    assert "Demander un accompagnement en ingénierie sur mesure" in text(page)
    assert 'value="212309603"' in field_group(page, "siren")
    assert 'value="Commune de Guéret"' in field_group(page, "nom_demandeur")
    body = page.get_data(as_text=True)
    assert 'name="csrf_token"' in body
    # The commune of the project says where: no list of départements.
    assert 'name="_territoire"' not in body
    assert "Enregistrer le brouillon" in body and ">Déposer</button>" in body


def test_a_call_form_hides_its_campaign_and_asks_for_the_departement(client_for):
    page = client_for("ardenne.metropole").get(
        "/portail/deposer/pass_numerique?campagne=PASS-NUMERIQUE-DEMO"
    )
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'name="campagne"' not in body
    assert '<input type="hidden" name="_campagne" value="PASS-NUMERIQUE-DEMO">' in body
    assert "Pass numérique (démonstration) — dépôt possible jusqu'au" in text(page)
    # Ardenne Métropole's département comes from the official data (its member communes).
    assert '<option value="08" selected>08 — Ardennes</option>' in body


def test_an_authority_files_an_engineering_request_end_to_end(client_for, platform):
    client = client_for("mairie.gueret")
    filed = post_form(client, FORM, {**as_form(DEPOT), "_action": "deposer"})
    assert filed.status_code == 302
    reference = filed.headers["Location"].rsplit("/", 1)[-1]
    assert reference.startswith("ING-23-2026-")
    page = client.get(filed.headers["Location"])
    assert f"Votre demande {reference} a été déposée." in text(page)
    assert "Revitalisation commerciale du centre-ville de Guéret" in text(page, "donnees")
    assert "Commune de Guéret (SIREN 212309603)" in text(page, "demandeur")
    assert "Sophie Lemaire" in text(page, "historique")  # the account that filed it

    # Routed to the préfet of the Creuse, and to nobody in the Ardennes.
    [task] = [t for t in service.list_tasks(platform, PREFET_23) if t["instance"] == reference]
    assert task["name"] == "Qualifier le besoin" and task["organisation"] == "Commune de Guéret"
    prefet_08 = person("prefet.ardennes", "prefet", "08")
    assert [t for t in service.list_tasks(platform, prefet_08) if t["instance"] == reference] == []
    assert reference in text(client.get("/portail/"), "mes-dossiers")


def test_a_validation_error_is_shown_next_to_its_field(client_for, platform):
    client = client_for("mairie.gueret")
    data = {**as_form(DEPOT), "description_projet": "Trop court", "_action": "deposer"}
    refused = post_form(client, FORM, data)
    assert refused.status_code == 422
    group = field_group(refused, "description_projet")
    message = "Décrivez votre projet en quelques lignes (au moins 20 caractères)."
    assert message in group and 'aria-invalid="true"' in group
    assert "Votre demande n'a pas été déposée" in text(refused, "erreurs")
    assert message in text(refused, "erreurs")
    # What was typed is kept; nothing was filed.
    assert 'value="Revitalisation commerciale du centre-ville de Guéret"' in field_group(
        refused, "intitule_projet"
    )
    assert service.list_tasks(platform, PREFET_23) == []


def test_an_authority_files_only_for_itself(client_for, platform):
    client = client_for("mairie.gueret")
    data = {**as_form(DEPOT), "siren": "200041630", "_action": "deposer"}
    refused = post_form(client, FORM, data)
    assert refused.status_code == 422
    assert "vous ne pouvez déposer que pour elle" in field_group(refused, "siren")
    assert service.list_tasks(platform, PREFET_23) == []


def test_a_draft_is_saved_resumed_and_filed(client_for, platform):
    client = client_for("mairie.gueret")
    partial = {"intitule_projet": "Halles couvertes", "contact.nom": "Sophie Lemaire"}
    saved = post_form(client, FORM, {**partial, "_action": "brouillon"})
    assert saved.status_code == 302
    [draft] = drafts.list_drafts(platform, GUERET_VIEWER)
    assert saved.headers["Location"].endswith(f"{FORM}?brouillon={draft.id}")
    assert draft.data == {
        "intitule_projet": "Halles couvertes",
        "contact": {"nom": "Sophie Lemaire"},
    }

    resumed = client.get(saved.headers["Location"])
    assert "Brouillon enregistré" in text(resumed)
    assert 'value="Halles couvertes"' in field_group(resumed, "intitule_projet")
    assert 'value="Sophie Lemaire"' in field_group(resumed, "contact.nom")
    assert f'<input type="hidden" name="_brouillon" value="{draft.id}">' in resumed.get_data(
        as_text=True
    )
    assert "Halles couvertes" in text(client.get("/portail/"), "brouillons")

    # Somebody else's draft is not theirs to open.
    assert client_for("ardenne.metropole").get(f"{FORM}?brouillon={draft.id}").status_code == 404

    completed = {**as_form(DEPOT), "intitule_projet": "Halles couvertes"}
    filed = post_form(
        client, FORM, {**completed, "_brouillon": str(draft.id), "_action": "deposer"},
        page=saved.headers["Location"],
    )  # fmt: skip
    assert filed.status_code == 302 and "/dossiers/ING-23-" in filed.headers["Location"]
    assert drafts.list_drafts(platform, GUERET_VIEWER) == []
    assert "Aucun brouillon." in text(client.get("/portail/"))


def test_a_call_asks_for_its_departement_next_to_the_list(client_for, platform):
    client = client_for("ardenne.metropole")
    path = "/portail/deposer/pass_numerique"
    page = f"{path}?campagne=PASS-NUMERIQUE-DEMO"
    data = {**as_form(CANDIDATURE_FORM), "_campagne": "PASS-NUMERIQUE-DEMO", "_action": "deposer"}
    refused = post_form(client, path, {**data, "_territoire": ""}, page=page)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert re.search(
        r'id="champ-territoire" name="_territoire" aria-describedby="champ-territoire-messages" '
        r'aria-invalid="true"',
        body,
    )
    assert 'id="champ-territoire-erreur">Choisissez le département du dossier.</p>' in body

    filed = post_form(client, path, {**data, "_territoire": "08"}, page=page)
    assert filed.status_code == 302
    reference = filed.headers["Location"].rsplit("/", 1)[-1]
    assert reference.startswith("PNU-08-")
    details = service.get_instance(platform, reference, person("a", "equipe_nationale"))
    assert details.data["campagne"] == "PASS-NUMERIQUE-DEMO"
    assert details.organisation == "CA Ardenne Métropole"


def test_more_rows_can_be_asked_for_without_javascript(client_for):
    client = client_for("ardenne.metropole")
    path = "/portail/deposer/pass_numerique"
    page = f"{path}?campagne=PASS-NUMERIQUE-DEMO"
    before = client.get(page).get_data(as_text=True)
    assert 'name="lieux_qualifies.1.nom"' in before and 'name="lieux_qualifies.4.nom"' not in before
    more = post_form(
        client, path,
        {"_campagne": "PASS-NUMERIQUE-DEMO", "_lignes": "2", "_action": "lignes",
         "intitule": "Pass pour tous"},
        page=page,
    )  # fmt: skip
    assert more.status_code == 200
    body = more.get_data(as_text=True)
    assert 'name="lieux_qualifies.4.nom"' in body and 'value="Pass pour tous"' in body


def test_filing_after_the_call_closed_is_refused(client_for, clock, platform):
    client = client_for("ardenne.metropole")
    path = "/portail/deposer/pass_numerique"
    token = csrf_token(client, f"{path}?campagne=PASS-NUMERIQUE-DEMO")
    clock.advance(days=91)
    data = {**as_form(CANDIDATURE_FORM), "_campagne": "PASS-NUMERIQUE-DEMO", "_territoire": "08"}
    refused = client.post(path, data={**data, "_action": "deposer", "csrf_token": token})
    assert refused.status_code == 422 and "est clos" in text(refused)
    assert service.list_tasks(platform, person("p", "prefet", "08")) == []

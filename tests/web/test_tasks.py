"""The task page (/taches/<id>): the dossier, the form, claim, release, assign, complete.

Forms are filled as a browser would: the values the page shows, changed where a person types.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import pytest

from engine import service
from engine.service import notifications
from engine.service.people import accounts
from tests.procedures.conftest import GUERET, person
from tests.procedures.test_demande_ingenierie import (
    COMPLEMENTS,
    DEPOT,
    LIVRABLE,
    jusqu_a_la_convention,
    signataires,
    signer,
)
from tests.web.conftest import csrf_token
from tests.web.pages import references, seen
from tests.web.test_forms_render import read_form

PREFET_23 = person("prefet.creuse", "prefet", "23")
AGENT_23 = person("agent.creuse", "prefet", "23")
PEOPLE = {
    "mairie_gueret": person("mairie.gueret", "collectivite", "212309603"),
    "prefet_23": PREFET_23,
    "anct": person("anct.national", "equipe_nationale"),
    "comite": person("comite.membre", "comite"),
    "expert": person("expert.cerema", "expert"),
}


@pytest.fixture
def dossier(platform) -> str:
    return service.start(
        platform, "demande_ingenierie", data=DEPOT, actor="mairie.gueret",
        organisation="Commune de Guéret", **GUERET,
    ).reference  # fmt: skip


@pytest.fixture
def colleague(platform) -> str:
    accounts.create_user(
        platform, "agent.creuse", name="Agnès Durand", grants=[("prefet", "23")],
        password="demo-anct-2026",
    )  # fmt: skip
    return "agent.creuse"


def open_task(platform, viewer, reference: str) -> dict:
    [task] = [t for t in service.list_tasks(platform, viewer) if t["instance"] == reference]
    return task


def task_page(platform, dossier: str) -> str:
    return f"/taches/{open_task(platform, PREFET_23, dossier)['id']}"


def task_form(answer: Any):
    """The controls of the page's task form (not the claim, assign or sign-out forms)."""
    found = re.search(
        r'<form[^>]*data-testid="formulaire".*?</form>', answer.get_data(as_text=True), re.S
    )
    assert found, "pas de formulaire de tâche sur la page"
    return read_form(found.group(0))


def post(client, path: str, data: dict[str, Any], page: str):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def history(platform, reference: str) -> list[tuple[str, str]]:
    details = service.get_instance(platform, reference, service.Viewer.command_line())
    return [(e["kind"], e["label"]) for e in details.history]


# ---------------------------------------------------------------- the page


def test_the_task_page_shows_the_dossier_and_the_form(client_for, platform, dossier):
    path = task_page(platform, dossier)
    client = client_for("prefet.creuse")
    answer = client.get(path)
    assert answer.status_code == 200
    summary = seen(answer, "resume")
    for expected in (
        f"Référence {dossier}",
        "Procédure Demande d'accompagnement en ingénierie sur mesure",
        "Territoire Creuse (23)",
        "Demandeur Commune de Guéret (SIREN 212309603)",
        "Rôle attendu Préfet (délégué territorial)",
        "Échéance 23 mars 2026 à 09 h 00",
        "Prise en charge Personne pour le moment",
    ):
        assert expected in summary
    body = answer.get_data(as_text=True)
    assert "<h1>Qualifier le besoin</h1>" in body
    form = task_form(answer)
    assert (
        form.labels["champ-decision_prefet-1"].strip()
        == "Demander des compléments à la collectivité"
    )
    assert "Les champs sont obligatoires sauf mention contraire." in seen(answer)
    assert "Motif de non-recevabilité" in form.labels["champ-motif_non_recevabilite"]
    # Every POST form carries its CSRF token; no inline script anywhere.
    forms = re.findall(r"<form[^>]*method=\"post\".*?</form>", body, re.S)
    assert len(forms) >= 3 and all('name="csrf_token"' in f for f in forms)
    assert all(
        'src="' in attributes and not inline.strip()
        for attributes, inline in re.findall(r"<script([^>]*)>(.*?)</script>", body, re.S)
    )
    # The notification of the new task links to this page.
    [notice] = notifications.list_notifications(platform, PREFET_23)
    assert urlparse(notice["link"]).path == path
    assert client.get(urlparse(notice["link"]).path).status_code == 200


def test_outside_the_scope_a_task_does_not_exist(client_for, platform, dossier):
    path = task_page(platform, dossier)
    for login in ("prefet.ardennes", "ardenne.metropole", "expert.cerema"):
        client = client_for(login)
        answer = client.get(path)
        assert answer.status_code == 404, login
        body = answer.get_data(as_text=True)
        assert "Tâche introuvable" in seen(answer) and dossier not in body
        token = csrf_token(client, "/notifications")
        for action, data in (
            ("/prendre", {}), ("/liberer", {}), ("/confier", {"login": "prefet.ardennes"}),
            ("", {"decision_prefet": "non_recevable", "motif_non_recevabilite": "Hors champ."}),
        ):  # fmt: skip
            refused = client.post(path + action, data={**data, "csrf_token": token})
            assert refused.status_code == 404, (login, action)
    task = open_task(platform, PREFET_23, dossier)
    assert task["assignee"] is None and task["status"] == "ouverte"
    assert client.get("/taches/00000000-0000-0000-0000-000000000000").status_code == 404


def test_in_scope_but_for_another_role_and_anonymous(client_for, platform, dossier):
    path = task_page(platform, dossier)
    for login in ("anct.national", "mairie.gueret", "comite.membre"):
        answer = client_for(login).get(path)
        assert answer.status_code == 403, login
        assert "Votre rôle ne permet pas de traiter la tâche « Qualifier le besoin »." in seen(
            answer
        )
    anonymous = client_for(None).get(path)
    assert anonymous.status_code in (302, 401)
    assert dossier not in anonymous.get_data(as_text=True)


# ---------------------------------------------------------------- claim, release, assign


def test_claim_and_release(client_for, platform, dossier, colleague):
    path = task_page(platform, dossier)
    client = client_for("prefet.creuse")
    taken = post(client, path + "/prendre", {}, path)
    assert taken.status_code == 302 and urlparse(taken.location).path == path
    page = client.get(path)
    assert "Vous avez pris en charge cette tâche." in seen(page)
    assert "Prise en charge Vous" in seen(page, "resume")
    assert "Remettre à disposition" in seen(page, "actions")

    other = client_for(colleague)
    theirs = other.get(path)
    assert "Préfecture de la Creuse a pris cette tâche en charge" in seen(theirs, "actions")
    assert 'data-testid="formulaire"' not in theirs.get_data(as_text=True)
    refused = post(other, path + "/prendre", {}, path)
    assert refused.status_code == 302
    assert "déjà prise en charge par prefet.creuse" in seen(other.get(path))

    form = task_form(page)
    post(client, path + "/liberer", {}, path)
    page = client.get(path)
    assert "La tâche est remise à disposition de vos collègues." in seen(page)
    assert "Prise en charge Personne pour le moment" in seen(page, "resume")
    assert [k for k, _ in history(platform, dossier) if k.startswith("tache_")] == [
        "tache_prise", "tache_liberee",
    ]  # fmt: skip

    # The colleague takes it meanwhile: a form sent from the page opened before is refused,
    # on the task page, with what happened.
    post(other, path + "/prendre", {}, path)
    answer = client.post(
        path,
        data=form.submission(
            {"decision_prefet": "non_recevable", "motif_non_recevabilite": "Hors champ."}
        ),
    )
    assert answer.status_code == 409
    assert "<h1>Qualifier le besoin</h1>" in answer.get_data(as_text=True)
    assert seen(answer, "message") == (
        "La tâche n'a pas été traitée La tâche « Qualifier le besoin » est prise en charge par "
        "agent.creuse."
    )
    assert "Agnès Durand a pris cette tâche en charge" in seen(answer, "actions")
    assert open_task(platform, PREFET_23, dossier)["status"] == "ouverte"


def test_assign_to_a_colleague_of_the_same_role_and_scope(client_for, platform, dossier, colleague):
    path = task_page(platform, dossier)
    client = client_for("prefet.creuse")
    page = client.get(path)
    actions = seen(page, "actions")
    assert "Confier la tâche à un collègue" in actions
    assert "Agnès Durand (agent.creuse)" in actions
    assert "prefet.ardennes" not in actions and "Préfecture de la Creuse (prefet" not in actions

    for login, message in (
        ("prefet.ardennes", "« prefet.ardennes » ne peut pas recevoir la tâche « Qualifier le besoin » : il faut le même rôle sur le même territoire."),
        ("anct.national", "« anct.national » ne peut pas recevoir la tâche"),
        ("", "Choisissez la personne à qui confier la tâche."),
    ):  # fmt: skip
        refused = post(client, path + "/confier", {"login": login}, path)
        assert refused.status_code == 302
        assert message in seen(client.get(path))
    assert open_task(platform, PREFET_23, dossier)["assignee"] is None

    given = post(client, path + "/confier", {"login": "agent.creuse"}, path)
    assert urlparse(given.location).path == path
    page = client.get(path)
    assert "La tâche est confiée à Agnès Durand." in seen(page)
    assert "Prise en charge Agnès Durand" in seen(page, "resume")
    assert ("tache_assignee", "Qualifier le besoin — confiée à Agnès Durand") in history(
        platform, dossier
    )
    [notice, *_] = notifications.list_notifications(platform, AGENT_23)
    assert notice["subject"] == f"Tâche confiée : Qualifier le besoin ({dossier})"
    assert "Préfecture de la Creuse vous a confié la tâche" in notice["body"]
    assert urlparse(notice["link"]).path == path
    inbox = client_for(colleague).get("/taches/?attribution=moi")
    assert references(inbox) == [dossier]
    assert "Prises en charge par moi : 1" in seen(inbox, "compteurs")
    # The national team may assign its own tasks; an authority never.
    mairie = client_for("mairie.gueret")
    service.complete(platform, AGENT_23, open_task(platform, AGENT_23, dossier)["id"], COMPLEMENTS)
    answer_path = f"/taches/{open_task(platform, PEOPLE['mairie_gueret'], dossier)['id']}"
    assert "Confier la tâche" not in seen(mairie.get(answer_path))
    post(mairie, answer_path + "/confier", {"login": "mairie.gueret"}, answer_path)
    assert "Votre rôle ne permet pas de confier la tâche « Compléter la demande »" in seen(
        mairie.get(answer_path)
    )


# ---------------------------------------------------------------- complete


def test_a_refused_form_shows_the_french_message_next_to_the_field(client_for, platform, dossier):
    path = task_page(platform, dossier)
    client = client_for("prefet.creuse")
    form = task_form(client.get(path))
    answer = client.post(path, data=form.submission({"decision_prefet": "transmission"}))
    assert answer.status_code == 422
    shown = task_form(answer)
    textarea = shown.ids["champ-besoin_qualifie"]
    assert textarea.get("aria-invalid") == "true"
    assert shown.text(textarea["aria-describedby"]) == "Rédigez la synthèse du besoin qualifié."
    assert "fr-input-group--error" in answer.get_data(as_text=True)
    assert "checked" in shown.ids["champ-decision_prefet-4"]  # « transmission » still chosen
    assert "Un champ est à corriger" in seen(answer, "resume-erreurs")
    assert "Besoin qualifié : Rédigez la synthèse du besoin qualifié." in seen(
        answer, "resume-erreurs"
    )
    # A nested field: the message next to it, the other values kept.
    answer = client.post(
        path,
        data=shown.submission(
            {
                "decision_prefet": "ingenierie_locale",
                "structure_locale.type_structure": "caue",
                "structure_locale.nom": "CAUE de la Creuse",
                "structure_locale.courriel": "pas-une-adresse",
            }
        ),
    )
    assert answer.status_code == 422
    shown = task_form(answer)
    courriel = shown.ids["champ-structure_locale-courriel"]
    assert courriel["value"] == "pas-une-adresse"
    assert shown.text(courriel["aria-describedby"]).startswith("Adresse électronique invalide")
    assert shown.ids["champ-structure_locale-nom"]["value"] == "CAUE de la Creuse"
    assert open_task(platform, PREFET_23, dossier)["status"] == "ouverte"


def test_complete_then_submit_again(client_for, platform, dossier):
    path = task_page(platform, dossier)
    client = client_for("prefet.creuse")
    form = task_form(client.get(path))
    data = form.submission(
        {
            "decision_prefet": "non_recevable",
            "motif_non_recevabilite": "Le projet relève du fonctionnement.",
        }
    )
    done = client.post(path, data=data)
    assert done.status_code == 302 and urlparse(done.location).path == "/taches/"
    inbox = client.get("/taches/")
    assert f"La tâche « Qualifier le besoin » du dossier {dossier} est traitée." in seen(inbox)
    assert dossier not in references(inbox)

    again = client.post(path, data=data)  # the same form, sent a second time
    assert again.status_code == 302 and urlparse(again.location).path == path
    page = client.get(path)
    assert page.status_code == 200
    assert "Cette tâche a déjà été traitée : votre envoi n'a pas été enregistré." in seen(page)
    assert "Traitée le 2 mars 2026 à 09 h 00 par Préfecture de la Creuse" in seen(
        page, "deja-traitee"
    )
    assert 'data-testid="formulaire"' not in page.get_data(as_text=True)
    assert [k for k, _ in history(platform, dossier)].count("tache_terminee") == 1
    details = service.get_instance(platform, dossier, service.Viewer.command_line())
    assert details.status == "terminee"
    assert details.data["motif_non_recevabilite"] == "Le projet relève du fonctionnement."


def test_the_authority_answers_with_its_data_pre_filled(client_for, platform, dossier):
    service.complete(
        platform, PREFET_23, open_task(platform, PREFET_23, dossier)["id"], COMPLEMENTS
    )
    task = open_task(platform, PEOPLE["mairie_gueret"], dossier)
    path = f"/taches/{task['id']}"
    client = client_for("mairie.gueret")
    assert path in client.get("/portail/").get_data(as_text=True)
    page = client.get(path)
    assert page.status_code == 200
    assert 'href="/portail/"' in page.get_data(as_text=True)  # its breadcrumb: « Mes dossiers »
    data = seen(page, "donnees")  # what the préfet asked, to answer it
    assert "Compléments demandés" in data
    assert COMPLEMENTS["complements_demandes"].replace("'", "’") in data.replace("'", "’")
    form = task_form(page)
    textarea = next(c for c in form.controls if c.get("name") == "description_projet")
    assert textarea["text"] == DEPOT["description_projet"]
    assert "(facultatif)" in form.labels["champ-description_projet"]
    done = client.post(
        path,
        data=form.submission({"reponse_complements": "L'étude de vacance est jointe au dossier."}),
    )
    assert done.status_code == 302 and urlparse(done.location).path == "/portail/"
    details = service.get_instance(platform, dossier, service.Viewer.command_line())
    assert details.data["reponse_complements"] == "L'étude de vacance est jointe au dossier."
    assert details.data["description_projet"] == DEPOT["description_projet"]
    assert [t["bpmn_id"] for t in details.tasks] == ["qualifier_besoin"]


def test_experts_see_only_their_missions(client_for, platform, clock):
    reference = jusqu_a_la_convention(platform, PEOPLE, clock)
    expert = client_for("expert.cerema")
    # The partners' signatures are expert tasks assigned to others: not theirs to see.
    partner_tasks = [
        t for t in service.list_tasks(platform, service.Viewer.command_line())
        if t["role"] == "expert"
    ]  # fmt: skip
    assert partner_tasks and all(t["assignee"] != "expert.cerema" for t in partner_tasks)
    assert references(expert.get("/taches/")) == []
    assert expert.get(f"/taches/{partner_tasks[0]['id']}").status_code == 404

    for steps in signataires(PEOPLE).values():
        for viewer, bpmn_id, data in steps:
            signer(platform, reference, viewer, bpmn_id, data)
    inbox = expert.get("/taches/")
    assert references(inbox) == [reference]
    mission = open_task(platform, PEOPLE["expert"], reference)
    path = f"/taches/{mission['id']}"
    page = expert.get(path)
    assert page.status_code == 200
    assert "Prise en charge Vous" in seen(page, "resume")
    assert "Confier la tâche" not in seen(page)
    form = task_form(page)
    rows = [c["name"] for c in form.controls if c.get("name", "").endswith(".indicateur")]
    assert rows == ["indicateurs_resultat.0.indicateur", "indicateurs_resultat.1.indicateur"]
    # More rows on request, without JavaScript and without losing what was typed.
    typed = form.submission({"livrable_titre": LIVRABLE["livrable_titre"], "_action": "lignes"})
    more = expert.post(path, data=typed)
    assert more.status_code == 200
    form = task_form(more)
    rows = [c["name"] for c in form.controls if c.get("name", "").endswith(".indicateur")]
    assert len(rows) == 5
    assert form.ids["champ-livrable_titre"]["value"] == LIVRABLE["livrable_titre"]
    indicator = LIVRABLE["indicateurs_resultat"][0]
    done = expert.post(
        path,
        data=form.submission(
            {
                "livrable_synthese": LIVRABLE["livrable_synthese"],
                "livrable_lien": LIVRABLE["livrable_lien"],
                "indicateurs_resultat.3.indicateur": indicator["indicateur"],
                "indicateurs_resultat.3.valeur": indicator["valeur"],
            }
        ),
    )
    assert done.status_code == 302 and urlparse(done.location).path == "/taches/"
    details = service.get_instance(platform, reference, service.Viewer.command_line())
    assert details.data["indicateurs_resultat"] == LIVRABLE["indicateurs_resultat"]
    assert details.data["livrable_titre"] == LIVRABLE["livrable_titre"]

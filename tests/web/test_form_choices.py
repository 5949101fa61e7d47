"""Task forms as a person meets them: people chosen from a list of accounts, fields shown only
when they apply, follow-up forms that start from the dossier (issue 12).

- « Instruire la demande » offers the active expert accounts in a list; a login typed by hand
  (`expert.inconnu`) is refused next to its field and nothing is filed.
- « Qualifier le besoin » says when each field applies; what was typed in a field that does not
  apply is not kept, and such a field is never required.
- The steering committee and the mid-term review of Territoires en renouveau list the plan's
  actions, one row each.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

from engine import service
from engine.service.people import accounts
from tests.procedures import test_territoires_en_renouveau as renouveau
from tests.procedures.conftest import GUERET, person
from tests.procedures.test_demande_ingenierie import DEPOT, INSTRUCTION, TRANSMISSION
from tests.web.pages import seen
from tests.web.test_tasks import open_task, task_form

PREFET_23 = person("prefet.creuse", "prefet", "23")
ANCT = person("anct.national", "equipe_nationale")
UNKNOWN = (
    "« {login} » n'est pas un compte actif de rôle expert : choisissez une personne dans la liste."
)


def _filed(platform) -> str:
    return service.start(
        platform, "demande_ingenierie", data=DEPOT, actor="mairie.gueret",
        organisation="Commune de Guéret", **GUERET,
    ).reference  # fmt: skip


def _instruction_page(platform) -> str:
    reference = _filed(platform)
    service.complete(platform, PREFET_23, open_task(platform, PREFET_23, reference)["id"],
                     TRANSMISSION)  # fmt: skip
    return reference


def _options(form, name: str) -> list[str]:
    """The values a list offers (the control must be a list, not a text input)."""
    [select] = [c for c in form.controls if c.get("name") == name]
    assert select["tag"] == "select", f"{name} n'est pas une liste"
    return [option.get("value", "") for option in select["options"]]


# ---------------------------------------------------------------- people from a list


def test_the_expert_and_the_partners_are_chosen_among_active_expert_accounts(client_for, platform):
    accounts.create_user(platform, "ademe.na", name="Ademe Nouvelle-Aquitaine",
                      grants=[("expert", None)])  # fmt: skip
    accounts.create_user(platform, "expert.parti", name="Ancien expert", grants=[("expert", None)])
    accounts.set_active(platform, "expert.parti", False)
    reference = _instruction_page(platform)
    path = f"/taches/{open_task(platform, ANCT, reference)['id']}"
    client = client_for("anct.national")
    page = client.get(path)
    form = task_form(page)

    # A list, not a text input: the active experts, by name; nobody else.
    offered = _options(form, "expert_login")
    with platform.read() as connection:
        experts = accounts.people_by_role(connection, ["expert"])["expert"]
    assert offered == ["", *(login for login, _ in experts)]
    assert {"ademe.na", "expert.cerema"} <= set(offered)
    assert _options(form, "partenaires.0.login") == offered
    html = page.get_data(as_text=True)
    assert "Luc Petit (Cerema) (expert.cerema)" in html and "Choisir une personne" in html
    assert "expert.parti" not in html and 'value="prefet.creuse"' not in html

    # Logins typed by hand (a crafted post): refused on their fields, nothing filed.
    typed = {
        key: value for key, value in INSTRUCTION.items() if key not in ("expert", "partenaires")
    }
    changes = {
        **typed,
        "expert_login": "expert.inconnu",
        "expert.nom": "Luc Girard", "expert.organisme": "Cerema", "expert.courriel": "l@cerema.fr",
        "partenaires.0.organisme": "Banque des Territoires",
        "partenaires.0.login": "partenaire.inconnu",
        "cout_estime": "45000",
    }  # fmt: skip
    refused = client.post(path, data=form.submission(changes))
    assert refused.status_code == 422
    shown = task_form(refused)
    expert = shown.ids["champ-expert_login"]
    assert shown.text(expert["aria-describedby"]) == UNKNOWN.format(login="expert.inconnu")
    partner = shown.ids["champ-partenaires-0-login"]
    assert shown.text(partner["aria-describedby"]) == UNKNOWN.format(login="partenaire.inconnu")
    assert "2 champs sont à corriger" in seen(refused, "resume-erreurs")
    # An inactive account is no better than an unknown one.
    again = client.post(path, data=shown.submission({"expert_login": "expert.parti",
                                                     "partenaires.0.login": "expert.cerema"}))  # fmt: skip
    assert again.status_code == 422
    shown = task_form(again)
    message = shown.text(shown.ids["champ-expert_login"]["aria-describedby"])
    assert message == UNKNOWN.format(login="expert.parti")
    assert open_task(platform, ANCT, reference)["bpmn_id"] == "instruire_demande"

    # Chosen from the list: done.
    done = client.post(path, data=shown.submission({"expert_login": "expert.cerema",
                                                    "partenaires.0.login": "ademe.na"}))  # fmt: skip
    assert done.status_code == 302, seen(done)
    data = service.get_instance(platform, reference, service.Viewer.command_line()).data
    assert data["expert_login"] == "expert.cerema"
    assert [p["login"] for p in data["partenaires"]] == ["ademe.na"]


# ---------------------------------------------------------------- conditional fields


def test_fields_that_do_not_apply_are_ignored_and_never_required(client_for, platform):
    reference = _filed(platform)
    path = f"/taches/{open_task(platform, PREFET_23, reference)['id']}"
    client = client_for("prefet.creuse")
    page = client.get(path)
    html = page.get_data(as_text=True)
    form = task_form(page)
    # Without JavaScript every field shows, saying when it applies.
    labels = form.labels
    when = "Si « Décision » est « Demander des compléments à la collectivité »."
    assert when in labels["champ-complements_demandes"]
    assert (
        "Si « Décision » est « Demande non recevable »." in labels["champ-motif_non_recevabilite"]
    )
    # With it, the script that hides them (no inline script: the CSP allows none).
    assert '<script src="/static/champs-conditionnels.js" defer></script>' in html
    assert 'data-si-champ="decision_prefet"' in html

    # Still required where it applies.
    refused = client.post(path, data=form.submission({"decision_prefet": "complements"}))
    assert refused.status_code == 422
    assert "Compléments demandés" in seen(refused, "resume-erreurs")

    # The préfet typed a question, a reason, then chose to transmit: only what applies is kept.
    done = client.post(path, data=form.submission({
        **TRANSMISSION,
        "complements_demandes": "Joignez le plan de financement.",
        "motif_non_recevabilite": "Hors de l'offre.",
    }))  # fmt: skip
    assert done.status_code == 302 and urlparse(done.location).path == "/taches/"
    data = service.get_instance(platform, reference, service.Viewer.command_line()).data
    assert data["besoin_qualifie"] == TRANSMISSION["besoin_qualifie"]
    assert "complements_demandes" not in data and "motif_non_recevabilite" not in data


# ---------------------------------------------------------------- follow-up forms


def test_the_steering_committee_and_the_mid_term_review_list_the_plan_actions(
    client_for, platform, clock
):
    people = {"prefet_23": PREFET_23, "anct": ANCT}
    reference = renouveau.contrat_signe(platform, people, clock)
    committee = renouveau.timer(platform, reference, "comite_annuel")
    renouveau.fire_at(platform, clock, reference, committee + timedelta(minutes=1))
    path = f"/taches/{open_task(platform, PREFET_23, reference)['id']}"
    client = client_for("prefet.creuse")
    form = task_form(client.get(path))
    actions = [a["intitule"] for a in renouveau.PLAN["actions"]]
    assert [form.ids[f"champ-etat_actions-{i}-action"]["value"] for i in (0, 1)] == actions
    assert form.ids["champ-etat_actions-2-action"].get("value", "") == ""  # one empty row more
    done = client.post(path, data=form.submission({
        "date_comite": "2027-06-20",
        "etat_actions.0.etat": "en_cours",
        "etat_actions.1.etat": "en_retard",
        "decisions_comite": "Relancer l'appel d'offres du très haut débit.",
    }))  # fmt: skip
    assert done.status_code == 302, seen(done)
    data = service.get_instance(platform, reference, service.Viewer.command_line()).data
    assert data["etat_actions"] == [
        {"action": actions[0], "etat": "en_cours"},
        {"action": actions[1], "etat": "en_retard"},
    ]

    review = renouveau.timer(platform, reference, "mi_parcours")
    renouveau.fire_at(platform, clock, reference, review + timedelta(minutes=1))
    path = f"/taches/{open_task(platform, ANCT, reference)['id']}"
    form = task_form(client_for("anct.national").get(path))
    rows = [form.ids[f"champ-etat_actions_mi_parcours-{i}-action"]["value"] for i in (0, 1)]
    assert rows == actions

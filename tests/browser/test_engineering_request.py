"""An engineering request from filing to the committee's decision, through the pages only, in a
real headless Chromium (processes/demande_ingenierie).

The town of Guéret (Creuse) files; the préfet of the Creuse finds it in their inbox (the préfet
of the Ardennes neither sees nor finds it), asks for more information, reads the answer and
transmits to the national team; the national team instructs, the committee accepts; the town
reads the decision on its dossier page, whose diagram marks the steps done and the current one.
Screenshots of the inboxes, the portal and the final dossier page go to test-artefacts/.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import ARTEFACTS, screenshot

REFERENCE = re.compile(r"ING-23-\d{4}-\d{5}")
PROJECT = "Revitalisation commerciale du centre-ville de Guéret"
QUESTION = "Joignez l'étude de vacance commerciale de 2024 et le plan de financement."
ANSWER = "L'étude de vacance est jointe ; le plan de financement suit en juin."
NEED = (
    "Montage d'une foncière de redynamisation commerciale : aucune offre locale ne couvre le "
    "portage immobilier."
)
ANALYSIS = (
    "Besoin de programmation commerciale et de montage d'une foncière ; l'expertise du Cerema "
    "en revitalisation des centres-villes est adaptée."
)


def flash(page: Page, text: str) -> None:
    """The confirmation at the top of the page after a POST (role « status »)."""
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def tick(control: Locator) -> None:
    """Check a DSFR radio or checkbox: its label is drawn over the (visually hidden) input and
    takes the click, as it does for a person."""
    control.check(force=True)
    expect(control).to_be_checked()


def inbox_row(page: Page, reference: str):
    return page.get_by_test_id("taches").get_by_role("row").filter(has_text=reference)


def open_inbox_task(page: Page, reference: str, name: str) -> None:
    """From the inbox, open the dossier's task: one row, the task named `name`."""
    page.goto("/taches/")
    row = inbox_row(page, reference)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(name)
    row.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_test_id("resume")).to_contain_text(reference)


def submit_task(page: Page, name: str, reference: str, home: str) -> None:
    page.get_by_role("button", name="Valider et transmettre").click()
    expect(page).to_have_url(re.compile(re.escape(home) + "$"))
    flash(page, f"La tâche « {name} » du dossier {reference} est traitée.")


def file_the_request(page: Page) -> str:
    """The town fills in the engineering request form of its portal, by labels, and files it."""
    expect(page).to_have_url(re.compile(r"/portail/$"))
    page.get_by_test_id("offres").get_by_role(
        "link", name="Demander un accompagnement en ingénierie sur mesure"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Demander un accompagnement en ingénierie sur mesure"
    )
    # What the portal knows already: the organisation and its SIREN.
    expect(page.get_by_label("Nom de la collectivité", exact=True)).to_have_value(
        "Commune de Guéret"
    )
    expect(page.get_by_label("SIREN de la collectivité")).to_have_value("212309603")

    page.get_by_label("Intitulé du projet", exact=True).fill(PROJECT)
    page.get_by_label("Description du projet").fill(
        "Un commerce sur cinq de la Grande Rue est vacant. La commune veut reconquérir ces "
        "locaux et requalifier la place Bonnyaud, sans l'ingénierie nécessaire au montage."
    )
    for domain in ("Revitalisation commerciale", "Habitat", "Mobilité"):
        tick(page.get_by_label(domain, exact=True))
    tick(page.get_by_label("Montage de projet", exact=True))
    page.get_by_label("Nature de la collectivité").select_option(label="Commune")
    page.get_by_label("Commune du projet (code INSEE)").fill("23096")
    page.get_by_label("EPCI concerné (SIREN)").fill("200034825")
    contact = page.get_by_role("group", name="Personne à contacter")
    contact.get_by_label("Prénom et nom", exact=True).fill("Sophie Lemaire")
    contact.get_by_label("Fonction").fill("Directrice générale des services")
    contact.get_by_label("Adresse électronique", exact=True).fill("dgs@ville-gueret.fr")
    contact.get_by_label("Téléphone").fill("05 55 51 47 00")
    page.get_by_label("Date de démarrage souhaitée", exact=True).fill("2027-09-01")
    page.get_by_label("Calendrier et échéances du projet").fill(
        "Délibération du conseil municipal en juin ; travaux l'année suivante."
    )
    page.get_by_role("button", name="Déposer", exact=True).click()

    expect(page).to_have_url(re.compile(r"/dossiers/" + REFERENCE.pattern + "$"))
    reference = page.url.rsplit("/", 1)[-1]
    flash(page, f"Votre demande {reference} a été déposée.")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Dossier {reference}")
    expect(page.get_by_test_id("demandeur")).to_have_text("Commune de Guéret (SIREN 212309603)")
    expect(page.get_by_test_id("taches")).to_contain_text("Qualifier le besoin")
    return reference


def test_an_engineering_request_from_filing_to_the_committee_decision(session_for):
    # --- The town of Guéret files its request.
    town = session_for("mairie.gueret")
    reference = file_the_request(town)

    # --- The préfet of the Creuse finds it in the inbox.
    prefet = session_for("prefet.creuse")
    expect(prefet).to_have_url(re.compile(r"/taches/$"))
    row = inbox_row(prefet, reference)
    expect(row).to_have_count(1)
    for seen in ("Demande d'accompagnement en ingénierie sur mesure", "Qualifier le besoin",
                 "Creuse", "Commune de Guéret", "Personne"):  # fmt: skip
        expect(row).to_contain_text(seen)
    inbox_shot = screenshot(prefet, "inbox-prefet-creuse")

    # --- The préfet of the Ardennes does not: neither in the inbox nor by searching.
    ardennes = session_for("prefet.ardennes")
    expect(ardennes).to_have_url(re.compile(r"/taches/$"))
    expect(ardennes.get_by_role("heading", level=1)).to_have_text("Mes tâches")
    expect(ardennes.get_by_text(reference)).to_have_count(0)
    ardennes.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Dossiers"
    ).click()
    ardennes.get_by_label("Référence").fill(reference)
    ardennes.get_by_role("button", name="Rechercher").click()
    expect(ardennes.get_by_test_id("compte")).to_have_text("0 dossier trouvé")
    expect(ardennes.get_by_test_id("resultats")).to_have_count(0)
    refused = ardennes.goto(f"/dossiers/{reference}")
    assert refused is not None and refused.status == 404
    expect(ardennes.get_by_text(PROJECT)).to_have_count(0)

    # --- The préfet takes the task and asks the town for more information.
    row.get_by_role("link", name="Qualifier le besoin").click()
    expect(prefet.get_by_role("heading", level=1)).to_have_text("Qualifier le besoin")
    task_path = urlparse(prefet.url).path
    expect(prefet.get_by_test_id("territoire")).to_have_text("Creuse (23)")
    expect(prefet.get_by_test_id("donnees")).to_contain_text(PROJECT)
    expect(prefet.get_by_test_id("prise-en-charge")).to_have_text("Personne pour le moment")
    prefet.get_by_role("button", name="Prendre en charge").click()
    flash(prefet, "Vous avez pris en charge cette tâche.")
    expect(prefet.get_by_test_id("prise-en-charge")).to_have_text("Vous")
    tick(prefet.get_by_label("Demander des compléments à la collectivité", exact=True))
    prefet.get_by_label("Compléments demandés").fill(QUESTION)
    submit_task(prefet, "Qualifier le besoin", reference, "/taches/")
    expect(inbox_row(prefet, reference)).to_have_count(0)
    # The task is no one else's business: the Ardennes préfet cannot open it either.
    refused = ardennes.goto(task_path)
    assert refused is not None and refused.status == 404

    # --- The town sees the question in its portal and answers it.
    town.goto("/portail/")
    todo = town.get_by_test_id("mes-taches")
    expect(todo).to_contain_text("Compléter la demande")
    expect(todo).to_contain_text(f"Dossier {reference}")
    followed = town.get_by_test_id("mes-dossiers").get_by_role("row").filter(has_text=reference)
    expect(followed).to_contain_text("En cours")
    expect(followed).to_contain_text("À vous")
    portal_shot = screenshot(town, "portail-collectivite")
    todo.get_by_role("link", name="Compléter la demande").click()
    expect(town.get_by_role("heading", level=1)).to_have_text("Compléter la demande")
    expect(town.get_by_test_id("donnees")).to_contain_text(QUESTION)
    town.get_by_label("Votre réponse").fill(ANSWER)
    task_shot = screenshot(town, "tache-completer-demande")
    submit_task(town, "Compléter la demande", reference, "/portail/")
    expect(town.get_by_test_id("mes-taches")).to_have_count(0)
    expect(town.get_by_text("Rien à faire pour le moment")).to_be_visible()

    # --- The préfet reads the answer and transmits to the national team.
    open_inbox_task(prefet, reference, "Qualifier le besoin")
    expect(prefet.get_by_test_id("donnees")).to_contain_text(ANSWER)
    tick(prefet.get_by_label("Transmettre à l'équipe nationale de l'Agence", exact=True))
    prefet.get_by_label("Besoin qualifié").fill(NEED)
    submit_task(prefet, "Qualifier le besoin", reference, "/taches/")
    expect(inbox_row(prefet, reference)).to_have_count(0)

    # --- The national team instructs, for the next committee session.
    national = session_for("anct.national")
    expect(national).to_have_url(re.compile(r"/taches/$"))
    expect(inbox_row(national, reference)).to_contain_text("Instruire la demande")
    national_shot = screenshot(national, "inbox-anct-national")
    open_inbox_task(national, reference, "Instruire la demande")
    expect(national.get_by_test_id("donnees")).to_contain_text(NEED)
    national.get_by_label("Analyse du besoin", exact=True).fill(ANALYSIS)
    proposed = national.get_by_role("group", name="Accompagnement proposé")
    tick(proposed.get_by_label("Montage de projet", exact=True))
    tick(national.get_by_label("Un opérateur partenaire (Cerema"))
    # The expert is chosen among the platform's active expert accounts, not typed.
    national.get_by_label("Compte de l'expert désigné").select_option("expert.cerema")
    expert = national.get_by_role("group", name="Expert désigné")
    expert.get_by_label("Prénom et nom", exact=True).fill("Luc Petit")
    expert.get_by_label("Organisme", exact=True).fill("Cerema Centre-Est")
    expert.get_by_label("Adresse électronique", exact=True).fill("luc.petit@cerema.fr")
    national.get_by_label("Coût estimé de l'accompagnement (€)").fill("45 000")
    session = datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=30)
    national.get_by_label("Séance du comité de suivi de projets").fill(session.isoformat())
    submit_task(national, "Instruire la demande", reference, "/taches/")
    expect(inbox_row(national, reference)).to_have_count(0)

    # --- The committee accepts.
    committee = session_for("comite.membre")
    open_inbox_task(committee, reference, "Décider de l'accompagnement")
    expect(committee.get_by_test_id("donnees")).to_contain_text(ANALYSIS)
    tick(committee.get_by_label("Accompagnement accepté", exact=True))
    submit_task(committee, "Décider de l'accompagnement", reference, "/taches/")
    expect(inbox_row(committee, reference)).to_have_count(0)

    # --- The town reads the decision on its dossier page.
    town.goto("/portail/")
    town.get_by_test_id("mes-dossiers").get_by_role("link", name=reference).click()
    expect(town).to_have_url(re.compile(f"/dossiers/{reference}$"))
    expect(town.get_by_role("heading", level=1)).to_have_text(f"Dossier {reference}")
    expect(town.get_by_test_id("statut")).to_have_text("En cours")
    data = town.get_by_test_id("donnees")
    expect(data).to_contain_text(re.compile(r"Décision du comité\s*Accompagnement accepté"))
    expect(data).to_contain_text(QUESTION)
    expect(data).to_contain_text(ANSWER)
    expect(town.get_by_test_id("taches")).to_contain_text("Préparer la convention")
    history = town.get_by_test_id("historique")
    for actor in ("Préfecture de la Creuse", "Sophie Lemaire", "Claire Martin (ANCT)",
                  "Paul Bernard (comité)"):  # fmt: skip
        expect(history).to_contain_text(actor)

    # The diagram: bpmn-js drew the version's BPMN and marked the steps done and the current one.
    diagram = town.locator("#schema-processus")
    expect(diagram).to_have_attribute("data-etat", "affiche")
    expect(diagram.locator("svg").first).to_be_visible()
    expect(diagram.locator(".djs-element.etat-termine").first).to_be_attached()
    for done in ("depot", "qualifier_besoin", "completer_demande", "instruire_demande",
                 "decider_accompagnement"):  # fmt: skip
        expect(diagram.locator(f'.djs-element[data-element-id="{done}"]')).to_have_class(
            re.compile(r"\betat-termine\b")
        )
    expect(diagram.locator('.djs-element[data-element-id="preparer_convention"]')).to_have_class(
        re.compile(r"\betat-en-cours\b")
    )
    expect(diagram.locator(".djs-element.etat-a-venir").first).to_be_attached()
    assert int(diagram.get_attribute("data-elements-marques") or 0) > 0
    dossier_shot = screenshot(town, "dossier-decision")

    for shot in (inbox_shot, portal_shot, task_shot, national_shot, dossier_shot):
        assert shot.parent == ARTEFACTS and shot.is_file() and shot.stat().st_size > 0

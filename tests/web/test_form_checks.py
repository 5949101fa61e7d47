"""Mistakes a person can correct are refused on the form; a dossier closed on a refusal says
why in words (issue 12, defects 6 and 8)."""

from __future__ import annotations

from decimal import Decimal
from html import unescape

from sqlalchemy import func, select

from engine import service
from engine.service.campaigns import calls
from engine.store.models import OutboxMessage, ProcessInstance
from tests.procedures import test_fabriques_territoire as fabriques
from tests.procedures.conftest import GUERET, only_task, person
from tests.procedures.test_demande_ingenierie import DEPOT
from tests.procedures.test_fabriques_territoire import CANDIDATURE as FABRIQUE
from tests.procedures.test_fabriques_territoire import budget
from tests.web.conftest import post_form
from tests.web.test_dossiers import text
from tests.web.test_portal import CANDIDATURE_FORM, as_form, field_group
from tests.web.test_tasks import PEOPLE, task_form

PREFET_23 = person("prefet.creuse", "prefet", "23")
PASS = "/portail/deposer/pass_numerique"
FABRIQUES = "/portail/deposer/fabriques_territoire"


def group(answer, name: str) -> str:
    return unescape(field_group(answer, name))


def filed(platform) -> int:
    with platform.db.connect() as connection:
        return connection.execute(select(func.count()).select_from(ProcessInstance)).scalar_one()


def file_pass(client, **changes):
    data = {**as_form({**CANDIDATURE_FORM, **changes}), "_campagne": "PASS-NUMERIQUE-DEMO",
            "_territoire": "23", "_action": "deposer"}  # fmt: skip
    return post_form(client, PASS, data, page=f"{PASS}?campagne=PASS-NUMERIQUE-DEMO")


def test_a_nature_the_siren_contradicts_is_corrected_on_the_form(client_for, platform):
    """A commune's SIREN declared as a région is refused, the message saying what the SIREN is
    (issue 16); the commune, eligible to the pass numérique, then files (the guide's list)."""
    client = client_for("mairie.gueret")
    page = client.get(f"{PASS}?campagne=PASS-NUMERIQUE-DEMO").get_data(as_text=True)
    assert 'value="commune" checked' in page  # read from the SIREN, not typed
    refused = file_pass(client, type_collectivite="region")
    assert refused.status_code == 422
    message = (
        "Le SIREN de votre organisation (212309603) est celui de la commune de Guéret (Creuse) : "
        "choisissez « Commune » (et non « Région »)."
    )
    assert message in group(refused, "type_collectivite")
    assert message in text(refused, "erreurs")
    assert 'value="Pass numériques pour l&#39;agglomération"' in field_group(refused, "intitule")
    assert filed(platform) == 0
    accepted = file_pass(client, type_collectivite="commune")
    assert accepted.status_code == 302 and "/dossiers/PNU-23-" in accepted.headers["Location"]


def test_a_share_above_the_rate_is_refused_on_its_field(client_for, platform):
    refused = file_pass(client_for("ardenne.metropole"), cofinancement_etat="100000.01")
    assert refused.status_code == 422
    expected = "ne peut pas dépasser 50 % du coût total du projet"
    assert expected in group(refused, "cofinancement_etat")
    assert filed(platform) == 0


def test_fabrique_caps_and_sum_are_checked_on_the_form(client_for, platform):
    client = client_for("mairie.gueret")
    application = {k: v for k, v in FABRIQUE.items() if k != "campagne"}

    def file(aides, total):
        changed = {**application, "budget_previsionnel": budget(*aides), "montant_demande": total}
        data = {**as_form(changed), "_campagne": "FABRIQUES-DEMO", "_action": "deposer"}
        return post_form(client, FABRIQUES, data, page=f"{FABRIQUES}?campagne=FABRIQUES-DEMO")

    above_cap = file((60000, 40000, 30000), 130000)
    assert above_cap.status_code == 422
    assert "plafonnée à 50 000 € par an" in unescape(text(above_cap, "erreurs"))
    cell = group(above_cap, "budget_previsionnel.0.aide_demandee")
    assert 'value="60000"' in cell and "plafonnée à 50 000 € par an" in cell
    not_the_sum = file((50000, 40000, 30000), 100000)
    assert not_the_sum.status_code == 422
    assert "doit être la somme des aides demandées" in group(not_the_sum, "montant_demande")
    assert filed(platform) == 0


def test_a_refused_request_says_why_on_the_page_in_the_notification_and_the_email(
    client_for, platform
):
    reference = service.start(
        platform, "demande_ingenierie", data=DEPOT, actor="mairie.gueret",
        organisation="Commune de Guéret", **GUERET,
    ).reference  # fmt: skip
    task = only_task(platform, PREFET_23, reference, "qualifier_besoin")
    why = "Le projet relève du fonctionnement courant de la commune."
    decided = post_form(
        client_for("prefet.creuse"), f"/taches/{task['id']}",
        {"decision_prefet": "non_recevable", "motif_non_recevabilite": why},
    )  # fmt: skip
    assert decided.status_code == 302
    authority = client_for("mairie.gueret")
    page = authority.get(f"/dossiers/{reference}")
    assert f"Motif : {why}" in text(page, "issue")
    assert why in text(authority.get("/notifications"))
    with platform.db.connect() as connection:
        bodies = connection.execute(select(OutboxMessage.body)).scalars().all()
    assert any(reference in body and f"Motif : {why}" in body for body in bodies)


def test_closing_a_fabrique_needs_its_three_reports(client_for, platform, clock):
    """« Rapports d'activité reçus » = 2 is refused on the closure form (issue 12, defect 8)."""
    calls.create(
        platform, code=fabriques.CAMPAGNE, process_id=fabriques.PROCESS, name="AMI 2020",
        envelope=Decimal("45000000"), max_laureates=300, **fabriques.FENETRE,
    )  # fmt: skip
    clock.set(fabriques.DEPOT)
    people = {**PEOPLE, "mairie_gueret": person("mairie.gueret", "collectivite", GUERET["siren"])}
    reference = fabriques.laureat_signe(platform, people, clock)
    fabriques.verser(platform, people, reference, "verser_tranche_1", "2021-01-15")
    for year in (2022, 2023, 2024):
        clock.set(f"{year}-01-15T10:00:00+01:00")
        service.advance(platform, reference)
        fabriques.rapport(platform, people, reference, year - 2021, depenses=140000)
        fabriques.examiner(platform, people, reference)
        if year == 2022:
            fabriques.verser(platform, people, reference, "verser_tranche_2", f"{year}-01-20")
    fabriques.verser(platform, people, reference, "verser_solde", "2024-02-01")
    task = only_task(platform, people["anct"], reference, "clore_accompagnement")
    client = client_for("anct.national")
    path = f"/taches/{task['id']}"
    form = task_form(client.get(path))
    bilan = {"bilan_accompagnement": "Fabrique pérenne.", "accompagnement_clos": True}
    refused = client.post(path, data=form.submission({"rapports_recus": "2", **bilan}))
    assert refused.status_code == 422
    cell = group(refused, "rapports_recus")
    assert "Les trois rapports d'activité annuels sont requis" in cell and 'value="2"' in cell
    assert only_task(platform, people["anct"], reference, "clore_accompagnement")
    closed = client.post(path, data=form.submission({"rapports_recus": "3", **bilan}))
    assert closed.status_code == 302
    assert service.get_instance(platform, reference, people["anct"]).status == "terminee"

"""The migration pages: an owner makes a plan from the process page, maps an element, tries it,
migrates, and reads each dossier's outcome; nobody else reaches them."""

from __future__ import annotations

import functools

import pytest

from engine import service
from engine.service.migrations import runs
from tests.procedures.conftest import GUERET, publish_edited
from tests.procedures.test_demande_ingenierie import DEPOT
from tests.web.conftest import post_form
from tests.web.pages import seen

PROCESS = "demande_ingenierie"
MIGRATIONS = f"/processus/{PROCESS}/migrations"


def publish_v2(services, tmp_path, edit) -> None:
    publish_edited(services, tmp_path / "v2", PROCESS, edit)


@pytest.fixture
def two_versions(platform, tmp_path) -> list[str]:
    """Two requests waiting at the préfet's qualification on v1, and a v2 where that task is
    named `qualifier_demande` (so it needs a mapping) and its reminder comes later."""
    references = [
        service.start(platform, PROCESS, data=DEPOT, actor="mairie.gueret", **GUERET).reference
        for _ in range(2)
    ]
    publish_v2(
        platform, tmp_path,
        lambda t: t.replace("qualifier_besoin", "qualifier_demande").replace('"P14D"', '"P21D"'),
    )  # fmt: skip
    return references


def new_plan(client, source: str = "1", target: str = "2") -> str:
    answer = post_form(client, MIGRATIONS, {"source": source, "cible": target}, page=MIGRATIONS)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return answer.headers["Location"]


def test_an_owner_maps_tries_and_migrates_from_the_process_page(client_for, two_versions):
    first, second = two_versions
    owner = client_for("responsable.processus")
    process_page = owner.get(f"/processus/{PROCESS}/")
    assert "Migrer des dossiers" in seen(process_page, "migrations")
    assert "Migrer des dossiers" in seen(process_page, "migrer-version-1")
    chooser = owner.get(f"{MIGRATIONS}?source=1")
    assert chooser.status_code == 200
    assert '<option value="1" selected>' in chooser.get_data(as_text=True)
    plan = new_plan(owner)
    page = owner.get(plan)
    assert "version 1 → version 2" in seen(page, "")
    assert "révision 1" in seen(page, "auteur") and "responsable.processus" in seen(page, "auteur")
    row = seen(page, "element-qualifier_besoin")
    assert "sans cible" in row and "2 dossier(s) y attendent et seront refusés" in row
    assert "aucune cible" in row
    assert "Qualifier le besoin" in seen(page, "alerte-sans-cible")
    assert "même identifiant" in seen(page, "element-instruire_demande")
    timer = seen(page, "minuterie-rappel_prefet")
    assert "modifié" in timer and "P14D" in timer and "P21D" in timer
    assert "garder l'échéance" in timer and "réarmer à la date de migration" in timer
    assert "Je confirme la migration de 2 dossiers" in seen(page, "form-executer")

    tried = post_form(owner, plan + "/essai", {"references": ""}, page=plan)
    assert tried.status_code == 302
    page = owner.get(plan)
    assert "Essai à blanc terminé(e) sur 2 dossier(s)" in seen(page, "")
    assert "2 refusé(s)" in seen(page, "comptes")
    assert "pas d'équivalent" in seen(page, f"resultat-{first}")
    assert f'href="/dossiers/{first}"' in page.get_data(as_text=True)

    form = {"cible-qualifier_besoin": "qualifier_demande", "minuterie-rappel_prefet": "garder"}
    assert post_form(owner, plan, form, page=plan).status_code == 302
    page = owner.get(plan)
    assert "révision 2" in seen(page, "auteur")
    assert "sans cible" not in seen(page, "element-qualifier_besoin")
    tried = post_form(owner, plan + "/essai", {"references": f"{first}\n{second}"}, page=plan)
    assert tried.status_code == 302
    assert "2 migrable(s)" in seen(owner.get(plan), "comptes")

    unconfirmed = post_form(owner, plan + "/executer", {"references": first}, page=plan)
    assert unconfirmed.status_code == 422
    assert "Cochez la confirmation" in seen(unconfirmed, "erreur")
    unknown = post_form(owner, plan + "/executer",
                        {"references": "XX-99-0000", "confirmation": "oui"}, page=plan)  # fmt: skip
    assert unknown.status_code == 422
    assert "XX-99-0000" in seen(unknown, "erreur")

    done = post_form(owner, plan + "/executer",
                     {"references": first, "confirmation": "oui"}, page=plan)  # fmt: skip
    assert done.status_code == 302
    page = owner.get(plan)
    assert "1 / 1" in seen(page, "avancement")
    assert "migré" in seen(page, f"resultat-{first}")
    assert "migrable" in seen(page, f"resultat-{second}")
    dossier = owner.get(f"/dossiers/{first}")
    assert "Migré de la version 1 à la version 2" in seen(dossier, "historique")
    journal = seen(owner.get(f"/processus/{PROCESS}/"), "journal")
    assert "Migration terminée" in journal and "Plan de migration modifié" in journal

    done = post_form(owner, plan + "/executer", {"confirmation": "oui"}, page=plan)
    assert done.status_code == 302
    assert "migré" in seen(owner.get(plan), f"resultat-{second}")
    nothing = post_form(owner, plan + "/essai", {}, page=plan)
    assert nothing.status_code == 422
    assert "Aucun dossier en cours sur la version 1" in seen(nothing, "erreur")


def test_the_refused_ones_are_retried_alone(client_for, two_versions):
    first, second = two_versions
    owner = client_for("responsable.processus")
    plan = new_plan(owner)
    form = {"cible-qualifier_besoin": "qualifier_demande", "minuterie-rappel_prefet": "rearmer"}
    done = post_form(owner, plan + "/executer", {"references": first, "confirmation": "oui"},
                     page=plan)  # fmt: skip
    assert done.status_code == 302  # refused: no target for the task yet
    assert "refusé" in seen(owner.get(plan), f"resultat-{first}")
    assert post_form(owner, plan, form, page=plan).status_code == 302
    retried = post_form(owner, plan + "/executer", {"reprise": "oui", "confirmation": "oui"},
                        page=plan)  # fmt: skip
    assert retried.status_code == 302
    page = owner.get(plan)
    assert "1 / 1" in seen(page, "avancement")
    assert "migré" in seen(page, f"resultat-{first}")
    assert f"resultat-{second}" not in page.get_data(as_text=True)


def test_a_mapping_onto_another_type_is_refused_in_french(client_for, two_versions):
    owner = client_for("responsable.processus")
    plan = new_plan(owner)
    answer = post_form(owner, plan, {"cible-qualifier_besoin": "rappel_prefet"}, page=plan)
    assert answer.status_code == 422
    assert "le type diffère" in seen(answer, "erreur")
    row = seen(answer, "element-qualifier_besoin")
    assert "le type diffère" in row
    assert '<option value="rappel_prefet" selected>' in answer.get_data(as_text=True)
    assert "révision 1" in seen(owner.get(plan), "auteur")


def test_a_plan_needs_two_different_versions(client_for, two_versions):
    owner = client_for("responsable.processus")
    same = post_form(owner, MIGRATIONS, {"source": "2", "cible": "2"}, page=MIGRATIONS)
    assert same.status_code == 422
    assert "version cible différente" in seen(same, "erreur")
    missing = post_form(owner, MIGRATIONS, {"source": "1", "cible": "7"}, page=MIGRATIONS)
    assert missing.status_code == 422
    assert "pas de version 7" in seen(missing, "erreur")
    plan = new_plan(owner)
    assert "v1 → v2" in seen(owner.get(MIGRATIONS), "plans")
    assert plan.endswith(tuple("0123456789"))


def test_a_large_run_is_left_to_the_worker_and_the_page_follows_it(
    client_for, two_versions, platform, monkeypatch
):
    monkeypatch.setattr(runs, "start", functools.partial(runs.start, inline_limit=0))
    owner = client_for("responsable.processus")
    plan = new_plan(owner)
    started = post_form(owner, plan + "/essai", {}, page=plan)
    assert started.status_code == 302
    page = owner.get(plan)
    body = page.get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in body
    assert "0 / 2" in seen(page, "avancement")
    assert "en arrière-plan" in seen(page, "")
    assert 'data-testid="migrer"' not in body and 'data-testid="enregistrer"' not in body
    refused = post_form(owner, plan, {"cible-qualifier_besoin": "qualifier_demande"}, page=plan)
    assert refused.status_code == 422
    assert "exécution de ce plan est en cours" in seen(refused, "erreur")
    runs.work_all(platform, worker="test")
    page = owner.get(plan)
    assert "2 / 2" in seen(page, "avancement")
    assert 'http-equiv="refresh"' not in page.get_data(as_text=True)


def test_only_the_owners_and_admins_reach_the_migrations(client_for, two_versions):
    owner = client_for("responsable.processus")
    plan = new_plan(owner)
    assert client_for("admin").get(plan).status_code == 200
    for login in ("responsable.fabriques", "prefet.creuse", "anct.national", "mairie.gueret"):
        other = client_for(login)
        assert other.get(plan).status_code == 403, login
        assert other.get(MIGRATIONS).status_code == 403, login
        assert post_form(other, plan + "/essai", {}, page="/notifications").status_code == 403
    assert "Migrer des dossiers" not in client_for("anct.national").get(
        f"/processus/{PROCESS}/"
    ).get_data(as_text=True)
    assert client_for(None).get(plan).status_code == 302
    wrong = plan.replace(PROCESS, "pass_numerique")
    assert owner.get(wrong).status_code == 404
    assert post_form(owner, wrong + "/essai", {}, page=plan).status_code == 404
    assert owner.get(f"{MIGRATIONS}/999").status_code == 404

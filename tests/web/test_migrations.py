"""The migration pages: an owner makes a plan from the process page, maps an element, tries it,
migrates, and reads each dossier's outcome; nobody else reaches them."""

from __future__ import annotations

import shutil

import pytest

from engine import service
from tests.procedures.conftest import GUERET, PROCESSES
from tests.procedures.test_demande_ingenierie import DEPOT
from tests.web.conftest import post_form
from tests.web.pages import seen

PROCESS = "demande_ingenierie"


def publish_v2(services, tmp_path, edit) -> None:
    folder = tmp_path / "v2" / PROCESS
    shutil.copytree(PROCESSES / PROCESS, folder)
    bpmn = folder / f"{PROCESS}.bpmn"
    bpmn.write_text(edit(bpmn.read_text(encoding="utf-8")), encoding="utf-8")
    service.deploy_path(services, folder)


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


def new_plan(client) -> str:
    answer = post_form(client, f"/processus/{PROCESS}/migrations", {"source": "1", "cible": "2"},
                       page=f"/processus/{PROCESS}/migrations")  # fmt: skip
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return answer.headers["Location"]


def test_an_owner_maps_tries_and_migrates_from_the_process_page(client_for, two_versions):
    first, second = two_versions
    owner = client_for("responsable.processus")
    process_page = owner.get(f"/processus/{PROCESS}/")
    assert "Migrer des dossiers" in seen(process_page, "migrations")
    plan = new_plan(owner)
    page = owner.get(plan)
    assert "2 dossier(s) y attendent et seront refusés" in seen(page, "element-qualifier_besoin")
    assert "modifié" in seen(page, "minuterie-rappel_prefet")

    tried = post_form(owner, plan + "/essai", {"references": ""}, page=plan)
    assert tried.status_code == 302
    page = owner.get(plan)
    assert "2 refusé(s)" in seen(page, "comptes")
    assert "pas d'équivalent" in seen(page, f"resultat-{first}")

    form = {"cible-qualifier_besoin": "qualifier_demande", "minuterie-rappel_prefet": "garder"}
    assert post_form(owner, plan, form, page=plan).status_code == 302
    unconfirmed = post_form(owner, plan + "/executer", {"references": first}, page=plan)
    assert unconfirmed.status_code == 422
    assert "Cochez la confirmation" in seen(unconfirmed, "erreur")

    done = post_form(owner, plan + "/executer",
                     {"references": first, "confirmation": "oui"}, page=plan)  # fmt: skip
    assert done.status_code == 302
    page = owner.get(plan)
    assert "1 / 1" in seen(page, "avancement")
    assert "migré" in seen(page, f"resultat-{first}")
    dossier = owner.get(f"/dossiers/{first}")
    assert "Migré de la version 1 à la version 2" in seen(dossier, "historique")
    journal = seen(owner.get(f"/processus/{PROCESS}/"), "journal")
    assert "Migration terminée" in journal and "Plan de migration modifié" in journal

    retried = post_form(owner, plan + "/executer", {"reprise": "oui", "confirmation": "oui"},
                        page=plan)  # fmt: skip
    assert retried.status_code == 302
    assert "migré" in seen(owner.get(plan), f"resultat-{second}")


def test_a_mapping_onto_another_type_is_refused_in_french(client_for, two_versions):
    owner = client_for("responsable.processus")
    plan = new_plan(owner)
    answer = post_form(owner, plan, {"cible-qualifier_besoin": "rappel_prefet"}, page=plan)
    assert answer.status_code == 422
    assert "le type diffère" in seen(answer, "erreur")


def test_only_the_owners_and_admins_reach_the_migrations(client_for, two_versions):
    owner = client_for("responsable.processus")
    plan = new_plan(owner)
    for login in ("responsable.fabriques", "prefet.creuse", "anct.national"):
        other = client_for(login)
        assert other.get(plan).status_code == 403, login
        assert other.get(f"/processus/{PROCESS}/migrations").status_code == 403, login
    assert client_for(None).get(plan).status_code == 302
    wrong = plan.replace(PROCESS, "pass_numerique")
    assert owner.get(wrong).status_code == 404

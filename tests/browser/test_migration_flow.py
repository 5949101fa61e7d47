"""An owner migrates running dossiers in the browser (issue 15): from the process page to a new
plan, maps the task the new version renamed, chooses for the reminder, tries the plan, confirms,
reads the results, and the dossier's history says it moved. The plan page fits a phone."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import expect

from engine import service
from tests.browser.conftest import screenshot
from tests.procedures.conftest import GUERET, publish_edited
from tests.procedures.test_demande_ingenierie import DEPOT

PROCESS = "demande_ingenierie"
DESKTOP, PHONE = 1280, 390
#: Where the screenshots of the plan page go besides test-artefacts/ (to look at them).
SHOTS = Path(os.environ.get("ANCT_SHOTS", "/tmp/shots"))


def publish_v2(services, folder: Path) -> None:
    """A v2 where the préfet's qualification has another id (it needs a mapping) and its
    reminder comes later."""
    publish_edited(
        services, folder, PROCESS,
        lambda text: text.replace("qualifier_besoin", "qualifier_demande")
        .replace('name="Qualifier le besoin"', 'name="Qualifier la demande"')
        .replace('"P14D"', '"P21D"'),
    )  # fmt: skip


def shoot(page, name: str) -> None:
    screenshot(page, name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def parts(page, name: str) -> None:
    """The top of the page and its main blocks, one picture each (a full page at 390 px is
    too tall to read)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"{name}-haut.png"))
    for testid in ("element-qualifier_besoin", "minuterie-rappel_prefet", "form-executer",
                   "resultats"):  # fmt: skip
        block = page.get_by_test_id(testid)
        if block.count():
            block.screenshot(path=str(SHOTS / f"{name}-{testid}.png"))


def overflow(page) -> int:
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_plan_mapping_dry_run_confirmation_results_and_history(
    live_services, session_for, tmp_path
):
    references = [
        service.start(live_services, PROCESS, data=DEPOT, actor="mairie.gueret", **GUERET).reference
        for _ in range(3)
    ]
    publish_v2(live_services, tmp_path)

    page = session_for("responsable.processus", DESKTOP)
    page.goto(f"/processus/{PROCESS}/")
    page.get_by_test_id("migrer-version-1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Migrer les dossiers en cours")
    expect(page.get_by_label("Version des dossiers à migrer")).to_have_value("1")
    page.get_by_label("Version cible").select_option("2")
    page.get_by_role("button", name="Préparer le plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("version 1 → version 2")
    row = page.get_by_test_id("element-qualifier_besoin")
    expect(row).to_contain_text("sans cible")
    expect(row).to_contain_text("3 dossier(s) y attendent et seront refusés")
    expect(page.get_by_test_id("alerte-sans-cible")).to_be_visible()
    timer = page.get_by_test_id("minuterie-rappel_prefet")
    expect(timer).to_contain_text("modifié")
    expect(timer.get_by_label("réarmer à la date de migration")).to_be_checked()
    shoot(page, "migration-plan-1280")

    # A dry run before the mapping: every dossier would be refused, nothing changes.
    page.get_by_test_id("essai").click()
    expect(page.get_by_test_id("comptes")).to_contain_text("3 refusé(s)")
    for reference in references:
        assert (
            service.get_instance(live_services, reference, service.Viewer.command_line()).version
            == 1
        )

    page.get_by_label("Cible de « Qualifier le besoin »").select_option("qualifier_demande")
    timer.get_by_text("garder l'échéance").click()  # the DSFR label covers its radio
    page.get_by_test_id("enregistrer").click()
    expect(page.get_by_test_id("auteur")).to_contain_text("révision 2")
    expect(page.get_by_test_id("element-qualifier_besoin")).not_to_contain_text("sans cible")
    expect(
        page.get_by_test_id("minuterie-rappel_prefet").get_by_label("garder l'échéance")
    ).to_be_checked()

    page.get_by_test_id("essai").click()
    expect(page.get_by_test_id("comptes")).to_contain_text("3 migrable(s)")
    expect(page.get_by_test_id("avancement")).to_contain_text("3 / 3")

    page.get_by_test_id("migrer").click()
    expect(page.get_by_test_id("erreur")).to_contain_text("Cochez la confirmation")
    page.get_by_text(re.compile("Je confirme la migration de 3 dossiers")).click()
    page.get_by_test_id("migrer").click()
    expect(page.get_by_test_id("comptes")).to_contain_text("3 migré(s)")
    for reference in references:
        expect(page.get_by_test_id(f"resultat-{reference}")).to_contain_text("migré")
    shoot(page, "migration-resultats-1280")

    page.set_viewport_size({"width": PHONE, "height": 900})
    page.reload()
    assert overflow(page) <= 0, f"la page du plan déborde de {overflow(page)} px à {PHONE} px"
    shoot(page, "migration-plan-390")
    parts(page, "migration-plan-390")
    page.goto(f"/processus/{PROCESS}/migrations")
    assert overflow(page) <= 0, f"la liste des plans déborde de {overflow(page)} px"
    page.get_by_test_id("plans").get_by_role("link").first.click()
    page.set_viewport_size({"width": DESKTOP, "height": 900})

    page.get_by_role("link", name=references[0]).click()
    history = page.get_by_test_id("historique")
    expect(history).to_contain_text("Migré de la version 1 à la version 2")
    expect(history).to_contain_text("Migration de version")
    moved = history.locator("tr", has_text="Migration de version")
    expect(moved).to_contain_text("Nadia Roux (processus)")
    assert (
        service.get_instance(live_services, references[0], service.Viewer.command_line()).version
        == 2
    )

"""The closing actions in a real browser: the dossier page's buttons and the confirmation
page, at desktop and phone widths, without overflow at 390 px (web/views/closing.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from engine import service
from tests.procedures.conftest import GUERET
from tests.procedures.test_demande_ingenierie import DEPOT

PHONE = 390


def filed(platform) -> str:
    return service.start(
        platform, "demande_ingenierie", data=DEPOT, actor="mairie.gueret",
        organisation="Commune de Guéret", **GUERET,
    ).reference  # fmt: skip


def no_overflow(page: Page, width: int) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"{page.url} déborde : {wide} px de large à {width} px"


@pytest.mark.parametrize("width", [1280, PHONE])
def test_the_authority_withdraws_its_request_from_the_dossier_page(
    session_for, live_services, width
):
    reference = filed(live_services)
    page = session_for("mairie.gueret", width)
    page.goto(f"/dossiers/{reference}")
    actions = page.get_by_test_id("cloture")
    expect(actions.get_by_role("link")).to_have_text(["Retirer le dossier"])
    no_overflow(page, width)
    actions.get_by_role("link", name="Retirer le dossier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Retirer le dossier")
    expect(page.get_by_test_id("consequences")).to_contain_text("Qualifier le besoin")
    no_overflow(page, width)
    page.get_by_test_id("confirmer").click()
    expect(page.get_by_test_id("erreurs")).to_contain_text("Cochez la case pour confirmer")
    page.get_by_label("Motif du retrait").fill("Le projet est reporté à 2027.")
    page.get_by_text("Je confirme retirer ce dossier").click()
    page.get_by_test_id("confirmer").click()
    expect(page.get_by_test_id("issue")).to_contain_text("Retiré par la collectivité")
    expect(page.get_by_test_id("motif")).to_have_text("Motif : Le projet est reporté à 2027.")
    expect(page.get_by_test_id("cloture")).to_have_count(0)
    no_overflow(page, width)


def test_the_national_team_classes_a_request_sans_suite_on_a_phone(session_for, live_services):
    reference = filed(live_services)
    page = session_for("anct.national", PHONE)
    page.goto(f"/dossiers/{reference}/classer-sans-suite")
    no_overflow(page, PHONE)
    page.get_by_label("Motif du classement").fill("Demande déposée deux fois.")
    page.get_by_text("Je confirme classer ce dossier sans suite").click()
    page.get_by_test_id("confirmer").click()
    expect(page.get_by_test_id("issue")).to_contain_text("Classée sans suite")
    no_overflow(page, PHONE)

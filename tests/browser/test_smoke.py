"""The browser reaches the application: the DSFR styles load and sign-in works."""

from __future__ import annotations


def test_sign_in_page_renders_with_the_state_design_system(browser, live_server):
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.goto("/connexion")
    assert page.title() == "Connexion — Plateforme des procédures de l'ANCT"
    header_font = page.eval_on_selector("body", "el => getComputedStyle(el).fontFamily")
    assert "Marianne" in header_font, "DSFR stylesheet applied"
    page.get_by_label("Identifiant", exact=True).fill("prefet.creuse")
    page.get_by_label("Mot de passe", exact=True).fill("mauvais")
    page.get_by_role("button", name="Se connecter").click()
    assert page.get_by_role("alert").inner_text() == "Identifiant ou mot de passe incorrect."
    context.close()

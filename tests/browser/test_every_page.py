"""Every main page of every demo account, at desktop (1280 px) and phone (390 px) widths, with
no console error (conftest watches each page), and at 390 px the header's menu button opens the
navigation with « Notifications » and « Se déconnecter » (issue 12, defect 10). The pages of the
header (« Jetons d'API ») are visited too, and a token's creation at 390 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from engine import service
from engine.service import users
from engine.service.people import tokens
from tests.procedures import test_pass_numerique as pass_numerique
from tests.procedures.conftest import ARDENNE_METROPOLE, GUERET
from tests.procedures.test_demande_ingenierie import DEPOT, DEPOT_ARDENNES, NON_RECEVABLE

ACCOUNTS = (
    "mairie.gueret", "ardenne.metropole", "prefet.creuse", "prefet.ardennes", "anct.national",
    "comite.membre", "expert.cerema", "responsable.processus", "responsable.fabriques", "admin",
)  # fmt: skip
DESKTOP, PHONE = 1280, 390
#: Pages outside the navigation, reached from the header: every account's API tokens, and
#: every account's tokens for the administrator.
HEADER_PAGES = ("/compte/jetons",)
ADMIN_PAGES = ("/admin/jetons",)
#: Links into the detail pages reached from a list: a dossier, a task, a filing form, an
#: account, a call for projects, a procedure (one of each kind per page).
DETAIL = re.compile(
    r"/(dossiers/[A-Z]+-[0-9]{2}-|taches/[0-9a-f-]{8,}|portail/deposer/|admin/utilisateurs/|appels/"
    r"|processus/[a-z_]+/$)"
)


@pytest.fixture(scope="module")
def world(live_services) -> dict[str, str]:
    """Dossiers for every inbox and dossier page: a request in each département (one closed
    « non recevable »), and a pass numérique application in the Creuse."""
    platform = live_services
    found = {
        "gueret": service.start(
            platform, "demande_ingenierie", data=DEPOT, actor="mairie.gueret",
            organisation="Commune de Guéret", **GUERET,
        ).reference,
        "ferme": service.start(
            platform, "demande_ingenierie", data=DEPOT, actor="mairie.gueret",
            organisation="Commune de Guéret", **GUERET,
        ).reference,
        "ardenne": service.start(
            platform, "demande_ingenierie", data=DEPOT_ARDENNES, actor="ardenne.metropole",
            organisation="CA Ardenne Métropole", **ARDENNE_METROPOLE,
        ).reference,
        "pass": service.start(
            platform, "pass_numerique", actor="depot", organisation="CA du Grand Guéret",
            data={
                **pass_numerique.CANDIDATURE, "campagne": "PASS-NUMERIQUE-DEMO",
                "lieux_qualifies": [{"nom": "Médiathèque", "commune": "23096", "statut": "qualifie"}],
            },
            territory="23", siren="200034825",
        ).reference,
    }  # fmt: skip
    prefet = users.viewer_for(platform, "prefet.creuse")
    [task] = [t for t in service.list_tasks(platform, prefet) if t["instance"] == found["ferme"]]
    service.claim(platform, prefet, task["id"])
    service.complete(platform, prefet, task["id"], NON_RECEVABLE)
    # API tokens, with long names, for the token tables (the person's and the admin's).
    for login in ("prefet.creuse", "admin"):
        tokens.create(
            platform, service.Viewer.command_line(), login, days=90,
            name="Logiciel d'instruction des demandes de la préfecture et de ses services",
        )  # fmt: skip
    return found


def navigation_links(page: Page) -> list[str]:
    """The page signed in on and every link of the navigation."""
    base = re.match(r"https?://[^/]+", page.url).group(0)
    pages = [page.url.removeprefix(base)]
    links = page.eval_on_selector_all(
        "#navigation a.fr-nav__link", "links => links.map(a => a.getAttribute('href'))"
    )
    return pages + [href for href in links if href not in pages]


def detail_links(page: Page, known: list[str]) -> list[str]:
    """The first link of the page to each kind of detail page not visited yet."""
    found, kinds = [], set()
    for href in page.eval_on_selector_all(
        "main a[href^='/']", "links => links.map(a => a.getAttribute('href'))"
    ):
        kind = DETAIL.search(href)
        if kind and kind.group(1) not in kinds and href not in known:
            kinds.add(kind.group(1))
            found.append(href)
    return found


def check_page(page: Page, path: str, width: int) -> None:
    answer = page.goto(path)
    assert answer is not None and answer.status == 200, (path, width, answer and answer.status)
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    menu_button = page.locator(".fr-header__navbar").get_by_role("button", name="Menu")
    if width == PHONE:
        expect(menu_button).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= PHONE, f"{path} déborde : {overflow} px de large à {PHONE} px"
    else:
        expect(menu_button).to_be_hidden()
        expect(page.locator("#navigation")).to_be_visible()


@pytest.mark.parametrize("login", ACCOUNTS)
def test_every_main_page_opens_without_script_error_on_desktop_and_phone(session_for, world, login):
    """The navigation's pages and, from them, one page of each kind of detail (dossier, task,
    filing form, account, call), first at 1280 px, then the same pages at 390 px."""
    page = session_for(login, DESKTOP)
    pages = navigation_links(page)
    pages += [path for path in HEADER_PAGES + (ADMIN_PAGES if login == "admin" else ())
              if path not in pages]  # fmt: skip
    for path in pages:  # grows as detail pages are found
        check_page(page, path, DESKTOP)
        pages.extend(detail_links(page, pages))
    assert len(pages) >= 2, pages
    page.set_viewport_size({"width": PHONE, "height": 900})
    for path in pages:
        check_page(page, path, PHONE)


@pytest.mark.parametrize("login", ACCOUNTS)
def test_on_a_phone_the_menu_button_reaches_notifications_and_sign_out(session_for, login):
    page = session_for(login, PHONE)
    header_tools = page.locator(".fr-header__tools")
    expect(header_tools.get_by_role("button", name="Se déconnecter")).to_be_hidden()
    page.locator(".fr-header__navbar").get_by_role("button", name="Menu").click()
    menu = page.locator("#menu-principal")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link", name=re.compile("^Notifications")).first).to_be_visible()
    expect(menu.locator("#navigation")).to_be_visible()
    menu.get_by_role("link", name=re.compile("^Notifications")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    page.locator(".fr-header__navbar").get_by_role("button", name="Menu").click()
    page.locator("#menu-principal").get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert "/connexion" in page.url or page.get_by_role("link", name="Se connecter").count()


def test_the_site_icon_is_served(browser, live_server):
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    answer = page.goto("/favicon.ico")
    assert answer is not None and answer.status == 200
    assert answer.headers["content-type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    page.goto("/connexion")
    icons = page.eval_on_selector_all("link[rel~='icon']", "links => links.map(l => l.href)")
    for icon in icons:
        assert page.request.get(icon).status == 200, icon
    context.close()


def test_a_token_is_created_and_shown_once_on_a_phone(session_for):
    page = session_for("prefet.creuse", PHONE)
    page.locator(".fr-header__navbar").get_by_role("button", name="Menu").click()
    page.locator("#menu-principal").get_by_role("link", name="Jetons d'API").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jetons d'API")
    page.get_by_label("Nom du jeton").fill("Script de suivi des dossiers de la préfecture")
    page.get_by_label("Durée de validité, en jours").fill("30")
    page.get_by_role("button", name="Créer le jeton").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("créé")
    secret = page.get_by_test_id("secret").input_value()
    assert secret.startswith("anct_")
    expect(page.get_by_test_id("avertissement")).to_contain_text("il ne sera plus jamais affiché")
    expect(page.get_by_test_id("exemple")).to_contain_text(f"Authorization: Bearer {secret}")
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= PHONE, f"la page du jeton créé déborde : {overflow} px"
    page.get_by_role("link", name=re.compile("revenir à mes jetons")).click()
    expect(page.get_by_test_id("jetons")).to_contain_text("Script de suivi des dossiers")
    assert secret not in page.content()
    # Revoked after its confirmation page.
    row = page.locator("tr", has_text="Script de suivi des dossiers")
    row.get_by_role("button", name=re.compile("^Révoquer")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Révoquer le jeton")
    page.get_by_role("button", name="Révoquer définitivement").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("révoqué")
    expect(page.locator("tr", has_text="Script de suivi des dossiers")).to_contain_text("Révoqué")
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= PHONE, f"la liste des jetons déborde : {overflow} px"

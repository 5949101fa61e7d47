"""A live server on a free port and a real headless Chromium driven by Playwright.

Chromium is Debian's (`/usr/bin/chromium`, or ANCT_CHROMIUM): Playwright's own download does not
work here. Without a browser the tests are skipped with the reason, except in CI
(ANCT_REQUIRE_BROWSER=1), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from engine import service
from engine.clock import SystemClock
from engine.config import Settings
from engine.service.demo import DEMO_PASSWORD, ensure_demo
from tests.procedures.conftest import PROCESSES
from web import create_app

ARTEFACTS = Path(__file__).parents[2] / "test-artefacts"


def chromium_path() -> str | None:
    return os.environ.get("ANCT_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("navigateur")
    services = service.Services.create(
        Settings(database_url=f"sqlite:///{folder / 'anct.sqlite3'}"), clock=SystemClock()
    )
    service.deploy_path(services, PROCESSES)
    ensure_demo(services)
    app = create_app(services, SECRET_KEY="cle-navigateur")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    services.close()


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    if not executable or not Path(executable).exists():
        if os.environ.get("ANCT_REQUIRE_BROWSER"):
            pytest.fail("Chromium introuvable : installez le paquet Debian chromium")
        pytest.skip("Chromium introuvable (paquet Debian chromium) : tests navigateur ignorés")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


@pytest.fixture
def session_for(browser, live_server):
    """`session_for("prefet.creuse")`: a page of a fresh browser context, signed in."""
    contexts = []

    def open_as(login: str):
        context = browser.new_context(locale="fr-FR", base_url=live_server)
        contexts.append(context)
        page = context.new_page()
        page.goto("/connexion")
        page.get_by_label("Identifiant", exact=True).fill(login)
        page.get_by_label("Mot de passe", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_load_state()
        assert "/connexion" not in page.url, f"connexion refusée pour {login}"
        return page

    yield open_as
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    ARTEFACTS.mkdir(exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

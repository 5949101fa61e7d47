"""A live server on a free port and a real headless Chromium driven by Playwright.

Chromium is Debian's (`/usr/bin/chromium`, or ANCT_CHROMIUM): Playwright's own download does not
work here. Without a browser the tests are skipped with the reason, except in CI
(ANCT_REQUIRE_BROWSER=1), where that is a failure.

Every page any test opens is watched: a script error (`pageerror`) or a console error (a
missing favicon or script, a DSFR module failing on the markup) fails the test that met it.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
def live_services(tmp_path_factory) -> Iterator[service.Services]:
    """The platform behind the live server (procedures and demo accounts), for tests that
    prepare dossiers before opening pages."""
    folder = tmp_path_factory.mktemp("navigateur")
    services = service.create_services(
        Settings(database_url=f"sqlite:///{folder / 'anct.sqlite3'}"), clock=SystemClock()
    )
    service.deploy_path(services, PROCESSES)
    ensure_demo(services)
    yield services
    services.close()


@pytest.fixture(scope="module")
def live_server(live_services) -> Iterator[str]:
    app = create_app(live_services, SECRET_KEY="cle-navigateur")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


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


#: Chromium's console line for a response in error: the test checks a page's own status itself
#: (a 404 it expects), so only the resources a page loads (icon, styles, scripts) count.
FAILED_RESOURCE = "Failed to load resource"


class ConsoleWatch:
    """The script and console errors of every page of the contexts a test opens."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self._documents: set[str] = set()

    def watch(self, page: Any) -> None:
        page.on("pageerror", lambda error: self.errors.append(f"{page.url} : {error}"))
        page.on("console", lambda message: self._console(page, message))
        page.on("response", self._response)

    def _response(self, response: Any) -> None:
        if response.request.resource_type == "document":
            self._documents.add(response.url)

    def _console(self, page: Any, message: Any) -> None:
        if message.type != "error":
            return
        source = (message.location or {}).get("url", "")
        if message.text.startswith(FAILED_RESOURCE) and source in self._documents:
            return
        self.errors.append(f"{page.url} : {message.text} ({source or 'page'})")


@pytest.fixture(autouse=True)
def console_errors(browser, monkeypatch) -> Iterator[ConsoleWatch]:
    """Fails the test if any page it opened logged an error (issue 12: every page threw
    « Cannot read properties of null (reading 'innerHTML') » from the DSFR module)."""
    watch = ConsoleWatch()
    new_context = browser.new_context

    def watched_context(*args: Any, **kwargs: Any) -> Any:
        context = new_context(*args, **kwargs)
        context.on("page", watch.watch)
        return context

    monkeypatch.setattr(browser, "new_context", watched_context)
    yield watch
    if watch.errors:
        pytest.fail("Erreurs dans la console du navigateur :\n" + "\n".join(watch.errors))


@pytest.fixture
def session_for(browser, live_server):
    """`session_for("prefet.creuse")`: a page of a fresh browser context, signed in."""
    contexts = []

    def open_as(login: str, width: int | None = None):
        viewport = {"width": width, "height": 900} if width else None
        context = browser.new_context(locale="fr-FR", base_url=live_server, viewport=viewport)
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

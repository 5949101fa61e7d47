"""The process editor's weight and how long it takes to become usable in Chromium.

Prints the size of the built bundle (web/static/build/, raw and gzipped), then opens the
editor of the largest procedure (`demande_ingenierie`) `--repeat` times in headless Chromium
(Debian's, or ANCT_CHROMIUM) against a local server, and times from the start of navigation to
the modeler's `ready` promise (diagram imported, properties panel mounted, draft loaded). Each
run uses a fresh browser context (nothing cached). Build first: `npm run build`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from argon2 import PasswordHasher  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from engine import service  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.service.catalogue import editing  # noqa: E402
from engine.service.demo import DEMO_PASSWORD, ensure_demo  # noqa: E402
from engine.service.people import passwords  # noqa: E402
from web import create_app  # noqa: E402

BUILD = ROOT / "web" / "static" / "build"
PROCESS = "demande_ingenierie"


def bundle_sizes() -> dict[str, dict[str, int]]:
    sizes = {}
    for name in ("modeler.js", "modeler.css"):
        content = (BUILD / name).read_bytes()
        sizes[name] = {"bytes": len(content), "gzip": len(gzip.compress(content, 9))}
    return sizes


def serve() -> tuple[str, service.Services]:
    passwords._HASHER = PasswordHasher(time_cost=1, memory_cost=1024)
    folder = Path(tempfile.mkdtemp())
    services = service.create_services(Settings(database_url=f"sqlite:///{folder / 'a.db'}"))
    service.deploy_path(services, ROOT / "processes")
    ensure_demo(services)
    editing.open_draft(services, service.Viewer.command_line("banc"), PROCESS)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, create_app(services, SECRET_KEY="banc"), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}", services


def measure(base: str, repeat: int) -> list[float]:
    chromium = os.environ.get("ANCT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    timings = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )  # fmt: skip
        for _ in range(repeat):
            context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto("/connexion")
            page.fill("#login", "responsable.processus")
            page.fill("#password", DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            started = time.perf_counter()
            page.goto(f"/processus/{PROCESS}/brouillon", wait_until="commit")
            page.wait_for_function("() => window.anctModeler && window.anctModeler.ready")
            page.evaluate("() => window.anctModeler.ready.then(() => true)")
            timings.append((time.perf_counter() - started) * 1000)
            context.close()
        browser.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    sizes = bundle_sizes()
    base, services = serve()
    try:
        timings = measure(base, args.repeat)
    finally:
        services.close()
    result = {"bundle": sizes, "ready_ms_median": round(statistics.median(timings)),
              "ready_ms_max": round(max(timings)), "runs": len(timings)}  # fmt: skip
    if args.json:
        print(json.dumps(result))
        return
    for name, size in sizes.items():
        print(f"{name:<12} {size['bytes'] / 1024:8.0f} Kio   gzip {size['gzip'] / 1024:6.0f} Kio")
    print(
        f"éditeur utilisable ({PROCESS}) : médiane {result['ready_ms_median']} ms, "
        f"pire {result['ready_ms_max']} ms sur {len(timings)} ouvertures sans cache"
    )


if __name__ == "__main__":
    main()

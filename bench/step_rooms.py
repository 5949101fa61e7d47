"""Which rooms of the house a task completion from the web walks through, and how often it
climbs back up a floor.

A préfet completes the qualification of an engineering request through the Flask test client;
every Python call made meanwhile is recorded (sys.setprofile). A room is a package of ours
(`engine.service.tasks`, `engine.runtime`, `web.views`...); a climb is a call from a room to a
room on a higher floor of `[tool.importlinter]` (a callback, such as the runner calling an
operator passed in, counts once per distinct pair). Prints the rooms in order of first visit.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from argon2 import PasswordHasher  # noqa: E402

from engine import service  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.service.demo import DEMO_PASSWORD, ensure_demo  # noqa: E402
from engine.service.people import passwords  # noqa: E402
from engine.service.users import viewer_for  # noqa: E402
from tests.procedures.test_demande_ingenierie import DEPOT, TRANSMISSION  # noqa: E402
from web import create_app  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def floors() -> list[list[str]]:
    """The layers of the floors contract, top first, each a list of rooms."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [contract] = [c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "floors"]
    return [[room.strip() for room in layer.split("|")] for layer in contract["layers"]]


def room_of(module: str, depth: int = 3) -> str | None:
    if not module.startswith(("engine", "web", "cli")):
        return None
    parts = module.split(".")
    if parts[0] == "engine" and len(parts) > 2 and parts[1] == "service":
        return ".".join(parts[:3]) if len(parts) > 3 else "engine.service"
    return ".".join(parts[: min(len(parts), 2 if parts[0] == "engine" else depth - 1)])


def floor_of(room: str, layers: list[list[str]]) -> int:
    for index, layer in enumerate(layers):
        if any(room == r or room.startswith(r + ".") for r in layer):
            return index
    return -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    passwords._HASHER = PasswordHasher(time_cost=1, memory_cost=1024)
    folder = Path(tempfile.mkdtemp())
    services = service.create_services(Settings(database_url=f"sqlite:///{folder / 'a.db'}"))
    service.deploy_path(services, ROOT / "processes")
    ensure_demo(services)
    reference = service.start(
        services, "demande_ingenierie", territory="23", siren="212309603", data=DEPOT,
        actor="mairie.gueret",
    ).reference  # fmt: skip
    prefet = viewer_for(services, "prefet.creuse")
    [task] = [t for t in service.list_tasks(services, prefet) if t["instance"] == reference]
    app = create_app(services, SECRET_KEY="mesure", TESTING=True)
    client = app.test_client()
    token = CSRF.search(client.get("/connexion").get_data(as_text=True)).group(1)
    client.post("/connexion", data={"login": "prefet.creuse", "password": DEMO_PASSWORD,
                                    "csrf_token": token})  # fmt: skip
    page = client.get(f"/taches/{task['id']}").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    form = {k: v for k, v in TRANSMISSION.items() if isinstance(v, str)}

    layers = floors()
    visited: list[str] = []
    modules: set[str] = set()
    climbs: set[tuple[str, str]] = set()

    def profile(frame, event, arg):  # type: ignore[no-untyped-def]
        if event != "call":
            return
        room = room_of(frame.f_globals.get("__name__", ""))
        if room is None:
            return
        if room not in visited:
            visited.append(room)
        modules.add(frame.f_globals.get("__name__", ""))
        caller = frame.f_back
        while caller is not None and room_of(caller.f_globals.get("__name__", "")) is None:
            caller = caller.f_back
        if caller is None:
            return
        origin = room_of(caller.f_globals.get("__name__", ""))
        if origin and origin != room and floor_of(room, layers) < floor_of(origin, layers):
            climbs.add((origin, room))

    sys.setprofile(profile)
    try:
        answer = client.post(f"/taches/{task['id']}", data={**form, "csrf_token": token})
    finally:
        sys.setprofile(None)
    services.close()
    result = {"status": answer.status_code, "rooms": visited, "modules": len(modules),
              "climbs": sorted(climbs)}  # fmt: skip
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(
        f"réponse {answer.status_code} ; {len(modules)} modules de nos paquets, "
        f"{len(visited)} pièces visitées :"
    )
    for room in visited:
        print(f"  {room}")
    print(f"{len(climbs)} remontées d'un étage vers un étage supérieur :")
    for origin, room in sorted(climbs):
        print(f"  {origin} → {room}")


if __name__ == "__main__":
    main()

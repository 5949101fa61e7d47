"""Fixtures for the scenario tests of the four procedures (driven through the service layer)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from engine import service
from engine.config import PROJECT_ROOT
from engine.service.people import accounts
from tests.conftest import name_people

PROCESSES = PROJECT_ROOT / "processes"

#: Organisations used by the scenarios (valid SIREN numbers).
GUERET = {"territory": "23", "siren": "212309603"}  # commune de Guéret (Creuse)
ARDENNE_METROPOLE = {"territory": "08", "siren": "200041630"}  # CA Ardenne Métropole (Ardennes)


@pytest.fixture
def deploy(services, people) -> Callable[[str], service.Services]:
    """Deploy one procedure folder (`deploy("demande_ingenierie")`), the scenarios' people
    having their accounts (a task is given only to an existing account)."""
    for viewer in people.values():
        grants = [(g.role, g.scope) for g in viewer.grants]
        accounts.create_user(services, viewer.login, name=viewer.login, grants=grants)
    name_people(services, but=set(people))

    def run(name: str) -> service.Services:
        service.deploy_path(services, PROCESSES / name)
        return services

    return run


def publish_edited(
    services: service.Services, folder: Path, process_id: str, edit: Callable[[str], str]
) -> None:
    """Publish the next version of one of the procedures: its folder copied under `folder`,
    its BPMN text changed by `edit` (a migration's target)."""
    copy = folder / process_id
    shutil.copytree(PROCESSES / process_id, copy)
    bpmn = copy / f"{process_id}.bpmn"
    bpmn.write_text(edit(bpmn.read_text(encoding="utf-8")), encoding="utf-8")
    service.deploy_path(services, copy)


def person(login: str, role: str, scope: str | None = None) -> service.Viewer:
    return service.Viewer(login, (service.Grant(role, scope),))


def inbox(
    services: service.Services, viewer: service.Viewer, reference: str | None = None
) -> list[dict]:
    """The open tasks a person sees (of one dossier if `reference` is given)."""
    tasks = service.list_tasks(services, viewer)
    return [t for t in tasks if reference is None or t["instance"] == reference]


def only_task(
    services: service.Services, viewer: service.Viewer, reference: str, bpmn_id: str
) -> dict:
    found = [t for t in inbox(services, viewer, reference) if t["bpmn_id"] == bpmn_id]
    assert len(found) == 1, (
        f"{bpmn_id} attendue une fois dans la corbeille de {viewer.login} : {inbox(services, viewer, reference)}"
    )
    return found[0]


@pytest.fixture
def people() -> dict[str, service.Viewer]:
    return {
        "mairie_gueret": person("mairie.gueret", "collectivite", "212309603"),
        "ardenne_metropole": person("ardenne.metropole", "collectivite", "200041630"),
        "prefet_23": person("prefet.creuse", "prefet", "23"),
        "prefet_08": person("prefet.ardennes", "prefet", "08"),
        "anct": person("anct.national", "equipe_nationale"),
        "comite": person("comite.membre", "comite"),
        "expert": person("expert.cerema", "expert"),
    }

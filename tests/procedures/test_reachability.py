"""No task is ever out of everyone's reach (issue 12, defect 1).

Each procedure is walked from filing to its follow-up; after every step, each open task must be
reachable by at least one active account — its holder, or someone whose role and territory let
them take it — and must stay so if its holder releases it (back to the person the procedure
named, to the role's inbox, or refused for a named expert's mission, which stays with them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from engine import service
from engine.errors import Conflict
from engine.scheduler.firing import fire_due
from engine.service import users
from engine.service.campaigns import calls
from engine.service.people import accounts
from engine.service.tasks.commands import _released_to
from engine.store.instances import load_task
from engine.store.models import User
from tests.procedures import test_demande_ingenierie as ing
from tests.procedures import test_fabriques_territoire as fab
from tests.procedures import test_pass_numerique as pn
from tests.procedures import test_territoires_en_renouveau as ter


def active_viewers(services: service.Services) -> list[service.Viewer]:
    with services.read() as connection:
        logins = connection.execute(select(User.login).where(User.active.is_(True))).scalars()
        return [users.viewer_for(services, login) for login in logins]


def reachable(viewers: list[service.Viewer], task, assignee: str | None) -> bool:
    return any(
        v.may_act(task.role, task.territory, task.siren, assignee)
        and (assignee is None or assignee == v.login)
        for v in viewers
    )


def lost_tasks(services: service.Services) -> list[str]:
    """Open tasks nobody active can work on now, or after their holder releases them."""
    viewers = active_viewers(services)
    lost = []
    every = service.list_tasks(services, service.Viewer.command_line())
    with services.read() as connection:
        for listed in every:
            task, _ = load_task(connection, listed["id"])
            if not reachable(viewers, task, task.assignee):
                lost.append(f"{task.name} ({task.assignee or 'sans titulaire'})")
                continue
            if task.assignee is None:
                continue
            try:
                after = _released_to(connection, task)
            except Conflict:
                continue  # a named mission stays with its holder
            if not reachable(viewers, task, after):
                lost.append(f"{task.name}, une fois remise à disposition")
    return lost


@pytest.fixture
def checked(monkeypatch):
    """Every step of the scenario is followed by the check; returns how many steps ran."""
    steps = []

    def after(function):
        def run(services, *args, **kwargs):
            result = function(services, *args, **kwargs)
            assert lost_tasks(services) == [], f"après l'étape {len(steps) + 1}"
            steps.append(function.__name__)
            return result

        return run

    for name in ("start", "complete"):
        monkeypatch.setattr(service, name, after(getattr(service, name)))
    return steps


def test_engineering_request(ingenierie_world, checked, clock):
    services, people = ingenierie_world
    reference = ing.convention_signee(services, people, clock)
    clock.set(datetime(2026, 8, 11, 8, tzinfo=UTC))
    assert fire_due(services).claimed == 1
    assert lost_tasks(services) == []
    assert {t["bpmn_id"] for t in service.list_tasks(services, people["expert"])} == {
        "conduire_mission", "remettre_rapport_etape",
    }  # fmt: skip
    assert len(checked) > 8 and reference


@pytest.fixture
def ingenierie_world(deploy, people):
    return deploy("demande_ingenierie"), people


def open_call(deploy, services, clock, module) -> None:
    deploy(module.PROCESS)
    calls.create(
        services, code=module.CAMPAGNE, process_id=module.PROCESS, name="Appel",
        envelope=Decimal("45000000"), **module.FENETRE,
    )  # fmt: skip
    clock.set(module.DEPOT)


def test_fabriques_de_territoire(deploy, services, clock, people, checked):
    open_call(deploy, services, clock, fab)
    fab.laureat_signe(services, people, clock)
    assert len(checked) > 4


def test_pass_numerique(deploy, services, clock, people, checked):
    open_call(deploy, services, clock, pn)
    reference = pn.deposer(services)
    pn.retenir(services, people, reference, 20000, clock=clock)
    pn.signer(services, people, reference)
    assert len(checked) > 4


def test_territoires_en_renouveau(deploy, services, clock, people, checked):
    deploy("territoires_en_renouveau")
    for signatory in ter.CREUSE:
        login = f"signataire.{signatory['siren']}"
        accounts.create_user(
            services, login, name=signatory["nom"], grants=[("collectivite", signatory["siren"])]
        )
    ter.contrat_signe(services, people, clock)
    assert len(checked) > 6

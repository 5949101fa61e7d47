"""Due dates in inboxes: each open task says whether it is overdue, and inboxes filter on it."""

from __future__ import annotations

import pytest

from engine import service
from engine.errors import InvalidInput

GUERET = {"territory": "23", "siren": "212309603"}
PREFET = service.Viewer("prefet.creuse", (service.Grant("collectivite", "212309603"),))


def start(services: service.Services, limit: str) -> str:
    data = {"date_limite": limit, "referent": ""}
    return service.start(services, "relance", data=data, **GUERET).reference


def inbox(services: service.Services, due: str | None = None) -> list[tuple[str, bool]]:
    tasks = service.list_tasks(services, PREFET, service.TaskFilter(due=due))
    return [(task["instance"], task["overdue"]) for task in tasks]


def test_overdue_tasks_stand_out_and_filter(deployed, clock, operator):
    soon = start(deployed, "2026-03-05")
    later = start(deployed, "2026-04-01")
    assert inbox(deployed) == [(soon, False), (later, False)], "soonest due first"
    assert inbox(deployed, "cette_semaine") == [(soon, False)]
    assert inbox(deployed, "en_retard") == []

    clock.set("2026-03-06T09:00:00+01:00")
    assert inbox(deployed) == [(soon, True), (later, False)]
    assert inbox(deployed, "en_retard") == [(soon, True)]
    assert inbox(deployed, "cette_semaine") == []
    (task,) = service.get_instance(deployed, soon, operator).tasks
    assert task["overdue"] is True

    clock.set("2026-03-26T09:00:00+01:00")
    assert inbox(deployed, "cette_semaine") == [(later, False)]
    with pytest.raises(InvalidInput, match="Filtre d'échéance inconnu"):
        inbox(deployed, "demain")

"""A released task is never lost (issue 12, defect 1): an expert's mission, named by the
procedure, cannot be dropped into an inbox nobody sees; the national team hands it to another
expert, who gives it back to the one the procedure named; and on every procedure, every open
task is reachable by at least one active person."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlparse

from engine import service
from engine.scheduler.firing import fire_due
from engine.service.people import accounts
from tests.procedures.test_demande_ingenierie import (
    convention_signee,
)
from tests.web.conftest import post_form
from tests.web.pages import seen
from tests.web.test_tasks import PEOPLE

REPORT = "remettre_rapport_etape"


def report_task(platform, clock) -> tuple[str, str]:
    """A dossier whose first progress report is due, asked of expert.cerema by the procedure."""
    reference = convention_signee(platform, PEOPLE, clock)
    clock.set(datetime(2026, 8, 11, 8, tzinfo=UTC))
    assert fire_due(platform).claimed == 1
    [task] = [
        t for t in service.list_tasks(platform, PEOPLE["expert"])
        if t["instance"] == reference and t["bpmn_id"] == REPORT
    ]  # fmt: skip
    assert task["assignee"] == "expert.cerema"
    return reference, task["id"]


def holder(platform, task_id: str) -> str | None:
    [task] = [
        t for t in service.list_tasks(platform, service.Viewer.command_line()) if t["id"] == task_id
    ]
    return task["assignee"]


def test_an_expert_cannot_drop_a_mission_the_procedure_gave_them(client_for, platform, clock):
    _, task_id = report_task(platform, clock)
    expert = client_for("expert.cerema")
    page = expert.get(f"/taches/{task_id}")
    assert "Remettre à disposition" not in seen(page)
    refused = post_form(expert, f"/taches/{task_id}/liberer", {}, page=f"/taches/{task_id}")
    assert refused.status_code == 302
    shown = seen(expert.get(f"/taches/{task_id}"))
    assert "vous a été confiée nommément : elle ne peut pas être remise à disposition" in shown
    assert holder(platform, task_id) == "expert.cerema"


def test_the_national_team_hands_a_mission_on_and_it_comes_back_to_the_named_expert(
    client_for, platform, clock
):
    _, task_id = report_task(platform, clock)
    accounts.create_user(
        platform, "expert.anah", name="Lucie Bernard (Anah)", grants=[("expert", None)],
        password="demo-anct-2026",
    )  # fmt: skip
    national = client_for("anct.national")
    page = national.get(f"/taches/{task_id}")
    assert page.status_code == 200
    assert "Confier la tâche" in seen(page)
    handed = post_form(
        national, f"/taches/{task_id}/confier", {"login": "expert.anah"}, page=f"/taches/{task_id}"
    )
    assert handed.status_code == 302
    assert holder(platform, task_id) == "expert.anah"
    assert client_for("expert.cerema").get(f"/taches/{task_id}").status_code == 404

    other = client_for("expert.anah")
    assert "Remettre à disposition" in seen(other.get(f"/taches/{task_id}"))
    back = post_form(other, f"/taches/{task_id}/liberer", {}, page=f"/taches/{task_id}")
    assert back.status_code == 302 and urlparse(back.location).path == "/taches/"
    assert "rendue à la personne que la procédure a désignée" in seen(other.get("/taches/"))
    assert holder(platform, task_id) == "expert.cerema"
    assert client_for("expert.cerema").get(f"/taches/{task_id}").status_code == 200

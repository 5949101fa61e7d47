"""Who is told what, in the application and by e-mail, as an engineering request goes along.

The Creuse préfets hear of a new request of the Creuse, the Ardennes préfet does not; the
authority hears of what it must do, is reminded, and learns the decision; the national team
hears of escalations and incidents. E-mails go through a real SMTP server.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import service
from engine.errors import Forbidden
from engine.scheduler import fire_due
from engine.scheduler import firing as firing_module
from engine.scheduler.worker import send_mail
from engine.service import notifications, users
from engine.service.dossiers import incidents
from engine.store.models import OutboxMessage, Timer
from tests.conftest import FIXTURES
from tests.procedures.conftest import PROCESSES
from tests.procedures.test_demande_ingenierie import (
    COMPLEMENTS,
    DEPOT,
    INGENIERIE_LOCALE,
    QUALIFICATION_AT,
)

GUERET = {"territory": "23", "siren": "212309603"}
BASE = "https://anct.example.fr"


@pytest.fixture
def ingenierie(mailed: service.Services) -> service.Services:
    service.deploy_path(mailed, PROCESSES / "demande_ingenierie")
    return mailed


def viewer(services: service.Services, login: str) -> service.Viewer:
    return users.viewer_for(services, login)


def notices(services: service.Services, login: str) -> list[tuple[str, str]]:
    found = notifications.list_notifications(services, viewer(services, login))
    return [(n["kind"], n["subject"]) for n in reversed(found)]


def deposer(services: service.Services) -> str:
    return service.start(
        services, "demande_ingenierie", data=DEPOT, actor="mairie.gueret", **GUERET
    ).reference


def task_of(services: service.Services, login: str, reference: str) -> dict:
    (task,) = [
        t
        for t in service.list_tasks(services, viewer(services, login))
        if t["instance"] == reference
    ]
    return task


def test_a_new_request_is_announced_to_the_prefets_of_its_departement_only(ingenierie, smtp):
    reference = deposer(ingenierie)
    task = task_of(ingenierie, "prefet.creuse", reference)
    expected = [("nouvelle_tache", f"[ANCT] Nouvelle tâche : {task['name']} ({reference})")]
    assert notices(ingenierie, "prefet.creuse") == expected
    assert notices(ingenierie, "sous-prefet.creuse") == expected, "no e-mail, still notified"
    for elsewhere in ("prefet.ardennes", "mairie.gueret", "ardenne.metropole", "comite.membre"):
        assert notices(ingenierie, elsewhere) == [], elsewhere
    prefet = viewer(ingenierie, "prefet.creuse")
    assert notifications.unread_count(ingenierie, prefet) == 1

    assert smtp.inbox.messages == [], "nothing leaves before the worker sends"
    assert send_mail(ingenierie) == 1
    (message,) = smtp.inbox.messages
    assert message["To"] == "pref-ingenierie@creuse.gouv.fr"
    assert message["Subject"] == expected[0][1]
    assert message["From"] == "Plateforme ANCT <ne-pas-repondre@anct.gouv.fr>"
    body = message.get_content()
    assert body.startswith("Bonjour Prefet Creuse,")
    assert f"{BASE}/taches/{task['id']}" in body
    assert "(Demande d'accompagnement en ingénierie sur mesure, Creuse (23))" in body
    assert "À traiter avant le 23 mars 2026 à 09 h 00." in body
    assert send_mail(ingenierie) == 0, "sent once"
    assert len(smtp.inbox.messages) == 1


def test_read_notifications_leave_the_unread_count_and_stay_private(ingenierie):
    deposer(ingenierie)
    deposer(ingenierie)
    prefet = viewer(ingenierie, "prefet.creuse")
    other = viewer(ingenierie, "sous-prefet.creuse")
    mine = [n["id"] for n in notifications.list_notifications(ingenierie, prefet)]
    assert notifications.unread_count(ingenierie, prefet) == 2
    assert notifications.mark_read(ingenierie, other, mine) == 0, "not someone else's"
    assert notifications.unread_count(ingenierie, prefet) == 2
    assert notifications.mark_read(ingenierie, prefet, mine[:1]) == 1
    assert notifications.unread_count(ingenierie, prefet) == 1
    assert len(notifications.list_notifications(ingenierie, prefet, unread_only=True)) == 1
    assert notifications.unread_count(ingenierie, other) == 2


def test_the_authority_is_asked_reminded_and_told_the_decision(ingenierie, smtp, clock):
    reference = deposer(ingenierie)
    clock.set(QUALIFICATION_AT)
    prefet = viewer(ingenierie, "prefet.creuse")
    service.complete(ingenierie, prefet, task_of(ingenierie, "prefet.creuse", reference)["id"],
                     COMPLEMENTS)  # fmt: skip
    asked = task_of(ingenierie, "mairie.gueret", reference)
    assert notices(ingenierie, "mairie.gueret") == [
        ("nouvelle_tache", f"[ANCT] Nouvelle tâche : {asked['name']} ({reference})")
    ]
    # The reminder fires after 15 days through the worker, not a minute before.
    clock.advance(days=15, minutes=-1)
    assert fire_due(ingenierie).claimed == 0
    clock.advance(minutes=1)
    assert fire_due(ingenierie).claimed == 1
    assert notices(ingenierie, "mairie.gueret")[-1] == (
        "relance", f"[ANCT] Relance : {asked['name']} ({reference})"
    )  # fmt: skip
    assert all(kind == "nouvelle_tache" for kind, _ in notices(ingenierie, "prefet.creuse"))
    # The authority answers; the préfet decides; the authority learns the outcome.
    service.complete(ingenierie, viewer(ingenierie, "mairie.gueret"), asked["id"],
                     {"reponse_complements": "L'étude de vacance est jointe."})  # fmt: skip
    again = task_of(ingenierie, "prefet.creuse", reference)
    service.complete(ingenierie, prefet, again["id"], INGENIERIE_LOCALE)
    kind, subject = notices(ingenierie, "mairie.gueret")[-1]
    assert kind == "decision"
    assert subject.startswith(f"[ANCT] Dossier {reference} : ")
    assert service.get_instance(ingenierie, reference, prefet).outcome == "orientee_localement"

    assert send_mail(ingenierie) == 5, "3 to the authority, 2 new tasks to the préfet"
    assert len(smtp.inbox.to("pref-ingenierie@creuse.gouv.fr")) == 2
    to_authority = smtp.inbox.to("dgs@ville-gueret.fr")
    assert [str(m["Subject"]).split(" :")[0] for m in to_authority] == [
        "[ANCT] Nouvelle tâche", "[ANCT] Relance", "[ANCT] Dossier " + reference,
    ]  # fmt: skip
    decision = to_authority[-1].get_content()
    assert f"{BASE}/dossiers/{reference}" in decision
    relance = to_authority[1].get_content()
    assert f"{BASE}/taches/{asked['id']}" in relance
    assert len({m["Message-ID"] for m in smtp.inbox.messages}) == 5


def test_an_unanswered_request_for_more_information_closes_and_says_so(ingenierie, clock):
    reference = deposer(ingenierie)
    prefet = viewer(ingenierie, "prefet.creuse")
    service.complete(ingenierie, prefet, task_of(ingenierie, "prefet.creuse", reference)["id"],
                     COMPLEMENTS)  # fmt: skip
    asked = task_of(ingenierie, "mairie.gueret", reference)
    clock.advance(days=30)
    assert fire_due(ingenierie).claimed >= 1
    kinds = [kind for kind, _ in notices(ingenierie, "mairie.gueret")]
    assert kinds[-2:] == ["echeance", "decision"]
    assert f"Délai dépassé : {asked['name']}" in notices(ingenierie, "mairie.gueret")[-2][1]
    assert service.get_instance(ingenierie, reference, prefet).outcome == "sans_suite"


def test_a_late_qualification_is_escalated_to_the_national_team(ingenierie, clock):
    reference = deposer(ingenierie)
    task = task_of(ingenierie, "prefet.creuse", reference)
    clock.advance(days=14)
    fire_due(ingenierie)
    assert notices(ingenierie, "prefet.creuse")[-1][0] == "relance"
    assert notices(ingenierie, "anct.national") == []
    clock.advance(days=16)
    fire_due(ingenierie)
    assert notices(ingenierie, "anct.national") == [
        ("escalade", f"[ANCT] Retard signalé : {task['name']} ({reference})")
    ]
    assert [k for k, _ in notices(ingenierie, "prefet.creuse")] == [
        "nouvelle_tache", "relance", "relance",
    ]  # fmt: skip
    assert notices(ingenierie, "prefet.ardennes") == []


def test_a_timer_out_of_retries_is_an_incident_told_to_the_national_team(
    mailed, clock, tmp_path, monkeypatch, smtp
):
    monkeypatch.setattr(firing_module, "MAX_ATTEMPTS", 1)
    source = (FIXTURES / "relance.bpmn").read_text(encoding="utf-8")
    broken = tmp_path / "relance.bpmn"
    broken.write_text(source.replace("relances = 1</", "relances = 1 / 0</"), encoding="utf-8")
    service.deploy_path(mailed, broken)
    started = service.start(
        mailed, "relance", data={"date_limite": "2026-04-01", "referent": ""}, **GUERET
    )
    clock.advance(days=8)
    assert fire_due(mailed).incidents == [started.reference]
    for login in ("anct.national", "responsable.processus"):
        ((kind, subject),) = notices(mailed, login)
        assert (kind, subject) == (
            "incident",
            f"[ANCT] Incident sur le dossier {started.reference}",
        )
    assert notices(mailed, "prefet.creuse") == []
    send_mail(mailed)
    (message,) = smtp.inbox.to("instruction@anct.gouv.fr")
    assert "division by zero" in message.get_content()

    national = viewer(mailed, "anct.national")
    found = incidents.list_incidents(mailed, national)
    (timer,) = found["minuteries"]
    assert (timer["dossier"], timer["bpmn_id"]) == (started.reference, "rappel")
    with pytest.raises(Forbidden):
        incidents.list_incidents(mailed, viewer(mailed, "prefet.creuse"))
    incidents.retry_timer(mailed, national, timer["id"])
    with mailed.read() as connection:
        row = connection.execute(select(Timer.__table__).where(Timer.id == timer["id"])).one()
    assert (row.status, row.attempts) == ("en_attente", 0)
    again = fire_due(mailed)
    assert again.claimed == 1, "fired again at the next sweep"
    assert again.incidents == [started.reference], "still broken: an incident again, told again"
    assert [kind for kind, _ in notices(mailed, "anct.national")] == ["incident", "incident"]


def test_people_without_an_account_or_inactive_hear_nothing(ingenierie):
    with ingenierie.write() as connection:
        from engine.store.models import User

        connection.execute(
            User.__table__.update().where(User.login == "prefet.creuse").values(active=False)
        )
    deposer(ingenierie)
    assert notices(ingenierie, "sous-prefet.creuse") != []
    with ingenierie.read() as connection:
        addressees = connection.execute(select(OutboxMessage.to_address)).scalars().all()
    assert addressees == [], "the only Creuse préfet with an address is inactive"

"""The tasks of the API (/api/v1/tasks): the inbox, one task with its form and ETag, claim,
release, assign and complete, their problems and who may do what."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import service
from engine.service import notifications
from engine.service.people import accounts
from tests.api.conftest import problem_of
from tests.procedures.conftest import GUERET, person
from tests.procedures.test_demande_ingenierie import (
    COMPLEMENTS,
    DEPOT,
    NON_RECEVABLE,
    REPONSE,
    TRANSMISSION,
)

TASKS = "/api/v1/tasks"
PREFET_23 = person("prefet.creuse", "prefet", "23")


@pytest.fixture
def colleague(platform) -> str:
    accounts.create_user(
        platform, "agent.creuse", name="Agnès Durand", grants=[("prefet", "23")],
        password="demo-anct-2026",
    )  # fmt: skip
    return "agent.creuse"


def task_id(platform, reference: str, viewer=PREFET_23) -> str:
    [task] = [t for t in service.list_tasks(platform, viewer) if t["instance"] == reference]
    return task["id"]


def file_in_creuse(platform, count: int) -> list[str]:
    return [
        service.start(
            platform, "demande_ingenierie", data={**DEPOT, "intitule_projet": f"Projet {i}"},
            actor="mairie.gueret", organisation="Commune de Guéret", **GUERET,
        ).reference
        for i in range(count)
    ]  # fmt: skip


def etag(response) -> str:
    found = response.headers["ETag"]
    assert found.startswith('"') and found.endswith('"') and not found.startswith("W/")
    return found


# ---------------------------------------------------------------- the inbox


def test_the_inbox_is_the_callers_scope_with_counts(api_for, dossiers):
    creuse = api_for("prefet.creuse").get(TASKS)
    assert creuse.status_code == 200
    body = creuse.get_json()
    assert [t["dossier"] for t in body["items"]] == [dossiers["gueret"]]
    [task] = body["items"]
    assert task["bpmn_id"] == "qualifier_besoin" and task["name"] == "Qualifier le besoin"
    assert task["process_id"] == "demande_ingenierie" and task["role"] == "prefet"
    assert task["territory"] == "23" and task["territory_label"] == "Creuse (23)"
    assert task["organisation"] == "Commune de Guéret" and task["status"] == "ouverte"
    assert task["assignee"] is None and task["due_at"].startswith("2026-03-23")
    assert (body["total"], body["limit"], body["offset"], body["next_offset"]) == (1, 25, 0, None)
    assert body["counts"] == {"total": 1, "overdue": 0, "this_week": 0, "mine": 0, "unassigned": 1}

    ardennes = api_for("prefet.ardennes").get(TASKS).get_json()
    assert [t["dossier"] for t in ardennes["items"]] == [dossiers["ardenne"]]
    for login in ("mairie.gueret", "expert.cerema", "comite.membre"):
        assert api_for(login).get(TASKS).get_json()["items"] == [], login


def test_the_inbox_filters_and_pages_like_the_web_inbox(api_for, platform, dossiers, clock):
    filed = file_in_creuse(platform, 4)
    client = api_for("prefet.creuse")
    everything = client.get(TASKS).get_json()
    assert everything["total"] == 5

    # Pages by offset, in the order asked.
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = client.get(TASKS, query_string={"limit": 2, "offset": offset}).get_json()
        assert len(page["items"]) <= 2 and page["total"] == 5
        seen += [t["dossier"] for t in page["items"]]
        offset = page["next_offset"]
    assert sorted(seen) == sorted([dossiers["gueret"], *filed]) and len(seen) == 5
    by_reference = client.get(TASKS, query_string={"order": "reference", "direction": "desc"})
    references = [t["dossier"] for t in by_reference.get_json()["items"]]
    assert references == sorted(references, reverse=True)

    # Claimed by me / by nobody.
    client.post(f"{TASKS}/{task_id(platform, filed[0])}/claim")
    mine = client.get(TASKS, query_string={"assignment": "mine"}).get_json()
    assert [t["dossier"] for t in mine["items"]] == [filed[0]]
    assert mine["items"][0]["assignee"] == "prefet.creuse"
    assert mine["counts"]["mine"] == 1 and mine["counts"]["unassigned"] == 4
    nobody = client.get(TASKS, query_string={"assignment": "unassigned"}).get_json()
    assert nobody["total"] == 4 and filed[0] not in [t["dossier"] for t in nobody["items"]]

    # Procedure, task, role, territory.
    for query, total in (
        ({"process_id": "demande_ingenierie"}, 5), ({"process_id": "pass_numerique"}, 0),
        ({"bpmn_id": "qualifier_besoin"}, 5), ({"bpmn_id": "completer_demande"}, 0),
        ({"role": "prefet"}, 5), ({"role": "collectivite"}, 0),
        ({"territory": "23"}, 5), ({"territory": "08"}, 0),
    ):  # fmt: skip
        assert client.get(TASKS, query_string=query).get_json()["total"] == total, query
    # The Ardennes' task never appears, whatever the filters.
    assert (
        api_for("prefet.creuse").get(TASKS, query_string={"territory": "08"}).get_json()["items"]
        == []
    )

    # Due: due in 21 days; a fortnight later it is due this week, then overdue.
    assert client.get(TASKS, query_string={"due": "en_retard"}).get_json()["total"] == 0
    clock.advance(timedelta(days=15))
    assert client.get(TASKS, query_string={"due": "cette_semaine"}).get_json()["total"] == 5
    clock.advance(timedelta(days=7))
    overdue = client.get(TASKS, query_string={"due": "en_retard"}).get_json()
    assert overdue["total"] == 5 and all(t["overdue"] for t in overdue["items"])


def test_a_wrong_filter_is_a_422_problem_naming_it(api_for, dossiers):
    client = api_for("prefet.creuse")
    for query, field in (
        ({"territory": "99"}, "territory"), ({"due": "demain"}, "due"),
        ({"order": "hasard"}, "order"), ({"limit": "0"}, "limit"), ({"limit": "500"}, "limit"),
        ({"offset": "-1"}, "offset"), ({"role": "roi"}, "role"), ({"assignment": "moi"}, "assignment"),
        ({"direction": "haut"}, "direction"),
    ):  # fmt: skip
        response = client.get(TASKS, query_string=query)
        body = problem_of(response)
        assert response.status_code == 422, query
        assert field in body["errors"], (query, body)


# ---------------------------------------------------------------- one task


def test_a_task_with_its_form_and_etag(api_for, platform, dossiers):
    identifier = task_id(platform, dossiers["gueret"])
    client = api_for("prefet.creuse")
    response = client.get(f"{TASKS}/{identifier}")
    assert response.status_code == 200
    task = response.get_json()
    assert task["id"] == identifier and task["dossier"] == dossiers["gueret"]
    assert task["name"] == "Qualifier le besoin" and task["bpmn_id"] == "qualifier_besoin"
    assert task["process_name"] == "Demande d'accompagnement en ingénierie sur mesure"
    assert task["status"] == "ouverte" and task["assignee"] is None
    assert task["claimable"] and task["may_act"] and task["may_assign"]
    assert not task["may_release"] and task["completed_at"] is None
    assert task["form"]["type"] == "object"
    assert {"decision_prefet", "besoin_qualifie"} <= set(task["form"]["properties"])
    assert isinstance(task["data"], dict)
    tag = etag(response)
    assert "private" in response.headers["Cache-Control"]

    # Unchanged: 304 without a body; the tag is stable.
    again = client.get(f"{TASKS}/{identifier}", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == tag
    other = client.get(f"{TASKS}/{identifier}", headers={"If-None-Match": '"autre"'})
    assert other.status_code == 200 and other.headers["ETag"] == tag

    # Claimed: another state, another tag.
    claimed = client.post(f"{TASKS}/{identifier}/claim")
    assert claimed.headers["ETag"] != tag
    assert client.get(f"{TASKS}/{identifier}", headers={"If-None-Match": tag}).status_code == 200
    assert client.get(f"{TASKS}/{identifier}").headers["ETag"] == claimed.headers["ETag"]


def test_outside_the_scope_a_task_does_not_exist(api_for, platform, dossiers):
    identifier = task_id(platform, dossiers["gueret"])
    for login in ("prefet.ardennes", "ardenne.metropole", "expert.cerema"):
        client = api_for(login)
        response = client.get(f"{TASKS}/{identifier}")
        body = problem_of(response)
        assert response.status_code == 404, login
        assert "Tâche introuvable" in body["detail"] and dossiers["gueret"] not in body["detail"]
        for action, payload in (
            ("claim", None), ("release", None), ("assign", {"login": "prefet.ardennes"}),
            ("complete", {"data": NON_RECEVABLE}),
        ):  # fmt: skip
            refused = client.post(f"{TASKS}/{identifier}/{action}", json=payload)
            assert problem_of(refused)["status"] == 404, (login, action)
    unknown = api_for("prefet.creuse").get(f"{TASKS}/00000000-0000-0000-0000-000000000000")
    assert problem_of(unknown)["status"] == 404
    [task] = service.list_tasks(platform, PREFET_23)
    assert task["assignee"] is None and task["status"] == "ouverte"


def test_in_scope_but_for_another_role_is_forbidden(api_for, platform, dossiers):
    identifier = task_id(platform, dossiers["gueret"])
    for login in ("mairie.gueret", "anct.national", "comite.membre"):
        client = api_for(login)
        response = client.get(f"{TASKS}/{identifier}")
        assert problem_of(response)["status"] == 403, login
        assert "Votre rôle ne permet pas de traiter" in problem_of(response)["detail"]
    mairie = api_for("mairie.gueret")
    for action, payload in (
        ("claim", None), ("release", None), ("assign", {"login": "mairie.gueret"}),
        ("complete", {"data": NON_RECEVABLE}),
    ):  # fmt: skip
        refused = mairie.post(f"{TASKS}/{identifier}/{action}", json=payload)
        assert problem_of(refused)["status"] == 403, action
    [task] = service.list_tasks(platform, PREFET_23)
    assert task["assignee"] is None and task["status"] == "ouverte"


# ---------------------------------------------------------------- claim, release, assign


def test_claim_and_release(api_for, platform, dossiers, colleague):
    identifier = task_id(platform, dossiers["gueret"])
    client, other = api_for("prefet.creuse"), api_for(colleague)
    taken = client.post(f"{TASKS}/{identifier}/claim")
    assert taken.status_code == 200
    task = taken.get_json()
    assert task["assignee"] == "prefet.creuse" and task["assignee_name"]
    assert not task["claimable"] and task["may_release"]
    assert taken.headers["ETag"] == client.get(f"{TASKS}/{identifier}").headers["ETag"]
    # Claiming again one's own task: it stays one's own.
    assert client.post(f"{TASKS}/{identifier}/claim").get_json()["assignee"] == "prefet.creuse"

    # The colleague can neither take it nor give it back: 409, as for a completion.
    assert other.get(f"{TASKS}/{identifier}").get_json()["claimable"] is False
    for action in ("claim", "release"):
        refused = other.post(f"{TASKS}/{identifier}/{action}")
        body = problem_of(refused)
        assert refused.status_code == 409, action
        assert "prise en charge par prefet.creuse" in body["detail"]
        assert body["code"] == "conflit"
    refused = other.post(f"{TASKS}/{identifier}/complete", json={"data": NON_RECEVABLE})
    assert problem_of(refused)["status"] == 409

    released = client.post(f"{TASKS}/{identifier}/release")
    assert released.status_code == 200 and released.get_json()["assignee"] is None
    assert released.get_json()["claimable"]
    assert released.headers["ETag"] != taken.headers["ETag"]
    assert other.post(f"{TASKS}/{identifier}/claim").get_json()["assignee"] == colleague
    kinds = [
        e["kind"]
        for e in service.get_instance(
            platform, dossiers["gueret"], service.Viewer.command_line()
        ).history
    ]
    assert [k for k in kinds if k.startswith("tache_")] == [
        "tache_prise", "tache_prise", "tache_liberee", "tache_prise",
    ]  # fmt: skip


def test_if_match_refuses_an_action_on_a_task_changed_since(api_for, platform, dossiers, colleague):
    identifier = task_id(platform, dossiers["gueret"])
    client, other = api_for("prefet.creuse"), api_for(colleague)
    read = client.get(f"{TASKS}/{identifier}")
    tag = etag(read)
    # Another state meanwhile: the colleague took it.
    other.post(f"{TASKS}/{identifier}/claim")
    now = client.get(f"{TASKS}/{identifier}").headers["ETag"]
    assert now != tag
    for action, payload in (
        ("claim", None), ("release", None), ("assign", {"login": colleague}),
        ("complete", {"data": NON_RECEVABLE}),
    ):  # fmt: skip
        refused = client.post(
            f"{TASKS}/{identifier}/{action}", json=payload, headers={"If-Match": tag}
        )
        body = problem_of(refused)
        assert refused.status_code == 412, action
        assert body["title"] == "Précondition non remplie"
        assert refused.headers["ETag"] == now
    assert service.list_tasks(platform, PREFET_23)[0]["assignee"] == colleague
    # Given back: the task is in the state read first, its tag again.
    other.post(f"{TASKS}/{identifier}/release")
    now = client.get(f"{TASKS}/{identifier}").headers["ETag"]
    assert now == tag
    weak = client.post(f"{TASKS}/{identifier}/claim", headers={"If-Match": f"W/{now}"})
    assert weak.status_code == 412  # If-Match compares strongly
    assert service.list_tasks(platform, PREFET_23)[0]["assignee"] is None

    taken = client.post(f"{TASKS}/{identifier}/claim", headers={"If-Match": f'"x", {now}'})
    assert taken.status_code == 200 and taken.get_json()["assignee"] == "prefet.creuse"
    released = client.post(f"{TASKS}/{identifier}/release", headers={"If-Match": "*"})
    assert released.status_code == 200
    done = client.post(
        f"{TASKS}/{identifier}/complete", json={"data": NON_RECEVABLE},
        headers={"If-Match": released.headers["ETag"]},
    )  # fmt: skip
    assert done.status_code == 200


def test_assign_to_a_colleague_of_the_same_role_and_scope(api_for, platform, dossiers, colleague):
    identifier = task_id(platform, dossiers["gueret"])
    client = api_for("prefet.creuse")
    task = client.get(f"{TASKS}/{identifier}").get_json()
    assert {"login": colleague, "name": "Agnès Durand"} in task["colleagues"]
    for login, message in (
        ("prefet.ardennes", "« prefet.ardennes » ne peut pas recevoir la tâche"),
        ("anct.national", "« anct.national » ne peut pas recevoir la tâche"),
    ):
        refused = client.post(f"{TASKS}/{identifier}/assign", json={"login": login})
        body = problem_of(refused)
        assert refused.status_code == 422 and message in body["errors"]["login"]
    for payload in ({}, {"login": ""}, {"login": 3}, {"login": "x", "autre": 1}):
        refused = client.post(f"{TASKS}/{identifier}/assign", json=payload)
        assert problem_of(refused)["status"] == 422, payload
    assert service.list_tasks(platform, PREFET_23)[0]["assignee"] is None

    given = client.post(f"{TASKS}/{identifier}/assign", json={"login": colleague})
    assert given.status_code == 200
    assert given.get_json()["assignee"] == colleague
    assert given.get_json()["assignee_name"] == "Agnès Durand"
    assert given.headers["ETag"] == client.get(f"{TASKS}/{identifier}").headers["ETag"]
    [notice, *_] = notifications.list_notifications(platform, person(colleague, "prefet", "23"))
    assert notice["subject"] == f"Tâche confiée : Qualifier le besoin ({dossiers['gueret']})"
    mine = api_for(colleague).get(TASKS, query_string={"assignment": "mine"}).get_json()
    assert [t["id"] for t in mine["items"]] == [identifier]


# ---------------------------------------------------------------- complete


def test_a_refused_form_is_a_422_problem_with_field_errors(api_for, platform, dossiers):
    identifier = task_id(platform, dossiers["gueret"])
    client = api_for("prefet.creuse")
    refused = client.post(
        f"{TASKS}/{identifier}/complete", json={"data": {"decision_prefet": "transmission"}}
    )
    body = problem_of(refused)
    assert refused.status_code == 422 and body["code"] == "donnees_invalides"
    assert body["errors"]["data.besoin_qualifie"] == "Rédigez la synthèse du besoin qualifié."
    nested = client.post(
        f"{TASKS}/{identifier}/complete",
        json={
            "data": {
                "decision_prefet": "ingenierie_locale",
                "structure_locale": {
                    "type_structure": "caue", "nom": "CAUE de la Creuse",
                    "courriel": "pas-une-adresse",
                },
            }
        },
    )  # fmt: skip
    errors = problem_of(nested)["errors"]
    assert errors["data.structure_locale.courriel"].startswith("Adresse électronique invalide")
    for payload in ({"data": "non"}, {"data": {}, "autre": 1}, {"data": {"_cache": 1}}):
        response = client.post(f"{TASKS}/{identifier}/complete", json=payload)
        assert problem_of(response)["status"] == 422, payload
    assert service.list_tasks(platform, PREFET_23)[0]["status"] == "ouverte"


def test_complete_gives_the_next_tasks_then_a_second_time_is_a_conflict(
    api_for, platform, dossiers
):
    reference = dossiers["gueret"]
    identifier = task_id(platform, reference)
    prefet, mairie = api_for("prefet.creuse"), api_for("mairie.gueret")
    done = prefet.post(f"{TASKS}/{identifier}/complete", json={"data": COMPLEMENTS})
    assert done.status_code == 200
    body = done.get_json()
    assert body["dossier"] == reference
    assert body["next_tasks"] == []  # the authority's turn: not the préfet's task
    assert body["task"]["status"] == "terminee" and body["task"]["completed_by"] == "prefet.creuse"
    assert not body["task"]["may_act"] and done.headers["ETag"]

    again = prefet.post(f"{TASKS}/{identifier}/complete", json={"data": COMPLEMENTS})
    assert problem_of(again)["status"] == 409
    assert "déjà été traitée" in problem_of(again)["detail"]
    for action in ("claim", "release"):
        assert problem_of(prefet.post(f"{TASKS}/{identifier}/{action}"))["status"] == 409
    read = prefet.get(f"{TASKS}/{identifier}")
    assert read.status_code == 200 and read.get_json()["status"] == "terminee"

    # The authority's answer; then the préfet's new qualification is listed for the préfet.
    [answer] = mairie.get(TASKS).get_json()["items"]
    assert answer["dossier"] == reference and answer["role"] == "collectivite"
    answered = mairie.post(f"{TASKS}/{answer['id']}/complete", json={"data": REPONSE})
    assert answered.status_code == 200 and answered.get_json()["next_tasks"] == []
    [back] = prefet.get(TASKS).get_json()["items"]
    assert back["bpmn_id"] == "qualifier_besoin" and back["id"] != identifier
    final = prefet.post(f"{TASKS}/{back['id']}/complete", json={"data": NON_RECEVABLE})
    assert final.status_code == 200 and final.get_json()["next_tasks"] == []
    details = service.get_instance(platform, reference, service.Viewer.command_line())
    assert details.status == "terminee"


def test_the_next_tasks_are_those_the_caller_may_act_on(api_for, platform, dossiers):
    """Transmitted, the dossier waits for the national team: nothing next for the préfet, the
    instruction in the national team's inbox."""
    identifier = task_id(platform, dossiers["gueret"])
    done = api_for("prefet.creuse").post(
        f"{TASKS}/{identifier}/complete", json={"data": TRANSMISSION}
    )
    assert done.status_code == 200 and done.get_json()["next_tasks"] == []
    national = api_for("anct.national").get(TASKS).get_json()["items"]
    assert [t["dossier"] for t in national] == [dossiers["gueret"]]


# ---------------------------------------------------------------- the OpenAPI document


def test_the_operations_are_documented_with_their_security(api_for):
    spec = api_for(None).get("/api/v1/openapi.json").get_json()
    operations = {
        ("/api/v1/tasks", "get"), ("/api/v1/tasks/{task_id}", "get"),
        ("/api/v1/tasks/{task_id}/claim", "post"), ("/api/v1/tasks/{task_id}/release", "post"),
        ("/api/v1/tasks/{task_id}/assign", "post"), ("/api/v1/tasks/{task_id}/complete", "post"),
    }  # fmt: skip
    for path, method in operations:
        operation = spec["paths"][path][method]
        assert operation["security"] == [{"jeton": []}], path
        assert operation["summary"], path
    shown = spec["paths"]["/api/v1/tasks/{task_id}"]["get"]["responses"]
    assert "ETag" in shown["200"]["headers"] and "304" in shown
    parameters = {p["name"] for p in spec["paths"]["/api/v1/tasks"]["get"]["parameters"]}
    assert {"process_id", "bpmn_id", "territory", "due", "assignment", "limit", "offset"} <= (
        parameters
    )

"""The caller's notifications through the API (/api/v1/notifications): the list, unread only,
pages, marking one read; never someone else's."""

from __future__ import annotations

from engine import service
from engine.service import notifications
from tests.api.conftest import problem_of
from tests.procedures.conftest import GUERET, person
from tests.procedures.test_demande_ingenierie import DEPOT

NOTIFICATIONS = "/api/v1/notifications"
PREFET_23 = person("prefet.creuse", "prefet", "23")


def file_in_creuse(platform, count: int) -> list[str]:
    """Each new dossier tells the préfet of the Creuse of its qualification task."""
    return [
        service.start(
            platform, "demande_ingenierie", data={**DEPOT, "intitule_projet": f"Projet {i}"},
            actor="mairie.gueret", organisation="Commune de Guéret", **GUERET,
        ).reference
        for i in range(count)
    ]  # fmt: skip


def test_the_callers_notifications_newest_first(api_for, platform, dossiers):
    response = api_for("prefet.creuse").get(NOTIFICATIONS)
    assert response.status_code == 200
    body = response.get_json()
    [notice] = body["items"]
    assert notice["dossier"] == dossiers["gueret"] and notice["task_id"]
    assert notice["subject"] and notice["body"] and notice["link"].endswith(notice["task_id"])
    assert notice["read"] is False and notice["read_at"] is None and notice["created_at"]
    assert (body["unread_count"], body["limit"], body["next_before"]) == (1, 50, None)
    ardennes = api_for("prefet.ardennes").get(NOTIFICATIONS).get_json()["items"]
    assert [n["dossier"] for n in ardennes] == [dossiers["ardenne"]]
    assert api_for("comite.membre").get(NOTIFICATIONS).get_json()["items"] == []


def test_pages_and_the_unread_filter(api_for, platform, dossiers):
    filed = file_in_creuse(platform, 4)
    client = api_for("prefet.creuse")
    seen: list[int] = []
    query: dict[str, int] = {"limit": 2}
    while True:
        page = client.get(NOTIFICATIONS, query_string=query).get_json()
        assert len(page["items"]) <= 2
        seen += [n["id"] for n in page["items"]]
        if page["next_before"] is None:
            break
        query = {"limit": 2, "before": page["next_before"]}
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)

    newest = seen[0]
    read = client.post(f"{NOTIFICATIONS}/{newest}/read")
    assert read.status_code == 200
    assert read.get_json()["id"] == newest and read.get_json()["read"] is True
    assert read.get_json()["read_at"] and read.get_json()["dossier"] == filed[-1]
    # Marking it again changes nothing.
    again = client.post(f"{NOTIFICATIONS}/{newest}/read")
    assert again.status_code == 200 and again.get_json()["read_at"] == read.get_json()["read_at"]

    unread = client.get(NOTIFICATIONS, query_string={"unread": "true"}).get_json()
    assert [n["id"] for n in unread["items"]] == seen[1:] and unread["unread_count"] == 4
    everything = client.get(NOTIFICATIONS).get_json()
    assert len(everything["items"]) == 5 and everything["unread_count"] == 4
    assert notifications.unread_count(platform, PREFET_23) == 4


def test_someone_elses_notification_does_not_exist(api_for, platform, dossiers):
    [theirs] = api_for("prefet.ardennes").get(NOTIFICATIONS).get_json()["items"]
    client = api_for("prefet.creuse")
    refused = client.post(f"{NOTIFICATIONS}/{theirs['id']}/read")
    body = problem_of(refused)
    assert refused.status_code == 404 and "Notification introuvable" in body["detail"]
    assert api_for("prefet.ardennes").get(NOTIFICATIONS).get_json()["unread_count"] == 1
    for path in (f"{NOTIFICATIONS}/999999/read", f"{NOTIFICATIONS}/abc/read"):
        assert problem_of(client.post(path))["status"] == 404, path


def test_a_wrong_query_is_a_422_problem(api_for, dossiers):
    client = api_for("prefet.creuse")
    for query, field in (
        ({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"), ({"before": "-3"}, "before"),
        ({"unread": "peut-etre"}, "unread"),
    ):  # fmt: skip
        response = client.get(NOTIFICATIONS, query_string=query)
        assert response.status_code == 422 and field in problem_of(response)["errors"], query


def test_the_operations_are_documented_with_their_security(api_for):
    spec = api_for(None).get("/api/v1/openapi.json").get_json()
    for path, method in (
        ("/api/v1/notifications", "get"),
        ("/api/v1/notifications/{notification_id}/read", "post"),
    ):
        operation = spec["paths"][path][method]
        assert operation["security"] == [{"jeton": []}] and operation["summary"], path

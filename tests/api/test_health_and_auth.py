"""The API's health check, its OpenAPI document and documentation page, and authentication."""

from __future__ import annotations

from datetime import timedelta

from engine.service.people import accounts, tokens
from engine.service.viewer import Viewer
from tests.api.conftest import problem_of, token_for


def test_health_checks_the_database_without_a_token(api_for, platform):
    response = api_for(None).get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": platform.db.dialect.name}


def test_the_openapi_document_is_3_1_and_lists_the_operations(api_for):
    spec = api_for(None).get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    assert "/api/v1/health" in spec["paths"]
    assert spec["components"]["securitySchemes"]["jeton"]["scheme"] == "bearer"


def test_the_documentation_page_loads_swagger_ui_from_the_site_itself(api_for, app):
    page = api_for(None).get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/vendor/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "https://" not in html
    bundle = app.test_client().get("/vendor/swagger-ui-dist/swagger-ui-bundle.js")
    assert bundle.status_code == 200


def test_without_a_token_the_api_answers_401_problem_details(api_for):
    response = api_for(None).get("/api/v1/tasks")
    body = problem_of(response)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in body["detail"]


def test_a_session_cookie_is_not_enough(client_for):
    signed_in = client_for("prefet.creuse")
    response = signed_in.get("/api/v1/tasks")
    assert response.status_code == 401


def test_an_unknown_expired_or_revoked_token_is_refused_alike(api_for, platform, clock):
    client = api_for(None)
    for secret in ("anct_inconnu", "n'importe quoi", "anct_" + "x" * 200):
        response = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 401
    expiring = token_for(platform, "prefet.creuse", days=1)
    auth = {"Authorization": f"Bearer {expiring}"}
    assert client.get("/api/v1/tasks", headers=auth).status_code == 200
    clock.advance(timedelta(days=1, seconds=1))
    assert client.get("/api/v1/tasks", headers=auth).status_code == 401
    revoked = tokens.create(platform, Viewer.command_line(), "prefet.creuse", name="révoqué")
    auth = {"Authorization": f"Bearer {revoked.secret}"}
    assert client.get("/api/v1/tasks", headers=auth).status_code == 200
    tokens.revoke(platform, Viewer.command_line(), revoked.record.id)
    assert client.get("/api/v1/tasks", headers=auth).status_code == 401


def test_a_deactivated_accounts_tokens_stop_working(api_for, platform):
    client = api_for("prefet.creuse")
    assert client.get("/api/v1/tasks").status_code == 200
    accounts.set_active(platform, "prefet.creuse", False)
    assert client.get("/api/v1/tasks").status_code == 401


def test_only_the_hash_of_a_token_is_stored(platform):
    created = tokens.create(platform, Viewer.command_line(), "prefet.creuse", name="SI Creuse")
    with platform.read() as connection:
        rows = connection.exec_driver_sql("SELECT token_hash FROM api_tokens").all()
    assert created.secret not in {row[0] for row in rows}
    assert all(len(row[0]) == 64 for row in rows)


def test_unknown_paths_and_methods_answer_problem_details(api_for):
    client = api_for("prefet.creuse")
    assert problem_of(client.get("/api/v1/nulle-part"))["status"] == 404
    response = client.delete("/api/v1/health")
    assert problem_of(response)["status"] == 405


def test_each_token_has_its_own_rate_limit(api_for, app):
    app.config["ANCT_API_RATE_LIMIT"] = "3 per minute"
    busy, other = api_for("prefet.creuse"), api_for("prefet.ardennes")
    answers = [busy.get("/api/v1/dossiers") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200] * 3
    assert answers[0].headers["X-RateLimit-Remaining"] == "2"
    assert all("Retry-After" not in answer.headers for answer in answers)
    refused = busy.get("/api/v1/dossiers")
    body = problem_of(refused)
    assert body["status"] == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert other.get("/api/v1/dossiers").status_code == 200


def test_an_oversized_body_is_a_413_problem(api_for, app):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = api_for("mairie.gueret").post(
        "/api/v1/dossiers", data="x" * 2000, content_type="application/json"
    )
    assert problem_of(response)["status"] == 413


def test_the_rate_limit_is_the_apis_only_and_read_from_the_environment(
    platform, monkeypatch, client_for
):
    from web import create_app

    monkeypatch.setenv("ANCT_API_RATE_LIMIT", "2 per minute")
    app = create_app(platform, SECRET_KEY="cle-de-test", TESTING=True)
    secret = token_for(platform, "prefet.creuse")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    statuses = [client.get("/api/v1/tasks", headers=auth).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    pages = [client.get("/connexion").status_code for _ in range(5)]
    assert pages == [200] * 5, "the pages are not rate limited"

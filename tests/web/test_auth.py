"""Sign-in, sessions, CSRF and lock-out, as a person at the door sees them."""

from __future__ import annotations

import pytest

from engine.service.demo import DEMO_USERS
from tests.web.conftest import csrf_token, sign_in

LANDING = {
    "mairie.gueret": "/portail/",
    "prefet.creuse": "/taches/",
    "anct.national": "/taches/",
    "comite.membre": "/taches/",
    "expert.cerema": "/taches/",
    "responsable.processus": "/notifications",
    "admin": "/admin/utilisateurs",
}


@pytest.mark.parametrize("login", sorted(LANDING))
def test_each_demo_account_signs_in_and_lands_on_its_page(app, login):
    client = app.test_client()
    answer = sign_in(client, login)
    assert answer.status_code == 302 and answer.headers["Location"] == LANDING[login]
    page = client.get(LANDING[login])
    assert page.status_code == 200
    account = next(u for u in DEMO_USERS if u.login == login)
    assert account.name.replace("'", "&#39;") in page.get_data(as_text=True)


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(app):
    client = app.test_client()
    for login in ("prefet.creuse", "personne.inconnue"):
        answer = sign_in(client, login, "mauvais mot de passe")
        assert answer.status_code == 401
        assert "Identifiant ou mot de passe incorrect." in answer.get_data(as_text=True)
    assert client.get("/taches/").status_code == 302, "still signed out"


def test_five_failures_lock_the_account_for_a_while(app, clock):
    client = app.test_client()
    for _ in range(5):
        assert sign_in(client, "prefet.creuse", "essai au hasard").status_code == 401
    locked = sign_in(client, "prefet.creuse")
    assert locked.status_code == 401
    assert "Trop d&#39;essais infructueux" in locked.get_data(as_text=True)
    clock.advance(minutes=16)
    assert sign_in(client, "prefet.creuse").status_code == 302


def test_forms_without_the_csrf_token_are_refused(app):
    client = app.test_client()
    answer = client.post("/connexion", data={"login": "admin", "password": "demo-anct-2026"})
    assert answer.status_code == 400
    assert "Le formulaire a expiré" in answer.get_data(as_text=True)


def test_sign_out_ends_the_session(app):
    client = app.test_client()
    sign_in(client, "prefet.creuse")
    assert client.get("/taches/").status_code == 200
    token = csrf_token(client, "/taches/")
    assert client.post("/deconnexion", data={"csrf_token": token}).status_code == 302
    answer = client.get("/taches/")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/connexion")


def test_pages_ask_to_sign_in_and_come_back_only_to_this_site(app):
    client = app.test_client()
    answer = client.get("/taches/?filtre=x")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/connexion?next=%2Ftaches%2F%3Ffiltre%3Dx"
    token = csrf_token(client)
    back = client.post("/connexion", data={
        "login": "prefet.creuse", "password": "demo-anct-2026", "csrf_token": token,
        "next": "https://pirate.example/vol",
    })  # fmt: skip
    assert back.headers["Location"] == "/taches/", "no open redirect"


def test_session_cookie_and_security_headers(app):
    client = app.test_client()
    answer = sign_in(client, "prefet.creuse")
    cookie = answer.headers["Set-Cookie"]
    assert "anct_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/taches/")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_proconnect_is_offered_only_when_configured(platform):
    from web import create_app

    plain = create_app(platform, SECRET_KEY="k").test_client()
    assert plain.get("/connexion/proconnect").status_code == 404
    assert "ProConnect" not in plain.get("/connexion").get_data(as_text=True)
    configured = create_app(
        platform, SECRET_KEY="k", ANCT_OIDC_CLIENT_ID="anct-bpm", ANCT_OIDC_CLIENT_SECRET="s",
        ANCT_OIDC_AUTHORIZE_URL="https://proconnect.example/authorize",
        ANCT_OIDC_TOKEN_URL="https://proconnect.example/token",
    ).test_client()  # fmt: skip
    assert "ProConnect" in configured.get("/connexion").get_data(as_text=True)
    answer = configured.get("/connexion/proconnect")
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith("https://proconnect.example/authorize?")
    assert "client_id=anct-bpm" in location and "state=" in location

"""The « Jetons d'API » page: create (the secret shown once), list, revoke; the admin's list."""

from __future__ import annotations

import html
import re

from engine.service.people import tokens
from engine.service.viewer import Viewer
from tests.web.conftest import csrf_token, post_form

PAGE = "/compte/jetons"
ADMIN_PAGE = "/admin/jetons"
SECRET = re.compile(r"anct_[A-Za-z0-9_-]{20,}")


def text_of(answer) -> str:
    return html.unescape(answer.get_data(as_text=True))


def field_error(answer, key: str) -> str:
    page = answer.get_data(as_text=True)
    start = page.find(f'id="champ-{key}-messages"')
    assert start >= 0, f"pas de champ {key}"
    end = page.find("</div>", start)
    marker = f'data-erreur="{key}">'
    found = page.find(marker, start, end)
    if found < 0:
        return ""
    return html.unescape(page[found + len(marker) : page.find("</p>", found)])


def create(client, name: str = "Logiciel de la préfecture", days: str = "30"):
    return post_form(client, PAGE, {"name": name, "days": days})


def secret_of(answer) -> str:
    found = SECRET.findall(answer.get_data(as_text=True))
    assert found, "pas de jeton sur la page"
    assert len(set(found)) == 1
    return found[0]


def own_tokens(platform, login: str):
    return tokens.list_tokens(platform, Viewer.command_line(), login)


def test_every_signed_in_person_reaches_the_page_from_the_header(client_for):
    for login in ("mairie.gueret", "prefet.creuse", "anct.national", "admin"):
        client = client_for(login)
        notices = client.get("/notifications").get_data(as_text=True)
        assert f'href="{PAGE}"' in notices, login
        page = client.get(PAGE)
        assert page.status_code == 200, login
        body = text_of(page)
        assert "<h1>Jetons d'API</h1>" in body
        assert "Vous n'avez aucun jeton." in body
        assert 'value="90"' in body and 'max="366"' in body
        assert 'href="/api/v1/docs"' in body
        assert ("Jetons de tous les comptes" in body) == (login == "admin")


def test_anonymous_visitors_are_sent_to_sign_in(client_for):
    answer = client_for(None).get(PAGE)
    assert answer.status_code == 302 and "/connexion" in answer.location


def test_the_secret_is_shown_once_and_then_authenticates(app, client_for, platform):
    client = client_for("prefet.creuse")
    answer = create(client)
    assert answer.status_code == 201
    assert answer.headers["Cache-Control"] == "no-store"
    body = text_of(answer)
    secret = secret_of(answer)
    assert "il ne sera plus jamais affiché" in body
    assert f"Authorization: Bearer {secret}" in body
    assert 'href="/api/v1/docs"' in body
    [record] = own_tokens(platform, "prefet.creuse")
    assert record.name == "Logiciel de la préfecture"
    assert (record.expires_at - record.created_at).days == 30
    # The list shows the token, never its secret.
    listed = client.get(PAGE)
    assert secret not in listed.get_data(as_text=True)
    assert not SECRET.search(listed.get_data(as_text=True))
    row = re.search(rf'<tr data-jeton="{record.id}">.*?</tr>', text_of(listed), re.S)
    assert row and "Logiciel de la préfecture" in row.group(0) and "Actif" in row.group(0)
    assert "Jamais" in row.group(0)
    assert "1 jeton, dont 1 actif" in text_of(listed)
    # The token acts as its person through the API.
    api = app.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {secret}"})
    if api.status_code == 404:  # the tasks endpoint is not there yet
        found = tokens.authenticate(platform, secret)
        assert found is not None and found.login == "prefet.creuse"
    else:
        assert api.status_code == 200, api.get_data(as_text=True)[:300]
    assert app.test_client().get("/api/v1/openapi.json").status_code == 200
    used = text_of(client.get(PAGE))
    assert "Jamais" not in re.search(rf'<tr data-jeton="{record.id}">.*?</tr>', used, re.S)[0]


def test_the_default_validity_is_90_days(client_for, platform):
    client = client_for("mairie.gueret")
    assert create(client, "Script", "90").status_code == 201
    [record] = own_tokens(platform, "mairie.gueret")
    assert (record.expires_at - record.created_at).days == 90


def test_refusals_are_shown_next_to_their_fields(client_for, platform):
    client = client_for("mairie.gueret")
    for name, days, key, message in (
        ("", "30", "name", "Donnez un nom au jeton"),
        ("x" * 201, "30", "name", "au plus 200 caractères"),
        ("Script", "0", "days", "de 1 à 366 jours"),
        ("Script", "367", "days", "de 1 à 366 jours"),
        ("Script", "trois", "days", "de 1 à 366 jours"),
        ("Script", "", "days", "de 1 à 366 jours"),
    ):
        answer = create(client, name, days)
        assert answer.status_code == 422, (name, days)
        assert message in field_error(answer, key), (name, days)
        assert "Le jeton n'a pas été créé" in text_of(answer)
        assert not SECRET.search(answer.get_data(as_text=True))
        assert f'value="{html.escape(days)}"' in answer.get_data(as_text=True) or not days
    both = create(client, "", "1000")
    assert field_error(both, "name") and field_error(both, "days")
    assert own_tokens(platform, "mairie.gueret") == []


def test_the_form_needs_its_csrf_token(client_for, platform):
    client = client_for("mairie.gueret")
    answer = client.post(PAGE, data={"name": "Sans jeton CSRF", "days": "30"})
    assert answer.status_code == 400
    assert own_tokens(platform, "mairie.gueret") == []
    made = tokens.create(platform, Viewer.command_line(), "mairie.gueret", name="Script", days=5)
    revoked = client.post(
        f"{PAGE}/{made.record.id}/revoquer", data={"confirmation": "oui", "retour": "compte"}
    )
    assert revoked.status_code == 400
    assert tokens.authenticate(platform, made.secret) is not None


def test_revoking_asks_for_confirmation_then_the_token_stops_working(client_for, platform):
    client = client_for("prefet.creuse")
    secret = secret_of(create(client, "À révoquer"))
    [record] = own_tokens(platform, "prefet.creuse")
    listed = client.get(PAGE).get_data(as_text=True)
    assert f'action="{PAGE}/{record.id}/revoquer"' in listed
    asked = post_form(client, f"{PAGE}/{record.id}/revoquer", {"retour": "compte"}, page=PAGE)
    assert asked.status_code == 200
    assert "Révoquer le jeton « À révoquer » ?" in text_of(asked)
    assert 'name="confirmation" value="oui"' in asked.get_data(as_text=True)
    assert tokens.authenticate(platform, secret) is not None  # nothing changed yet
    done = post_form(
        client, f"{PAGE}/{record.id}/revoquer", {"retour": "compte", "confirmation": "oui"},
        page=PAGE,
    )  # fmt: skip
    assert done.status_code == 302 and done.location.endswith(PAGE)
    assert tokens.authenticate(platform, secret) is None
    after = client.get(PAGE)
    body = text_of(after)
    assert "Jeton « À révoquer » révoqué" in body
    row = re.search(rf'<tr data-jeton="{record.id}">.*?</tr>', body, re.S)[0]
    assert "Révoqué" in row and "revoquer" not in row
    # Revoked twice: said so, nothing else.
    again = post_form(client, f"{PAGE}/{record.id}/revoquer", {"confirmation": "oui"}, page=PAGE)
    assert again.status_code == 302
    assert "déjà révoqué" in text_of(client.get(PAGE))


def test_an_expired_token_shows_as_such(client_for, platform, clock):
    made = tokens.create(platform, Viewer.command_line(), "mairie.gueret", name="Vieux", days=1)
    clock.advance(days=2)
    client = client_for("mairie.gueret")
    row = re.search(rf'<tr data-jeton="{made.record.id}">.*?</tr>', text_of(client.get(PAGE)), re.S)
    assert row and "Expiré" in row[0]


def test_someone_elses_token_is_not_found(client_for, platform):
    theirs = tokens.create(platform, Viewer.command_line(), "prefet.ardennes", name="Autre", days=9)
    client = client_for("prefet.creuse")
    for data in ({}, {"confirmation": "oui"}, {"confirmation": "oui", "retour": "admin"}):
        answer = post_form(client, f"{PAGE}/{theirs.record.id}/revoquer", data, page=PAGE)
        assert answer.status_code == 404, data
        assert "Autre" not in text_of(answer)
    assert post_form(client, f"{PAGE}/999999/revoquer", {}, page=PAGE).status_code == 404
    assert tokens.authenticate(platform, theirs.secret) is not None
    assert "Autre" not in text_of(client.get(PAGE))


def test_the_admin_sees_every_token_and_revokes_any(client_for, platform):
    cli = Viewer.command_line()
    gueret = tokens.create(platform, cli, "mairie.gueret", name="Logiciel de la mairie", days=9)
    prefet = tokens.create(platform, cli, "prefet.creuse", name="Outil préfecture", days=9)
    client = client_for("admin")
    page = client.get(ADMIN_PAGE)
    assert page.status_code == 200
    body = text_of(page)
    assert "Logiciel de la mairie" in body and "Outil préfecture" in body
    assert "2 jetons, dont 2 actifs" in body
    assert gueret.secret not in body and not SECRET.search(page.get_data(as_text=True))
    assert 'href="/admin/utilisateurs/mairie.gueret"' in body
    asked = post_form(
        client, f"{PAGE}/{gueret.record.id}/revoquer", {"retour": "admin"}, page=ADMIN_PAGE
    )
    assert asked.status_code == 200 and "mairie.gueret" in text_of(asked)
    done = post_form(
        client, f"{PAGE}/{gueret.record.id}/revoquer", {"retour": "admin", "confirmation": "oui"},
        page=ADMIN_PAGE,
    )  # fmt: skip
    assert done.status_code == 302 and done.location.endswith(ADMIN_PAGE)
    assert "Jeton « Logiciel de la mairie » de « mairie.gueret » révoqué" in text_of(
        client.get(ADMIN_PAGE)
    )
    assert tokens.authenticate(platform, gueret.secret) is None
    assert tokens.authenticate(platform, prefet.secret) is not None
    # The admin's own page lists only their own tokens.
    assert "Outil préfecture" not in text_of(client.get(PAGE))


def test_only_the_admin_reads_every_token(client_for):
    for login in ("mairie.gueret", "prefet.creuse", "anct.national", "responsable.processus"):
        assert client_for(login).get(ADMIN_PAGE).status_code == 403, login
    # Someone else's revocation never goes back to the admin's list.
    client = client_for("prefet.creuse")
    created = create(client, "Le mien")
    assert created.status_code == 201
    token = csrf_token(client, PAGE)
    page = client.get(PAGE).get_data(as_text=True)
    token_id = re.search(r'data-jeton="(\d+)"', page).group(1)
    answer = client.post(
        f"{PAGE}/{token_id}/revoquer",
        data={"csrf_token": token, "retour": "admin", "confirmation": "oui"},
    )
    assert answer.status_code == 302 and answer.location.endswith(PAGE)

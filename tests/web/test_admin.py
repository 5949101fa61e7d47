"""The admin page: accounts, grants, passwords and deactivation, for the `admin` role only."""

from __future__ import annotations

import html

import pytest

from engine.errors import Forbidden
from engine.service import users
from engine.service.demo import DEMO_USERS
from engine.service.people import accounts
from engine.service.people import admin as people_admin
from engine.service.viewer import Grant, Viewer
from tests.conftest import NAMED_PEOPLE
from tests.web.conftest import csrf_token, post_form, sign_in

LIST = "/admin/utilisateurs"
NEW = "/admin/utilisateurs/nouveau"
PREFET = "/admin/utilisateurs/prefet.creuse"
NEW_PASSWORD = "nouveau-mot-de-passe-23"
CREATED = {
    "login": "agent.creuse", "name": "Agnès Durand", "email": "agnes.durand@creuse.gouv.fr",
    "organisation": "Préfecture de la Creuse", "password": "mot-de-passe-solide",
    "role-0": "prefet", "scope-0": "23", "role-1": "", "scope-1": "", "role-2": "", "scope-2": "",
}  # fmt: skip

#: Every route of the blueprint: method, path, form data that succeeds, where an admin lands.
ROUTES = [
    ("GET", LIST, None, None),
    ("GET", NEW, None, None),
    ("POST", NEW, CREATED, LIST),
    ("GET", PREFET, None, None),
    ("POST", PREFET + "/identite",
     {"name": "Préfecture de la Creuse (DT ANCT)", "email": "", "organisation": ""}, PREFET),
    ("POST", PREFET + "/habilitations", {"role-0": "prefet", "scope-0": "23"}, PREFET),
    ("POST", PREFET + "/mot-de-passe", {"password": NEW_PASSWORD}, PREFET),
    ("POST", PREFET + "/desactiver", {}, PREFET),
    ("POST", PREFET + "/reactiver", {}, PREFET),
]  # fmt: skip
ROUTE_IDS = [f"{method} {path}" for method, path, _, _ in ROUTES]
OTHERS = sorted(u.login for u in DEMO_USERS if u.role != "admin")


def text_of(answer) -> str:
    return html.unescape(answer.get_data(as_text=True))


def field_error(answer, key: str) -> str:
    """The message shown in the messages group of the field `key`, or ''."""
    page = answer.get_data(as_text=True)
    start = page.find(f'id="champ-{key}-messages"')
    assert start >= 0, f"pas de champ {key}"
    end = page.find("</div>", start)
    marker = f'data-erreur="{key}">'
    found = page.find(marker, start, end)
    if found < 0:
        return ""
    return html.unescape(page[found + len(marker) : page.find("</p>", found)])


@pytest.mark.parametrize(("method", "path", "data", "landing"), ROUTES, ids=ROUTE_IDS)
def test_every_route_works_for_the_admin(client_for, method, path, data, landing):
    client = client_for("admin")
    if method == "GET":
        answer = client.get(path)
        assert answer.status_code == 200
        assert 'name="csrf_token"' in answer.get_data(as_text=True) or path == LIST
    else:
        answer = post_form(client, path, data, page=LIST)
        assert answer.status_code == 302, text_of(answer)
        assert answer.headers["Location"] == landing
        assert "alert--success" in client.get(landing).get_data(as_text=True)


@pytest.mark.parametrize("login", OTHERS)
def test_every_route_is_refused_to_the_other_roles(client_for, login):
    client = client_for(login)
    token = csrf_token(client, "/notifications")  # a valid token: only the role stops them
    for method, path, data, _ in ROUTES:
        if method == "POST":
            data = {**data, "csrf_token": token}
        answer = client.open(path, method=method, data=data)
        assert answer.status_code == 403, f"{method} {path}"
        page = text_of(answer)
        assert "Vous n'avez pas accès à cette page." in page
        assert "data-compte=" not in page and "@demo.anct.gouv.fr" not in page, "nothing leaks"


def test_nothing_changed_when_the_other_roles_were_refused(client_for, platform):
    client = client_for("prefet.ardennes")
    token = csrf_token(client, "/notifications")
    client.post(PREFET + "/desactiver", data={"csrf_token": token})
    client.post(PREFET + "/habilitations", data={"csrf_token": token, "role-0": "admin"})
    client.post(NEW, data={**CREATED, "csrf_token": token})
    account = accounts.get_account(platform, "prefet.creuse")
    assert account.active and account.grants == (Grant("prefet", "23"),)
    assert "agent.creuse" not in {a.login for a in accounts.list_accounts(platform)}


def test_every_route_sends_anonymous_visitors_to_sign_in(app):
    client = app.test_client()
    token = csrf_token(client)
    for method, path, data, _ in ROUTES:
        if method == "POST":
            data = {**data, "csrf_token": token}
        answer = client.open(path, method=method, data=data)
        assert answer.status_code == 302, f"{method} {path}"
        assert answer.headers["Location"].startswith("/connexion?next=")


def test_forms_without_the_csrf_token_are_refused(client_for, platform):
    client = client_for("admin")
    for method, path, data, _ in ROUTES:
        if method == "GET":
            continue
        answer = client.post(path, data=data)
        assert answer.status_code == 400, path
        assert "Le formulaire a expiré" in text_of(answer)
    assert accounts.get_account(platform, "prefet.creuse").active
    assert "agent.creuse" not in {a.login for a in accounts.list_accounts(platform)}


def test_the_list_shows_every_account_with_its_grants_in_french(client_for):
    page = text_of(client_for("admin").get(LIST))
    for person in DEMO_USERS:
        assert f'data-compte="{person.login}"' in page
        assert person.name in page
    assert "Préfet (délégué territorial) (Creuse, 23)" in page
    assert "Collectivité (SIREN 212309603)" in page
    assert "Équipe nationale (national)" in page
    assert "Administrateur (national)" in page
    assert "prefet.creuse@demo.anct.gouv.fr" in page and "Commune de Guéret" in page
    total = len(DEMO_USERS) + len(NAMED_PEOPLE)  # the demo, and the people procedures name
    assert f"{total} comptes, dont {total} actifs." in page


def test_an_admin_creates_an_account_that_then_signs_in(client_for, app, platform):
    admin = client_for("admin")
    form = admin.get(NEW).get_data(as_text=True)
    for i in range(3):
        assert f'name="role-{i}"' in form and f'name="scope-{i}"' in form
    answer = post_form(admin, NEW, {
        **CREATED, "login": " Agent.Creuse ", "role-1": "comite", "scope-1": "",
    })  # fmt: skip
    assert answer.status_code == 302 and answer.headers["Location"] == LIST
    listing = text_of(admin.get(LIST))
    assert "Compte « agent.creuse » créé pour Agnès Durand." in listing
    assert "Préfet (délégué territorial) (Creuse, 23)" in listing and "Comité (national)" in listing
    account = accounts.get_account(platform, "agent.creuse")
    assert account.grants == (Grant("comite", None), Grant("prefet", "23"))
    assert account.email == "agnes.durand@creuse.gouv.fr"

    person = app.test_client()
    signed = sign_in(person, "agent.creuse", "mot-de-passe-solide")
    assert signed.status_code == 302 and signed.headers["Location"] == "/taches/"
    assert "Agnès Durand" in text_of(person.get("/taches/"))
    assert person.get(LIST).status_code == 403


def test_a_scope_outside_the_reference_data_is_refused_next_to_its_field(client_for, platform):
    admin = client_for("admin")
    answer = post_form(admin, NEW, {**CREATED, "scope-0": "99"})
    assert answer.status_code == 422
    message = "Code de département inconnu : « 99 » (attendu par exemple 23, 2A ou 971)."
    assert field_error(answer, "scope-0") == message
    assert "Le compte n'a pas été créé" in text_of(answer)
    assert field_error(answer, "login") == "" and field_error(answer, "role-0") == ""
    page = answer.get_data(as_text=True)
    assert 'value="agent.creuse"' in page and 'value="99"' in page, "what was typed stays"
    assert 'value="mot-de-passe-solide"' not in page, "never a password back in a page"
    assert "agent.creuse" not in {a.login for a in accounts.list_accounts(platform)}


def test_every_faulty_field_is_named_at_once(client_for, platform):
    admin = client_for("admin")
    answer = post_form(admin, NEW, {
        "login": "Pas d'espace", "name": " ", "email": "sans-arobase", "password": "court",
        "role-0": "", "scope-0": "23", "role-1": "collectivite", "scope-1": "123456789",
        "role-2": "admin", "scope-2": "23",
    })  # fmt: skip
    assert answer.status_code == 422
    assert field_error(answer, "login").startswith("Identifiant invalide")
    assert field_error(answer, "name") == "Le nom de la personne est obligatoire."
    assert field_error(answer, "email") == "Adresse électronique invalide : « sans-arobase »."
    assert field_error(answer, "password") == (
        "Le mot de passe doit compter au moins 10 caractères."
    )
    assert field_error(answer, "role-0") == "Choisissez le rôle qui s'exerce sur ce périmètre."
    assert field_error(answer, "scope-1").startswith("Numéro SIREN invalide « 123456789 »")
    assert "laissez le périmètre vide" in field_error(answer, "scope-2")
    summary = answer.get_data(as_text=True)
    assert summary.count('<li><a href="#champ-') == 7, "each error linked from the summary"
    assert "Habilitation 3, périmètre" in summary
    assert len(accounts.list_accounts(platform)) == len(DEMO_USERS) + len(NAMED_PEOPLE)


def test_an_account_needs_a_role_and_a_free_login(client_for):
    admin = client_for("admin")
    blank = {**CREATED, "role-0": "", "scope-0": ""}
    answer = post_form(admin, NEW, blank)
    assert answer.status_code == 422
    assert field_error(answer, "grants") == "Donnez au moins un rôle."
    taken = post_form(admin, NEW, {**CREATED, "login": "prefet.creuse"})
    assert taken.status_code == 422
    assert field_error(taken, "login") == "L'identifiant « prefet.creuse » existe déjà."


def test_grants_are_replaced_and_take_effect_at_the_next_request(client_for, platform):
    admin = client_for("admin")
    prefet = client_for("prefet.creuse")
    page = admin.get(PREFET).get_data(as_text=True)
    assert '<option value="prefet" selected>' in page and 'value="23"' in page
    answer = post_form(admin, PREFET + "/habilitations", {
        "role-0": "prefet", "scope-0": "23", "role-1": "prefet", "scope-1": "8",
        "role-2": "", "scope-2": "",
    })  # fmt: skip
    assert answer.status_code == 302
    shown = text_of(admin.get(PREFET))
    assert "Habilitations de « prefet.creuse » enregistrées" in shown
    assert "Préfet (délégué territorial) (Ardennes, 08)" in shown
    assert accounts.get_account(platform, "prefet.creuse").grants == (
        Grant("prefet", "08"), Grant("prefet", "23"),
    )  # fmt: skip
    rows = admin.get(PREFET).get_data(as_text=True)
    assert 'name="role-2"' in rows and 'name="role-3"' not in rows, "two grants, one blank row"
    assert prefet.get("/taches/").status_code == 200

    post_form(admin, PREFET + "/habilitations", {"role-0": "comite"})
    assert prefet.get("/taches/").status_code == 200
    post_form(admin, PREFET + "/habilitations", {"role-0": "responsable_processus"})
    assert prefet.get("/taches/").status_code == 403, "the new grants apply at once"


def test_a_bad_grant_row_keeps_the_grants_and_shows_the_rows_as_typed(client_for, platform):
    admin = client_for("admin")
    answer = post_form(admin, PREFET + "/habilitations", {
        "role-0": "prefet", "scope-0": "99", "role-1": "inconnu", "scope-1": "",
    })  # fmt: skip
    assert answer.status_code == 422
    assert field_error(answer, "scope-0").startswith("Code de département inconnu : « 99 »")
    assert field_error(answer, "role-1").startswith("Rôle inconnu : « inconnu »")
    assert "Les habilitations n'ont pas été enregistrées" in text_of(answer)
    assert accounts.get_account(platform, "prefet.creuse").grants == (Grant("prefet", "23"),)
    nothing = post_form(admin, PREFET + "/habilitations", {"role-0": "", "scope-0": ""})
    assert nothing.status_code == 422
    assert field_error(nothing, "grants") == "Donnez au moins un rôle."


def test_an_admin_keeps_their_own_admin_role_and_account(client_for, platform):
    admin = client_for("admin")
    page = text_of(admin.get("/admin/utilisateurs/admin"))
    assert "Vous ne pouvez pas désactiver votre propre compte" in page
    assert "/admin/utilisateurs/admin/desactiver" not in page
    answer = post_form(admin, "/admin/utilisateurs/admin/habilitations", {"role-0": "comite"})
    assert answer.status_code == 422
    assert "retirer votre propre rôle d'administrateur" in field_error(answer, "grants")
    answer = post_form(admin, "/admin/utilisateurs/admin/desactiver", {})
    assert answer.status_code == 422
    assert "Vous ne pouvez pas désactiver votre propre compte." in text_of(answer)
    assert accounts.get_account(platform, "admin").active
    assert accounts.get_account(platform, "admin").grants == (Grant("admin", None),)


def test_deactivation_prevents_sign_in_and_ends_open_sessions(client_for, app):
    admin = client_for("admin")
    prefet = client_for("prefet.creuse")
    assert prefet.get("/taches/").status_code == 200
    answer = post_form(admin, PREFET + "/desactiver", {})
    assert answer.status_code == 302
    shown = text_of(admin.get(PREFET))
    assert "Compte « prefet.creuse » désactivé" in shown and "Réactiver le compte" in shown
    assert "Désactivé" in text_of(admin.get(LIST))

    ended = prefet.get("/taches/")
    assert ended.status_code == 302 and ended.headers["Location"].startswith("/connexion")
    again = sign_in(app.test_client(), "prefet.creuse")
    assert again.status_code == 401
    assert "Identifiant ou mot de passe incorrect." in text_of(again)

    assert post_form(admin, PREFET + "/reactiver", {}).status_code == 302
    assert "Compte « prefet.creuse » réactivé" in text_of(admin.get(PREFET))
    assert sign_in(app.test_client(), "prefet.creuse").status_code == 302


def test_a_password_reset_replaces_the_old_one_and_lifts_a_lock_out(client_for, app):
    for _ in range(5):
        sign_in(app.test_client(), "prefet.creuse", "essai au hasard")
    assert sign_in(app.test_client(), "prefet.creuse").status_code == 401, "locked out"
    admin = client_for("admin")
    short = post_form(admin, PREFET + "/mot-de-passe", {"password": "court"})
    assert short.status_code == 422
    assert field_error(short, "password") == "Le mot de passe doit compter au moins 10 caractères."
    answer = post_form(admin, PREFET + "/mot-de-passe", {"password": NEW_PASSWORD})
    assert answer.status_code == 302
    assert "Mot de passe de « prefet.creuse » remplacé" in text_of(admin.get(PREFET))
    assert sign_in(app.test_client(), "prefet.creuse").status_code == 401, "old one refused"
    assert sign_in(app.test_client(), "prefet.creuse", NEW_PASSWORD).status_code == 302


def test_the_identity_is_edited_with_checks(client_for, platform):
    admin = client_for("admin")
    bad = post_form(admin, PREFET + "/identite", {"name": "", "email": "x@", "organisation": ""})
    assert bad.status_code == 422
    assert field_error(bad, "name") == "Le nom de la personne est obligatoire."
    assert field_error(bad, "email") == "Adresse électronique invalide : « x@ »."
    good = post_form(admin, PREFET + "/identite", {
        "name": "DT ANCT Creuse", "email": "dt@creuse.gouv.fr", "organisation": "Préfecture",
    })  # fmt: skip
    assert good.status_code == 302
    account = accounts.get_account(platform, "prefet.creuse")
    assert (account.name, account.email, account.organisation) == (
        "DT ANCT Creuse", "dt@creuse.gouv.fr", "Préfecture",
    )  # fmt: skip


def test_an_unknown_account_is_404(client_for):
    admin = client_for("admin")
    assert admin.get("/admin/utilisateurs/personne").status_code == 404
    answer = post_form(admin, "/admin/utilisateurs/personne/desactiver", {}, page=LIST)
    assert answer.status_code == 404


def test_the_service_refuses_admin_changes_to_anyone_but_an_admin(platform):
    prefet = users.viewer_for(platform, "prefet.creuse")
    for attempt in (
        lambda: people_admin.admin_set_active(platform, prefet, "admin", False),
        lambda: people_admin.admin_set_password(platform, prefet, "admin", NEW_PASSWORD),
        lambda: people_admin.admin_set_grants(platform, prefet, "prefet.creuse", [("admin", "")]),
        lambda: people_admin.admin_create_user(
            platform,
            prefet,
            login="x.y",
            name="X",
            email=None,
            organisation=None,
            password=NEW_PASSWORD,
            grants=[("admin", None)],
        ),
    ):
        with pytest.raises(Forbidden):
            attempt()
    operator = Viewer.command_line()
    assert people_admin.admin_set_active(platform, operator, "admin", False).active is False

"""Calls for applications managed from the web by the national team (issue 12): the list with
states and totals, creation, dates and caps, open now and close now, and who may do it."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from engine.service.campaigns import calls
from tests.web.conftest import csrf_token, post_form
from tests.web.pages import seen

NEW = {
    "code": "FABRIQUES-2027",
    "process_id": "fabriques_territoire",
    "name": "AMI Fabriques de territoire 2027",
    "opens_at": "2026-04-01T09:00",
    "closes_at": "2026-06-30T18:00",
    "instruction_deadline": "2026-07-31T18:00",
    "committee_at": "2026-09-15T10:00",
    "envelope": "45 000 000",
    "max_laureates": "300",
}


def links(answer) -> list[str]:
    return re.findall(r'href="([^"]+)"', answer.get_data(as_text=True))


@pytest.fixture
def national(client_for):
    return client_for("anct.national")


def offers(client_for) -> str:
    return seen(client_for("mairie.gueret").get("/portail/"), "offres")


def test_the_national_team_lists_the_calls_with_their_state_and_totals(national, platform):
    home = national.get("/taches/")
    assert "/appels/" in links(home), "« Appels à projets » is in the national team's menu"
    with platform.write() as connection:
        calls.reserve(connection, "FABRIQUES-DEMO", Decimal("120000"))
    page = national.get("/appels/")
    assert page.status_code == 200
    assert seen(page, "total") == "2 appels."
    fabriques = seen(page, "appel-FABRIQUES-DEMO")
    assert "Fabriques de territoire (démonstration)" in fabriques and "Ouvert" in fabriques
    assert "120 000 € / 45 000 000 €" in fabriques
    assert "1 / 300" in fabriques
    assert "0 / sans plafond" in seen(page, "appel-PASS-NUMERIQUE-DEMO")


def test_a_call_is_created_with_field_by_field_refusals_first(national, client_for):
    form = national.get("/appels/nouveau")
    assert form.status_code == 200
    body = form.get_data(as_text=True)
    assert 'value="fabriques_territoire"' in body and 'value="pass_numerique"' in body
    assert 'value="demande_ingenierie"' not in body, "only calls for applications are offered"

    wrong = {**NEW, "closes_at": "2026-03-15T18:00", "process_id": "demande_ingenierie",
             "envelope": "beaucoup", "committee_at": "2026-07-01T10:00"}  # fmt: skip
    refused = post_form(national, "/appels/nouveau", wrong)
    assert refused.status_code == 422
    errors = seen(refused, "erreurs")
    assert "La date de clôture des dépôts doit suivre la date d'ouverture." in errors
    assert "Choisissez la procédure d'appel à projets" in errors
    assert "Montant de l'enveloppe invalide" in errors
    assert "Le comité ne peut se réunir avant la date limite d'instruction." in errors
    assert 'value="AMI Fabriques de territoire 2027"' in refused.get_data(as_text=True)
    assert "FABRIQUES-2027" not in seen(national.get("/appels/"), "")

    created = post_form(national, "/appels/nouveau", NEW)
    assert created.status_code == 302 and created.location.endswith("/appels/FABRIQUES-2027")
    shown = national.get("/appels/FABRIQUES-2027")
    assert seen(shown, "etat") == "À venir"
    assert "0 € sur une enveloppe de 45 000 000 €" in seen(shown, "attribue")
    assert "À venir" in seen(national.get("/appels/"), "appel-FABRIQUES-2027")
    again = post_form(national, "/appels/nouveau", NEW)
    assert again.status_code == 422 and "existe déjà" in seen(again, "erreurs")
    assert "AMI Fabriques de territoire 2027" not in offers(client_for), "not open yet"


def test_open_now_and_close_now_decide_what_authorities_may_file(national, client_for):
    post_form(national, "/appels/nouveau", NEW)
    opened = post_form(national, "/appels/FABRIQUES-2027/ouvrir", {}, page="/appels/FABRIQUES-2027")
    assert opened.status_code == 302
    assert seen(national.get("/appels/FABRIQUES-2027"), "etat") == "Ouvert"
    assert "AMI Fabriques de territoire 2027" in offers(client_for)

    closed = post_form(national, "/appels/FABRIQUES-2027/clore", {}, page="/appels/FABRIQUES-2027")
    assert closed.status_code == 302
    page = national.get("/appels/FABRIQUES-2027")
    assert seen(page, "etat") == "Clos"
    assert "AMI Fabriques de territoire 2027" not in offers(client_for)
    twice = post_form(national, "/appels/FABRIQUES-2027/clore", {}, page="/appels/FABRIQUES-2027")
    assert twice.status_code == 302
    assert "n'est pas ouvert" in seen(national.get("/appels/FABRIQUES-2027"), "")


def test_dates_and_caps_change_but_never_below_what_is_granted(national, platform):
    with platform.write() as connection:
        for amount in (100000, 50000):
            calls.reserve(connection, "FABRIQUES-DEMO", amount)
    page = national.get("/appels/FABRIQUES-DEMO")
    body = page.get_data(as_text=True)
    assert 'name="envelope" value="45000000"' in body and 'name="max_laureates" value="300"' in body
    values = {
        "opens_at": "2026-03-01T09:00", "closes_at": "2026-05-31T18:00",
        "instruction_deadline": "", "committee_at": "", "envelope": "140000",
        "max_laureates": "1",
    }  # fmt: skip
    refused = post_form(national, "/appels/FABRIQUES-DEMO", values)
    assert refused.status_code == 422
    errors = seen(refused, "erreurs")
    assert "L'enveloppe ne peut être inférieure au montant déjà attribué (150 000 €)." in errors
    assert "L'appel compte déjà 2 lauréat(s)" in errors
    assert calls.get(platform, "FABRIQUES-DEMO").envelope == Decimal("45000000")

    changed = post_form(national, "/appels/FABRIQUES-DEMO",
                        {**values, "envelope": "150000", "max_laureates": "2"})  # fmt: skip
    assert changed.status_code == 302
    after = calls.get(platform, "FABRIQUES-DEMO")
    assert (after.envelope, after.max_laureates) == (Decimal("150000"), 2)
    assert after.instruction_deadline is None
    assert after.closes_at.isoformat() == "2026-05-31T16:00:00+00:00", "typed in Paris time"
    assert "150 000 € sur une enveloppe de 150 000 € (reste 0 €)" in seen(
        national.get("/appels/FABRIQUES-DEMO"), "attribue"
    )


@pytest.mark.parametrize(
    "login", ["prefet.creuse", "mairie.gueret", "comite.membre", "responsable.processus", "admin"]
)
def test_only_the_national_team_manages_calls(client_for, platform, login):
    client = client_for(login)
    assert "/appels/" not in links(client.get("/notifications"))
    for path in ("/appels/", "/appels/nouveau", "/appels/FABRIQUES-DEMO"):
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/notifications")
    for path in ("/appels/FABRIQUES-DEMO/clore", "/appels/nouveau", "/appels/FABRIQUES-DEMO"):
        answer = client.post(path, data={**NEW, "envelope": "1", "csrf_token": token})
        assert answer.status_code == 403, path
    after = calls.get(platform, "FABRIQUES-DEMO")
    assert (after.envelope, after.closes_at > platform.clock.now()) == (Decimal("45000000"), True)


def test_unknown_calls_anonymous_visitors_and_forged_forms(national, client_for, platform):
    assert national.get("/appels/INCONNU").status_code == 404
    assert post_form(national, "/appels/INCONNU/ouvrir", {}, page="/appels/").status_code == 404
    anonymous = client_for(None)
    answer = anonymous.get("/appels/")
    assert answer.status_code == 302 and "/connexion" in answer.location
    forged = national.post("/appels/FABRIQUES-DEMO/clore")
    assert forged.status_code == 400, "no CSRF token, no change"
    assert calls.get(platform, "FABRIQUES-DEMO").closes_at > platform.clock.now()


def test_a_call_is_created_as_a_wave_of_a_programme_whose_totals_are_listed(national, platform):
    form = national.get("/appels/nouveau")
    assert "Fabriques de territoire (0 € attribués sur 45 000 000 €)" in " ".join(
        form.get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ").split()
    )
    wrong = post_form(
        national,
        "/appels/nouveau",
        {**NEW, "process_id": "pass_numerique", "programme": "FABRIQUES"},
    )
    assert wrong.status_code == 422
    assert "une autre procédure" in wrong.get_data(as_text=True)
    created = post_form(national, "/appels/nouveau", {**NEW, "programme": "FABRIQUES"})
    assert created.status_code == 302
    assert calls.get(platform, "FABRIQUES-2027").programme_code == "FABRIQUES"
    page = national.get("/appels/")
    assert "vague du programme Fabriques de territoire" in seen(page, "appel-FABRIQUES-2027")
    programme = seen(page, "programme-FABRIQUES")
    assert "0 / 300" in programme and programme.rstrip().endswith("2")

"""The closing actions on the web: the dossier page offers each to whom may take it, the
confirmation page asks for the reason, refusals are shown in French (web/views/closing.py)."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest

from engine import service
from engine.service import users
from engine.service.campaigns import calls
from tests.procedures.conftest import ARDENNE_METROPOLE, only_task
from tests.procedures.test_pass_numerique import CAMPAGNE, CANDIDATURE, COMITE, DEPOT, FENETRE
from tests.web.conftest import post_form

PROCESS = "pass_numerique"
BUTTONS = ("Retirer le dossier", "Renoncer à l'aide", "Réduire l'aide", "Annuler l'aide",
           "Classer sans suite")  # fmt: skip


@pytest.fixture
def call(platform, clock):
    calls.create(
        platform, code=CAMPAGNE, process_id=PROCESS, name="Appel à projets Pass numérique 2020",
        envelope=Decimal("15000000"), **FENETRE,
    )  # fmt: skip
    clock.set(DEPOT)
    return platform


def file(platform) -> str:
    return service.start(
        platform, PROCESS, data=CANDIDATURE, actor="ardenne.metropole",
        organisation="CA Ardenne Métropole", **ARDENNE_METROPOLE,
    ).reference  # fmt: skip


def as_(platform, login):
    return users.viewer_for(platform, login)


def grant(platform, clock, reference, amount=100000):
    prefet = as_(platform, "prefet.ardennes")
    task = only_task(platform, prefet, reference, "avis_prefet")
    service.complete(platform, prefet, task["id"], {"avis_prefet": "favorable"})
    clock.set(COMITE)
    jury = as_(platform, "comite.membre")
    task = only_task(platform, jury, reference, "deliberer_jury")
    service.complete(
        platform, jury, task["id"], {"decision_jury": "retenu", "montant_accorde": amount}
    )


def buttons(client, reference) -> list[str]:
    page = client.get(f"/dossiers/{reference}")
    assert page.status_code == 200
    body = html.unescape(page.get_data(as_text=True))
    found = re.search(r'data-testid="cloture".*?</section>', body, re.S)
    return [label for label in BUTTONS if found and label in found.group(0)]


def text(answer) -> str:
    return re.sub(r"\s+", " ", html.unescape(answer.get_data(as_text=True)))


def test_each_person_is_offered_only_what_they_may_do(call, client_for, clock):
    reference = file(call)
    assert buttons(client_for("ardenne.metropole"), reference) == ["Retirer le dossier"]
    assert buttons(client_for("prefet.ardennes"), reference) == ["Classer sans suite"]
    assert buttons(client_for("anct.national"), reference) == ["Classer sans suite"]
    assert buttons(client_for("comite.membre"), reference) == []
    grant(call, clock, reference)
    assert buttons(client_for("ardenne.metropole"), reference) == ["Renoncer à l'aide"]
    assert buttons(client_for("prefet.ardennes"), reference) == []
    assert buttons(client_for("anct.national"), reference) == [
        "Réduire l'aide", "Annuler l'aide", "Classer sans suite",
    ]  # fmt: skip


def test_the_authority_withdraws_its_dossier_after_confirming(call, client_for):
    reference = file(call)
    client = client_for("ardenne.metropole")
    path = f"/dossiers/{reference}/retirer"
    page = client.get(path)
    assert page.status_code == 200
    assert "Donner l'avis du préfet" in text(page)  # the task that will be cancelled
    assert "Retiré par la collectivité" in text(page)

    refused = post_form(client, path, {"motif": "Projet abandonné."})
    assert refused.status_code == 422
    assert "Cochez la case pour confirmer" in text(refused)
    assert "Projet abandonné." in text(refused)  # what was typed is kept

    done = post_form(client, path, {"motif": "Projet abandonné.", "confirmation": "oui"})
    assert done.status_code == 302 and done.location.endswith(f"/dossiers/{reference}")
    shown = text(client.get(f"/dossiers/{reference}"))
    assert f"Le dossier {reference} est retiré." in shown
    assert "Issue : Retiré par la collectivité" in shown
    assert "Motif : Projet abandonné." in shown
    assert buttons(client, reference) == []
    assert client.get(path).status_code == 409


def test_sans_suite_needs_its_reason(call, client_for):
    reference = file(call)
    client = client_for("prefet.ardennes")
    path = f"/dossiers/{reference}/classer-sans-suite"
    refused = post_form(client, path, {"motif": " ", "confirmation": "oui"})
    assert refused.status_code == 422
    assert "Indiquez le motif" in text(refused)
    done = post_form(client, path, {"motif": "Dossier incomplet.", "confirmation": "oui"})
    assert done.status_code == 302
    assert "Issue : Classée sans suite" in text(client.get(f"/dossiers/{reference}"))


def test_a_dossier_changed_since_the_page_was_shown_is_shown_again(call, client_for):
    reference = file(call)
    client = client_for("ardenne.metropole")
    path = f"/dossiers/{reference}/retirer"
    page = client.get(path).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    prefet = as_(call, "prefet.ardennes")
    task = only_task(call, prefet, reference, "avis_prefet")
    service.complete(call, prefet, task["id"], {"avis_prefet": "favorable"})
    stale = post_form(client, path, {"version": version, "confirmation": "oui"})
    assert stale.status_code == 409
    assert "modifié par quelqu'un d'autre" in text(stale)
    assert "Décider de l'aide (jury national)" in text(stale)  # the dossier as it now stands
    assert 'name="confirmation" value="oui" aria' in text(stale)  # to be ticked again
    assert (
        service.get_instance(call, reference, as_(call, "ardenne.metropole")).status == "en_cours"
    )


def test_grants_are_renounced_reduced_and_cancelled_by_whom_may(call, client_for, clock):
    reference = file(call)
    grant(call, clock, reference)
    for login in ("ardenne.metropole", "prefet.ardennes"):
        client = client_for(login)
        for action in ("reduire-aide", "annuler-aide"):
            assert client.get(f"/dossiers/{reference}/{action}").status_code == 403
            answer = post_form(
                client, f"/dossiers/{reference}/{action}",
                {"montant": "1", "motif": "x", "confirmation": "oui"},
                page=f"/dossiers/{reference}",
            )  # fmt: skip
            assert answer.status_code == 403
            assert "réservées à l'équipe nationale" in text(answer)
    assert calls.get(call, CAMPAGNE).granted_total == Decimal(100000)

    national = client_for("anct.national")
    path = f"/dossiers/{reference}/reduire-aide"
    page = national.get(path)
    assert page.status_code == 200 and "100 000 €" in text(page)
    refused = post_form(national, path, {"montant": "150000", "motif": "Trop élevé."})
    assert refused.status_code == 422
    assert "inférieur à l'aide actuelle de 100 000 €" in text(refused)
    done = post_form(national, path, {"montant": "60 000", "motif": "Moins de carnets."})
    assert done.status_code == 302
    assert "ramenée à 60 000 €" in text(national.get(f"/dossiers/{reference}"))
    assert calls.get(call, CAMPAGNE).granted_total == Decimal(60000)

    authority = client_for("ardenne.metropole")
    done = post_form(
        authority, f"/dossiers/{reference}/renoncer", {"motif": "", "confirmation": "oui"}
    )
    assert done.status_code == 302
    assert "Issue : Aide refusée par le lauréat" in text(authority.get(f"/dossiers/{reference}"))
    found = calls.get(call, CAMPAGNE)
    assert (found.granted_total, found.laureates) == (Decimal(0), 0)
    assert national.get(f"/dossiers/{reference}/annuler-aide").status_code == 409

"""A préfet de région (scope `region:75`) sees the départements of the région, and no other."""

from __future__ import annotations

import pytest

from engine import service
from engine.errors import InvalidInput
from engine.service import notifications, users
from engine.service.people import accounts, grants
from tests.procedures.conftest import ARDENNE_METROPOLE, GUERET
from tests.procedures.test_demande_ingenierie import DEPOT, DEPOT_ARDENNES

NOUVELLE_AQUITAINE = "region:75"  # Creuse (23) is in it; the Ardennes (08) are in Grand Est


@pytest.fixture
def regional(platform) -> dict[str, str]:
    accounts.create_user(
        platform, "prefet.na", name="Préfecture de région Nouvelle-Aquitaine",
        grants=[("prefet", NOUVELLE_AQUITAINE)], email="prefet.na@example.gouv.fr",
        password="region-mot-de-passe",
    )  # fmt: skip
    return {
        "creuse": service.start(platform, "demande_ingenierie", data=DEPOT, **GUERET).reference,
        "ardennes": service.start(
            platform, "demande_ingenierie", data=DEPOT_ARDENNES, **ARDENNE_METROPOLE
        ).reference,
    }


def test_a_region_grant_is_stored_as_typed_and_labelled_with_the_region(platform):
    grant = grants.normalise_grant(platform, "prefet", "Région:75")
    assert grant == service.Grant("prefet", "region:75")
    assert grants.grant_label(platform, grant) == (
        "Préfet (délégué territorial) (région Nouvelle-Aquitaine, 75)"
    )
    with pytest.raises(InvalidInput, match="Région inconnue : « 99 »"):
        grants.normalise_grant(platform, "prefet", "region:99")
    with pytest.raises(InvalidInput):  # a région means nothing for an organisation's account
        grants.normalise_grant(platform, "collectivite", "region:75")


def test_the_regional_prefet_acts_on_every_departement_of_the_region_only(platform, regional):
    viewer = users.viewer_for(platform, "prefet.na")
    assert {"23", "87", "33", "64"} <= {g.scope for g in viewer.grants}
    assert "08" not in {g.scope for g in viewer.grants}
    seen = {task["instance"] for task in service.list_tasks(platform, viewer)}
    assert seen == {regional["creuse"]}
    task = next(t for t in service.list_tasks(platform, viewer))
    service.claim(platform, viewer, task["id"])  # acting, not only seeing


def test_the_regional_prefet_is_told_of_new_tasks_in_the_region(platform, regional):
    viewer = users.viewer_for(platform, "prefet.na")
    texts = " ".join(
        f"{n['subject']} {n['dossier']}" for n in notifications.list_notifications(platform, viewer)
    )
    assert regional["creuse"] in texts
    assert regional["ardennes"] not in texts


def test_in_the_web_application_the_region_limits_inbox_search_and_dossiers(
    app, regional, client_for
):
    from tests.web.conftest import sign_in

    client = app.test_client()
    assert sign_in(client, "prefet.na", "region-mot-de-passe").status_code == 302
    inbox = client.get("/taches/").get_data(as_text=True)
    assert regional["creuse"] in inbox and regional["ardennes"] not in inbox
    found = client.get("/dossiers/", query_string={"siren": "212309603"}).get_data(as_text=True)
    assert regional["creuse"] in found
    found = client.get("/dossiers/", query_string={"reference": regional["ardennes"]})
    assert "0 dossier trouvé" in found.get_data(as_text=True)
    assert client.get(f"/dossiers/{regional['creuse']}").status_code == 200
    assert client.get(f"/dossiers/{regional['ardennes']}").status_code in (403, 404)

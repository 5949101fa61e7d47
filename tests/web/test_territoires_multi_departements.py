"""A Territoires en renouveau contract over two départements, seen through the web: the
préfets of the Nord and of the Pas-de-Calais open the Bassin minier's dossier page, find it in
the search and its CSV export and download its files; each reaches the signature task of their
own département only. The préfet of Paris gets 404 everywhere, as for a dossier that does not
exist."""

from __future__ import annotations

import pytest

from engine import service
from engine.service.demo import DEMO_PASSWORD
from engine.service.dossiers import attachments
from engine.service.people import accounts
from tests.procedures import test_territoires_en_renouveau as ter
from tests.procedures import test_territoires_en_renouveau_departements as multi
from tests.procedures.conftest import person

PREFETS = {code: f"prefet.dep{code}" for code in ("59", "62", "75")}
ANCT = person("anct.national", "equipe_nationale")


@pytest.fixture
def bassin_minier(platform) -> str:
    """The Bassin minier contract at its signatures (the Pas-de-Calais leads), with the
    three préfets' accounts."""
    for code, login in PREFETS.items():
        accounts.create_user(platform, login, name=f"Préfet {code}", grants=[("prefet", code)],
                             password=DEMO_PASSWORD)  # fmt: skip
    people = {"anct": ANCT, "prefet_62": person(PREFETS["62"], "prefet", "62")}
    reference = multi.jusqu_aux_signatures(platform, people, multi.BASSIN_MINIER)
    ter.signer(platform, people["prefet_62"], reference, "signer_prefet")
    return reference


def test_both_prefets_see_the_contract_and_a_third_sees_nothing(
    client_for, platform, bassin_minier
):
    reference = bassin_minier
    [signed_file] = attachments.for_dossier(platform, service.Viewer.command_line(), reference)
    nord_task = next(
        t
        for t in service.get_instance(platform, reference, service.Viewer.command_line()).tasks
        if t["bpmn_id"] == "signer_prefet"
    )
    for code, expected in (("59", 200), ("62", 200), ("75", 404)):
        client = client_for(PREFETS[code])
        page = client.get(f"/dossiers/{reference}")
        assert page.status_code == expected, code
        listed = client.get("/dossiers/?territoire=59").get_data(as_text=True)
        assert (reference in listed) is (expected == 200), code
        export = client.get("/dossiers/export.csv").get_data(as_text=True)
        assert (reference in export) is (expected == 200), code
        assert client.get(f"/pieces/{signed_file.id}").status_code == expected, code
        # A task stays in its own département: the Nord's signature is the Nord's alone.
        task_page = client.get(f"/taches/{nord_task['id']}")
        assert task_page.status_code == {"59": 200, "62": 404, "75": 404}[code], code
    body = client_for(PREFETS["59"]).get(f"/dossiers/{reference}").get_data(as_text=True)
    assert "Bassin minier du Nord et du Pas-de-Calais" in body

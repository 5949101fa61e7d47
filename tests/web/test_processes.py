"""The catalogue of procedures on the web (issue 12, defect 13): process owners see the version
in service of each procedure and retire one; a retired procedure is no longer offered, its
running dossiers go on, and reinstating it offers it again."""

from __future__ import annotations

from engine import service
from tests.web.conftest import post_form
from tests.web.pages import seen

OFFERED = "Demander un accompagnement en ingénierie"


def offers(client_for) -> str:
    return seen(client_for("mairie.gueret").get("/portail/"), "offres")


def test_an_owner_retires_a_procedure_and_it_is_no_longer_offered(
    client_for, platform, dossiers, operator
):
    owner = client_for("responsable.processus")
    listed = seen(owner.get("/processus/"), "procedure-demande_ingenierie")
    assert "Demande d'accompagnement en ingénierie" in listed and "En service" in listed
    assert "Procédures" in seen(owner.get("/processus/"), "")
    assert OFFERED in offers(client_for)

    answer = post_form(owner, "/processus/demande_ingenierie/retirer", {}, page="/processus/")
    assert answer.status_code == 302
    page = seen(owner.get("/processus/"), "")
    assert "retirée : elle n'est plus proposée, les dossiers en cours continuent" in page
    assert "Retirée le" in seen(owner.get("/processus/"), "procedure-demande_ingenierie")

    assert OFFERED not in offers(client_for)
    assert "Demande d'accompagnement en ingénierie" not in seen(client_for(None).get("/"), "")
    filing = client_for("mairie.gueret").get("/portail/deposer/demande_ingenierie")
    assert filing.status_code == 409
    assert "elle n'accepte plus de nouveaux dossiers" in seen(filing, "")
    # The dossiers already filed go on: the préfet still qualifies the Creuse one.
    tasks = service.list_tasks(platform, operator)
    assert any(t["instance"] == dossiers["gueret"] for t in tasks)
    assert client_for("prefet.creuse").get(f"/dossiers/{dossiers['gueret']}").status_code == 200

    post_form(owner, "/processus/demande_ingenierie/remettre", {}, page="/processus/")
    assert OFFERED in offers(client_for)


def test_owners_and_administrators_manage_the_catalogue_national_staff_read_it(
    client_for, platform
):
    national = client_for("anct.national").get("/processus/")
    assert national.status_code == 200
    assert "Demande d'accompagnement en ingénierie" in seen(national, "procedures")
    assert "Retirer" not in seen(national, "procedures")
    assert "Retirer" in seen(client_for("responsable.processus").get("/processus/"), "procedures")
    assert client_for("prefet.creuse").get("/processus/").status_code == 403
    assert client_for("mairie.gueret").get("/processus/").status_code == 403
    assert client_for("admin").get("/processus/").status_code == 200
    assert "/processus/" in client_for("responsable.processus").get("/dossiers/").get_data(
        as_text=True
    )

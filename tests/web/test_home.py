"""The application the run command serves: health check and deployed procedures."""

from __future__ import annotations

from web import create_app


def test_home_lists_deployed_procedures_in_french(deployed):
    client = create_app(deployed).test_client()
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="fr" data-fr-scheme="light">' in html
    assert "Demande d&#39;approbation" in html and "Deux signatures" in html


def test_home_without_procedures_says_how_to_deploy(services):
    html = create_app(services).test_client().get("/").get_data(as_text=True)
    assert "Aucune procédure" in html


def test_health_reports_the_database(services):
    answer = create_app(services).test_client().get("/sante")
    assert answer.status_code == 200
    assert answer.get_json() == {"statut": "ok", "base": services.db.dialect.name}

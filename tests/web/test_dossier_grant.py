"""The dossier page shows the grant and its payments to whoever sees the dossier: granted,
after reduction, paid (each payment with its date and mandate), and what remains."""

from __future__ import annotations

from engine import service
from engine.service.campaigns import grants
from tests.web.pages import seen

ARDENNE = {"territory": "08", "siren": "200041630"}
CANDIDATURE = {
    "campagne": "PASS-NUMERIQUE-DEMO",
    "intitule": "Pass numériques pour l'agglomération",
    "type_collectivite": "epci",
    "nombre_carnets": 1000,
    "nombre_pass": 10000,
    "valeur_pass": 10,
    "cout_total": 200000,
    "cofinancement_etat": 100000,
    "part_collectivite": 100000,
    "lieux_qualifies": [{"nom": "Médiathèque Voyelles", "commune": "08105", "statut": "qualifie"}],
    "public_vise": ["seniors"],
    "nombre_personnes": 2000,
}


def laureate(platform) -> tuple[str, int]:
    started = service.start(
        platform, "pass_numerique", data=CANDIDATURE, actor="ardenne.metropole", **ARDENNE
    )
    dossier = service.get_instance(platform, started.reference, service.Viewer.command_line())
    with platform.write() as connection:
        grants.reserve(connection, dossier.id, "PASS-NUMERIQUE-DEMO", 90000, platform.clock.now())
        grants.record_payment(
            connection, dossier.id, kind="avance", label="Avance à la signature de la convention",
            amount=45000, paid_on="2026-01-25", reference="MANDAT-2026-003", actor="anct",
            now=platform.clock.now(),
        )  # fmt: skip
        grants.reduce(
            connection, dossier.id, 80000, reason="Dépenses revues", actor="anct",
            now=platform.clock.now(),
        )  # fmt: skip
    return started.reference, dossier.id


def test_the_authority_and_the_staff_see_the_grant_and_its_payments(client_for, platform):
    reference, _ = laureate(platform)
    for login in ("ardenne.metropole", "prefet.ardennes", "anct.national"):
        page = client_for(login).get(f"/dossiers/{reference}")
        assert page.status_code == 200
        summary = " ".join(seen(page, "aide").split())
        assert "Aide accordée 90 000 €" in summary
        assert "Aide après réduction 80 000 €" in summary
        assert "Motif de la réduction Dépenses revues" in summary
        assert "Versé 45 000 €" in summary and "Reste à verser 35 000 €" in summary
        payments = " ".join(seen(page, "versements").split())
        assert "Avance à la signature de la convention 25/01/2026 45 000 € MANDAT-2026-003" in (
            payments
        )


def test_a_dossier_without_a_grant_has_no_grant_section(client_for, platform):
    started = service.start(
        platform, "pass_numerique", data=CANDIDATURE, actor="ardenne.metropole", **ARDENNE
    )
    page = client_for("ardenne.metropole").get(f"/dossiers/{started.reference}")
    assert "Aide et versements" not in page.get_data(as_text=True)


def test_the_export_sums_the_grant_and_its_payments(client_for, platform):
    reference, _ = laureate(platform)
    answer = client_for("anct.national").get("/dossiers/export.csv?procedure=pass_numerique")
    assert answer.status_code == 200
    header, *rows = answer.get_data(as_text=True).lstrip("\ufeff").splitlines()
    columns = header.split(";")
    [row] = [line.split(";") for line in rows if line.startswith(reference)]
    assert row[columns.index("Aide en cours (€)")] == "80000"
    assert row[columns.index("Versé (€)")] == "45000"

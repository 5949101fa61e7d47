"""The pass numérique from application to final report and balance, through the API only:
each person's system calls /api/v1 with its own token — the authority files and reports, the
préfet gives the opinion, the jury decides, both parties sign with the signed convention
uploaded, the national team pays the advance and the balance. The only thing outside the API
is time, moved on the injected clock."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import ApiClient
from tests.files import PDF
from tests.procedures.test_pass_numerique import CANDIDATURE

CALL = "PASS-NUMERIQUE-DEMO"


def only(client: ApiClient, reference: str, bpmn_id: str) -> dict[str, Any]:
    """The caller's one open task `bpmn_id` on the dossier, read from its inbox then by id."""
    inbox = client.get("/api/v1/tasks", query_string={"limit": 200})
    assert inbox.status_code == 200, inbox.get_json()
    found = [
        t for t in inbox.get_json()["items"]
        if t["dossier"] == reference and t["bpmn_id"] == bpmn_id
    ]  # fmt: skip
    assert len(found) == 1, [(t["dossier"], t["bpmn_id"]) for t in inbox.get_json()["items"]]
    task = client.get(f"/api/v1/tasks/{found[0]['id']}")
    assert task.status_code == 200
    return {**task.get_json(), "etag": task.headers["ETag"]}


def complete(client: ApiClient, reference: str, bpmn_id: str, data: dict[str, Any]) -> dict:
    task = only(client, reference, bpmn_id)
    assert task["form"], f"{bpmn_id} sans formulaire"
    response = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": data},
        headers={"If-Match": task["etag"]},
    )  # fmt: skip
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def upload(client: ApiClient, name: str) -> dict[str, Any]:
    response = client.post(
        "/api/v1/files", data={"file": (__import__("io").BytesIO(PDF), name)},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_an_application_runs_to_its_balance_through_the_api(api_for, platform, clock):
    authority, prefet = api_for("ardenne.metropole"), api_for("prefet.ardennes")
    jury, national = api_for("comite.membre"), api_for("anct.national")

    application = {k: v for k, v in CANDIDATURE.items() if k != "campagne"}
    filed = authority.post(
        "/api/v1/dossiers",
        json={
            "process_id": "pass_numerique",
            "territory": "08",
            "campaign": CALL,
            "data": application,
        },
        headers={"Idempotency-Key": "candidature-pass-2026"},
    )
    assert filed.status_code == 201, filed.get_json()
    reference = filed.get_json()["reference"]
    assert reference.startswith("PNU-08-")

    complete(prefet, reference, "avis_prefet", {"avis_prefet": "favorable"})
    complete(
        jury, reference, "deliberer_jury", {"decision_jury": "retenu", "montant_accorde": 90000}
    )
    complete(authority, reference, "signer_collectivite", {
        "signataire_collectivite": "Arnaud Stenger, président",
        "convention_signee_collectivite": True,
        "document_signe_collectivite": upload(authority, "convention-collectivite.pdf"),
    })  # fmt: skip
    complete(national, reference, "signer_anct", {
        "signataire_anct": "Directeur général délégué, ANCT",
        "convention_signee_anct": True,
        "document_signe_anct": upload(national, "convention-anct.pdf"),
    })  # fmt: skip
    today = clock.now().date()
    complete(national, reference, "verser_avance", {
        "date_versement_avance": today.isoformat(), "reference_avance": "MANDAT-2026-101",
    })  # fmt: skip

    complete(authority, reference, "rapport_6_mois", {
        "pass_distribues_6_mois": 4200, "personnes_accompagnees_6_mois": 850,
    })  # fmt: skip
    refused = authority.post(
        f"/api/v1/tasks/{only(authority, reference, 'rapport_12_mois')['id']}/complete",
        json={"data": {"pass_distribues_12_mois": 4000, "personnes_accompagnees_12_mois": 1930,
                       "depenses_realisees": 198000}},
    )  # fmt: skip
    assert refused.status_code == 422
    assert "data.pass_distribues_12_mois" in refused.get_json()["errors"]
    complete(authority, reference, "rapport_12_mois", {
        "pass_distribues_12_mois": 9800, "personnes_accompagnees_12_mois": 1930,
        "depenses_realisees": 198000, "bilan": "Objectifs presque atteints.",
    })  # fmt: skip
    complete(national, reference, "verser_solde", {
        "decision_rapport_final": "conforme",
        "date_versement_solde": today.isoformat(), "reference_solde": "MANDAT-2026-202",
    })  # fmt: skip

    dossier = authority.get(f"/api/v1/dossiers/{reference}").get_json()
    assert (dossier["status"], dossier["outcome"]) == ("terminee", "solde_verse")
    assert dossier["tasks"] == [] and dossier["timers"] == []
    grant = dossier["grant"]
    assert (grant["granted"], grant["paid"], grant["remaining"]) == ("90000", "89100", "900")
    notices = authority.get("/api/v1/notifications").get_json()["items"]
    assert any(n["dossier"] == reference for n in notices)
    replay = authority.post(
        "/api/v1/dossiers",
        json={
            "process_id": "pass_numerique",
            "territory": "08",
            "campaign": CALL,
            "data": application,
        },
        headers={"Idempotency-Key": "candidature-pass-2026"},
    )
    assert (replay.status_code, replay.get_json()["reference"]) == (200, reference)

"""Issue 16: a decision notice states why, and for a grant how much and on what conditions.

The end events name them (`motif`, `montant`, `conditions`: processes/README.md); the dossier
page's banner, the notification and the e-mail to the requesting authority state them, and
nothing the authority does not read (the committee's notes).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import l10n, service
from engine.service import notifications
from engine.store.models import OutboxMessage
from tests.confidentiality.drive import PROCEDURES, details, drive
from tests.procedures import test_demande_ingenierie as ing
from tests.web.pages import seen

#: (procedure, the person of the requesting authority, the choices on the way).
GRANTS = {
    "fabriques_territoire": ("mairie_gueret", {}),
    "pass_numerique": ("ardenne_metropole", {}),
}
REFUSALS = {
    "fabriques_territoire": ("mairie_gueret", {"selectionner": [{"decision_comite": "non_retenu"}]}),
    "pass_numerique": ("ardenne_metropole", {"deliberer_jury": [{"decision_jury": "non_retenu"}]}),
    "demande_ingenierie": ("mairie_gueret", {"decider_accompagnement": [ing.REFUSE]}),
}  # fmt: skip


def decided(procedure_id, deploy, services, people, clock, choices) -> tuple[str, dict]:
    procedure = PROCEDURES[procedure_id]
    procedure.setup(deploy, services, clock)
    reference = procedure.file(services, people)
    drive(procedure, services, people, clock, reference, choices=choices)
    dossier = details(services, reference)
    assert dossier.status == "terminee"
    return reference, dossier.data


def decision_notice(services, login: str, reference: str) -> tuple[str, str]:
    """The decision's notification and e-mail of the person, as texts."""
    (note,) = [
        n for n in notifications.list_notifications(services, service.Viewer(login))
        if n["kind"] == "decision" and n["dossier"] == reference
    ]  # fmt: skip
    with services.read() as connection:
        mails = connection.execute(
            select(OutboxMessage.subject, OutboxMessage.body).where(OutboxMessage.login == login)
        ).all()
    (mail,) = [m for m in mails if "est clos" in m.body and reference in m.body]
    return f"{note['subject']}\n{note['body']}", f"{mail.subject}\n{mail.body}"


@pytest.mark.parametrize("procedure_id", sorted(GRANTS))
def test_a_grant_is_notified_with_its_reason_amount_and_conditions(
    procedure_id, deploy, services, people, clock, client_for
):
    who, choices = GRANTS[procedure_id]
    reference, data = decided(procedure_id, deploy, services, people, clock, choices)
    reason = data["motif_comite" if procedure_id == "fabriques_territoire" else "motif_jury"]
    conditions = data["conditions_aide"]
    amount = l10n.euros(data["montant_accorde"])
    notes = data["notes_comite" if procedure_id == "fabriques_territoire" else "notes_jury"]
    assert reason.startswith("Témoin") and conditions.startswith("Témoin")

    login = people[who].login
    for text in decision_notice(services, login, reference):
        assert f"Motif : {reason}" in text
        assert f"Montant accordé : {amount}" in text
        assert f"Conditions : {conditions}" in text
        assert notes not in text, "the committee's notes stay the committee's"

    page = client_for(login).get(f"/dossiers/{reference}")
    assert seen(page, "motif") == f"Motif : {reason}"
    assert seen(page, "montant-accorde") == f"Montant accordé : {amount}"
    assert seen(page, "conditions") == f"Conditions : {conditions}"
    assert notes not in seen(page, "")


def test_the_engineering_support_is_notified_with_the_authoritys_commitments(
    deploy, services, people, clock, client_for
):
    reference, data = decided("demande_ingenierie", deploy, services, people, clock, {})
    commitments = ing.CONVENTION["engagements_collectivite"]
    assert data["engagements_collectivite"] == commitments
    for text in decision_notice(services, "mairie.gueret", reference):
        assert f"Conditions : {commitments}" in text
        assert "Montant accordé" not in text, "an engineering support grants no money"
    page = client_for("mairie.gueret").get(f"/dossiers/{reference}")
    assert seen(page, "conditions") == f"Conditions : {commitments}"


@pytest.mark.parametrize("procedure_id", sorted(REFUSALS))
def test_a_refusal_is_notified_with_its_reason_and_no_amount(
    procedure_id, deploy, services, people, clock, client_for
):
    who, choices = REFUSALS[procedure_id]
    reference, data = decided(procedure_id, deploy, services, people, clock, choices)
    reason = data["motif_jury" if procedure_id == "pass_numerique" else "motif_comite"]
    login = people[who].login
    for text in decision_notice(services, login, reference):
        assert f"Motif : {reason}" in text
        assert "Montant accordé" not in text and "Conditions :" not in text
    page = client_for(login).get(f"/dossiers/{reference}")
    assert seen(page, "motif") == f"Motif : {reason}"
    assert "Montant accordé" not in seen(page, "issue")

"""Conditional fields in a real Chromium (x-si, web/static/champs-conditionnels.js): on « Qualifier
le besoin » each field shows only once the decision it belongs to is chosen, changes as the
préfet changes their mind, and the page logs no console error."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser import test_engineering_request as walk


def test_fields_show_and_hide_as_the_decision_changes(session_for):
    town = session_for("mairie.gueret")
    reference = walk.file_the_request(town)

    prefet = session_for("prefet.creuse")
    errors: list[str] = []
    prefet.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    prefet.on("pageerror", lambda error: errors.append(str(error)))
    walk.open_inbox_task(prefet, reference, "Qualifier le besoin")

    complements = prefet.locator("#champ-complements_demandes")
    need = prefet.locator("#champ-besoin_qualifie")
    reason = prefet.locator("#champ-motif_non_recevabilite")
    structure = prefet.get_by_role("group", name="Structure d'ingénierie locale à contacter")
    for field in (complements, need, reason):
        expect(field).to_be_attached()
        expect(field).to_be_hidden()  # no decision yet: none of them applies
    expect(structure).to_have_count(0)  # hidden: out of the accessibility tree

    walk.tick(prefet.get_by_label("Demander des compléments à la collectivité", exact=True))
    expect(complements).to_be_visible()
    for field in (need, reason):
        expect(field).to_be_hidden()
    complements.fill("Une question que le préfet n'enverra finalement pas.")

    walk.tick(prefet.get_by_label("Ingénierie locale : orienter la collectivité", exact=True))
    expect(complements).to_be_hidden()
    expect(structure).to_be_visible()

    walk.tick(prefet.get_by_label("Transmettre à l'équipe nationale de l'Agence", exact=True))
    expect(structure).to_have_count(0)
    expect(need).to_be_visible()
    need.fill(walk.NEED)
    walk.submit_task(prefet, "Qualifier le besoin", reference, "/taches/")

    # The question typed, then hidden, never reached the dossier.
    prefet.goto(f"/dossiers/{reference}")
    expect(prefet.get_by_test_id("donnees")).to_contain_text(walk.NEED)
    expect(
        prefet.get_by_text("Une question que le préfet n'enverra finalement pas.")
    ).to_have_count(0)
    assert errors == []

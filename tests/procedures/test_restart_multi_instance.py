"""Partners' signatures already under way go on after the server restarts: the specs parsed
again tie the multi-instance's instances to it (issue 15 found they did not)."""

from __future__ import annotations

from engine import service
from engine.service import version_catalogue
from tests.procedures import test_demande_ingenierie as ing


def test_a_multi_instance_under_way_finishes_after_specs_are_parsed_again(
    deploy, people, clock, services
):
    deploy(ing.PROCESS)
    reference = ing.jusqu_a_la_convention(services, people, clock)
    clock.set(ing.SIGNATURE_AT)
    steps = [step for party in ing.signataires(people).values() for step in party]
    assert len([s for s in steps if s[1] not in ("signer_collectivite", "signer_anct")]) >= 2
    *before, last = steps
    ing.signer(services, reference, *before[0])
    ing.signer(services, reference, *before[-1])
    for step in before[1:-1]:
        version_catalogue._CONTENTS.clear()
        services.versions._by_id.clear()
        ing.signer(services, reference, *step)
    version_catalogue._CONTENTS.clear()
    services.versions._by_id.clear()
    ing.signer(services, reference, *last)
    assert "conduire_mission" in ing.open_tasks(services, reference)
    assert (
        "date_signature_convention"
        in service.get_instance(services, reference, service.Viewer.command_line()).data
    )

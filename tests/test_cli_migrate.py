"""`anct migrate`: one line per dossier (or JSON), exit 0 only when nothing was refused."""

from __future__ import annotations

import json

from tests.conftest import FIXTURES


def two_versions(anct, tmp_path, replace: tuple[str, str]) -> list[str]:
    """Two dossiers of `approbation` v1 waiting at « Saisir la demande », then a v2."""
    anct("deploy", str(FIXTURES / "approbation.bpmn"))
    references = [
        anct("start", "approbation", "--territory", "23", "--siren", "212309603")
        .stdout.strip().splitlines()[-1]
        for _ in range(2)
    ]  # fmt: skip
    text = (FIXTURES / "approbation.bpmn").read_text(encoding="utf-8")
    changed = tmp_path / "approbation.bpmn"
    changed.write_text(text.replace(*replace), encoding="utf-8")
    assert "version 2" in anct("deploy", str(changed)).stdout
    return references


def test_dossiers_migrate_and_a_dry_run_changes_nothing(anct, tmp_path):
    first, second = two_versions(
        anct, tmp_path, ('name="Saisir la demande"', 'name="Saisir et envoyer la demande"')
    )
    dry = anct("migrate", "approbation", "--from", "1", "--to", "2", "--dry-run")
    assert dry.stdout.splitlines() == [f"{first} migrable", f"{second} migrable"]
    assert "(version 1)" in anct("show", first).stdout

    done = anct("migrate", "approbation", "--from", "1", "--to", "2", "--reference", first)
    assert done.stdout.splitlines() == [f"{first} migré"]
    assert "(version 2)" in anct("show", first).stdout
    assert "(version 1)" in anct("show", second).stdout

    listed = json.loads(anct("migrate", "approbation", "--from", "1", "--to", "2", "--json").stdout)
    assert listed == [{"reference": second, "status": "migre", "reason": None}]
    back = anct("migrate", "approbation", "--from", "2", "--to", "1", "--reference", second)
    assert back.stdout.splitlines() == [f"{second} migré"]
    assert "(version 1)" in anct("show", second).stdout


def test_a_refused_dossier_prints_its_reason_and_exits_1(anct, tmp_path):
    first, second = two_versions(anct, tmp_path, ("saisir_demande", "saisir_la_demande"))
    refused = anct("migrate", "approbation", "--from", "1", "--to", "2", code=1)
    lines = refused.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{first} refusé : « Saisir la demande » (saisir_demande)")
    assert "pas d'équivalent" in lines[0]
    as_json = json.loads(
        anct("migrate", "approbation", "--from", "1", "--to", "2", "--json", code=1).stdout
    )
    assert [(d["reference"], d["status"]) for d in as_json] == [
        (first, "refuse"),
        (second, "refuse"),
    ]
    assert "(version 1)" in anct("show", first).stdout


def test_nothing_to_migrate_is_said_and_is_not_a_failure(anct, tmp_path):
    two_versions(anct, tmp_path, ('name="Saisir la demande"', 'name="Saisir"'))
    result = anct("migrate", "approbation", "--from", "2", "--to", "1")
    assert result.stdout == ""
    assert "Aucun dossier en cours sur la version 2" in result.stderr
    missing = anct("migrate", "approbation", "--from", "1", "--to", "7", code=1)
    assert "n'a pas de version 7" in missing.stderr

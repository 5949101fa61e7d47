"""Files in and out of the catalogue: a version's zip, imports into a draft (loose files, zips
as Camunda Modeler or our export make them), and the semantic diff that says what changed."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from engine import service
from engine.errors import Forbidden, InvalidInput
from engine.service.catalogue import changes, editing, publishing, transfer
from engine.service.demo import ensure_demo
from engine.service.users import viewer_for
from tests.conftest import FIXTURES
from tests.procedures.conftest import PROCESSES

#: Files as other modelers save them (kept out of tests/fixtures/, which tests deploy whole).
IMPORTS = Path(__file__).parents[1] / "imports"
AVIS = {"type": "object", "title": "Avis", "required": ["avis"],
        "properties": {"avis": {"type": "string", "title": "Avis"}}}  # fmt: skip


@pytest.fixture
def owner(services):
    service.deploy_path(services, PROCESSES)
    ensure_demo(services)
    return viewer_for(services, "responsable.processus")


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "process_id",
    ["demande_ingenierie", "fabriques_territoire", "pass_numerique", "territoires_en_renouveau"],
)
def test_an_exported_version_imports_back_without_any_change(services, owner, process_id):
    export = transfer.export_version(services, owner, process_id, 1)
    assert export.filename == f"{process_id}-v1.zip"
    draft = transfer.import_files(services, owner, [(export.filename, export.content)], process_id)
    found = changes.draft_changes(services, draft)
    assert found.empty, found
    assert editing.validate_files(draft.files).errors == []
    published = publishing.publish(services, owner, process_id, draft.lock_version)
    assert (published.version, published.status) == (1, "inchangee")


def test_a_camunda_modeler_file_imports_into_a_new_procedure_and_publishes(services, owner):
    bpmn = (IMPORTS / "camunda_modeler.bpmn").read_bytes()
    draft = transfer.import_files(
        services, owner, [("avis_simple.bpmn", bpmn), ("avis.json", json.dumps(AVIS).encode())]
    )
    assert draft.process_id == "avis_simple"
    assert set(draft.files) == {"avis_simple.bpmn", "forms/avis_simple/avis.json"}
    assert editing.validate_files(draft.files).errors == []
    published = publishing.publish(services, owner, "avis_simple", draft.lock_version)
    assert published.version == 1
    assert "avis_simple" in {p.process_id for p in service.current_versions(services)}


def test_a_dangerous_or_foreign_upload_is_refused_in_french(services, owner):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("enorme.bpmn", "<a/>" + " " * (6 * 1024 * 1024))
    with pytest.raises(InvalidInput, match="trop volumineux"):
        transfer.import_files(services, owner, [("x.zip", bomb.getvalue())], "demande_ingenierie")
    with pytest.raises(InvalidInput, match="formulaire Camunda"):
        transfer.import_files(services, owner, [("avis.form", b"{}")], "demande_ingenierie")
    with pytest.raises(InvalidInput, match="archive zip lisible"):
        transfer.import_files(services, owner, [("x.zip", b"pas un zip")], "demande_ingenierie")
    with pytest.raises(InvalidInput, match="DTD"):
        transfer.import_files(services, owner, [(
            "x.bpmn", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>',
        )], "demande_ingenierie")  # fmt: skip
    with pytest.raises(Forbidden):
        transfer.import_files(
            services, viewer_for(services, "responsable.fabriques"),
            [("x.zip", zipped({"a.bpmn": "<a/>"}))], "demande_ingenierie",
        )  # fmt: skip


def test_the_diff_names_added_removed_and_changed_elements_forms_and_tables():
    before = {
        "p.bpmn": (IMPORTS / "camunda_modeler.bpmn").read_text(),
        "forms/avis_simple/avis.json": json.dumps(AVIS),
        "t.dmn": (FIXTURES / "bareme.dmn").read_text(),
    }
    after = dict(before)
    after["p.bpmn"] = (
        before["p.bpmn"]
        .replace('name="Donner un avis"', 'name="Rendre un avis"')
        .replace("<bpmn:flowNodeRef>Event_fin</bpmn:flowNodeRef>", "")
        .replace(
            "</bpmn:process>", '<bpmn:task id="nouvelle" name="Nouvelle étape" /></bpmn:process>'
        )
    )
    after["forms/avis_simple/avis.json"] = json.dumps(
        {**AVIS, "properties": {**AVIS["properties"], "motif": {"type": "string"}}}
    )
    after["t.dmn"] = before["t.dmn"].replace("<text>80</text>", "<text>70</text>")
    found = changes.compare(before, after)
    by_id = {e.element_id: e for e in found.elements}
    assert by_id["nouvelle"].change == "ajouté"
    assert by_id["Activity_avis"].details == ("nom : « Donner un avis » → « Rendre un avis »",)
    assert by_id["Event_fin"].details == ("couloir : « prefet » → (aucun)",)
    assert [(f.file, f.details) for f in found.forms] == [
        ("avis_simple/avis.json", ("champ ajouté : motif",))
    ]
    assert [(d.change, d.details) for d in found.decisions] == [
        ("modifié", ("1 règle(s) modifiée(s)",))
    ]
    moved = dict(before)
    moved["p.bpmn"] = before["p.bpmn"].replace('x="340" y="228"', 'x="360" y="240"')
    assert changes.compare(before, moved).empty

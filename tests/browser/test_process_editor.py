"""Process owners in the browser's editor (issue 14): a reminder added through the properties
panel, a broken condition shown on its element and fixed, the changes reviewed and version 2
published, on which a new dossier starts and the reminder fires under the injected clock; a
procedure created from nothing and filed by a collectivité; an owner of another procedure kept
out of the editor."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine import service
from engine.clock import ManualClock, as_utc
from engine.config import Settings
from engine.scheduler.firing import fire_due
from engine.service.catalogue import changes, editing, transfer
from engine.service.demo import ensure_demo
from engine.service.users import viewer_for
from engine.store import catalogue
from tests.browser.conftest import screenshot
from tests.procedures.conftest import GUERET, PROCESSES
from tests.procedures.test_demande_ingenierie import DEPOT

PROCESS = "demande_ingenierie"
START = as_utc("2026-03-02T09:00")


@pytest.fixture(scope="module")
def live_services(tmp_path_factory) -> Iterator[service.Services]:
    """The platform behind the live server, on a clock the test moves."""
    folder = tmp_path_factory.mktemp("editeur")
    services = service.create_services(
        Settings(database_url=f"sqlite:///{folder / 'anct.sqlite3'}"), clock=ManualClock(START)
    )
    service.deploy_path(services, PROCESSES)
    ensure_demo(services)
    yield services
    services.close()


def open_editor(page: Page) -> None:
    page.wait_for_url("**/brouillon")
    page.wait_for_function("() => window.anctModeler && window.anctModeler.modeler")
    page.evaluate("() => window.anctModeler.ready.then(() => true)")


def select(page: Page, element_id: str) -> None:
    page.evaluate(
        """(id) => { const m = window.anctModeler.modeler;
                     m.get('selection').select(m.get('elementRegistry').get(id)); }""",
        element_id,
    )


def problem_shapes(page: Page) -> list[str]:
    return page.evaluate(
        """() => window.anctModeler.modeler.get('overlays')
                 .get({ type: 'anct-problem' }).map((o) => o.element.id)"""
    )


def test_an_owner_adds_a_reminder_fixes_a_condition_and_publishes_version_2(
    session_for, live_services
):
    page = session_for("responsable.processus")
    page.goto(f"/processus/{PROCESS}/")
    page.get_by_role("button", name="Modifier la procédure").click()
    open_editor(page)

    # A reminder on the préfet's qualification, drawn on the task and set in the panel.
    page.evaluate(
        """() => { const m = window.anctModeler.modeler;
          const task = m.get('elementRegistry').get('qualifier_besoin');
          const shape = m.get('modeling').createShape(
            { type: 'bpmn:BoundaryEvent', eventDefinitionType: 'bpmn:TimerEventDefinition' },
            { x: task.x + 30, y: task.y + task.height }, task, { attach: true });
          m.get('modeling').updateProperties(shape, { id: 'rappel_cinq_jours', name: 'Rappel à 5 jours' });
          m.get('selection').select(shape); }"""
    )
    page.get_by_label("Type de minuterie").select_option("timeDuration")
    page.get_by_label("Expression de la minuterie (Python)").fill('"P5D"')
    page.get_by_label("Interrompt la tâche (clôture « sans suite »)").uncheck()

    # A deliberately broken condition: saved, it shows on its element and in the list.
    select(page, "f_transmission")
    page.get_by_label("Condition (Python)").fill("decision_prefet ==")
    page.wait_for_timeout(600)
    page.get_by_role("button", name="Enregistrer").click()
    problems = page.locator(".anct-problem--error")
    expect(problems.filter(has_text="f_transmission").first).to_be_visible()
    assert {"f_transmission", "decision_prefet"} & set(problem_shapes(page))
    screenshot(page, "editeur-probleme-1280")
    page.set_viewport_size({"width": 390, "height": 900})
    screenshot(page, "editeur-probleme-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    problems.filter(has_text="f_transmission").first.locator("button").click()
    page.get_by_label("Condition (Python)").fill('decision_prefet == "transmission"')
    page.wait_for_timeout(600)
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_timeout(1000)
    errors = [
        p for p in page.evaluate("() => window.anctModeler.problems()") if p["severity"] == "error"
    ]
    assert errors == []
    assert not page.evaluate("() => window.anctModeler.hasUnsavedChanges()")

    page.get_by_role("link", name="Relire les modifications et publier").click()
    added = page.locator("[data-element='rappel_cinq_jours']")
    expect(added).to_contain_text("ajouté")
    screenshot(page, "editeur-relecture")
    page.get_by_role("button", name="Publier la version 2").click()
    expect(page.get_by_text("Version 2 publiée")).to_be_visible()

    started = service.start(live_services, PROCESS, data=DEPOT, actor="mairie.gueret", **GUERET)
    assert started.version == 2
    live_services.clock.advance(timedelta(days=5, hours=1))
    fire_due(live_services)
    details = service.get_instance(
        live_services, started.reference, viewer_for(live_services, "anct.national")
    )
    assert any("Rappel à 5 jours" in str(event) for event in details.history), details.history
    assert any(t["bpmn_id"] == "qualifier_besoin" for t in details.tasks), (
        "the reminder interrupts nothing"
    )


def test_an_owner_creates_a_procedure_a_collectivite_files_it_the_prefet_sees_it(
    session_for, live_services
):
    owner = session_for("responsable.processus")
    owner.goto("/processus/")
    owner.get_by_role("link", name="Nouvelle procédure").click()
    owner.get_by_label("Nom").fill("Petites villes de demain")
    owner.get_by_label("Identifiant").fill("petites_villes")
    owner.get_by_role("button", name="Créer la procédure").click()
    open_editor(owner)

    # A user task in the préfet's lane with a new form, between filing and the end.
    owner.get_by_role("button", name="Nouveau formulaire").click()
    owner.get_by_label("Chemin du formulaire (sous forms/)").fill("petites_villes/avis_prefet.json")
    owner.get_by_role("button", name="Ajouter").click()
    owner.locator("button[data-file='petites_villes.bpmn']").click()
    owner.evaluate(
        """() => { const m = window.anctModeler.modeler;
          const registry = m.get('elementRegistry'), modeling = m.get('modeling');
          const lane = registry.get('Lane_prefet');
          const task = modeling.createShape({ type: 'bpmn:UserTask' },
            { x: lane.x + 400, y: lane.y + lane.height / 2 }, lane);
          modeling.updateProperties(task, { id: 'avis_prefet', name: 'Donner l’avis du préfet' });
          modeling.removeElements([registry.get('flux_fin')]);
          modeling.connect(registry.get('depot'), task);
          modeling.connect(task, registry.get('fin'));
          m.get('selection').select(task); }"""
    )
    owner.get_by_label("Formulaire de la tâche").select_option("petites_villes/avis_prefet.json")
    owner.get_by_role("button", name="Enregistrer").click()
    expect(owner.locator(".anct-problem--error")).to_have_count(0)
    owner.get_by_role("link", name="Relire les modifications et publier").click()
    owner.get_by_role("button", name="Publier la version 1").click()
    expect(owner.get_by_text("Version 1 publiée")).to_be_visible()

    authority = session_for("mairie.gueret")
    authority.goto("/portail/")
    authority.get_by_role("link", name="Petites villes de demain").first.click()
    authority.get_by_label("Objet de la demande").fill("Revitaliser le centre-bourg")
    authority.get_by_role("button", name="Déposer").click()
    expect(authority.get_by_text("Votre demande PET-23-")).to_be_visible()

    prefet = session_for("prefet.creuse")
    prefet.goto("/taches/")
    expect(prefet.locator("table").get_by_text("Donner l’avis du préfet").first).to_be_visible()


def test_an_owner_of_another_procedure_cannot_open_its_editor(session_for):
    page = session_for("responsable.fabriques")
    page.goto(f"/processus/{PROCESS}/")
    expect(page.get_by_role("button", name="Modifier la procédure")).to_have_count(0)
    answer = page.goto(f"/processus/{PROCESS}/brouillon")
    assert answer is not None and answer.status in (403, 404)


@pytest.mark.parametrize(
    "process_id",
    ["demande_ingenierie", "fabriques_territoire", "pass_numerique", "territoires_en_renouveau"],
)
def test_each_procedure_goes_through_the_editor_without_loss(
    session_for, live_services, process_id
):
    """Opened and exported again by bpmn-js, each procedure means exactly what it meant (the
    semantic diff is empty) and passes the server's validator."""
    page = session_for("admin")
    page.goto(f"/processus/{process_id}/")
    if page.get_by_role("button", name="Modifier la procédure").count():
        page.get_by_role("button", name="Modifier la procédure").click()
    else:
        page.get_by_role("link", name="Reprendre le brouillon").click()
    open_editor(page)
    exported = page.evaluate(
        """async () => { const files = {};
          for (const name of Object.keys(await window.anctModeler.files())) {
            files[name] = name.endsWith('.bpmn') || name.endsWith('.dmn')
              ? await window.anctModeler.exportFile(name, { force: true })
              : (await window.anctModeler.files())[name];
          }
          return files; }"""
    )
    version = service.current_version(live_services, process_id)
    with live_services.read() as connection:
        before = dict(catalogue.version_files(connection, version.version_id).files)
    assert set(exported) == set(before)
    assert changes.compare(before, exported).empty, changes.compare(before, exported)
    assert editing.validate_files(exported).errors == []


def test_a_camunda_modeler_file_goes_through_the_editor_without_loss(session_for, live_services):
    camunda = Path(__file__).parents[1] / "imports" / "camunda_modeler.bpmn"
    form = '{"type": "object", "properties": {"avis": {"type": "string", "title": "Avis"}}}'
    draft = transfer.import_files(
        live_services, viewer_for(live_services, "admin"),
        [("avis_simple.bpmn", camunda.read_bytes()), ("avis.json", form.encode())],
    )  # fmt: skip
    page = session_for("admin")
    page.goto("/processus/avis_simple/brouillon")
    open_editor(page)
    exported = page.evaluate(
        "() => window.anctModeler.exportFile('avis_simple.bpmn', { force: true })"
    )
    after = {**draft.files, "avis_simple.bpmn": exported}
    assert changes.compare(draft.files, after).empty, changes.compare(draft.files, after)
    assert editing.validate_files(after).errors == []

"""Migrating running dossiers of the four procedures (issue 15).

For each procedure a v2 is published with four edits — a task renamed, a task's deadline (`due`)
changed, a user task added after a current one (same role, an existing form), a timer's
expression changed — and dossiers waiting at every user task of v1 move to it with one plan.
Each keeps its open tasks (ids, holders, due dates), its data and its timers (but the changed
timer, re-armed by default), then runs to its end on v2; the one waiting just before the added
task meets it, those already past it do not.

The dossiers are driven in step (`drive`): each does what it can, and only when none can the clock
jumps to the next timer, so all of them live on one timeline as real dossiers would.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from lxml import etree

from engine import service
from engine.service.migrations import plans, runs
from tests.files import staged
from tests.procedures import test_demande_ingenierie as ing
from tests.procedures import test_fabriques_territoire as fab
from tests.procedures import test_pass_numerique as pn
from tests.procedures import test_reachability as reachability
from tests.procedures import test_territoires_en_renouveau as ter
from tests.procedures.conftest import PROCESSES, publish_edited

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
OPERATOR = service.Viewer.command_line()


# --- What v2 changes, procedure by procedure ---------------------------------------------------


@dataclass(frozen=True)
class Edits:
    #: (task, its new name)
    renamed: tuple[str, str]
    #: (task, its new `due`)
    due: tuple[str, str]
    #: (task after which a user task is added, the added task's id)
    inserted: tuple[str, str]
    #: (timer, text of its expression replaced, by)
    timer: tuple[str, str, str]
    #: The re-armed timer's due date from (its v1 due date, the migration time).
    rearmed: Callable[[datetime, datetime], datetime]


EDITS = {
    "demande_ingenierie": Edits(
        renamed=("qualifier_besoin", "Qualifier la demande"),
        due=("instruire_demande", "P45D"),
        inserted=("preparer_convention", "relire_convention"),
        timer=("rappel_prefet", '"P14D"', '"P21D"'),
        rearmed=lambda old, now: now + timedelta(days=21),
    ),
    "fabriques_territoire": Edits(
        renamed=("selectionner", "Sélectionner les Fabriques lauréates"),
        due=("notifier_laureat", "P20D"),
        inserted=("avis_prefet", "confirmer_avis_prefet"),
        timer=("rappel_avis_prefet", 'duree("P7D")', 'duree("P5D")'),
        rearmed=lambda old, now: old + timedelta(days=2),
    ),
    "pass_numerique": Edits(
        renamed=("deliberer_jury", "Délibérer (jury national)"),
        due=("verser_solde", "P45D"),
        inserted=("avis_prefet", "confirmer_avis_prefet"),
        timer=("rappel_rapport_6_mois", 'duree("P15D")', 'duree("P20D")'),
        rearmed=lambda old, now: old - timedelta(days=5),
    ),
    "territoires_en_renouveau": Edits(
        renamed=("valider_diagnostic", "Valider le diagnostic partagé"),
        due=("conduire_diagnostic", "P100D"),
        inserted=("conduire_diagnostic", "relire_diagnostic"),
        timer=("mi_parcours", "date_revue_mi_parcours", 'ajouter_duree(date_revue_mi_parcours, "P7D")'),
        rearmed=lambda old, now: old + timedelta(days=7),
    ),
}  # fmt: skip


def _element(root: etree._Element, element_id: str) -> etree._Element:
    [found] = root.xpath("//*[@id=$id]", id=element_id)
    return found


def edited(text: str, edits: Edits) -> str:
    """The v1 diagram with the four edits (the added task drawn, so that it has a shape)."""
    root = etree.fromstring(text.encode("utf-8"))
    task_id, name = edits.renamed
    _element(root, task_id).set("name", name)
    task_id, due = edits.due
    [prop] = _element(root, task_id).iterfind(
        "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name='due']", NS
    )
    prop.set("value", due)
    timer_id, old, new = edits.timer
    [expression] = _element(root, timer_id).iterfind("bpmn:timerEventDefinition/*", NS)
    assert old in expression.text
    expression.text = expression.text.replace(old, new)
    _insert_after(root, *edits.inserted)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def _insert_after(root: etree._Element, after: str, new_id: str) -> None:
    """A user task `new_id` between `after` and what follows it: same lane, form and due."""
    task = _element(root, after)
    [outgoing] = task.iterfind("bpmn:outgoing", NS)
    flow = _element(root, outgoing.text)
    following = _element(root, flow.get("targetRef"))
    new_flow_id = f"f_{new_id}"
    added = etree.Element(task.tag, id=new_id, name=f"Relire — {task.get('name')}")
    added.append(deepcopy(task.find("bpmn:extensionElements", NS)))
    etree.SubElement(added, f"{{{NS['bpmn']}}}incoming").text = flow.get("id")
    etree.SubElement(added, f"{{{NS['bpmn']}}}outgoing").text = new_flow_id
    task.addnext(added)
    flow.set("targetRef", new_id)
    for incoming in following.iterfind("bpmn:incoming", NS):
        if incoming.text == flow.get("id"):
            incoming.text = new_flow_id
    new_flow = etree.Element(flow.tag, id=new_flow_id, sourceRef=new_id)
    new_flow.set("targetRef", following.get("id"))
    flow.addnext(new_flow)
    [lane_ref] = root.xpath("//bpmn:lane/bpmn:flowNodeRef[text()=$id]", namespaces=NS, id=after)
    reference = etree.Element(lane_ref.tag)
    reference.text = new_id
    lane_ref.addnext(reference)
    [shape] = root.xpath("//bpmndi:BPMNShape[@bpmnElement=$id]", namespaces=NS, id=after)
    drawn = deepcopy(shape)
    drawn.set("id", f"{new_id}_di")
    drawn.set("bpmnElement", new_id)
    bounds = drawn.find("dc:Bounds", NS)
    bounds.set("y", str(float(bounds.get("y")) + 40))
    shape.addnext(drawn)
    [edge] = root.xpath("//bpmndi:BPMNEdge[@bpmnElement=$id]", namespaces=NS, id=flow.get("id"))
    line = deepcopy(edge)
    line.set("id", f"{new_flow_id}_di")
    line.set("bpmnElement", new_flow_id)
    edge.addnext(line)


def publish_v2(services, tmp_path, process_id: str) -> None:
    publish_edited(
        services, tmp_path / "v2", process_id, lambda text: edited(text, EDITS[process_id])
    )


def user_tasks(process_id: str) -> set[str]:
    root = etree.parse(PROCESSES / process_id / f"{process_id}.bpmn").getroot()
    return {task.get("id") for task in root.iterfind(".//bpmn:userTask", NS)}


# --- How each task is done, and where the dossiers wait -----------------------------------------


@dataclass(frozen=True)
class Step:
    """Who does a task (a person of the scenarios, or one found from the task) and with what."""

    who: str | Callable[[dict], service.Viewer]
    data: dict | Callable[[service.Services, service.Viewer, dict], dict]


@dataclass(frozen=True)
class Stop:
    """Where a dossier is left before the migration: done when `until(open task ids)`."""

    until: Callable[[list[str]], bool]
    #: Tasks not done on the way (so that a timer brings the next one).
    hold: frozenset[str] = frozenset()
    #: Decisions other than the default, on the way.
    choices: dict[str, dict] = field(default_factory=dict)
    #: How this dossier is filed, if not as the procedure's others (a contract already signed).
    file: Callable[[service.Services, dict], str] | None = None


def at(*ids: str, **kwargs: Any) -> Stop:
    """Waiting (at least) at each of `ids`."""
    return Stop(lambda open_ids: set(ids) <= set(open_ids), **kwargs)


def only(*ids: str) -> Stop:
    """Waiting at exactly `ids`, the other parallel tasks done."""
    return Stop(lambda open_ids: sorted(open_ids) == sorted(ids), hold=frozenset(ids))


def today(services) -> str:
    return services.clock.now().date().isoformat()


def in_days(services, days: int) -> str:
    return (services.clock.now() + timedelta(days=days)).date().isoformat()


@dataclass(frozen=True)
class Procedure:
    id: str
    setup: Callable[[Any, service.Services, Any], None]
    file: Callable[[service.Services, dict], str]
    steps: dict[str, Step]
    stops: list[Stop]


def open_call(module) -> Callable[[Any, service.Services, Any], None]:
    """The setup of a call for applications: its procedure deployed, the call open."""
    return lambda deploy, services, clock: reachability.open_call(deploy, services, clock, module)


INGENIERIE = Procedure(
    id="demande_ingenierie",
    setup=lambda deploy, services, clock: deploy(ing.PROCESS),
    file=lambda services, people: ing.deposer(services, people),
    steps={
        "qualifier_besoin": Step("prefet_23", ing.TRANSMISSION),
        "completer_demande": Step("mairie_gueret", ing.REPONSE),
        "instruire_demande": Step(
            "anct", lambda s, v, t: {**ing.INSTRUCTION, "date_comite": in_days(s, 14)}
        ),
        "decider_accompagnement": Step("comite", ing.ACCEPTE),
        "preparer_convention": Step("anct", ing.CONVENTION),
        "relire_convention": Step("anct", ing.CONVENTION),
        "signer_collectivite": Step(
            "mairie_gueret", lambda s, v, t: ing.with_document(s, v, ing.SIGNATURE_COLLECTIVITE)
        ),
        "signer_anct": Step("anct", lambda s, v, t: ing.with_document(s, v, ing.SIGNATURE_ANCT)),
        "signer_partenaires": Step(
            lambda task: ing.partenaire(task["assignee"]),
            lambda s, v, t: ing.with_document(
                s, v, ing.signature_partenaire({"organisme": v.login})
            ),
        ),
        "conduire_mission": Step("expert", ing.LIVRABLE),
        "remettre_rapport_etape": Step("expert", ing.RAPPORT),
        "evaluer_collectivite": Step("mairie_gueret", ing.evaluation("evaluation_collectivite")),
        "evaluer_prefet": Step("prefet_23", ing.evaluation("evaluation_prefet")),
    },
    stops=[
        at("qualifier_besoin"),
        at("completer_demande", choices={"qualifier_besoin": ing.COMPLEMENTS}),
        at("instruire_demande"),
        at("decider_accompagnement"),
        at("preparer_convention"),
        at("signer_collectivite", "signer_anct", "signer_partenaires"),
        Stop(
            lambda ids: ids.count("signer_partenaires") == 1,
            hold=frozenset({"signer_collectivite", "signer_anct"}),
        ),
        only("signer_anct"),
        at("conduire_mission"),
        at("remettre_rapport_etape", hold=frozenset({"conduire_mission"})),
        at("evaluer_collectivite", "evaluer_prefet"),
        only("evaluer_prefet"),
    ],
)

FABRIQUES_REPORT = {
    "frequentation": 1000,
    "services_rendus": ["inclusion_numerique"],
    "depenses_annee": 140000,
    "faits_marquants": "Ateliers ouverts.",
}
FABRIQUES_CORRECTION = {"decision_rapport": "a_corriger", "motif_correction": "Bilan manquant."}

FABRIQUES = Procedure(
    id="fabriques_territoire",
    setup=open_call(fab),
    file=lambda services, people: fab.deposer(services),
    steps={
        "avis_prefet": Step("prefet_23", {"avis_prefet": "favorable", "rang_prefet": 1}),
        "confirmer_avis_prefet": Step("prefet_23", {"avis_prefet": "favorable", "rang_prefet": 1}),
        "selectionner": Step("comite", {"decision_comite": "laureat", "montant_accorde": 90000}),
        "notifier_laureat": Step(
            "anct",
            lambda s, v, t: {
                "date_notification": today(s),
                "lettre_notification": staged(s, v.login, "notification.pdf"),
            },
        ),
        "signer_collectivite": Step(
            "mairie_gueret", lambda s, v, t: fab.signed(s, v, "signer_collectivite")
        ),
        "signer_anct": Step("anct", lambda s, v, t: fab.signed(s, v, "signer_anct")),
        **{
            f"verser_tranche_{n}": Step(
                "anct",
                lambda s, v, t: {
                    "date_versement": today(s),
                    "reference_paiement": f"MANDAT-{t['bpmn_id']}",
                    "versement_effectue": True,
                },
            )
            for n in (1, 2)
        },
        "verser_solde": Step(
            "anct",
            lambda s, v, t: {
                "date_versement": today(s),
                "reference_paiement": "MANDAT-solde",
                "versement_effectue": True,
            },
        ),
        "rapport_activite": Step("mairie_gueret", FABRIQUES_REPORT),
        "corriger_rapport_activite": Step("mairie_gueret", FABRIQUES_REPORT),
        "examiner_rapport": Step("anct", {"decision_rapport": "conforme"}),
        "clore_accompagnement": Step(
            "anct",
            {
                "rapports_recus": 3,
                "bilan_accompagnement": "Fabrique pérenne.",
                "accompagnement_clos": True,
            },
        ),
    },
    stops=[
        at("avis_prefet"),
        at("selectionner"),
        at("notifier_laureat"),
        at("signer_collectivite", "signer_anct"),
        only("signer_anct"),
        at("verser_tranche_1"),
        at("rapport_activite"),
        at("examiner_rapport"),
        at("corriger_rapport_activite", choices={"examiner_rapport": FABRIQUES_CORRECTION}),
        at("verser_tranche_2"),
        at("verser_solde"),
        at("clore_accompagnement"),
    ],
)

PASS_FINAL_REPORT = {
    "pass_distribues_12_mois": 9800,
    "personnes_accompagnees_12_mois": 1930,
    "depenses_realisees": 38000,
    "bilan": "Objectifs presque atteints.",
}

PASS_NUMERIQUE = Procedure(
    id="pass_numerique",
    setup=open_call(pn),
    file=lambda services, people: pn.deposer(services),
    steps={
        "avis_prefet": Step("prefet_08", {"avis_prefet": "favorable"}),
        "confirmer_avis_prefet": Step("prefet_08", {"avis_prefet": "favorable"}),
        "deliberer_jury": Step("comite", {"decision_jury": "retenu", "montant_accorde": 20000}),
        "signer_collectivite": Step(
            "ardenne_metropole", lambda s, v, t: pn.signed(s, v, "signer_collectivite")
        ),
        "signer_anct": Step("anct", lambda s, v, t: pn.signed(s, v, "signer_anct")),
        "rapport_6_mois": Step(
            "ardenne_metropole",
            {
                "pass_distribues_6_mois": 4200,
                "personnes_accompagnees_6_mois": 850,
            },
        ),
        "rapport_12_mois": Step("ardenne_metropole", PASS_FINAL_REPORT),
        "verser_avance": Step(
            "anct",
            lambda s, v, t: {"date_versement_avance": today(s), "reference_avance": "MANDAT-1"},
        ),
        "verser_solde": Step(
            "anct",
            lambda s, v, t: {
                "decision_rapport_final": "conforme",
                "date_versement_solde": today(s),
                "reference_solde": "MANDAT-2",
            },
        ),
        "corriger_rapport_final": Step("ardenne_metropole", PASS_FINAL_REPORT),
    },
    stops=[
        at("avis_prefet"),
        at("deliberer_jury"),
        at("signer_collectivite", "signer_anct"),
        only("signer_collectivite"),
        at("rapport_6_mois", "verser_avance"),
        at("rapport_12_mois"),
        only("verser_avance"),
        at("verser_solde"),
        at(
            "corriger_rapport_final",
            choices={
                "verser_solde": {
                    "decision_rapport_final": "a_corriger",
                    "motif_correction": "Dépenses à justifier.",
                }
            },
        ),
    ],
)

TERRITOIRES = Procedure(
    id="territoires_en_renouveau",
    setup=lambda deploy, services, clock: deploy(ter.PROCESS),
    file=lambda services, people: ter.ouvrir(services, people),
    steps={
        "conduire_diagnostic": Step("prefet_23", ter.DIAGNOSTIC),
        "relire_diagnostic": Step("prefet_23", ter.DIAGNOSTIC),
        "valider_diagnostic": Step("anct", {"decision_diagnostic": "engager_contrat"}),
        "elaborer_plan_action": Step("prefet_23", ter.PLAN),
        "signer_prefet": Step("prefet_23", lambda s, v, t: ter.signed(s, v, "signer_prefet")),
        "signer_collectivite": Step(
            lambda task: ter.collectivite(task["siren"]),
            lambda s, v, t: ter.signed(s, v, "signer_collectivite"),
        ),
        "signer_anct": Step("anct", lambda s, v, t: ter.signed(s, v, "signer_anct")),
        "reprendre_contrat": Step(
            "anct",
            lambda s, v, t: {
                "date_signature_contrat": "2025-01-15",
                "duree_contrat_annees": 3,
                "document_contrat_signe": staged(s, v.login, "contrat-signe.pdf"),
                "actions": ter.PLAN["actions"],
                "comites_tenus": [],
                "etat_revue_mi_parcours": "a_venir",
            },
        ),
        "comite_pilotage": Step("prefet_23", ter.COMITE),
        "revue_mi_parcours": Step("anct", ter.REVUE),
        "evaluer_impact": Step("anct", ter.EVALUATION),
    },
    stops=[
        Stop(
            at("reprendre_contrat").until,
            file=lambda services, people: ter.ouvrir(services, people, situation_contrat="signe"),
        ),
        at("conduire_diagnostic"),
        at("valider_diagnostic"),
        at("elaborer_plan_action"),
        at("signer_prefet", "signer_collectivite", "signer_anct"),
        Stop(
            lambda ids: ids.count("signer_collectivite") == 2,
            hold=frozenset({"signer_prefet", "signer_anct"}),
        ),
        only("signer_prefet"),
        at("comite_pilotage"),
        at("revue_mi_parcours"),
        at("evaluer_impact"),
    ],
)

PROCEDURES = [INGENIERIE, FABRIQUES, PASS_NUMERIQUE, TERRITOIRES]
FINISHED = Stop(lambda open_ids: False)


# --- Driving the dossiers ------------------------------------------------------------------------


def details(services, reference) -> service.InstanceDetails:
    return service.get_instance(services, reference, OPERATOR)


def viewer_for(procedure: Procedure, people, task: dict) -> service.Viewer:
    who = procedure.steps[task["bpmn_id"]].who
    return people[who] if isinstance(who, str) else who(task)


def do(procedure: Procedure, services, people, task: dict, stop: Stop) -> None:
    step = procedure.steps[task["bpmn_id"]]
    viewer = viewer_for(procedure, people, task)
    data = stop.choices.get(task["bpmn_id"])
    if data is None:
        data = step.data(services, viewer, task) if callable(step.data) else step.data
    service.complete(services, viewer, task["id"], data)


def drive(procedure: Procedure, services, people, clock, stops: dict[str, Stop]) -> None:
    """Each dossier on to its stop (or its end): in rounds, each doing one task; when none can,
    the clock jumps to the earliest timer of those still on their way."""
    for _ in range(500):
        moved, on_the_way, timers = False, False, []
        for reference, stop in stops.items():
            dossier = details(services, reference)
            open_ids = [t["bpmn_id"] for t in dossier.tasks]
            if dossier.status != "en_cours" or stop.until(open_ids):
                continue
            on_the_way = True
            todo = [t for t in dossier.tasks if t["bpmn_id"] not in stop.hold]
            if todo:
                do(procedure, services, people, todo[0], stop)
                moved = True
            else:
                timers.extend((t["due_at"], reference) for t in dossier.timers)
        if not on_the_way:
            return
        if not moved:
            assert timers, "des dossiers n'attendent ni tâche ni minuterie"
            clock.set(max(clock.now(), min(timers)[0]))
            for due, reference in sorted(set(timers)):
                if due <= clock.now():
                    service.advance(services, reference)
    raise AssertionError("les dossiers n'arrivent pas à leur étape")


def finished_tasks(dossier) -> list[str]:
    return [e["bpmn_id"] for e in dossier.history if e["kind"] == "tache_terminee"]


def task_rows(dossier) -> dict[str, tuple]:
    return {
        t["id"]: (t["bpmn_id"], t["assignee"], t["due_at"], t["status"], t["created_at"])
        for t in dossier.tasks
    }


# --- The test ------------------------------------------------------------------------------------


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.id)
def test_dossiers_at_every_user_task_move_to_v2_intact_and_run_to_their_end(
    procedure, deploy, services, people, clock, tmp_path
):
    edits = EDITS[procedure.id]
    procedure.setup(deploy, services, clock)
    references = [(stop.file or procedure.file)(services, people) for stop in procedure.stops]
    stops = dict(zip(references, procedure.stops, strict=True))
    drive(procedure, services, people, clock, stops)
    waiting = {t["bpmn_id"] for r in references for t in details(services, r).tasks}
    assert waiting == user_tasks(procedure.id), "un dossier attend à chaque tâche de la v1"

    # One task in each dossier is taken by the person who will do it (where nobody holds it).
    claimed = {}
    for reference in references:
        free = [t for t in details(services, reference).tasks if t["assignee"] is None]
        if free:
            viewer = viewer_for(procedure, people, free[0])
            service.claim(services, viewer, free[0]["id"])
            claimed[free[0]["id"]] = viewer.login
    assert claimed
    before = {r: details(services, r) for r in references}

    publish_v2(services, tmp_path, procedure.id)
    plan_id = plans.create_plan(services, OPERATOR, procedure.id, 1, 2)
    plan = plans.plan_page(services, OPERATOR, plan_id).plan
    timer_id = edits.timer[0]
    assert plan.rearm == [timer_id], "the changed timer is re-armed by default"
    dry = runs.start(services, OPERATOR, plan_id, mode="essai", inline_limit=10**6)
    assert dry.done and dry.total == len(references)
    page = plans.plan_page(services, OPERATOR, plan_id)
    assert page.progress["migrable"] == len(references), [
        (o.reference, o.reason) for o in page.outcomes
    ]
    assert {details(services, r).version for r in references} == {1}

    clock.advance(timedelta(hours=1))
    migrated_at = clock.now()
    runs.start(services, OPERATOR, plan_id, mode="migration", inline_limit=10**6)
    page = plans.plan_page(services, OPERATOR, plan_id)
    assert page.progress["migre"] == len(references), [
        (o.reference, o.reason) for o in page.outcomes
    ]

    renamed, new_name = edits.renamed
    rearmed = 0
    for reference in references:
        old, new = before[reference], details(services, reference)
        assert new.version == 2
        assert task_rows(new) == task_rows(old), reference
        for task in new.tasks:
            if task["bpmn_id"] == renamed:
                assert task["name"] == new_name
            if task["id"] in claimed:
                assert task["assignee"] == claimed[task["id"]]
        assert new.data == old.data
        old_timers = {t["id"]: (t["bpmn_id"], t["due_at"]) for t in old.timers}
        new_timers = {t["id"]: (t["bpmn_id"], t["due_at"]) for t in new.timers}
        assert sorted(new_timers) == sorted(old_timers)
        for timer, (bpmn_id, due) in old_timers.items():
            if bpmn_id == timer_id:
                rearmed += 1
                due = edits.rearmed(due, migrated_at)
            assert new_timers[timer] == (bpmn_id, due), (reference, bpmn_id)
        assert any(e["kind"] == "migration" for e in new.history)
    assert rearmed >= 1, "a dossier waits at the changed timer"

    drive(procedure, services, people, clock, dict.fromkeys(references, FINISHED))
    after, added = edits.inserted
    for reference in references:
        dossier = details(services, reference)
        assert (dossier.status, dossier.tasks, dossier.timers) == ("terminee", [], [])
        took_added = added in finished_tasks(dossier)
        passed_after = after in finished_tasks(dossier)
        assert took_added == (passed_after and after not in finished_tasks(before[reference])), (
            reference
        )


def test_a_running_multi_instance_whose_definition_changed_is_refused_the_others_move(
    deploy, services, people, clock, tmp_path
):
    """The issue's own rule: the partners' signatures become sequential in v2; the dossier
    whose signatures are under way is refused (the element and the reason), the one before
    them moves and will sign on v2's terms."""
    INGENIERIE.setup(deploy, services, clock)
    before, during = (INGENIERIE.file(services, people) for _ in range(2))
    stops = {before: at("preparer_convention"), during: INGENIERIE.stops[5]}
    drive(INGENIERIE, services, people, clock, stops)
    publish_edited(
        services, tmp_path / "v2", INGENIERIE.id,
        lambda text: text.replace(
            "<bpmn:multiInstanceLoopCharacteristics>",
            '<bpmn:multiInstanceLoopCharacteristics isSequential="true">',
        ),
    )  # fmt: skip
    plan_id = plans.create_plan(services, OPERATOR, INGENIERIE.id, 1, 2)
    runs.start(services, OPERATOR, plan_id, mode="migration", inline_limit=10**6)
    outcomes = {o.reference: o for o in plans.plan_page(services, OPERATOR, plan_id).outcomes}
    assert outcomes[before].status == "migre"
    refused = outcomes[during]
    assert (refused.status, refused.element_id, refused.rule) == (
        "refuse",
        "signer_partenaires",
        "multi_instance",
    )
    assert "instances multiples en cours dont la définition a changé" in refused.reason
    assert (details(services, before).version, details(services, during).version) == (2, 1)
    drive(INGENIERIE, services, people, clock, {before: FINISHED})
    assert details(services, before).status == "terminee"

"""Search within a viewer's scope, an authority's follow-up, what it may file, its drafts, filing,
and the diagram states of a dossier — through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from engine import service
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.service.campaigns import calls
from engine.service.demo import DEMO_CALLS
from engine.service.dossiers import drafts, instances, visibility
from engine.service.dossiers.search import SearchFilter, follow_up, search
from engine.store.models import HumanTask, ProcessInstance
from tests.procedures.conftest import ARDENNE_METROPOLE, GUERET, PROCESSES, person
from tests.procedures.test_demande_ingenierie import COMPLEMENTS, DEPOT, DEPOT_ARDENNES
from tests.procedures.test_pass_numerique import CANDIDATURE

GUERET_VIEWER = person("mairie.gueret", "collectivite", "212309603")
ARDENNE_VIEWER = person("ardenne.metropole", "collectivite", "200041630")
PREFET_23 = person("prefet.creuse", "prefet", "23")
PREFET_08 = person("prefet.ardennes", "prefet", "08")
NATIONAL = person("anct.national", "equipe_nationale")
EXPERT = person("expert.cerema", "expert")
NOBODY = service.Viewer("personne")


@pytest.fixture
def platform(services):
    """The four procedures and the demo calls (open from yesterday for 90 days); no accounts:
    the service layer takes viewers as they are given."""
    service.deploy_path(services, PROCESSES)
    now = services.clock.now()
    for code, process_id, name, envelope, laureates, _programme in DEMO_CALLS:
        calls.create(
            services, code=code, process_id=process_id, name=name,
            opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=90),
            envelope=envelope, max_laureates=laureates,
        )  # fmt: skip
    return services


@pytest.fixture
def dossiers(platform) -> dict[str, str]:
    """Two engineering requests from Guéret (Creuse), one from Ardenne Métropole (Ardennes)."""

    def file(data, where, organisation):
        return service.start(
            platform, "demande_ingenierie", data=data, actor="test",
            organisation=organisation, **where,
        ).reference  # fmt: skip

    return {
        "gueret_1": file(DEPOT, GUERET, "Commune de Guéret"),
        "gueret_2": file(
            {**DEPOT, "intitule_projet": "Maison de santé"}, GUERET, "Commune de Guéret"
        ),
        "ardenne": file(DEPOT_ARDENNES, ARDENNE_METROPOLE, "CA Ardenne Métropole"),
    }


def references(page) -> set[str]:
    return {item["reference"] for item in page.items}


# ---------------------------------------------------------------- search and scope


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        (PREFET_23, {"gueret_1", "gueret_2"}),
        (PREFET_08, {"ardenne"}),
        (GUERET_VIEWER, {"gueret_1", "gueret_2"}),
        (ARDENNE_VIEWER, {"ardenne"}),
        (NATIONAL, {"gueret_1", "gueret_2", "ardenne"}),
        (EXPERT, set()),
        (NOBODY, set()),
    ],
    ids=["prefet_23", "prefet_08", "gueret", "ardenne", "national", "expert", "sans_role"],
)
def test_search_lists_and_counts_only_the_viewers_scope(platform, dossiers, viewer, expected):
    found = search(platform, viewer)
    assert references(found) == {dossiers[name] for name in expected}
    assert found.total == len(expected)


def test_search_agrees_with_the_dossier_page_for_every_viewer(platform, dossiers):
    for viewer in (PREFET_23, PREFET_08, GUERET_VIEWER, ARDENNE_VIEWER, NATIONAL, EXPERT):
        listed = references(search(platform, viewer))
        for reference in dossiers.values():
            try:
                service.get_instance(platform, reference, viewer)
                visible = True
            except NotFound:
                visible = False
            assert (reference in listed) == visible, (viewer.login, reference)


def test_an_expert_finds_only_the_dossiers_of_tasks_assigned_to_them(platform, dossiers):
    # The mission task is assigned by the national team's instruction; here we assign the open
    # task of one dossier directly, which is all the scope rule looks at.
    with platform.write() as connection:
        instance_id = connection.execute(
            select(ProcessInstance.id).where(ProcessInstance.reference == dossiers["ardenne"])
        ).scalar_one()
        connection.execute(
            update(HumanTask)
            .where(HumanTask.instance_id == instance_id)
            .values(assignee=EXPERT.login)
        )
    found = search(platform, EXPERT)
    assert references(found) == {dossiers["ardenne"]} and found.total == 1
    assert search(platform, EXPERT, SearchFilter(territory="23")).total == 0


def test_search_filters(platform, dossiers):
    def refs(**filters):
        return references(search(platform, NATIONAL, SearchFilter(**filters)))

    assert refs(reference=dossiers["ardenne"].lower()) == {dossiers["ardenne"]}
    assert refs(reference="ING-23") == {dossiers["gueret_1"], dossiers["gueret_2"]}
    assert refs(organisation="ARDENNE") == {dossiers["ardenne"]}
    assert refs(organisation="commune de") == {dossiers["gueret_1"], dossiers["gueret_2"]}
    assert refs(organisation="100%_") == set()
    assert refs(siren="200 041 630") == {dossiers["ardenne"]}
    assert refs(territory="8") == {dossiers["ardenne"]}
    assert refs(status="terminee") == set()
    assert refs(status="en_cours", process_id="demande_ingenierie") == set(dossiers.values())
    assert refs(process_id="pass_numerique") == set()


def test_filters_never_reach_outside_the_scope(platform, dossiers):
    outside = SearchFilter(siren="200041630")
    assert search(platform, PREFET_23, outside).total == 0
    assert search(platform, PREFET_23, SearchFilter(territory="08")).items == []
    assert search(platform, GUERET_VIEWER, SearchFilter(organisation="Ardenne")).total == 0


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"territory": "999"}, "territoire"),
        ({"siren": "12"}, "siren"),
        ({"status": "ouvert"}, "statut"),
    ],
)
def test_invalid_filters_are_named(platform, filters, field):
    with pytest.raises(InvalidInput) as refused:
        search(platform, NATIONAL, SearchFilter(**filters))
    assert field in refused.value.details["fields"]


def test_search_pages(platform, dossiers):
    first = search(platform, NATIONAL, SearchFilter(per_page=2))
    second = search(platform, NATIONAL, SearchFilter(per_page=2, page=2))
    assert first.total == second.total == 3 and first.pages == 2
    assert len(first.items) == 2 and len(second.items) == 1
    assert references(first) | references(second) == set(dossiers.values())
    # Newest first.
    assert first.items[0]["reference"] == dossiers["ardenne"]


# ---------------------------------------------------------------- an authority's follow-up


def test_follow_up_shows_the_current_and_next_step_of_own_dossiers(platform, dossiers, clock):
    found = follow_up(platform, GUERET_VIEWER)
    assert references(found) == {dossiers["gueret_1"], dossiers["gueret_2"]}
    item = next(i for i in found.items if i["reference"] == dossiers["gueret_1"])
    [task] = item["open_tasks"]
    assert task["name"] == "Qualifier le besoin" and task["may_act"] is False
    assert item["next_step"]["name"] == "Qualifier le besoin"
    assert item["next_step"]["due_at"] == clock.now() + timedelta(days=21)

    [prefet_task] = [
        t for t in service.list_tasks(platform, PREFET_23) if t["instance"] == dossiers["gueret_1"]
    ]
    service.complete(platform, PREFET_23, prefet_task["id"], COMPLEMENTS)
    item = next(
        i for i in follow_up(platform, GUERET_VIEWER).items
        if i["reference"] == dossiers["gueret_1"]
    )  # fmt: skip
    [task] = item["open_tasks"]
    assert task["bpmn_id"] == "completer_demande" and task["may_act"] is True
    assert item["next_step"]["may_act"] is True or item["next_step"]["kind"] == "minuterie"


def test_follow_up_is_empty_for_other_roles(platform, dossiers):
    assert follow_up(platform, PREFET_23).total == 0
    assert follow_up(platform, NATIONAL).items == []


# ---------------------------------------------------------------- what may be filed


def offered(platform, viewer) -> set[tuple[str, str | None]]:
    return {
        (f.process_id, f.campaign.code if f.campaign else None)
        for f in drafts.offers(platform, viewer)
    }


def test_authorities_are_offered_requests_and_open_calls_only(platform, clock):
    assert offered(platform, GUERET_VIEWER) == {
        ("demande_ingenierie", None),
        ("fabriques_territoire", "FABRIQUES-DEMO"),
        ("pass_numerique", "PASS-NUMERIQUE-DEMO"),
    }
    # Territoires en renouveau is opened by the national team, not by authorities.
    with pytest.raises(Forbidden):
        drafts.start_form(platform, GUERET_VIEWER, "territoires_en_renouveau")
    assert drafts.offers(platform, PREFET_23) == []
    national = person("anct.national", "equipe_nationale")
    assert offered(platform, national) == {("territoires_en_renouveau", None)}
    assert not drafts.start_form(platform, national, "territoires_en_renouveau").as_authority
    with pytest.raises(Forbidden):
        drafts.start_form(platform, PREFET_23, "demande_ingenierie")


def test_a_call_is_offered_only_while_its_campaign_is_open(platform, clock):
    clock.advance(days=90)
    assert offered(platform, GUERET_VIEWER) == {("demande_ingenierie", None)}
    with pytest.raises(InvalidInput, match="clos"):
        drafts.start_form(platform, GUERET_VIEWER, "pass_numerique", "PASS-NUMERIQUE-DEMO")
    with pytest.raises(NotFound):
        drafts.start_form(platform, GUERET_VIEWER, "pass_numerique", "FABRIQUES-DEMO")
    with pytest.raises(NotFound):
        drafts.start_form(platform, GUERET_VIEWER, "pass_numerique")


def test_new_forms_are_prefilled_with_the_organisation(platform):
    form = drafts.start_form(platform, GUERET_VIEWER, "demande_ingenierie")
    data = drafts.prefill(platform, GUERET_VIEWER, form, "Commune de Guéret")
    assert data == {
        "siren": "212309603", "nom_demandeur": "Commune de Guéret", "nature_demandeur": "commune",
    }  # fmt: skip
    assert form.territory_from_form
    call = drafts.start_form(platform, GUERET_VIEWER, "pass_numerique", "PASS-NUMERIQUE-DEMO")
    assert not call.territory_from_form
    # The nature comes from the SIREN (official data), not typed (issue 16).
    assert drafts.prefill(platform, GUERET_VIEWER, call)["type_collectivite"] == "commune"


def test_the_departement_of_an_organisation_comes_from_official_data(platform, dossiers):
    assert drafts.default_territory(platform, ARDENNE_VIEWER) == "08"  # EPCI members
    # The demo SIREN of Guéret is not in the official data: its latest dossier says where.
    assert drafts.default_territory(platform, GUERET_VIEWER) == "23"
    assert drafts.default_territory(platform, PREFET_23) is None


# ---------------------------------------------------------------- drafts


def test_drafts_keep_declared_fields_and_belong_to_their_author(platform):
    draft_id = drafts.save(
        platform, GUERET_VIEWER, "demande_ingenierie",
        {"intitule_projet": "Halles", "decision_prefet": "transmission", "description_projet": ""},
    )  # fmt: skip
    draft = drafts.get(platform, GUERET_VIEWER, draft_id)
    assert draft.data == {"intitule_projet": "Halles", "description_projet": ""}
    assert draft.siren == "212309603" and draft.summary == "Halles"
    assert draft.process_name == "Demande d'accompagnement en ingénierie sur mesure"

    other = person("autre.agent", "collectivite", "212309603")
    for viewer in (ARDENNE_VIEWER, other):
        assert drafts.list_drafts(platform, viewer) == []
        with pytest.raises(NotFound):
            drafts.get(platform, viewer, draft_id)
        with pytest.raises(NotFound):
            drafts.remove(platform, viewer, draft_id)
        with pytest.raises(NotFound):
            drafts.save(platform, viewer, "demande_ingenierie", {}, draft_id=draft_id)

    drafts.save(
        platform, GUERET_VIEWER, "demande_ingenierie", {"intitule_projet": "Halles couvertes"},
        draft_id=draft_id,
    )  # fmt: skip
    [listed] = drafts.list_drafts(platform, GUERET_VIEWER)
    assert listed.id == draft_id and listed.data == {"intitule_projet": "Halles couvertes"}
    drafts.remove(platform, GUERET_VIEWER, draft_id)
    assert drafts.list_drafts(platform, GUERET_VIEWER) == []


def test_a_call_draft_keeps_its_campaign(platform):
    draft_id = drafts.save(
        platform, GUERET_VIEWER, "pass_numerique", {"intitule": "Pass", "campagne": "AUTRE"},
        campaign="PASS-NUMERIQUE-DEMO", territory="23",
    )  # fmt: skip
    draft = drafts.get(platform, GUERET_VIEWER, draft_id)
    assert draft.campaign == "PASS-NUMERIQUE-DEMO" and draft.territory == "23"


def test_drafts_must_be_json_data(platform):
    with pytest.raises(InvalidInput):
        drafts.save(platform, GUERET_VIEWER, "demande_ingenierie", {"intitule_projet": {1, 2}})


# ---------------------------------------------------------------- filing


def test_filing_routes_by_the_commune_of_the_project(platform):
    started = drafts.file(
        platform, ARDENNE_VIEWER, "demande_ingenierie", DEPOT_ARDENNES,
        organisation="CA Ardenne Métropole",
    )  # fmt: skip
    assert started.reference.startswith("ING-08-")
    details = service.get_instance(platform, started.reference, PREFET_08)
    assert details.organisation == "CA Ardenne Métropole" and details.siren == "200041630"
    assert details.history[0]["actor"] == "ardenne.metropole"
    assert [t["name"] for t in service.list_tasks(platform, PREFET_08)] == ["Qualifier le besoin"]
    assert service.list_tasks(platform, PREFET_23) == []


def test_filing_refuses_another_organisations_siren_and_names_each_field(platform):
    with pytest.raises(InvalidInput) as refused:
        drafts.file(
            platform, GUERET_VIEWER, "demande_ingenierie",
            {**DEPOT, "siren": "200041630", "description_projet": "court"},
        )  # fmt: skip
    fields = refused.value.details["fields"]
    assert "212309603" in fields["siren"]
    assert fields["description_projet"].startswith("Décrivez votre projet")
    assert search(platform, NATIONAL).total == 0


def test_filing_a_call_asks_for_the_departement_when_the_form_does_not_say(platform):
    data = {**CANDIDATURE, "campagne": "AUTRE-CODE"}
    with pytest.raises(InvalidInput) as refused:
        drafts.file(
            platform, ARDENNE_VIEWER, "pass_numerique", data, campaign="PASS-NUMERIQUE-DEMO"
        )
    assert refused.value.details["fields"] == {
        "territoire": "Choisissez le département du dossier."
    }
    with pytest.raises(InvalidInput) as refused:
        drafts.file(
            platform, ARDENNE_VIEWER, "pass_numerique", data,
            campaign="PASS-NUMERIQUE-DEMO", territory="2C",
        )  # fmt: skip
    assert refused.value.details["fields"] == {"territoire": "Code de département inconnu."}

    draft_id = drafts.save(
        platform, ARDENNE_VIEWER, "pass_numerique", data, campaign="PASS-NUMERIQUE-DEMO"
    )
    started = drafts.file(
        platform, ARDENNE_VIEWER, "pass_numerique", data, campaign="PASS-NUMERIQUE-DEMO",
        territory="8", organisation="CA Ardenne Métropole", draft_id=draft_id,
    )  # fmt: skip
    details = service.get_instance(platform, started.reference, ARDENNE_VIEWER)
    assert details.territory == "08" and details.data["campagne"] == "PASS-NUMERIQUE-DEMO"
    assert drafts.list_drafts(platform, ARDENNE_VIEWER) == []


def test_filing_after_the_call_closed_is_refused(platform, clock):
    clock.advance(days=91)
    with pytest.raises(InvalidInput, match="clos"):
        drafts.file(
            platform, ARDENNE_VIEWER, "pass_numerique", CANDIDATURE,
            campaign="PASS-NUMERIQUE-DEMO", territory="08",
        )  # fmt: skip


# ---------------------------------------------------------------- the diagram


def test_diagram_states_follow_the_dossier(platform, dossiers):
    reference = dossiers["gueret_1"]
    diagram = instances.diagram(platform, reference, PREFET_23)
    assert 'id="demande_ingenierie"' in diagram.xml and "bpmndi:BPMNDiagram" in diagram.xml
    assert {"depot", "enregistrer_demande"} <= set(diagram.completed)
    assert diagram.current == ["qualifier_besoin"]
    assert {"rappel_prefet", "escalade_prefet"} <= set(diagram.pending)

    [task] = [t for t in service.list_tasks(platform, PREFET_23) if t["instance"] == reference]
    service.complete(platform, PREFET_23, task["id"], COMPLEMENTS)
    after = instances.diagram(platform, reference, GUERET_VIEWER)
    assert "qualifier_besoin" in after.completed and "decision_prefet" in after.completed
    assert after.current == ["completer_demande"]
    assert "rappel_prefet" not in after.pending
    states = after.states()
    assert not set(states["completed"]) & set(states["current"])
    assert not set(states["pending"]) & (set(states["completed"]) | set(states["current"]))


def test_diagram_is_refused_outside_the_scope(platform, dossiers):
    for viewer in (PREFET_08, ARDENNE_VIEWER, EXPERT):
        with pytest.raises(NotFound):
            instances.diagram(platform, dossiers["gueret_1"], viewer)
        with pytest.raises(NotFound):
            instances.diagram_source(platform, dossiers["gueret_1"], viewer)


def test_form_fields_give_the_labels_of_the_data(platform, dossiers):
    details = service.get_instance(platform, dossiers["gueret_1"], NATIONAL)
    fields = visibility.form_fields(platform, details.version_id)
    assert list(fields)[:3] == ["intitule_projet", "description_projet", "champs_intervention"]
    assert fields["decision_prefet"]["title"]
    names = list(fields)  # task forms in the order of the process, not of their file names
    assert names.index("decision_prefet") < names.index("analyse_besoin")
    assert names.index("analyse_besoin") < names.index("decision_comite")
    assert details.territory_label == "Creuse (23)"
    assert details.history[0]["actor_name"] is None  # "test" is no account

"""Migration plans through the API (/api/v1/processes/{id}/migrations): an owner's system
makes a plan, maps the renamed task, tries it, migrates and reads each dossier's outcome;
nobody else reaches the plans."""

from __future__ import annotations

import pytest

from engine import service
from tests.api.conftest import problem_of
from tests.procedures.conftest import GUERET, publish_edited
from tests.procedures.test_demande_ingenierie import DEPOT

PROCESS = "demande_ingenierie"
PLANS = f"/api/v1/processes/{PROCESS}/migrations"


@pytest.fixture
def two_versions(platform, tmp_path) -> list[str]:
    """Two requests waiting at the préfet's qualification on v1; in v2 that task is named
    `qualifier_demande` (it needs a mapping) and its reminder comes later."""
    references = [
        service.start(platform, PROCESS, data=DEPOT, actor="mairie.gueret", **GUERET).reference
        for _ in range(2)
    ]
    publish_edited(
        platform, tmp_path / "v2", PROCESS,
        lambda t: t.replace("qualifier_besoin", "qualifier_demande").replace('"P14D"', '"P21D"'),
    )  # fmt: skip
    return references


def test_an_owner_plans_tries_and_migrates_through_the_api(api_for, two_versions):
    first, second = two_versions
    owner = api_for("responsable.processus")
    created = owner.post(PLANS, json={"source_version": 1, "target_version": 2})
    assert created.status_code == 201, created.get_json()
    plan = created.get_json()
    assert (plan["source_version"], plan["target_version"], plan["revision"]) == (1, 2, 1)
    row = next(r for r in plan["elements"] if r["source"]["id"] == "qualifier_besoin")
    assert (row["target"], row["waiting"]) == (None, 2)
    path = f"{PLANS}/{plan['id']}"

    tried = owner.post(f"{path}/runs", json={"mode": "dry_run"})
    assert (tried.status_code, tried.get_json()["total"], tried.get_json()["done"]) == (
        200,
        2,
        True,
    )
    outcomes = owner.get(path).get_json()["outcomes"]
    assert {o["status"] for o in outcomes} == {"refuse"}
    assert all("qualifier_besoin" in (o["reason"] or "") or o["element_id"] for o in outcomes)

    mapped = owner.put(path, json={"mapping": {"qualifier_besoin": "qualifier_demande"}})
    assert mapped.status_code == 200 and mapped.get_json()["revision"] == 2
    migrated = owner.post(f"{path}/runs", json={"mode": "execution", "references": [first]})
    assert migrated.status_code == 200 and migrated.get_json()["total"] == 1
    result = owner.get(path).get_json()
    assert {o["reference"]: o["status"] for o in result["outcomes"]}[first] == "migre"
    dossier = api_for("prefet.creuse").get(f"/api/v1/dossiers/{first}").get_json()
    assert dossier["version"] == 2
    assert [t["bpmn_id"] for t in dossier["tasks"]] == ["qualifier_demande"]
    left = api_for("prefet.creuse").get(f"/api/v1/dossiers/{second}").get_json()
    assert left["version"] == 1, "only the dossier named was migrated"
    assert [p["id"] for p in owner.get(PLANS).get_json()] == [plan["id"]]


def test_a_bad_mapping_or_an_empty_selection_is_a_422_naming_it(api_for, two_versions):
    owner = api_for("responsable.processus")
    plan = owner.post(PLANS, json={"source_version": 1, "target_version": 2}).get_json()
    path = f"{PLANS}/{plan['id']}"
    wrong = problem_of(owner.put(path, json={"mapping": {"qualifier_besoin": "inconnu"}}))
    assert wrong["status"] == 422 and "qualifier_besoin" in wrong["errors"]
    nobody = problem_of(owner.post(f"{path}/runs", json={"mode": "dry_run", "territory": "08"}))
    assert nobody["status"] == 422 and "references" in nobody["errors"]
    assert "mode" in problem_of(owner.post(f"{path}/runs", json={"mode": "vite"}))["errors"]
    same = problem_of(owner.post(PLANS, json={"source_version": 2, "target_version": 2}))
    assert same["status"] == 422


def test_only_the_procedures_owners_reach_its_plans(api_for, two_versions):
    owner = api_for("responsable.processus")
    plan = owner.post(PLANS, json={"source_version": 1, "target_version": 2}).get_json()
    path = f"{PLANS}/{plan['id']}"
    for login in ("prefet.creuse", "anct.national", "mairie.gueret", "responsable.fabriques"):
        client = api_for(login)
        assert client.get(path).status_code == 403, login
        assert client.post(f"{path}/runs", json={"mode": "execution"}).status_code == 403
        assert (
            client.post(PLANS, json={"source_version": 1, "target_version": 2}).status_code == 403
        )
    other = f"/api/v1/processes/fabriques_territoire/migrations/{plan['id']}"
    assert problem_of(owner.get(other))["status"] == 404
    assert api_for("admin").get(path).status_code == 200

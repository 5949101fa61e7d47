"""The task inbox (/taches/): what each person sees, its filters, counts, sorting and pages.

Dossiers are filed through the service layer on the injected clock (Monday 2 March 2026, 9:00
in Paris); a qualification is due 21 days after filing.
"""

from __future__ import annotations

import re

import pytest

from engine import service
from engine.service.people import accounts
from tests.procedures import test_pass_numerique as pass_numerique
from tests.procedures import test_territoires_en_renouveau as renouveau
from tests.procedures.conftest import ARDENNE_METROPOLE, GUERET, person
from tests.procedures.test_demande_ingenierie import DEPOT, DEPOT_ARDENNES, TRANSMISSION
from tests.web.pages import read, references, seen, table

PREFET_23 = person("prefet.creuse", "prefet", "23")
PREFET_08 = person("prefet.ardennes", "prefet", "08")
GRAND_GUERET = {"territory": "23", "siren": "200034825"}


# ---------------------------------------------------------------- dossiers


def file(platform, data=DEPOT, where=GUERET, organisation="Commune de Guéret") -> str:
    return service.start(
        platform, "demande_ingenierie", data=data, actor="depot", organisation=organisation,
        **where,
    ).reference  # fmt: skip


@pytest.fixture
def dossiers(platform, clock) -> dict[str, str]:
    """Creuse: two engineering requests (2 and 12 March), a pass numérique application and a
    cohesion contract; Ardennes: one engineering request. Then the clock reads 20 March 2026."""
    found = {"gueret_1": file(platform)}
    clock.set("2026-03-04T10:00:00+01:00")
    found["ardenne"] = file(platform, DEPOT_ARDENNES, ARDENNE_METROPOLE, "CA Ardenne Métropole")
    found["pass"] = service.start(
        platform, "pass_numerique", actor="depot", organisation="CA du Grand Guéret",
        data={
            **pass_numerique.CANDIDATURE, "campagne": "PASS-NUMERIQUE-DEMO",
            "lieux_qualifies": [{"nom": "Médiathèque", "commune": "23096", "statut": "qualifie"}],
        },
        **GRAND_GUERET,
    ).reference  # fmt: skip
    clock.set("2026-03-12T10:00:00+01:00")
    found["gueret_2"] = file(platform, {**DEPOT, "intitule_projet": "Halle du marché"})
    found["contrat"] = service.start(
        platform, "territoires_en_renouveau", data=renouveau.IDENTIFICATION, actor="depot",
        organisation="Commune de Guéret", **GUERET,
    ).reference  # fmt: skip
    clock.set("2026-03-20T09:00:00+01:00")
    return found


def task_of(platform, viewer, reference: str) -> dict:
    [task] = [t for t in service.list_tasks(platform, viewer) if t["instance"] == reference]
    return task


# ---------------------------------------------------------------- who sees what


def test_the_prefet_sees_the_tasks_of_the_departement_with_every_column(client_for, dossiers):
    answer = client_for("prefet.creuse").get("/taches/")
    assert answer.status_code == 200
    rows = table(answer)
    assert [row["Dossier"] for row in rows] == [
        dossiers["gueret_1"],
        dossiers["gueret_2"],
        dossiers["contrat"],
        dossiers["pass"],
    ]  # fmt: skip  (by due date: 23 March, 2 April, 31 May, 30 June)
    first = rows[0]
    assert first == {
        "Dossier": dossiers["gueret_1"],
        "Procédure": "Demande d'accompagnement en ingénierie sur mesure",
        "Tâche": f"Qualifier le besoin — dossier {dossiers['gueret_1']}",
        "Territoire": "Creuse (23)",
        "Demandeur": "Commune de Guéret",
        "Créée le": "02/03/2026",
        "Échéance": "23/03/2026",
        "Prise en charge": "Personne",
    }
    assert rows[3]["Demandeur"] == "CA du Grand Guéret"
    assert rows[3]["Tâche"].startswith("Donner l'avis du préfet")
    body = answer.get_data(as_text=True)
    assert f'href="/dossiers/{dossiers["gueret_1"]}"' in body
    assert re.search(r'href="/taches/[0-9a-f-]{36}"', body)
    assert dossiers["ardenne"] not in body
    assert seen(answer, "total") == "4 tâches à traiter"
    # No territory filter for a préfet: the inbox covers one département.
    assert 'name="territoire"' not in body


def test_the_ardennes_prefet_sees_neither_creuse_tasks_nor_their_counts(
    client_for, platform, dossiers
):
    answer = client_for("prefet.ardennes").get("/taches/")
    assert references(answer) == [dossiers["ardenne"]]
    assert seen(answer, "total") == "1 tâche à traiter"
    counts = seen(answer, "compteurs")
    assert "En retard : 0" in counts and "À échéance cette semaine : 1" in counts
    assert "Non attribuées : 1" in counts
    body = answer.get_data(as_text=True)
    for reference in ("gueret_1", "gueret_2", "pass", "contrat"):
        assert dossiers[reference] not in body
    # Options of the filters only count what the préfet may see.
    assert "Demande d&#39;accompagnement en ingénierie sur mesure (1)" in body
    assert "Pass numérique" not in body
    # Even when asked for the Creuse, nothing leaks.
    asked = client_for("prefet.ardennes").get("/taches/?territoire=23&procedure=pass_numerique")
    assert table(asked) == [] and seen(asked, "total") == "Aucune tâche correspondant aux filtres"
    # The same through the service layer.
    creuse = service.count_tasks(platform, PREFET_23)
    assert (creuse.total, creuse.this_week, creuse.overdue, creuse.unassigned) == (4, 1, 0, 4)
    ardennes = service.count_tasks(platform, PREFET_08, service.TaskFilter(territory="23"))
    assert ardennes == service.TaskCounts(0, 0, 0, 0, 0)
    facets = service.inbox_facets(platform, PREFET_08, territories=True)
    assert [(k.process_id, k.count) for k in facets.kinds] == [("demande_ingenierie", 1)]
    assert facets.territories == [("08", "Ardennes (08)", 1)]


def test_people_without_an_inbox_are_refused(client_for, dossiers):
    for login in ("mairie.gueret", "admin", "responsable.processus"):
        answer = client_for(login).get("/taches/")
        assert answer.status_code == 403, login
        assert "Vous n'avez pas accès à cette page." in seen(answer)
    anonymous = client_for(None).get("/taches/")
    assert anonymous.status_code in (302, 401)
    assert dossiers["gueret_1"] not in anonymous.get_data(as_text=True)


# ---------------------------------------------------------------- filters and counts


def test_due_filters_and_their_counts(client_for, dossiers, clock):
    client = client_for("prefet.creuse")
    counts = seen(client.get("/taches/"), "compteurs")
    assert "En retard : 0" in counts and "À échéance cette semaine : 1" in counts

    this_week = client.get("/taches/?echeance=cette_semaine")
    assert references(this_week) == [dossiers["gueret_1"]]
    assert seen(this_week, "total") == "1 tâche correspondant aux filtres"

    clock.set("2026-03-25T09:00:00+01:00")  # the first request is now two days late
    answer = client.get("/taches/")
    counts = seen(answer, "compteurs")
    assert "En retard : 1" in counts and "À échéance cette semaine : 0" in counts
    late = [row for row in table(answer) if "En retard" in row["Échéance"]]
    assert [row["Dossier"] for row in late] == [dossiers["gueret_1"]]
    assert 'class="fr-badge fr-badge--sm fr-badge--error">En retard' in answer.get_data(
        as_text=True
    )
    overdue = client.get("/taches/?echeance=en_retard")
    assert references(overdue) == [dossiers["gueret_1"]]
    # The active tag is marked, and links back to the unfiltered list.
    tag = read(overdue).links["compte-en-retard"]
    assert tag == ["/taches/"]
    assert 'aria-current="true" data-testid="compte-en-retard"' in overdue.get_data(as_text=True)
    # An unknown value is ignored rather than refused.
    assert len(table(client.get("/taches/?echeance=hier"))) == 4


def test_assignment_filters_procedure_and_task_filters(client_for, dossiers, platform):
    service.claim(platform, PREFET_23, task_of(platform, PREFET_23, dossiers["gueret_2"])["id"])
    client = client_for("prefet.creuse")
    answer = client.get("/taches/")
    counts = seen(answer, "compteurs")
    assert "Prises en charge par moi : 1" in counts and "Non attribuées : 3" in counts
    mine = {row["Dossier"]: row["Prise en charge"] for row in table(answer)}
    assert mine[dossiers["gueret_2"]] == "Vous" and mine[dossiers["gueret_1"]] == "Personne"

    assert references(client.get("/taches/?attribution=moi")) == [dossiers["gueret_2"]]
    nobody = client.get("/taches/?attribution=personne")
    assert dossiers["gueret_2"] not in references(nobody) and len(table(nobody)) == 3

    by_procedure = client.get("/taches/?procedure=demande_ingenierie")
    assert references(by_procedure) == [dossiers["gueret_1"], dossiers["gueret_2"]]
    # Counts follow the other filters: the due and assignment tags within the procedure.
    counts = seen(by_procedure, "compteurs")
    assert "Prises en charge par moi : 1" in counts and "Non attribuées : 1" in counts
    assert "À échéance cette semaine : 1" in counts
    # Mine and this week together: nothing (the task I hold is due on 2 April).
    both = client.get("/taches/?attribution=moi&echeance=cette_semaine")
    assert table(both) == []
    assert "Aucune tâche ne correspond à ces filtres." in seen(both, "aucune-tache")
    # Each tag counts with the other group's filter: due this week and mine, or unassigned;
    # mine and due this week, or overdue.
    counts = seen(both, "compteurs")
    assert "Prises en charge par moi : 0" in counts and "Non attribuées : 1" in counts
    assert "À échéance cette semaine : 0" in counts and "En retard : 0" in counts

    body = answer.get_data(as_text=True)
    assert (
        '<option value="demande_ingenierie">Demande d&#39;accompagnement en ingénierie sur mesure (2)</option>'
        in body
    )
    assert (
        '<option value="territoires_en_renouveau:conduire_diagnostic">Conduire le diagnostic partagé (1)</option>'
        in body
    )
    by_task = client.get("/taches/?tache=territoires_en_renouveau:conduire_diagnostic")
    assert references(by_task) == [dossiers["contrat"]]
    assert 'value="territoires_en_renouveau:conduire_diagnostic" selected' in by_task.get_data(
        as_text=True
    )
    # A task of another procedure than the one chosen: nothing, rather than the wrong tasks.
    mixed = client.get(
        "/taches/?procedure=pass_numerique&tache=demande_ingenierie:qualifier_besoin"
    )
    assert table(mixed) == []
    assert references(client.get("/taches/?tache=avis_prefet")) == [dossiers["pass"]]


def test_sorting(client_for, dossiers):
    client = client_for("prefet.creuse")
    by_due_desc = references(client.get("/taches/?ordre=desc"))
    assert by_due_desc == [
        dossiers["pass"], dossiers["contrat"], dossiers["gueret_2"], dossiers["gueret_1"],
    ]  # fmt: skip
    by_reference = references(client.get("/taches/?tri=reference"))
    assert by_reference == sorted(by_reference)
    assert references(client.get("/taches/?tri=reference&ordre=desc")) == sorted(
        by_reference, reverse=True
    )
    by_creation = references(client.get("/taches/?tri=creation&ordre=desc"))
    assert by_creation[0] in (dossiers["gueret_2"], dossiers["contrat"])  # both on 12 March
    assert by_creation[-1] == dossiers["gueret_1"]
    page = client.get("/taches/?tri=creation&ordre=desc").get_data(as_text=True)
    assert '<option value="creation" selected>Date de création</option>' in page
    assert '<option value="desc" selected>Décroissant</option>' in page
    # Unknown orders fall back to the due date.
    assert references(client.get("/taches/?tri=nimporte&ordre=quoi"))[0] == dossiers["gueret_1"]


def test_pagination(client_for, platform, clock):
    filed = []
    for day in range(30):
        clock.set("2026-03-02T09:00:00+01:00")
        clock.advance(hours=day)
        filed.append(file(platform))
    file(platform, DEPOT_ARDENNES, ARDENNE_METROPOLE, "CA Ardenne Métropole")
    client = client_for("prefet.creuse")
    first = client.get("/taches/")
    assert len(table(first)) == 25 and references(first) == filed[:25]
    assert seen(first, "total") == "30 tâches à traiter"
    navigation = seen(first, "pagination")
    assert "Page suivante" in navigation and "1 2" in navigation
    assert "/taches/?page=2" in read(first).links["pagination"]
    second = client.get("/taches/?page=2")
    assert references(second) == filed[25:]
    assert 'aria-current="page" title="Page 2"' in second.get_data(as_text=True)
    # Beyond the last page: the last page.
    assert references(client.get("/taches/?page=99")) == filed[25:]
    assert references(client.get("/taches/?page=abc")) == filed[:25]
    # Filters are kept from page to page.
    desc = client.get("/taches/?ordre=desc")
    assert "/taches/?ordre=desc&page=2" in read(desc).links["pagination"]
    assert references(client.get("/taches/?ordre=desc&page=2")) == filed[:5][::-1]


def test_national_staff_filter_by_territory(client_for, platform, dossiers):
    for reference, prefet in ((dossiers["gueret_1"], PREFET_23), (dossiers["ardenne"], PREFET_08)):
        service.complete(platform, prefet, task_of(platform, prefet, reference)["id"], TRANSMISSION)
    client = client_for("anct.national")
    answer = client.get("/taches/")
    assert set(references(answer)) == {dossiers["gueret_1"], dossiers["ardenne"]}
    assert {row["Tâche"].split(" — ")[0] for row in table(answer)} == {"Instruire la demande"}
    body = answer.get_data(as_text=True)
    assert 'name="territoire"' in body
    assert '<option value="08">Ardennes (08) — 1 tâche</option>' in body
    assert '<option value="23">Creuse (23) — 1 tâche</option>' in body
    ardennes = client.get("/taches/?territoire=08")
    assert references(ardennes) == [dossiers["ardenne"]]
    assert table(ardennes)[0]["Territoire"] == "Ardennes (08)"
    assert table(ardennes)[0]["Demandeur"] == "CA Ardenne Métropole"
    # An unknown département is ignored.
    assert len(table(client.get("/taches/?territoire=99"))) == 2
    # The préfets' own inboxes lost these tasks.
    assert dossiers["gueret_1"] not in references(client_for("prefet.creuse").get("/taches/"))


def test_a_colleague_holding_a_task_is_named(client_for, platform, dossiers):
    accounts.create_user(
        platform, "agent.creuse", name="Agnès Durand", grants=[("prefet", "23")],
        password="demo-anct-2026",
    )  # fmt: skip
    colleague = person("agent.creuse", "prefet", "23")
    service.claim(platform, colleague, task_of(platform, colleague, dossiers["gueret_1"])["id"])
    rows = {row["Dossier"]: row for row in table(client_for("prefet.creuse").get("/taches/"))}
    assert rows[dossiers["gueret_1"]]["Prise en charge"] == "Agnès Durand"
    answer = client_for("agent.creuse").get("/taches/?attribution=moi")
    assert references(answer) == [dossiers["gueret_1"]]
    assert table(answer)[0]["Prise en charge"] == "Vous"

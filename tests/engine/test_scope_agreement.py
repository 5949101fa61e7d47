"""The scope rule (engine/scope.py) read three ways gives one answer, the authorization matrix's.

For every role × kind of grant scope × position of a task (or its dossier), with real accounts
and real rows in a real database:

- acting on a task: `Viewer.may_act` (Python), the rows of `Viewer.task_filter()` (SQL) and
  the rule over the grant as stored (`region:75` matched through the région of the task's
  département, where the viewer holds it expanded into départements) agree;
- hearing of a task: the recipients of its notices (`recipients.resolve`) are those who act on
  it, when it is assigned to nobody or to them;
- seeing a dossier: `Viewer.may_see` and the rows of `Viewer.dossier_filter()` agree;

and each answer is the one the matrix below expects (shared/procedures.md, « Who acts »).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from engine import roles
from engine import scope as rule
from engine.errors import InvalidInput
from engine.notifications.recipients import Target, resolve
from engine.service import users
from engine.service.people import accounts
from engine.store.models import HumanTask, ProcessInstance, ProcessVersion

CREUSE, HAUTE_VIENNE, ARDENNES = "23", "87", "08"  # Creuse and Haute-Vienne: Nouvelle-Aquitaine
NOUVELLE_AQUITAINE = "region:75"
GUERET, ARDENNE_METROPOLE = "212309603", "200041630"
OTHER = "autre.personne"  # the one a task is assigned to when it is not the person's

#: Where a task (and its dossier) sits: (département, SIREN of the requesting organisation).
POSITIONS = {
    "meme_departement": (CREUSE, ARDENNE_METROPOLE),
    "meme_siren": (CREUSE, GUERET),
    "autre_departement_meme_region": (HAUTE_VIENNE, ARDENNE_METROPOLE),
    "autre_region": (ARDENNES, ARDENNE_METROPOLE),
}
ALL = frozenset(POSITIONS)

#: The kinds of grant scope, as typed in the administration pages ("aucun": the account was
#: closed — no grant at all counts).
SCOPES = {
    "national": None,
    "departement": CREUSE,
    "region": NOUVELLE_AQUITAINE,
    "siren": GUERET,
    "aucun": None,
}

#: THE MATRIX, part 1 — the positions a grant of each kind reaches: a préfet never sees another
#: département, a préfet de région the départements of its région, a collectivité its SIREN,
#: a national role everything.
REACHES = {
    "national": ALL,
    "departement": {"meme_departement", "meme_siren"},
    "region": {"meme_departement", "meme_siren", "autre_departement_meme_region"},
    "siren": {"meme_siren"},
    "aucun": frozenset(),
}

#: THE MATRIX, part 2 — the kinds of scope each role may hold (the others are refused when the
#: account is written): a collectivité acts for an organisation, a préfet over a département or
#: a région, the admin over the whole platform.
HOLDS = {
    roles.COLLECTIVITE: {"siren", "aucun"},
    roles.PREFET: {"departement", "region", "aucun"},
    roles.EQUIPE_NATIONALE: {"national", "departement", "siren", "aucun"},
    roles.COMITE: {"national", "departement", "siren", "aucun"},
    roles.EXPERT: {"national", "departement", "siren", "aucun"},
    roles.RESPONSABLE_PROCESSUS: {"national", "departement", "siren", "aucun"},
    roles.ADMIN: {"national", "aucun"},
}

#: THE MATRIX, part 3 — which tasks of their lane, in their scope, people act on: every one, or
#: (experts) only those assigned to them by name. The admin and the process owners have no lane.
ACTS_ON = {
    roles.COLLECTIVITE: "toutes",
    roles.PREFET: "toutes",
    roles.EQUIPE_NATIONALE: "toutes",
    roles.COMITE: "toutes",
    roles.EXPERT: "les_siennes",
}

#: THE MATRIX, part 4 — which dossiers people see: those their scope reaches, or (experts) those
#: where a task is assigned to them, wherever it is.
SEES = {role: "perimetre" for role in HOLDS} | {roles.EXPERT: "les_siennes"}

ASSIGNMENTS = ("personne", "a_elle", "a_une_autre")


def test_the_matrix_covers_every_role():
    assert set(HOLDS) == set(roles.ROLE_LABELS)
    assert set(ACTS_ON) == set(roles.LANE_ROLES)
    assert {r for r, how in ACTS_ON.items() if how == "les_siennes"} == set(roles.ASSIGNED_ONLY)


@dataclass(frozen=True)
class Row:
    task_id: str
    instance_id: int
    role: str
    position: str
    assignee: str | None
    territory: str
    siren: str


def login_of(role: str, kind: str) -> str:
    return f"{role}.{kind}".replace("_", "-")


def acts_by_stored_grants(account: accounts.Account, row: Row, region: str | None) -> bool:
    """The rule over the grants as stored: a région grant reached through the task's région."""
    return account.active and any(
        rule.acts(account.login, g.role, g.scope, row.role, row.territory, row.siren,
                  row.assignee, region)
        for g in account.grants
    )  # fmt: skip


def expected_act(role: str, kind: str, row: Row) -> bool:
    if row.role != role or row.position not in REACHES[kind]:
        return False
    return ACTS_ON[role] == "toutes" or row.assignee == login_of(role, kind)


def expected_told(role: str, kind: str, row: Row) -> bool:
    return expected_act(role, kind, row) and row.assignee in (None, login_of(role, kind))


def expected_see(role: str, kind: str, row: Row) -> bool:
    if kind == "aucun":
        return False
    if SEES[role] == "les_siennes":
        return row.assignee == login_of(role, kind)
    return row.position in REACHES[kind]


@pytest.fixture
def world(services) -> list[Row]:
    """An account per role and kind of scope it may hold, and for each account of a lane its
    tasks — one per position and assignment, each in a dossier of its own."""
    accounts.create_user(services, OTHER, name="Autre personne", grants=[("comite", None)])
    for role, kinds in HOLDS.items():
        for kind in kinds:
            scope = SCOPES[kind] if kind != "aucun" else SCOPES[sorted(kinds - {"aucun"})[0]]
            login = login_of(role, kind)
            accounts.create_user(services, login, name=login, grants=[(role, scope)])
            if kind == "aucun":
                accounts.set_active(services, login, False)
    now = datetime(2026, 3, 2, 8, tzinfo=UTC)
    rows: list[Row] = []
    with services.write() as connection:
        connection.execute(
            insert(ProcessVersion),
            [{"id": 1, "process_id": "p", "version": 1, "content_hash": "x", "name": "P",
              "reference_prefix": "P", "files": {}, "deployed_at": now}],
        )  # fmt: skip
        for role in sorted(ACTS_ON):
            for kind in sorted(HOLDS[role]):
                me = login_of(role, kind)
                for position, (territory, siren) in POSITIONS.items():
                    for assignment in ASSIGNMENTS:
                        assignee = {"personne": None, "a_elle": me, "a_une_autre": OTHER}
                        number = len(rows) + 1
                        connection.execute(
                            insert(ProcessInstance),
                            [{"id": number, "reference": f"P-{number}", "process_version_id": 1,
                              "process_id": "p", "territory": territory, "siren": siren,
                              "status": "en_cours", "data": {}, "state": "{}", "lock_version": 1,
                              "created_at": now, "updated_at": now}],
                        )  # fmt: skip
                        row = Row(
                            f"t-{number}",
                            number,
                            role,
                            position,
                            assignee[assignment],
                            territory,
                            siren,
                        )
                        connection.execute(
                            insert(HumanTask),
                            [{"id": row.task_id, "instance_id": number, "process_id": "p",
                              "bpmn_id": "T", "name": "Tâche", "role": role,
                              "territory": territory, "siren": siren, "assignee": row.assignee,
                              "status": "ouverte", "created_at": now}],
                        )  # fmt: skip
                        rows.append(row)
    return rows


def test_refused_scopes_are_refused_when_the_account_is_written(services):
    for role, kinds in HOLDS.items():
        for kind in set(SCOPES) - kinds:
            with pytest.raises(InvalidInput):
                accounts.create_user(services, "essai", name="Essai", grants=[(role, SCOPES[kind])])


@pytest.mark.parametrize("role", sorted(HOLDS))
def test_python_sql_and_recipients_agree_with_the_matrix(services, world, role):
    regions = services.territories
    targets = {
        row.task_id: Target(row.role, row.territory, row.siren, row.assignee).placed(regions)
        for row in world
    }
    with services.read() as connection:
        heard = resolve(connection, list(targets.values()))
    wrong: list[str] = []
    for kind in sorted(HOLDS[role]):
        login = login_of(role, kind)
        viewer = users.viewer_for(services, login)
        stored = accounts.get_account(services, login)
        with services.read() as connection:
            by_sql = set(connection.scalars(select(HumanTask.id).where(viewer.task_filter())))
            seen_by_sql = set(
                connection.scalars(select(ProcessInstance.id).where(viewer.dossier_filter()))
            )
        for row in world:
            region = regions.region_scope(row.territory)
            acting = {
                "python": viewer.may_act(row.role, row.territory, row.siren, row.assignee),
                "sql": row.task_id in by_sql,
                "stored_grants": acts_by_stored_grants(stored, row, region),
                "matrix": expected_act(role, kind, row),
            }
            telling = {
                "recipients": login in {p.login for p in heard.get(targets[row.task_id], [])},
                "matrix": expected_told(role, kind, row),
            }
            mine = row.assignee == login
            seeing = {
                "python": viewer.may_see(row.territory, row.siren, assigned=mine),
                "sql": row.instance_id in seen_by_sql,
                "matrix": expected_see(role, kind, row),
            }
            for what, answers in (("agit", acting), ("averti", telling), ("voit", seeing)):
                if len(set(answers.values())) != 1:
                    wrong.append(
                        f"{login} {what} {row.role}/{row.position}/{row.assignee}: {answers}"
                    )
    assert wrong == []


def test_the_matrix_in_words(services, world):
    """A few lines of the matrix, spelled out."""

    def acts(login: str, position: str, role: str, assignee: str | None = None) -> bool:
        viewer = users.viewer_for(services, login)
        territory, siren = POSITIONS[position]
        return viewer.may_act(role, territory, siren, assignee)

    prefet, regional = login_of("prefet", "departement"), login_of("prefet", "region")
    assert acts(prefet, "meme_departement", "prefet")
    assert not acts(prefet, "autre_departement_meme_region", "prefet")  # never another one
    assert acts(regional, "autre_departement_meme_region", "prefet")
    assert not acts(regional, "autre_region", "prefet")
    mairie = login_of("collectivite", "siren")
    assert acts(mairie, "meme_siren", "collectivite")
    assert not acts(mairie, "meme_departement", "collectivite")
    national = login_of("equipe_nationale", "national")
    assert all(acts(national, p, "equipe_nationale") for p in POSITIONS)
    expert = login_of("expert", "national")
    assert acts(expert, "autre_region", "expert", assignee=expert)
    assert not acts(expert, "autre_region", "expert", assignee=OTHER)
    assert not acts(expert, "autre_region", "expert")
    assert not acts(login_of("admin", "national"), "meme_departement", "prefet")

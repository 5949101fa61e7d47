"""Authorization on every route, as a matrix: every route × every role × an object (dossier, task,
draft, notification, incident, account) inside and outside the person's scope.

A préfet sees and acts only on the dossiers and tasks of their département; an authority only on
its own organisation's dossiers; an expert only on the missions assigned to them; national roles
nationally; the admin manages accounts and acts in no dossier (shared/procedures.md, « Who acts »).

- `ROUTES` declares every rule of the application (endpoint and method): how to call it, about
  which objects, and what each person must get. `test_every_route_is_in_the_matrix` fails when a
  route is added without its row here.
- Each cell signs in as one demo account (or nobody) and calls one route about one object. A
  refused cell asserts its status (403 for a role or action refused, 404 for an object outside
  the scope, 302 to /connexion for anonymous visitors), that nothing changed (task still open
  and unassigned, draft still there, account untouched…) and that the answer shows nothing of
  the object. An allowed cell asserts its status (200, 302, or 422 for the harmless invalid
  form it posts: allowed cells never complete a real task).
- The leak tests read lists, counts, search, notifications and the CSV export of each role: the
  reference, organisation and SIREN of a dossier outside the scope never appear.

The world (five dossiers, their tasks, two drafts, an incident) is built once for the module on
SQLite; after each test the few rows a cell may change are put back.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import case, delete, func, insert, select, update

from engine import service
from engine.clock import ManualClock, as_utc
from engine.config import Settings
from engine.notifications.outbox import FAILED as MAIL_FAILED
from engine.service import notifications, users
from engine.service.campaigns import calls, grants
from engine.service.catalogue import editing
from engine.service.catalogue import processes as catalogue
from engine.service.demo import DEMO_OWNERS, ensure_demo
from engine.service.dossiers import drafts
from engine.service.migrations import plans as migration_plans
from engine.service.people import accounts, passwords
from engine.service.people import tokens as api_tokens
from engine.store.models import (
    ApiToken,
    Campaign,
    DefinitionDraft,
    Draft,
    Grant,
    HumanTask,
    MigrationItem,
    MigrationPlan,
    Notification,
    OutboxMessage,
    Process,
    ProcessInstance,
    ProcessOwner,
    ProcessVersion,
    Timer,
    User,
    UserGrant,
)
from tests.conftest import START
from tests.files import staged
from tests.procedures.conftest import ARDENNE_METROPOLE, GUERET, PROCESSES, publish_edited
from tests.procedures.test_demande_ingenierie import (
    ACCEPTE,
    COMITE_AT,
    COMPLEMENTS,
    CONVENTION,
    CONVENTION_AT,
    DEPOT,
    DEPOT_ARDENNES,
    INSTRUCTION,
    INSTRUCTION_AT,
    NON_RECEVABLE,
    QUALIFICATION_AT,
    REPONSE,
    SIGNATURE_ANCT,
    SIGNATURE_AT,
    SIGNATURE_COLLECTIVITE,
    TRANSMISSION,
    with_document,
)
from tests.web.conftest import csrf_token, sign_in
from tests.web.test_dossiers import results, section
from web import create_app

PROCESS = "demande_ingenierie"
ANONYMOUS = None
#: Every person of the matrix: the demo accounts (engine/service/demo.py) and nobody.
LOGINS: tuple[str | None, ...] = (
    ANONYMOUS, "mairie.gueret", "ardenne.metropole", "prefet.creuse", "prefet.ardennes",
    "anct.national", "comite.membre", "expert.cerema", "responsable.processus",
    "responsable.fabriques", "admin",
)  # fmt: skip
AUTHORITIES = frozenset({"mairie.gueret", "ardenne.metropole"})
#: Roles with an inbox (web/access.py STAFF).
STAFF = frozenset({"prefet.creuse", "prefet.ardennes", "anct.national", "comite.membre",
                   "expert.cerema"})  # fmt: skip
#: Process owners: of every procedure, and of the Fabriques de territoire only.
PROCESS_OWNERS = frozenset({"responsable.processus", "responsable.fabriques"})
SEARCHERS = STAFF | PROCESS_OWNERS
#: National roles without scope: incidents.
WATCHERS = frozenset({"anct.national"}) | PROCESS_OWNERS
#: Accounts whose grant has no scope: every dossier is within it (the admin reads, never acts).
NATIONAL = frozenset({"anct.national", "comite.membre", "admin"}) | PROCESS_OWNERS


# ---------------------------------------------------------------- the world


@dataclass(frozen=True)
class Dossier:
    where: dict[str, str]
    organisation: str
    title: str
    #: Who may see it: its authority, its département's préfet, national roles, the expert of
    #: its mission.
    viewers: frozenset[str]

    def secrets(self) -> tuple[str, ...]:
        """What someone outside the scope must never read of it (its reference aside)."""
        return (self.organisation, self.where["siren"], self.title)


CREUSE_VIEWERS = frozenset({"mairie.gueret", "prefet.creuse"}) | NATIONAL
ARDENNES_VIEWERS = frozenset({"ardenne.metropole", "prefet.ardennes"}) | NATIONAL
DOSSIERS = {
    # Waiting for the Creuse préfet's qualification.
    "creuse": Dossier(GUERET, "Commune de Guéret", DEPOT["intitule_projet"], CREUSE_VIEWERS),
    # Waiting for the Ardennes préfet's qualification.
    "ardennes": Dossier(
        ARDENNE_METROPOLE,
        "CA Ardenne Métropole",
        DEPOT_ARDENNES["intitule_projet"],
        ARDENNES_VIEWERS,
    ),
    # Complements asked: a task of the authority (Ardenne Métropole).
    "complements": Dossier(
        ARDENNE_METROPOLE,
        "CA Ardenne Métropole",
        "Voie verte de la vallée de la Semoy",
        ARDENNES_VIEWERS,
    ),
    # Sent on by the Ardennes préfet: a task of the national team.
    "instruction": Dossier(
        ARDENNE_METROPOLE,
        "CA Ardenne Métropole",
        "Tiers-lieu de l'ancienne gare de Charleville",
        ARDENNES_VIEWERS,
    ),
    # Accepted, convention signed: the mission assigned to expert.cerema.
    "mission": Dossier(
        GUERET,
        "Commune de Guéret",
        "Programmation de la halle couverte de Guéret",
        CREUSE_VIEWERS | {"expert.cerema"},
    ),
}


@dataclass(frozen=True)
class Task:
    dossier: str
    bpmn_id: str
    role: str
    #: The one person of the matrix who may act on it.
    actor: str
    #: What a refused cell posts to complete it (it would complete it if let through).
    completion: dict[str, Any]
    #: Whom a refused cell tries to hand it to (a change, if let through).
    hand_to: str
    #: Whether its actor may hand it to a colleague (préfets and national team).
    assignable: bool = False
    #: Whom it is assigned to in the world.
    assignee: str | None = None


TASKS = {
    "qualifier_creuse": Task("creuse", "qualifier_besoin", "prefet", "prefet.creuse",
                             NON_RECEVABLE, "agent.creuse", assignable=True),
    "qualifier_ardennes": Task("ardennes", "qualifier_besoin", "prefet", "prefet.ardennes",
                               NON_RECEVABLE, "agent.ardennes", assignable=True),
    "completer_ardennes": Task("complements", "completer_demande", "collectivite",
                               "ardenne.metropole", REPONSE, "ardenne.metropole"),
    "instruire_ardennes": Task("instruction", "instruire_demande", "equipe_nationale",
                               "anct.national", {"analyse_besoin": "Détourné " * 5},
                               "anct.national", assignable=True),
    "mission_creuse": Task("mission", "conduire_mission", "expert", "expert.cerema",
                           {"livrable_titre": "Détourné", "livrable_synthese": "Détourné " * 5},
                           "expert.cerema", assignee="expert.cerema"),
}  # fmt: skip
#: Each authority's draft: what nobody else may read, take over or delete.
DRAFTS = {
    "mairie.gueret": "Brouillon confidentiel de la commune de Guéret",
    "ardenne.metropole": "Brouillon confidentiel d'Ardenne Métropole",
}
#: API tokens (key → owner, name): what only their owner and the administrator may revoke.
API_TOKENS = {
    "jeton-prefet": ("prefet.creuse", "Jeton confidentiel de la préfecture de la Creuse"),
    "jeton-mairie": ("mairie.gueret", "Jeton confidentiel de la mairie de Guéret"),
}
#: Accounts the admin routes work on (besides mairie.gueret): one to deactivate, one inactive to
#: reactivate; and a colleague of each préfet, to whom a task may be handed.
EXTRA_ACCOUNTS = (
    ("agent.creuse", "Agnès Durand (préfecture de la Creuse)", "prefet", "23", True),
    ("agent.ardennes", "Hugo Lambert (préfecture des Ardennes)", "prefet", "08", True),
    ("agent.jetable", "Compte à désactiver", "comite", None, True),
    ("ancien.agent", "Compte désactivé", "comite", None, False),
)
PASSWORD = "mot-de-passe-de-test"
#: A call open for the whole test, that the campaign routes would change (put back after each
#: cell), and the code a refused creation would take.
MATRIX_CALL = {
    "code": "MATRICE-APPEL", "process_id": "fabriques_territoire", "name": "Appel de la matrice",
    "opens_at": "2020-01-01T00:00:00+00:00", "closes_at": "2099-01-01T00:00:00+00:00",
    "envelope": 1_000_000, "max_laureates": 10,
}  # fmt: skip
INTRUDING_CALL = "APPEL-INTRUS"
#: A procedure retired for the whole test (others are in service): the catalogue's routes
#: would retire one and reinstate the other.
RETIRED = "territoires_en_renouveau"


@dataclass
class World:
    services: service.Services
    app: Flask
    refs: dict[str, str]
    tasks: dict[str, str]
    drafts: dict[str, int]
    #: A notification of each préfet about the dossier of their département.
    notices: dict[str, int]
    #: A timer in incident and an e-mail that could not be sent (national watchers retry them).
    timer: str
    email: int
    #: A file of each dossier (its délibération, attached at filing), and « recu »: a file
    #: mairie.gueret sent but did not attach to anything yet.
    files: dict[str, int] = field(default_factory=dict)
    #: The open draft of PROCESS (editor routes), as built.
    definition_draft: dict[str, Any] = field(default_factory=dict)
    #: The id of each API token of API_TOKENS (the « Jetons d'API » routes are about them).
    api_tokens: dict[str, int] = field(default_factory=dict)
    clients: dict[str | None, FlaskClient] = field(default_factory=dict)
    tokens: dict[str | None, str] = field(default_factory=dict)

    def client(self, login: str | None, *, fresh: bool = False) -> FlaskClient:
        """A client signed in as `login` (None: anonymous), kept for the module unless fresh."""
        if not fresh and login in self.clients:
            return self.clients[login]
        client = self.app.test_client()
        if login:
            answer = sign_in(client, login)
            assert answer.status_code == 302, answer.get_data(as_text=True)
        if not fresh:
            self.clients[login] = client
        return client

    def token(self, client: FlaskClient, login: str | None) -> str:
        """A CSRF token of the client's session (kept for the shared clients)."""
        if self.clients.get(login) is not client:
            return csrf_token(client, "/notifications" if login else "/connexion")
        if login not in self.tokens:
            self.tokens[login] = csrf_token(client, "/notifications" if login else "/connexion")
        return self.tokens[login]

    def secrets(self, obj: str | None) -> tuple[str, ...]:
        if obj in DOSSIERS:
            return DOSSIERS[obj].secrets()
        if obj in TASKS:
            return DOSSIERS[TASKS[obj].dossier].secrets()
        if obj in API_TOKENS:
            return (API_TOKENS[obj][1],)
        if obj in DRAFTS:
            return (DRAFTS[obj],)
        return ()

    def reset(self) -> None:
        """Put back what an allowed cell may have changed (and a faulty one, when it can)."""
        with self.services.write() as connection:
            for key, task in TASKS.items():
                connection.execute(
                    update(HumanTask)
                    .where(HumanTask.id == self.tasks[key])
                    .values(assignee=task.assignee)
                )
            connection.execute(update(Notification).values(read_at=None))
            connection.execute(
                update(Timer).where(Timer.id == self.timer).values(status="incident")
            )
            connection.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == self.email)
                .values(status=MAIL_FAILED)
            )
            for login, _, _, _, active in EXTRA_ACCOUNTS:
                connection.execute(update(User).where(User.login == login).values(active=active))
            connection.execute(delete(UserGrant).where(UserGrant.login == "intrus"))
            connection.execute(delete(Campaign).where(Campaign.code == INTRUDING_CALL))
            connection.execute(
                update(Campaign)
                .where(Campaign.code == MATRIX_CALL["code"])
                .values(
                    opens_at=as_utc(MATRIX_CALL["opens_at"]),
                    closes_at=as_utc(MATRIX_CALL["closes_at"]),
                    envelope_cents=MATRIX_CALL["envelope"] * 100,
                    max_laureates=MATRIX_CALL["max_laureates"],
                    instruction_deadline=None, committee_at=None,
                )
            )  # fmt: skip
            connection.execute(delete(User).where(User.login == "intrus"))
            connection.execute(update(ApiToken).values(revoked_at=None, revoked_by=None))
            connection.execute(
                update(Process).values(
                    retired_at=case((Process.process_id == RETIRED, START), else_=None),
                    retired_by=case((Process.process_id == RETIRED, "matrice"), else_=None),
                )
            )
            connection.execute(delete(ProcessOwner))
            connection.execute(insert(ProcessOwner), [
                {"process_id": process_id, "login": login, "granted_at": as_utc(START)}
                for process_id, login in DEMO_OWNERS
            ])  # fmt: skip
            connection.execute(delete(DefinitionDraft))
            connection.execute(insert(DefinitionDraft).values(**self.definition_draft))
            kept = set(connection.execute(select(Draft.id)).scalars())
        for login, title in DRAFTS.items():
            if self.drafts[login] not in kept:
                self.drafts[login] = _draft(self.services, login, title)


def _draft(platform: service.Services, login: str, title: str) -> int:
    return drafts.save(
        platform, users.viewer_for(platform, login), PROCESS, {"intitule_projet": title}
    )


def _build(platform: service.Services, clock: ManualClock) -> dict[str, Any]:
    for login, name, role, scope, active in EXTRA_ACCOUNTS:
        accounts.create_user(
            platform, login, name=name, grants=[(role, scope)], password=PASSWORD,
            email=f"{login}@example.gouv.fr",
        )  # fmt: skip
        if not active:
            accounts.set_active(platform, login, False)
    calls.create(platform, **MATRIX_CALL)
    operator = service.Viewer.command_line("matrice")
    catalogue.retire(platform, operator, RETIRED)

    def file(key: str) -> str:
        dossier = DOSSIERS[key]
        data = {**(DEPOT if dossier.where is GUERET else DEPOT_ARDENNES),
                "intitule_projet": dossier.title}  # fmt: skip
        actor = "mairie.gueret" if dossier.where is GUERET else "ardenne.metropole"
        document = staged(platform, actor, f"deliberation-{key}.pdf")
        files[key] = document["id"]
        return service.start(
            platform, PROCESS, data={**data, "deliberation": document}, actor=actor,
            organisation=dossier.organisation, **dossier.where,
        ).reference  # fmt: skip

    def task(reference: str, bpmn_id: str) -> str:
        [found] = [
            t["id"]
            for t in service.list_tasks(platform, operator)
            if t["instance"] == reference and t["bpmn_id"] == bpmn_id
        ]
        return found

    def complete(reference: str, bpmn_id: str, data: dict[str, Any]) -> None:
        service.complete(platform, operator, task(reference, bpmn_id), data)

    files: dict[str, int] = {}
    refs = {key: file(key) for key in DOSSIERS}
    files["recu"] = staged(platform, "mairie.gueret", "pas-encore-joint.pdf")["id"]
    complete(refs["complements"], "qualifier_besoin", COMPLEMENTS)
    complete(refs["instruction"], "qualifier_besoin", TRANSMISSION)
    mission = refs["mission"]
    clock.set(QUALIFICATION_AT)
    complete(mission, "qualifier_besoin", TRANSMISSION)
    clock.set(INSTRUCTION_AT)
    complete(mission, "instruire_demande", {**INSTRUCTION, "partenaires": []})
    clock.set(COMITE_AT)
    complete(mission, "decider_accompagnement", ACCEPTE)
    clock.set(CONVENTION_AT)
    complete(mission, "preparer_convention", CONVENTION)
    clock.set(SIGNATURE_AT)
    complete(
        mission, "signer_collectivite", with_document(platform, operator, SIGNATURE_COLLECTIVITE)
    )
    complete(mission, "signer_anct", with_document(platform, operator, SIGNATURE_ANCT))
    with platform.write() as connection:
        # The mission holds a grant on the matrix's call: what the grant routes are about.
        mission_id = connection.execute(
            select(ProcessInstance.id).where(ProcessInstance.reference == mission)
        ).scalar_one()
        grants.reserve(connection, mission_id, MATRIX_CALL["code"], 1000, clock.now())
    tasks = {key: task(refs[t.dossier], t.bpmn_id) for key, t in TASKS.items()}
    notices = {}
    for login, key in (("prefet.creuse", "creuse"), ("prefet.ardennes", "ardennes")):
        [notices[login]] = [
            n["id"]
            for n in notifications.list_notifications(platform, users.viewer_for(platform, login))
            if n["dossier"] == refs[key]
        ]
    now = clock.now()
    with platform.write() as connection:
        instance = connection.execute(
            select(ProcessInstance.id).where(ProcessInstance.reference == refs["creuse"])
        ).scalar_one()
        timer = connection.execute(
            select(Timer.id).where(Timer.instance_id == instance, Timer.bpmn_id == "rappel_prefet")
        ).scalar_one()
        connection.execute(
            update(Timer)
            .where(Timer.id == timer)
            .values(status="incident", attempts=5, last_error="Erreur de script (test)")
        )
        email = connection.execute(
            insert(OutboxMessage)
            .values(
                step_key="matrice:echec", login="prefet.creuse", instance_id=instance,
                to_address="prefet.creuse@demo.anct.gouv.fr",
                subject=f"Nouvelle tâche ({refs['creuse']})", body="…", status=MAIL_FAILED,
                attempts=5, next_attempt_at=now, last_error="SMTP injoignable (test)",
                created_at=now,
            )
            .returning(OutboxMessage.id)
        ).scalar_one()  # fmt: skip
    editing.open_draft(platform, operator, PROCESS)
    with platform.read() as connection:
        row = connection.execute(select(DefinitionDraft.__table__)).one()
    return {
        "refs": refs, "tasks": tasks, "notices": notices, "timer": timer, "email": email,
        "files": files, "definition_draft": dict(row._mapping),
        "drafts": {login: _draft(platform, login, title) for login, title in DRAFTS.items()},
        "api_tokens": {
            key: api_tokens.create(platform, operator, login, name=name, days=366).record.id
            for key, (login, name) in API_TOKENS.items()
        },
    }  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The platform (four procedures, demo accounts) and the dossiers of the matrix, once."""
    with pytest.MonkeyPatch.context() as patch:
        # argon2's lightest settings: the demo accounts are hashed in milliseconds; signing in
        # still verifies the password.
        patch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024))
        clock = ManualClock(START)
        database = tmp_path_factory.mktemp("matrice") / "anct.sqlite3"
        settings = Settings(
            database_url=f"sqlite:///{database}", attachments_path=tmp_path_factory.mktemp("pieces")
        )
        platform = service.create_services(settings, clock=clock)
        try:
            service.deploy_path(platform, PROCESSES)
            ensure_demo(platform)
            built = _build(platform, clock)
            _second_version(platform, tmp_path_factory.mktemp("v2"))
            app = create_app(platform, SECRET_KEY="cle-de-test", TESTING=True)
            yield World(services=platform, app=app, **built)
        finally:
            platform.close()


def _second_version(platform: service.Services, folder: Any) -> None:
    """A v2 of the engineering request (a task renamed) and the plan n° 1 from v1 to v2 that
    the migration routes are about."""
    publish_edited(
        platform,
        folder,
        PROCESS,
        lambda t: t.replace('name="Qualifier le besoin"', 'name="Qualifier"'),
    )
    migration_plans.create_plan(platform, service.Viewer.command_line(), PROCESS, 1, 2)


@pytest.fixture(autouse=True)
def put_back(world: World) -> Iterator[None]:
    yield
    world.reset()


# ---------------------------------------------------------------- what each cell expects


@dataclass(frozen=True)
class Expect:
    status: int
    #: Path a redirect must go to (None: anywhere but the sign-in page).
    to: str | None = None
    #: A refusal: nothing may change, nothing of the object may show.
    denied: bool = False
    #: The redirect goes back to the task page (a refusal shown there as a message).
    back_to_task: bool = False


OK = Expect(200)
MOVED = Expect(302)
INVALID = Expect(422)  # allowed: the harmless invalid form posted is refused field by field
SIGN_IN = Expect(302, "/connexion", denied=True)
FORBIDDEN = Expect(403, denied=True)
HIDDEN = Expect(404, denied=True)
#: Marking someone else's notification read: the list of ids is the person's own, others are
#: ignored (nothing changes, back to their notifications).
IGNORED = Expect(302, "/notifications", denied=True)
#: Handing on a task one may do but not assign (an expert, an authority): the form is not offered;
#: a forged post comes back to the task page with the refusal as a message (tests/web/test_tasks.py
#: tests that message), and nothing changes.
REFUSED_ON_PAGE = Expect(302, denied=True, back_to_task=True)
#: An action the dossier's present state refuses (a closing action on a decided dossier).
CONFLICT = Expect(409, denied=True)
#: ProConnect is not configured in tests: its routes do not exist (for everybody).
ABSENT = Expect(404)


def gate(allowed: frozenset[str], ok: Expect = OK) -> Callable[[str, str | None], Expect]:
    return lambda login, obj: ok if login in allowed else FORBIDDEN


def everyone(outcome: Expect) -> Callable[[str, str | None], Expect]:
    return lambda login, obj: outcome


def task_access(login: str, key: str) -> str:
    """« act » (its actor), « see » (in scope, another role: 403) or « hidden » (404)."""
    task = TASKS[key]
    if login == task.actor:
        return "act"
    if task.role == "expert":
        # The national team hands experts their missions (sees them, assigns them, does not
        # do them); for anyone else an expert's mission does not exist.
        return "supervise" if login == "anct.national" else "hidden"
    return "see" if login in DOSSIERS[task.dossier].viewers else "hidden"


def on_task(allowed: Expect, *, assigning: bool = False) -> Callable[[str, str | None], Expect]:
    def expect(login: str, key: str | None) -> Expect:
        access = task_access(login, key or "")
        if access == "hidden":
            return HIDDEN
        if access == "see":
            return FORBIDDEN
        if access == "supervise":  # the page shows; only handing it out is theirs
            if assigning or allowed is OK:
                return allowed
            return FORBIDDEN if allowed is INVALID else REFUSED_ON_PAGE
        if assigning and not TASKS[key or ""].assignable:
            return REFUSED_ON_PAGE
        return allowed

    return expect


def on_dossier(login: str, key: str | None) -> Expect:
    return OK if login in DOSSIERS[key or ""].viewers else HIDDEN


def on_draft(allowed: Expect, *, without: Expect = OK) -> Callable[[str, str | None], Expect]:
    """An authority's own draft (or no draft: `without`); another authority's is a 404."""

    def expect(login: str, owner: str | None) -> Expect:
        if login not in AUTHORITIES:
            return FORBIDDEN
        if owner is None:
            return without
        return allowed if owner == login else HIDDEN

    return expect


def on_file(login: str, key: str | None) -> Expect:
    """A dossier's file: for whoever may see the dossier; a file not attached yet: for whoever
    sent it only (mairie.gueret)."""
    if key == "recu":
        return OK if login == "mairie.gueret" else HIDDEN
    return on_dossier(login, key)


def own_notice(login: str, owner: str | None) -> Expect:
    return Expect(302, "/notifications") if login == owner else IGNORED


def on_closing(code: str) -> Callable[[str, str | None], Expect]:
    """The closing actions (web/views/closing.py) on a dossier: 404 outside the scope, 403 for
    a role that never may, 409 when the dossier's state refuses it (decided, no grant), else
    `allowed`. The world's « creuse » is undecided, its « mission » decided with a grant."""

    def expect(login: str, key: str | None) -> Expect:
        if login not in DOSSIERS[key or ""].viewers:
            return HIDDEN
        authority = login in AUTHORITIES
        if code in ("retirer", "renoncer"):
            if not authority:
                return FORBIDDEN
            granted = key == "mission"
            return OK if granted == (code == "renoncer") else CONFLICT
        if code == "classer_sans_suite":
            if login == "anct.national":
                return OK
            if login in ("prefet.creuse", "prefet.ardennes"):
                return CONFLICT if key == "mission" else OK
            return FORBIDDEN
        if login != "anct.national":
            return FORBIDDEN
        return OK if key == "mission" else CONFLICT

    return expect


def posting(code: str) -> Callable[[str, str | None], Expect]:
    """The same, posting: an allowed cell posts a harmless invalid form (422)."""
    shown = on_closing(code)
    return lambda login, key: INVALID if shown(login, key) is OK else shown(login, key)


def closing_state(world: World, key: str) -> Any:
    """The dossier's row and its grant: what a closing action would change."""
    with world.services.read() as connection:
        instance = connection.execute(
            select(ProcessInstance.id, ProcessInstance.status, ProcessInstance.lock_version,
                   ProcessInstance.outcome).where(ProcessInstance.reference == world.refs[key])
        ).one()  # fmt: skip
        grant = connection.execute(
            select(Grant.status, Grant.amount_cents).where(Grant.instance_id == instance.id)
        ).first()
    return tuple(instance), None if grant is None else tuple(grant)


#: What a refused closing posts: it would close the dossier (or lower its grant) if let through.
CLOSING = {"motif": "Détourné", "confirmation": "oui", "montant": "1"}
CLOSING_KEYS = ("creuse", "ardennes", "mission")


def closing_routes() -> tuple[Route, ...]:
    routes = []
    for endpoint, path, code in (
        ("closing.withdraw", "retirer", "retirer"),
        ("closing.sans_suite", "classer-sans-suite", "classer_sans_suite"),
        ("closing.renounce", "renoncer", "renoncer"),
        ("closing.cancel_grant", "annuler-aide", "annuler_aide"),
        ("closing.reduce_grant", "reduire-aide", "reduire_aide"),
    ):
        where = lambda w, key, path=path: f"/dossiers/{w.refs[key]}/{path}"  # noqa: E731
        routes.append(Route(endpoint, "GET", where, on_closing(code), CLOSING_KEYS))
        routes.append(Route(endpoint, "POST", where, posting(code), CLOSING_KEYS,
                            data=lambda w, o: CLOSING, safe=no_data, state=closing_state))  # fmt: skip
    return tuple(routes)


# ---------------------------------------------------------------- the routes


Path = Callable[[World, Any], str]
Data = Callable[[World, Any], dict[str, Any]]


def fixed(path: str) -> Path:
    return lambda world, obj: path


def no_data(world: World, obj: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: Path
    #: What a signed-in person gets, by (login, object).
    expect: Callable[[str, Any], Expect]
    objects: tuple[str | None, ...] = (None,)
    anonymous: Expect = SIGN_IN
    #: What a refused cell posts: it would change something if let through.
    data: Data = no_data
    #: What an allowed cell posts (harmless), if not `data`.
    safe: Data | None = None
    #: The state a refused cell must leave as it was.
    state: Callable[[World, Any], Any] | None = None
    #: A client of its own (signing out would spoil the shared one).
    fresh: bool = False


def task_path(suffix: str = "") -> Path:
    return lambda world, key: f"/taches/{world.tasks[key]}{suffix}"


def task_state(world: World, key: str) -> tuple[str, str | None]:
    with world.services.read() as connection:
        row = connection.execute(
            select(HumanTask.status, HumanTask.assignee).where(HumanTask.id == world.tasks[key])
        ).one()
    return tuple(row)  # type: ignore[return-value]


def draft_state(world: World, owner: str | None) -> Any:
    """The drafts (owner, data) and how many dossiers there are (nothing filed)."""
    with world.services.read() as connection:
        rows = connection.execute(select(Draft.login, Draft.data).order_by(Draft.id)).all()
        filed = connection.execute(select(ProcessInstance.id)).all()
    return [tuple(row) for row in rows], len(filed)


def draft_query(world: World, owner: str | None) -> str:
    path = f"/portail/deposer/{PROCESS}"
    return path if owner is None else f"{path}?brouillon={world.drafts[owner]}"


def filing(world: World, owner: str | None) -> dict[str, Any]:
    """A complete filing (or, with a draft, its takeover): a change if let through."""
    if owner is not None:
        return {"_action": "brouillon", "_brouillon": world.drafts[owner],
                "intitule_projet": "Brouillon détourné"}  # fmt: skip
    flat = {k: v for k, v in DEPOT.items() if isinstance(v, str)}
    contact = {f"contact.{k}": v for k, v in DEPOT["contact"].items()}
    return {"_action": "deposer", **flat, **contact,
            "champs_intervention": DEPOT["champs_intervention"]}  # fmt: skip


def empty_filing(world: World, owner: str | None) -> dict[str, Any]:
    draft = {} if owner is None else {"_brouillon": world.drafts[owner]}
    return {"_action": "deposer", **draft}


def notice_state(world: World, owner: str) -> Any:
    with world.services.read() as connection:
        return connection.execute(
            select(Notification.read_at).where(Notification.id == world.notices[owner])
        ).scalar_one()


def account_state(login: str) -> Callable[[World, Any], Any]:
    def state(world: World, obj: Any) -> Any:
        with world.services.read() as connection:
            account = connection.execute(
                select(
                    User.name, User.email, User.organisation, User.active, User.password_hash
                ).where(User.login == login)
            ).first()
            grants = connection.execute(
                select(UserGrant.role, UserGrant.scope).where(UserGrant.login == login)
            ).all()
        if account is None:
            return None
        return (*account, sorted(tuple(grant) for grant in grants))

    return state


def campaign_state(code: str) -> Callable[[World, Any], Any]:
    def state(world: World, obj: Any) -> Any:
        with world.services.read() as connection:
            row = connection.execute(select(Campaign.__table__).where(Campaign.code == code))
            found = row.first()
        return None if found is None else tuple(found)

    return state


def catalogue_state(world: World, obj: Any) -> Any:
    with world.services.read() as connection:
        return connection.execute(select(Process.process_id, Process.retired_at)).all()


def editing_state(world: World, obj: Any) -> Any:
    """Owners, drafts and versions of procedures: what the catalogue's and editor's routes
    would change."""
    with world.services.read() as connection:
        return (
            connection.execute(select(ProcessOwner.process_id, ProcessOwner.login)
                               .order_by(ProcessOwner.process_id, ProcessOwner.login)).all(),
            connection.execute(select(DefinitionDraft.process_id, DefinitionDraft.lock_version)
                               .order_by(DefinitionDraft.process_id)).all(),
            connection.execute(select(func.count()).select_from(ProcessVersion)).scalar_one(),
        )  # fmt: skip


def migration_state(world: World, obj: Any) -> Any:
    """Plans and their dossiers: what the migration routes would change."""
    with world.services.read() as connection:
        return (
            connection.execute(select(MigrationPlan.id, MigrationPlan.revision,
                                      MigrationPlan.run_number, MigrationPlan.mapping)
                               .order_by(MigrationPlan.id)).all(),
            connection.execute(select(func.count()).select_from(MigrationItem)).scalar_one(),
        )  # fmt: skip


MIGRATIONS = f"/processus/{PROCESS}/migrations"
PLAN = f"{MIGRATIONS}/1"


def plan_path(world: World, obj: Any) -> str:
    """The plan n° 1, at its procedure's address, or at another's (« ailleurs »: not found)."""
    return PLAN.replace(PROCESS, "fabriques_territoire") if obj == "ailleurs" else PLAN


def on_plan(login: str, obj: str | None) -> Expect:
    if login not in OWNERS:
        return FORBIDDEN
    return HIDDEN if obj == "ailleurs" else OK


#: A complete change of the matrix's call (a change, if let through) and a harmless invalid one.
CALL_CHANGE = {"opens_at": "2026-01-01T09:00", "closes_at": "2026-01-02T09:00", "envelope": "1",
               "max_laureates": "1", "instruction_deadline": "", "committee_at": ""}  # fmt: skip
CALL_PATH = f"/appels/{MATRIX_CALL['code']}"


def incident_state(world: World, obj: Any) -> Any:
    with world.services.read() as connection:
        return (
            connection.execute(select(Timer.status).where(Timer.id == world.timer)).scalar_one(),
            connection.execute(
                select(OutboxMessage.status).where(OutboxMessage.id == world.email)
            ).scalar_one(),
        )


ADMIN = frozenset({"admin"})
#: The national team without a programme limit manages the calls for applications.
NATIONAL_TEAM = frozenset({"anct.national"})
#: Who edits PROCESS and the retired procedure (their owner and the administrator); who reads
#: the catalogue; who creates procedures.
OWNERS = frozenset({"responsable.processus", "admin"})
CATALOGUE_READERS = PROCESS_OWNERS | {"anct.national", "admin"}
CREATORS = PROCESS_OWNERS | {"admin"}
EDITOR = f"/processus/{PROCESS}/brouillon"
DOSSIER_KEYS = tuple(DOSSIERS)
TASK_KEYS = tuple(TASKS)
DRAFT_OWNERS = tuple(DRAFTS)
USER = "/admin/utilisateurs/mairie.gueret"
TOKENS_PAGE = "/compte/jetons"


def token_count(world: World, obj: Any) -> Any:
    with world.services.read() as connection:
        return connection.execute(select(func.count()).select_from(ApiToken)).scalar_one()


def token_state(world: World, key: str) -> Any:
    with world.services.read() as connection:
        return connection.execute(
            select(ApiToken.revoked_at).where(ApiToken.id == world.api_tokens[key])
        ).scalar_one()


def on_api_token(login: str, key: str | None) -> Expect:
    """A token is its owner's, and the administrator's to revoke; for anyone else it does
    not exist. An allowed cell posts no confirmation: it gets the confirmation page."""
    return OK if login in (API_TOKENS[key or ""][0], "admin") else HIDDEN


ROUTES: tuple[Route, ...] = (
    # Public pages and assets.
    Route("home", "GET", fixed("/"), everyone(MOVED), anonymous=OK),
    Route("health", "GET", fixed("/sante"), everyone(OK), anonymous=OK),
    Route("static", "GET", fixed("/static/dossier.css"), everyone(OK), anonymous=OK),
    Route("assets.vendor", "GET", fixed("/vendor/@gouvfr/dsfr/dist/dsfr.min.css"),
          everyone(OK), anonymous=OK),
    Route("assets.favicon", "GET", fixed("/favicon.ico"), everyone(OK), anonymous=OK),
    # Sign-in and out.
    Route("auth.sign_in", "GET", fixed("/connexion"), everyone(MOVED), anonymous=OK),
    Route("auth.sign_in", "POST", fixed("/connexion"), everyone(MOVED),
          anonymous=Expect(401), data=lambda w, o: {"login": "personne", "password": "x"}),
    Route("auth.proconnect", "GET", fixed("/connexion/proconnect"), everyone(ABSENT),
          anonymous=ABSENT),
    Route("auth.proconnect_callback", "GET", fixed("/connexion/proconnect/retour"),
          everyone(ABSENT), anonymous=ABSENT),
    Route("auth.sign_out", "POST", fixed("/deconnexion"), everyone(Expect(302, "/connexion")),
          anonymous=Expect(302, "/connexion"), fresh=True),
    # Inbox and tasks.
    Route("inbox.index", "GET", fixed("/taches/"), gate(STAFF)),
    Route("tasks.show", "GET", task_path(), on_task(OK), TASK_KEYS),
    Route("tasks.complete", "POST", task_path(), on_task(INVALID), TASK_KEYS,
          data=lambda w, key: TASKS[key].completion, safe=no_data, state=task_state),
    Route("tasks.claim", "POST", task_path("/prendre"), on_task(MOVED), TASK_KEYS,
          state=task_state),
    Route("tasks.release", "POST", task_path("/liberer"), on_task(MOVED), TASK_KEYS,
          state=task_state),
    Route("tasks.assign", "POST", task_path("/confier"), on_task(MOVED, assigning=True),
          TASK_KEYS, data=lambda w, key: {"login": TASKS[key].hand_to},
          safe=lambda w, key: {"login": ""}, state=task_state),
    # Dossiers and their search.
    Route("dossiers.search", "GET", fixed("/dossiers/"), gate(SEARCHERS)),
    Route("dossiers.export", "GET", fixed("/dossiers/export.csv"), gate(SEARCHERS)),
    Route("dossiers.show", "GET", lambda w, key: f"/dossiers/{w.refs[key]}", on_dossier,
          DOSSIER_KEYS),
    Route("dossiers.diagram_xml", "GET", lambda w, key: f"/dossiers/{w.refs[key]}/schema.bpmn",
          on_dossier, DOSSIER_KEYS),
    Route("dossiers.diagram_states", "GET",
          lambda w, key: f"/dossiers/{w.refs[key]}/etats.json", on_dossier, DOSSIER_KEYS),
    Route("attachments.download", "GET", lambda w, key: f"/pieces/{w.files[key]}", on_file,
          (*DOSSIER_KEYS, "recu")),
    # The authorities' portal.
    Route("portal.index", "GET", fixed("/portail/"), gate(AUTHORITIES)),
    Route("portal.new", "GET", draft_query, on_draft(OK), (None, *DRAFT_OWNERS)),
    Route("portal.submit", "POST", fixed(f"/portail/deposer/{PROCESS}"),
          on_draft(INVALID, without=INVALID), (None, *DRAFT_OWNERS), data=filing,
          safe=empty_filing, state=draft_state),
    Route("portal.delete_draft", "POST",
          lambda w, owner: f"/portail/brouillons/{w.drafts[owner]}/supprimer",
          on_draft(MOVED), DRAFT_OWNERS, state=draft_state),
    # Notifications and incidents.
    Route("notices.index", "GET", fixed("/notifications"), everyone(OK)),
    Route("notices.mark_read", "POST", fixed("/notifications/lues"), own_notice,
          ("prefet.creuse", "prefet.ardennes"), data=lambda w, owner: {"id": w.notices[owner]},
          state=notice_state),
    Route("notices.incidents", "GET", fixed("/incidents"), gate(WATCHERS)),
    Route("notices.retry_timer", "POST",
          lambda w, o: f"/incidents/minuteries/{w.timer}/relancer", gate(WATCHERS, MOVED),
          state=incident_state),
    Route("notices.retry_email", "POST",
          lambda w, o: f"/incidents/courriels/{w.email}/relancer", gate(WATCHERS, MOVED),
          state=incident_state),
    # Administration of accounts.
    Route("admin.users", "GET", fixed("/admin/utilisateurs"), gate(ADMIN)),
    Route("admin.new_user", "GET", fixed("/admin/utilisateurs/nouveau"), gate(ADMIN)),
    Route("admin.create_user", "POST", fixed("/admin/utilisateurs/nouveau"),
          gate(ADMIN, INVALID),
          data=lambda w, o: {"login": "intrus", "name": "Intrus", "password": PASSWORD,
                             "role-0": "admin", "scope-0": ""},
          safe=no_data, state=account_state("intrus")),
    Route("admin.user", "GET", fixed(USER), gate(ADMIN)),
    Route("admin.update_profile", "POST", fixed(f"{USER}/identite"), gate(ADMIN, INVALID),
          data=lambda w, o: {"name": "Compte détourné", "email": "intrus@example.org"},
          safe=lambda w, o: {"name": ""}, state=account_state("mairie.gueret")),
    Route("admin.set_grants", "POST", fixed(f"{USER}/habilitations"), gate(ADMIN, INVALID),
          data=lambda w, o: {"role-0": "admin", "scope-0": ""},
          safe=lambda w, o: {"role-0": "inconnu", "scope-0": ""},
          state=account_state("mairie.gueret")),
    Route("admin.reset_password", "POST", fixed(f"{USER}/mot-de-passe"), gate(ADMIN, INVALID),
          data=lambda w, o: {"password": "nouveau-mot-de-passe"},
          safe=lambda w, o: {"password": "court"}, state=account_state("mairie.gueret")),
    Route("admin.deactivate", "POST", fixed("/admin/utilisateurs/agent.jetable/desactiver"),
          gate(ADMIN, MOVED), state=account_state("agent.jetable")),
    Route("admin.reactivate", "POST", fixed("/admin/utilisateurs/ancien.agent/reactiver"),
          gate(ADMIN, MOVED), state=account_state("ancien.agent")),
    # Personal API tokens (every signed-in person's own; every account's for the admin).
    Route("api_tokens.index", "GET", fixed(TOKENS_PAGE), everyone(OK)),
    Route("api_tokens.create", "POST", fixed(TOKENS_PAGE), everyone(INVALID),
          data=lambda w, o: {"name": "Jeton intrus", "days": "30"},
          safe=lambda w, o: {"name": "", "days": "30"}, state=token_count),
    Route("api_tokens.revoke", "POST",
          lambda w, key: f"{TOKENS_PAGE}/{w.api_tokens[key]}/revoquer", on_api_token,
          tuple(API_TOKENS), data=lambda w, o: {"confirmation": "oui"}, safe=no_data,
          state=token_state),
    Route("api_tokens.admin_index", "GET", fixed("/admin/jetons"), gate(ADMIN)),
    # Calls for applications (national team).
    Route("campaigns.index", "GET", fixed("/appels/"), gate(NATIONAL_TEAM)),
    Route("campaigns.new", "GET", fixed("/appels/nouveau"), gate(NATIONAL_TEAM)),
    Route("campaigns.create", "POST", fixed("/appels/nouveau"), gate(NATIONAL_TEAM, INVALID),
          data=lambda w, o: {**CALL_CHANGE, "code": INTRUDING_CALL, "name": "Appel détourné",
                             "process_id": "fabriques_territoire"},
          safe=no_data, state=campaign_state(INTRUDING_CALL)),
    Route("campaigns.show", "GET", fixed(CALL_PATH), gate(NATIONAL_TEAM)),
    Route("campaigns.update", "POST", fixed(CALL_PATH), gate(NATIONAL_TEAM, INVALID),
          data=lambda w, o: CALL_CHANGE, safe=lambda w, o: {**CALL_CHANGE, "envelope": "x"},
          state=campaign_state(MATRIX_CALL["code"])),
    Route("campaigns.open_now", "POST", fixed(f"{CALL_PATH}/ouvrir"), gate(NATIONAL_TEAM, MOVED),
          state=campaign_state(MATRIX_CALL["code"])),
    Route("campaigns.close_now", "POST", fixed(f"{CALL_PATH}/clore"), gate(NATIONAL_TEAM, MOVED),
          state=campaign_state(MATRIX_CALL["code"])),
    # The catalogue of procedures (process owners and administrators).
    Route("processes.index", "GET", fixed("/processus/"), gate(CATALOGUE_READERS)),
    Route("processes.retire", "POST", fixed(f"/processus/{PROCESS}/retirer"),
          gate(OWNERS, MOVED), state=catalogue_state),
    Route("processes.reinstate", "POST", fixed(f"/processus/{RETIRED}/remettre"),
          gate(OWNERS, MOVED), state=catalogue_state),
    Route("processes.show", "GET", fixed(f"/processus/{PROCESS}/"), gate(CATALOGUE_READERS)),
    Route("processes.download", "GET", fixed(f"/processus/{PROCESS}/versions/1.zip"),
          gate(CATALOGUE_READERS)),
    Route("processes.create", "GET", fixed("/processus/nouvelle"), gate(CREATORS)),
    Route("processes.create", "POST", fixed("/processus/nouvelle"), gate(CREATORS, INVALID),
          data=lambda w, o: {"process_id": "procedure_intruse", "name": "Procédure intruse"},
          safe=lambda w, o: {"process_id": "Pas Un Identifiant", "name": "x"},
          state=editing_state),
    Route("processes.import_new", "POST", fixed("/processus/importer"), gate(CREATORS, MOVED),
          state=editing_state),
    Route("processes.import_files", "POST", fixed(f"/processus/{PROCESS}/importer"),
          gate(OWNERS, MOVED), state=editing_state),
    Route("processes.add_owner", "POST", fixed(f"/processus/{PROCESS}/responsables"),
          gate(OWNERS, MOVED), data=lambda w, o: {"login": "responsable.fabriques"},
          safe=lambda w, o: {"login": "mairie.gueret"}, state=editing_state),
    Route("processes.remove_owner", "POST",
          fixed(f"/processus/{PROCESS}/responsables/responsable.processus/retirer"),
          gate(OWNERS, MOVED), state=editing_state),
    # The editor of a procedure's draft (its owners and administrators).
    Route("editor.draft", "GET", fixed(EDITOR), gate(OWNERS)),
    Route("editor.open", "POST", fixed(f"{EDITOR}/ouvrir"), gate(OWNERS, MOVED),
          state=editing_state),
    Route("editor.discard", "POST", fixed(f"{EDITOR}/abandonner"), gate(OWNERS, MOVED),
          state=editing_state),
    Route("editor.content", "GET", fixed(f"{EDITOR}/contenu"), gate(OWNERS)),
    Route("editor.save", "PUT", fixed(f"{EDITOR}/contenu"), gate(OWNERS, INVALID),
          state=editing_state),
    Route("editor.validate", "POST", fixed(f"{EDITOR}/verifier"), gate(OWNERS, INVALID)),
    Route("editor.preview", "POST", fixed(f"{EDITOR}/apercu"), gate(OWNERS, INVALID)),
    Route("editor.review", "GET", fixed(f"{EDITOR}/publier"), gate(OWNERS)),
    Route("editor.publish", "POST", fixed(f"{EDITOR}/publier"), gate(OWNERS, MOVED),
          data=lambda w, o: {"lock_version": str(w.definition_draft["lock_version"])},
          safe=lambda w, o: {"lock_version": "999"}, state=editing_state),
    # Migration plans of running dossiers (the procedure's owners and administrators).
    Route("migrations.index", "GET", fixed(MIGRATIONS), gate(OWNERS)),
    Route("migrations.create", "POST", fixed(MIGRATIONS), gate(OWNERS, INVALID),
          data=lambda w, o: {"source": "2", "cible": "1"},
          safe=lambda w, o: {"source": "1", "cible": "1"}, state=migration_state),
    Route("migrations.show", "GET", plan_path, on_plan, (None, "ailleurs")),
    Route("migrations.save", "POST", fixed(PLAN), gate(OWNERS, INVALID),
          data=lambda w, o: {"cible-qualifier_besoin": "instruire_demande"},
          safe=lambda w, o: {"cible-qualifier_besoin": "rappel_prefet"}, state=migration_state),
    Route("migrations.dry_run", "POST", fixed(f"{PLAN}/essai"), gate(OWNERS, INVALID),
          data=no_data, safe=lambda w, o: {"references": "ING-99-2026-99999"},
          state=migration_state),
    Route("migrations.execute", "POST", fixed(f"{PLAN}/executer"), gate(OWNERS, INVALID),
          data=lambda w, o: {"confirmation": "oui"}, safe=no_data, state=migration_state),
    # Withdrawal, « sans suite », renunciation, cancellation and reduction of a grant.
    *closing_routes(),
)  # fmt: skip


class WrongStatus(AssertionError):
    """The answer's status (or redirect) is not the expected one."""


def expected(route: Route, login: str | None, obj: str | None) -> Expect:
    return route.anonymous if login is None else route.expect(login, obj)


def _cells() -> Iterator[Any]:
    for route in ROUTES:
        for login in LOGINS:
            for obj in route.objects:
                name = f"{route.endpoint}:{route.method}-{login or 'anonyme'}-{obj or 'sans-objet'}"
                yield pytest.param(route, login, obj, id=name)


CELLS = list(_cells())


def test_every_route_is_in_the_matrix(world: World) -> None:
    served = {
        (rule.endpoint, method)
        for rule in world.app.url_map.iter_rules()
        # The API's operations have their matrix: tests/api/test_authorization_matrix.py.
        if not rule.rule.startswith("/api/")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    declared = [(route.endpoint, route.method) for route in ROUTES]
    assert len(declared) == len(set(declared)), "une route déclarée deux fois"
    assert served - set(declared) == set(), "routes sans ligne dans la matrice d'autorisations"
    assert set(declared) - served == set(), "lignes de la matrice sans route"
    # Each row calls the route it names, for each of its objects.
    adapter = world.app.url_map.bind("localhost")
    for route in ROUTES:
        for obj in route.objects:
            path = urlsplit(route.path(world, obj)).path
            endpoint, _ = adapter.match(path, method=route.method)
            assert endpoint == route.endpoint, (route.endpoint, path)


def test_the_matrix_covers_each_role_inside_and_outside_its_scope() -> None:
    """Every scoped person has dossiers they may open and dossiers they may not, and tasks that
    do not exist for them; every route but the public ones refuses someone."""
    for login in LOGINS[1:]:
        if login in NATIONAL:
            continue
        outcomes = {expected(route, login, obj).status for route in ROUTES
                    for obj in route.objects if route.endpoint == "dossiers.show"}  # fmt: skip
        assert outcomes == {200, 404}, login
        tasks = {expected(route, login, key) for route in ROUTES if route.endpoint == "tasks.show"
                 for key in route.objects}  # fmt: skip
        assert HIDDEN in tasks, login
    public = {"home", "health", "static", "assets.vendor", "assets.favicon", "auth.sign_in",
              "auth.proconnect", "auth.proconnect_callback", "auth.sign_out"}  # fmt: skip
    for route in ROUTES:
        if route.endpoint not in public:
            assert any(
                expected(route, login, obj).denied for login in LOGINS for obj in route.objects
            ), route.endpoint
    assert {login for _, login, _ in (cell.values for cell in CELLS)} == set(LOGINS)


@pytest.mark.parametrize(("route", "login", "obj"), CELLS)
def test_cell(world: World, route: Route, login: str | None, obj: str | None) -> None:
    outcome = expected(route, login, obj)
    client = world.client(login, fresh=route.fresh)
    path = route.path(world, obj)
    before = route.state(world, obj) if route.state else None
    if route.method == "GET":
        answer = client.get(path)
    else:
        posted = route.data if outcome.denied or route.safe is None else route.safe
        answer = client.open(
            path, method=route.method,
            data={**posted(world, obj), "csrf_token": world.token(client, login)},
        )  # fmt: skip
    with client.session_transaction() as session:
        session.pop("_flashes", None)
    if outcome.denied:
        if route.state:
            assert route.state(world, obj) == before, f"{path} a changé quelque chose"
        body = answer.get_data(as_text=True)
        for secret in world.secrets(obj):
            assert secret not in body, f"{path} montre « {secret} »"
    status = answer.status_code
    if status != outcome.status:
        raise WrongStatus(f"{route.method} {path} : {status}, attendu {outcome.status}")
    if status in (301, 302, 303):
        target = urlsplit(answer.location).path
        if outcome.back_to_task:
            if target != task_path()(world, obj):
                raise WrongStatus(f"{route.method} {path} → {target}, attendu la page de tâche")
        elif outcome.to is not None:
            if target != outcome.to:
                raise WrongStatus(f"{route.method} {path} → {target}, attendu {outcome.to}")
        elif target == "/connexion":
            raise WrongStatus(f"{route.method} {path} → page de connexion")


# ---------------------------------------------------------------- nothing leaks in lists


SCOPED = ("mairie.gueret", "ardenne.metropole", "prefet.creuse", "prefet.ardennes",
          "expert.cerema")  # fmt: skip
SIGNED_IN = tuple(login for login in LOGINS if login)


def visible(login: str) -> list[str]:
    return [key for key, dossier in DOSSIERS.items() if login in dossier.viewers]


def leaks(world: World, login: str) -> set[str]:
    """The reference, organisation, SIREN and title of every dossier outside the person's scope
    (less what a dossier of theirs shares: Guéret's name for the expert of Guéret's mission)."""
    mine = set(visible(login))
    known = {text for key in mine for text in (world.refs[key], *DOSSIERS[key].secrets())}
    return {
        text
        for key in DOSSIERS
        if key not in mine
        for text in (world.refs[key], *DOSSIERS[key].secrets())
    } - known


def assert_no_leak(world: World, login: str, body: str, where: str) -> None:
    found = sorted(text for text in leaks(world, login) if text in body)
    assert not found, f"{login} lit {found} dans {where}"


def without_query_echo(body: str) -> str:
    """The page less what repeats the person's own query (the search form, the export link)."""
    body = re.sub(r'<form method="get" action="/dossiers/".*?</form>', "", body, flags=re.S)
    return re.sub(r'<p data-testid="export">.*?</p>', "", body, flags=re.S)


def test_the_leak_checks_are_not_empty(world: World) -> None:
    assert leaks(world, "prefet.ardennes") >= {
        world.refs["creuse"], world.refs["mission"], "Commune de Guéret", "212309603"}  # fmt: skip
    assert "Commune de Guéret" not in leaks(world, "expert.cerema")
    assert world.refs["creuse"] in leaks(world, "expert.cerema")
    assert all(not leaks(world, login) for login in NATIONAL)


@pytest.mark.parametrize("login", sorted(STAFF))
def test_the_inbox_lists_and_counts_only_the_tasks_in_scope(world: World, login: str) -> None:
    client = world.client(login)
    mine = [key for key, task in TASKS.items() if task.actor == login]
    refs = sorted(world.refs[TASKS[key].dossier] for key in mine)
    unassigned = sum(1 for key in mine if TASKS[key].assignee is None)
    total = {0: "Aucune tâche à traiter", 1: "1 tâche à traiter"}.get(
        len(mine), f"{len(mine)} tâches à traiter"
    )
    page = client.get("/taches/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert_no_leak(world, login, body, "la corbeille")
    assert sorted(re.findall(r'href="/dossiers/([^"]+)"', body)) == refs
    assert section(page, "total") == total
    assert section(page, "compte-non-attribuees") == f"Non attribuées : {unassigned}"
    assert section(page, "compte-moi") == f"Prises en charge par moi : {len(mine) - unassigned}"
    # The counts of the task filter (« Qualifier le besoin (1) ») add up to the same total.
    kinds = re.search(r'<select class="fr-select" id="filtre-tache".*?</select>', body, re.S)
    assert kinds is not None
    assert sum(int(n) for n in re.findall(r"\((\d+)\)</option>", kinds.group(0))) == len(mine)
    # Filters never widen the scope (the territory filter is only for national inboxes).
    for query in ("territoire=23", "territoire=08", "procedure=demande_ingenierie",
                  "tache=demande_ingenierie:qualifier_besoin", "attribution=personne",
                  "echeance=en_retard", "tri=reference&ordre=desc"):  # fmt: skip
        filtered = client.get(f"/taches/?{query}")
        assert filtered.status_code == 200, query
        assert_no_leak(world, login, filtered.get_data(as_text=True), f"la corbeille ?{query}")
        listed = set(re.findall(r'href="/dossiers/([^"]+)"', filtered.get_data(as_text=True)))
        assert listed <= set(refs), query


@pytest.mark.parametrize("login", sorted(SEARCHERS))
def test_the_search_and_its_export_find_only_the_dossiers_in_scope(
    world: World, login: str
) -> None:
    client = world.client(login)
    mine = {world.refs[key] for key in visible(login)}
    everything = client.get("/dossiers/?")
    assert set(results(everything)) == mine
    assert section(everything, "compte").startswith(f"{len(mine)} dossier")
    assert_no_leak(world, login, everything.get_data(as_text=True), "la recherche")
    assert {row[0] for row in exported(client.get("/dossiers/export.csv"))[1:]} == mine
    # Searched by what identifies each dossier (whole or in part), those outside the scope are
    # never found; those inside are.
    for key in DOSSIERS:
        for name, value in queries(world, key):
            expected_refs = {
                world.refs[other] for other in visible(login) if found_by(world, other, name, value)
            }
            query = f"{name}={quote(value)}"
            answer = client.get(f"/dossiers/?{query}")
            assert answer.status_code == 200, query
            assert set(results(answer)) == expected_refs, (login, query)
            assert section(answer, "compte").startswith(f"{len(expected_refs)} dossier"), query
            assert_no_leak(world, login, without_query_echo(answer.get_data(as_text=True)), query)
            export = client.get(f"/dossiers/export.csv?{query}")
            assert {row[0] for row in exported(export)[1:]} == expected_refs, (login, query)
            assert export.headers["X-Dossiers-Trouves"] == str(len(expected_refs))
            assert_no_leak(world, login, export.get_data(as_text=True), f"l'export ?{query}")


def queries(world: World, key: str) -> list[tuple[str, str]]:
    """The searches that find the dossier `key`: its reference (and its département's prefix,
    « ING-08 »), its organisation's name (and its last word, « Guéret »), SIREN, département."""
    dossier = DOSSIERS[key]
    return [
        ("reference", world.refs[key]),
        ("reference", world.refs[key][:6]),
        ("organisation", dossier.organisation),
        ("organisation", dossier.organisation.split()[-1]),
        ("siren", dossier.where["siren"]),
        ("territoire", dossier.where["territory"]),
    ]


def found_by(world: World, key: str, name: str, value: str) -> bool:
    """Whether the search `name=value` finds the dossier `key` (as engine/service/search.py)."""
    dossier = DOSSIERS[key]
    if name == "reference":
        return value.upper() in world.refs[key]
    if name == "organisation":
        return value.lower() in dossier.organisation.lower()
    return value == dossier.where["siren" if name == "siren" else "territory"]


def exported(answer: Any) -> list[list[str]]:
    assert answer.status_code == 200
    text = answer.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


@pytest.mark.parametrize("login", SIGNED_IN)
def test_notifications_and_their_count_are_the_persons_own(world: World, login: str) -> None:
    client = world.client(login)
    page = client.get("/notifications")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert_no_leak(world, login, body, "les notifications")
    viewer = users.viewer_for(world.services, login)
    own = notifications.list_notifications(world.services, viewer, limit=100)
    unread = sum(1 for notice in own if notice["read_at"] is None)
    badge = f"{unread} non lue{'s' if unread > 1 else ''}"
    assert (section(page, "non-lues") if unread else "") == (badge if unread else "")
    assert body.count('class="fr-card__title"') == len(own)
    if login.startswith("prefet."):
        key = "creuse" if login == "prefet.creuse" else "ardennes"
        assert world.refs[key] in body  # the préfet is told of their département's dossier


@pytest.mark.parametrize("login", sorted(AUTHORITIES))
def test_the_portal_shows_only_the_authoritys_own_dossiers_and_drafts(
    world: World, login: str
) -> None:
    page = world.client(login).get("/portail/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert_no_leak(world, login, body, "le portail")
    assert set(re.findall(r'href="/dossiers/([^"]+)"', section_html(body, "mes-dossiers"))) == {
        world.refs[key] for key in visible(login)
    }
    assert DRAFTS[login] in section(page, "brouillons")
    assert not [title for owner, title in DRAFTS.items() if owner != login and title in body]


def section_html(body: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}".*?</table>', body, re.S)
    assert found, testid
    return found.group(0)


@pytest.mark.parametrize("login", SCOPED)
def test_the_dossier_pages_in_scope_show_nothing_of_the_others(world: World, login: str) -> None:
    client = world.client(login)
    for key in visible(login):
        page = client.get(f"/dossiers/{world.refs[key]}")
        assert page.status_code == 200
        assert_no_leak(world, login, page.get_data(as_text=True), f"le dossier {key}")


def test_a_task_is_handed_only_to_colleagues_of_its_scope(world: World) -> None:
    page = world.client("prefet.creuse").get(f"/taches/{world.tasks['qualifier_creuse']}")
    body = page.get_data(as_text=True)
    assert "agent.creuse" in body and "Agnès Durand" in body
    for other in ("agent.ardennes", "Hugo Lambert", "prefet.ardennes", "anct.national"):
        assert other not in body

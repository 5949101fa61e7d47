"""Authorization of the API, as a matrix: every operation × every demo account (and no token)
× an object inside and outside the person's scope — on the world of the pages' matrix
(tests/web/test_authorization_matrix.py: five dossiers, their tasks, the préfets'
notifications), with the same rules: a préfet reaches only their département, an authority its
own dossiers, an expert their missions, national roles everything, the admin acts in no dossier.

A refused cell answers its problem (401 without a token, 403 for a role refused, 404 for an
object outside the scope), changes nothing, and shows nothing of the object: neither its
organisation, nor its SIREN, nor its title. `test_every_operation_is_in_the_matrix` fails when
an API route is added without its row here.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from engine.service.people import tokens
from engine.service.viewer import Viewer
from tests.api.conftest import PROBLEM
from tests.files import PDF
from tests.web import test_authorization_matrix as pages
from tests.web.test_authorization_matrix import DOSSIERS, LOGINS, TASKS, World, task_access

#: The pages' matrix world (built once for this module too), put back after each cell.
world = pages.world
put_back = pages.put_back

CATALOGUE_READERS = frozenset(
    {"anct.national", "responsable.processus", "responsable.fabriques", "admin"}
)
AUTHORITIES = frozenset({"mairie.gueret", "ardenne.metropole"})
#: Owners of the engineering request (and the admin): who may validate and publish it.
OWNERS = frozenset({"responsable.processus", "admin"})
PROCESS = "demande_ingenierie"
PLANS = f"/api/v1/processes/{PROCESS}/migrations"

Expect = Callable[[str, Any], int]


@dataclass(frozen=True)
class Operation:
    endpoint: str
    method: str
    path: Callable[[World, Any], str]
    expect: Expect
    objects: tuple[Any, ...] = (None,)
    body: Callable[[World, Any], Any] | None = None
    files: bool = False
    #: Whether a cell may leave a change behind (published nothing new, staged a file…).
    changes: bool = False


def fixed(path: str) -> Callable[[World, Any], str]:
    return lambda world, obj: path


def everyone(status: int) -> Expect:
    return lambda login, obj: status


def gate(allowed: frozenset[str], ok: int = 200, refused: int = 403) -> Expect:
    return lambda login, obj: ok if login in allowed else refused


def on_dossier(login: str, key: str) -> int:
    return 200 if login in DOSSIERS[key].viewers else 404


def on_task(allowed: int, *, supervised: int = 403) -> Expect:
    """The task's actor gets `allowed`; in scope under another role, 403; outside, 404."""

    def expect(login: str, key: str) -> int:
        access = task_access(login, key)
        return {"act": allowed, "see": 403, "hidden": 404, "supervise": supervised}[access]

    return expect


def releasing(login: str, key: str) -> int:
    """A task handed to its actor by name cannot be given back (409); the rest as on_task."""
    if task_access(login, key) == "act" and TASKS[key].assignee is not None:
        return 409
    return on_task(200)(login, key)


def assigning(login: str, key: str) -> int:
    """Handing a task on: préfets and the national team for their tasks, the national team for
    the experts' missions; an authority or an expert may not (403)."""
    if task_access(login, key) == "act" and not TASKS[key].assignable:
        return 403
    return on_task(200, supervised=200)(login, key)


def task(suffix: str = "") -> Callable[[World, Any], str]:
    return lambda world, key: f"/api/v1/tasks/{world.tasks[key]}{suffix}"


def current_files(world: World, obj: Any) -> dict[str, Any]:
    found = world.app.test_client().get(
        f"/api/v1/processes/{PROCESS}/versions/2/files",
        headers={"Authorization": f"Bearer {_token(world, 'admin')}"},
    )
    return {"files": {f["name"]: f["content"] for f in found.get_json()}}


def own_notice(login: str, owner: str) -> int:
    return 200 if login == owner else 404


DOSSIER_KEYS = tuple(DOSSIERS)
TASK_KEYS = tuple(TASKS)
FILABLE = frozenset(AUTHORITIES)
OPERATIONS = (
    Operation("api_health.health", "GET", fixed("/api/v1/health"), everyone(200)),
    Operation("api-docs.openapi_json", "GET", fixed("/api/v1/openapi.json"), everyone(200)),
    Operation("api_docs", "GET", fixed("/api/v1/docs"), everyone(200)),
    Operation("api_processes.list_processes", "GET", fixed("/api/v1/processes"), everyone(200)),
    Operation("api_processes.get_process", "GET", fixed(f"/api/v1/processes/{PROCESS}"),
              gate(CATALOGUE_READERS | FILABLE, refused=404)),
    Operation("api_processes.list_versions", "GET", fixed(f"/api/v1/processes/{PROCESS}/versions"),
              gate(CATALOGUE_READERS)),
    Operation("api_processes.list_files", "GET",
              fixed(f"/api/v1/processes/{PROCESS}/versions/1/files"), gate(CATALOGUE_READERS)),
    Operation("api_processes.validate_files", "POST", fixed(f"/api/v1/processes/{PROCESS}/validate"),
              gate(OWNERS), body=current_files),
    # The world keeps a draft open in the editor: publishing through the API would overwrite
    # it, so even its owners are refused, as a conflict.
    Operation("api_processes.publish_version", "POST", fixed(f"/api/v1/processes/{PROCESS}/versions"),
              gate(OWNERS, ok=409), body=current_files),
    # The world's plan n° 1 (v1 → v2 of the engineering request); the bodies are refused
    # (422) for the owners, so that no cell changes the plan or migrates a dossier.
    Operation("api_migrations.list_plans", "GET", fixed(PLANS), gate(OWNERS)),
    Operation("api_migrations.create_plan", "POST", fixed(PLANS), gate(OWNERS, ok=422),
              body=lambda w, o: {"source_version": 1, "target_version": 1}),
    Operation("api_migrations.show_plan", "GET", fixed(f"{PLANS}/1"), gate(OWNERS)),
    Operation("api_migrations.update_plan", "PUT", fixed(f"{PLANS}/1"), gate(OWNERS, ok=422),
              body=lambda w, o: {"mapping": {"inconnu": "qualifier_besoin"}}),
    Operation("api_migrations.start_run", "POST", fixed(f"{PLANS}/1/runs"),
              gate(OWNERS, ok=422), body=lambda w, o: {"mode": "dry_run", "territory": "2A"}),
    Operation("api_dossiers.create", "POST", fixed("/api/v1/dossiers"),
              gate(AUTHORITIES, ok=422), body=lambda w, o: {"process_id": PROCESS, "data": {}}),
    Operation("api_dossiers.search", "GET", fixed("/api/v1/dossiers"), everyone(200)),
    Operation("api_dossiers.show", "GET", lambda w, key: f"/api/v1/dossiers/{w.refs[key]}",
              on_dossier, DOSSIER_KEYS),
    Operation("api_files.upload", "POST", fixed("/api/v1/files"), everyone(201), files=True,
              changes=True),
    Operation("api_tasks.inbox", "GET", fixed("/api/v1/tasks"), everyone(200)),
    Operation("api_tasks.show", "GET", task(), on_task(200, supervised=200), TASK_KEYS),
    Operation("api_tasks.complete", "POST", task("/complete"), on_task(422), TASK_KEYS,
              body=lambda w, key: {"data": {}}),
    Operation("api_tasks.claim", "POST", task("/claim"), on_task(200), TASK_KEYS),
    Operation("api_tasks.release", "POST", task("/release"), releasing, TASK_KEYS),
    Operation("api_tasks.assign", "POST", task("/assign"), assigning, TASK_KEYS,
              body=lambda w, key: {"login": TASKS[key].hand_to}),
    Operation("api_notifications.index", "GET", fixed("/api/v1/notifications"), everyone(200)),
    Operation("api_notifications.mark_read", "POST",
              lambda w, owner: f"/api/v1/notifications/{w.notices[owner]}/read", own_notice,
              ("prefet.creuse", "prefet.ardennes")),
)  # fmt: skip
PUBLIC = {"api_health.health", "api-docs.openapi_json", "api_docs"}
_TOKENS: dict[tuple[int, str], str] = {}


def _token(world: World, login: str) -> str:
    key = (id(world), login)
    if key not in _TOKENS:
        _TOKENS[key] = tokens.create(
            world.services, Viewer.command_line(), login, name="matrice API"
        ).secret
    return _TOKENS[key]


def _cells():
    for operation in OPERATIONS:
        for login in LOGINS:
            for obj in operation.objects:
                name = f"{operation.endpoint}-{login or 'sans-jeton'}-{obj or 'sans-objet'}"
                yield pytest.param(operation, login, obj, id=name)


def test_every_operation_is_in_the_matrix(world: World) -> None:
    served = {
        (rule.endpoint, method)
        for rule in world.app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    declared = {(operation.endpoint, operation.method) for operation in OPERATIONS}
    assert served == declared


@pytest.mark.parametrize(("operation", "login", "obj"), list(_cells()))
def test_cell(world: World, operation: Operation, login: str | None, obj: Any) -> None:
    app_client = world.app.test_client()
    headers = {"Authorization": f"Bearer {_token(world, login)}"} if login else {}
    world.app.extensions["anct_limiter"].enabled = False
    kwargs: dict[str, Any] = {}
    if operation.body is not None:
        kwargs["json"] = operation.body(world, obj)
    if operation.files:
        kwargs["data"] = {"file": (io.BytesIO(PDF), "piece.pdf")}
        kwargs["content_type"] = "multipart/form-data"
    response = app_client.open(
        operation.path(world, obj), method=operation.method, headers=headers, **kwargs
    )
    anonymous = login is None and operation.endpoint not in PUBLIC
    expected = 401 if anonymous else operation.expect(login or "", obj)
    assert response.status_code == expected, response.get_data(as_text=True)[:400]
    if expected >= 400:
        assert response.mimetype == PROBLEM, response.mimetype
    if expected in (401, 403, 404) and obj in DOSSIERS:
        text = response.get_data(as_text=True)
        for secret in DOSSIERS[obj].secrets():
            assert secret not in text

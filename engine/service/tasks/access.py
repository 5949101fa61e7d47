"""Who may act on a task, hand it out or assign it: the checks every task command and page
shares."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from ...errors import Conflict, Forbidden, NotFound
from ...roles import ASSIGNED_ONLY, EQUIPE_NATIONALE, PREFET
from ...store import tasks as store
from ...store.instances import load_task
from ...store.tasks import OPEN
from ..viewer import Viewer

#: Roles whose holders may hand one of their tasks to a colleague of the same role and scope.
ASSIGNING_ROLES = frozenset({PREFET, EQUIPE_NATIONALE})


def supervises(viewer: Viewer, task: Any) -> bool:
    """Whether the viewer hands out the tasks of a role that works only on what it is given
    (the national team gives experts their missions): they see such a task and may assign it
    to another holder of the role, without acting on it themselves."""
    return task.role in ASSIGNED_ONLY and any(
        g.role == EQUIPE_NATIONALE and g.covers(task.territory, task.siren) for g in viewer.grants
    )


def open_task(
    connection: Connection, viewer: Viewer, task_id: str, *, supervising: bool = False
) -> tuple[Any, Any]:
    """The task (and its instance) if this viewer may act on it now (or, `supervising`, hand
    it out: see `supervises`)."""
    found = load_task(connection, task_id)
    # Experts see the tasks assigned to them only (any other task of any territory does not
    # exist for them); the others, what their territory or organisation covers.
    if found is None or not viewer.may_see(
        found[0].territory, found[0].siren, assigned=found[0].assignee == viewer.login
    ):
        raise NotFound(f"Tâche introuvable : « {task_id} ».")
    task, instance = found
    if supervising and supervises(viewer, task):
        if task.status != OPEN:
            raise Conflict(f"La tâche « {task.name} » a déjà été traitée.")
        return task, instance
    if (
        task.role in ASSIGNED_ONLY
        and not supervises(viewer, task)
        and not viewer.may_act(task.role, task.territory, task.siren, task.assignee)
    ):
        raise NotFound(f"Tâche introuvable : « {task_id} ».")
    if task.status != OPEN:
        raise Conflict(f"La tâche « {task.name} » a déjà été traitée.")
    if not viewer.may_act(task.role, task.territory, task.siren, task.assignee):
        raise Forbidden(f"Votre rôle ne permet pas de traiter la tâche « {task.name} ».")
    return task, instance


def may_assign(viewer: Viewer, task: Any) -> bool:
    return task.status == OPEN and (
        viewer.operator
        or supervises(viewer, task)
        or (
            task.role in ASSIGNING_ROLES
            and viewer.may_act(task.role, task.territory, task.siren, task.assignee)
        )
    )


def colleagues_of(connection: Connection, task: Any) -> list[tuple[str, str]]:
    """Active accounts holding the task's role over its territory or organisation."""
    return store.holders(connection, task.role, task.territory, task.siren)

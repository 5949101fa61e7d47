"""Human tasks: the inbox of a user, claiming, releasing and completing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, or_, select, update

from ..errors import Conflict, Forbidden, InvalidInput, NotFound, ProcessIncident
from ..forms import validate_submission
from ..runtime import snapshot
from ..store.models import AuditEvent, HumanTask, ProcessInstance
from . import steps
from .context import Services
from .instances import _task_dict, mark_incident
from .operators import step_context
from .validation import check_data
from .viewer import ASSIGNED_ONLY, Viewer

OPEN = "ouverte"
OVERDUE, THIS_WEEK = "en_retard", "cette_semaine"


@dataclass(frozen=True)
class TaskFilter:
    role: str | None = None
    territory: str | None = None
    process_id: str | None = None
    assignee: str | None = None
    #: "en_retard" (due date passed) or "cette_semaine" (due within 7 days, not yet overdue).
    due: str | None = None
    limit: int = 200
    offset: int = 0


def list_tasks(
    services: Services, viewer: Viewer, filters: TaskFilter | None = None
) -> list[dict[str, Any]]:
    """Open tasks the viewer may act on, oldest due first (tasks without due date last)."""
    filters = filters or TaskFilter()
    query = (
        select(HumanTask.__table__, ProcessInstance.reference)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(HumanTask.status == OPEN, viewer.task_filter())
    )
    if filters.role:
        query = query.where(HumanTask.role == filters.role)
    if filters.territory:
        query = query.where(
            HumanTask.territory == services.territories.departement(filters.territory).code
        )
    if filters.process_id:
        query = query.where(HumanTask.process_id == filters.process_id)
    if filters.assignee:
        query = query.where(HumanTask.assignee == filters.assignee)
    now = services.clock.now()
    if filters.due == OVERDUE:
        query = query.where(HumanTask.due_at < now)
    elif filters.due == THIS_WEEK:
        query = query.where(HumanTask.due_at >= now, HumanTask.due_at < now + timedelta(days=7))
    elif filters.due is not None:
        raise InvalidInput(
            f"Filtre d'échéance inconnu : « {filters.due} » (attendu : {OVERDUE}, {THIS_WEEK})."
        )
    query = query.order_by(
        HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at, HumanTask.id
    )
    query = query.limit(filters.limit).offset(filters.offset)
    with services.read() as connection:
        return [_task_dict(row, row.reference, now) for row in connection.execute(query)]


def _open_task(connection: Connection, viewer: Viewer, task_id: str) -> tuple[Any, Any]:
    """The task (and its instance) if this viewer may act on it now."""
    found = steps.load_task(connection, task_id)
    if found is None or not viewer.may_see(found[0].territory, found[0].siren):
        raise NotFound(f"Tâche introuvable : « {task_id} ».")
    task, instance = found
    if task.role in ASSIGNED_ONLY and not viewer.may_act(
        task.role, task.territory, task.siren, task.assignee
    ):
        raise NotFound(f"Tâche introuvable : « {task_id} ».")
    if task.status != OPEN:
        raise Conflict(f"La tâche « {task.name} » a déjà été traitée.")
    if not viewer.may_act(task.role, task.territory, task.siren, task.assignee):
        raise Forbidden(f"Votre rôle ne permet pas de traiter la tâche « {task.name} ».")
    return task, instance


_ASSIGN = (
    update(HumanTask.__table__)
    .where(HumanTask.id == bindparam("task_id"), HumanTask.status == OPEN)
    .values(assignee=bindparam("assignee"))
)
_INSERT_AUDIT = insert(AuditEvent.__table__)


def _audit(connection: Connection, task: Any, lock: int, kind: str, actor: str, at: Any) -> None:
    connection.execute(
        _INSERT_AUDIT,
        {
            "instance_id": task.instance_id, "at": at, "actor": actor, "kind": kind,
            "task_id": task.id, "bpmn_id": task.bpmn_id, "label": task.name,
            "changes": None, "lock_version": lock,
        },
    )  # fmt: skip


def claim(services: Services, viewer: Viewer, task_id: str) -> None:
    """Take a task for oneself; refused if a colleague already holds it."""
    with services.write() as connection:
        task, instance = _open_task(connection, viewer, task_id)
        taken = connection.execute(
            _ASSIGN.where(or_(HumanTask.assignee.is_(None), HumanTask.assignee == viewer.login)),
            {"task_id": task.id, "assignee": viewer.login},
        )
        if taken.rowcount != 1:
            raise Conflict(
                f"La tâche « {task.name} » est déjà prise en charge par {task.assignee}."
            )
        _audit(
            connection,
            task,
            instance.lock_version,
            "tache_prise",
            viewer.login,
            services.clock.now(),
        )


def release(services: Services, viewer: Viewer, task_id: str) -> None:
    with services.write() as connection:
        task, instance = _open_task(connection, viewer, task_id)
        if task.assignee not in (None, viewer.login) and not viewer.operator:
            raise Forbidden(f"La tâche « {task.name} » est prise en charge par {task.assignee}.")
        connection.execute(_ASSIGN, {"task_id": task.id, "assignee": None})
        _audit(
            connection,
            task,
            instance.lock_version,
            "tache_liberee",
            viewer.login,
            services.clock.now(),
        )


def complete(
    services: Services, viewer: Viewer, task_id: str, data: dict[str, Any] | None = None
) -> str:
    """Complete a task with data and run the engine to the next wait; returns the reference.

    Two people completing the same task, or any two steps racing on one instance: the first
    wins, the other gets Conflict and nothing of theirs is written.
    """
    data = check_data(data or {}, "données de la tâche")
    instance = None
    try:
        with services.write() as connection, step_context(connection, services.clock):
            task, instance = _open_task(connection, viewer, task_id)
            if task.assignee and task.assignee != viewer.login and not viewer.operator:
                raise Conflict(f"La tâche « {task.name} » est prise en charge par {task.assignee}.")
            if task.form_ref:
                validator = services.form_validator(
                    instance.process_version_id, task.form_ref, connection
                )
                data = validate_submission(validator, data, task.name)
            workflow = steps.open_workflow(services, instance, connection)
            before = snapshot.take(workflow)
            if task.id not in before.tasks:
                raise Conflict(f"La tâche « {task.name} » n'est plus à traiter.")
            log = services.runner.complete(workflow, task.id, data)
            audit = [
                {"kind": "tache_terminee", "actor": viewer.login, "task_id": task.id,
                 "bpmn_id": task.bpmn_id, "label": task.name}
            ]  # fmt: skip
            steps.commit(
                services, connection, instance, workflow, before, log,
                actor=viewer.login, now=services.clock.now(), completed_task=task.id, audit=audit,
            )  # fmt: skip
    except ProcessIncident as error:
        if instance is not None:
            mark_incident(services, instance, error, viewer.login)
        raise
    return instance.reference

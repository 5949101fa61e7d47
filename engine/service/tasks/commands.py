"""What people do with a task: claim it, release it, assign it to a colleague, complete it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from ...errors import Conflict, Forbidden, InvalidInput
from ...forms import validate_submission
from ...forms.natures import DossierOrganisation
from ...forms.people import person_roles
from ...roles import ASSIGNED_ONLY
from ...store import people as people_store
from ...store import tasks as store
from ..context import Services
from ..data_checks import check_data
from ..dossiers import attachments
from ..people import accounts
from ..unit_of_work import unit_of_work
from ..viewer import Viewer
from .access import OPEN, colleagues_of, may_assign, open_task


def _audit(
    connection: Connection, task: Any, lock: int, kind: str, actor: str, at: Any,
    label: str | None = None,
) -> None:  # fmt: skip
    store.insert_audit(
        connection,
        {
            "instance_id": task.instance_id, "at": at, "actor": actor, "kind": kind,
            "task_id": task.id, "bpmn_id": task.bpmn_id, "label": (label or task.name)[:300],
            "changes": None, "lock_version": lock,
        },
    )  # fmt: skip


def claim(services: Services, viewer: Viewer, task_id: str) -> None:
    """Take a task for oneself; refused if a colleague already holds it."""
    with services.write() as connection:
        task, instance = open_task(connection, viewer, task_id)
        if not store.take(connection, task.id, viewer.login):
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


def _active(connection: Connection, login: str | None) -> bool:
    if not login:
        return False
    found = people_store.user_row(connection, login)
    return found is not None and bool(found.active)


def _released_to(connection: Connection, task: Any) -> str | None:
    """Where a released task goes: back to the person the procedure designated if someone
    else holds it, else to the role's inbox in its scope. A task of a role that works only on
    what it is given (experts) cannot go to an inbox, where nobody would see it: released by
    its designated holder, it is refused (the national team gives it to another expert)."""
    if (
        task.designated
        and task.designated != task.assignee
        and _active(connection, task.designated)
    ):
        return task.designated
    if task.role in ASSIGNED_ONLY:
        raise Conflict(
            f"La tâche « {task.name} » vous a été confiée nommément : elle ne peut pas être "
            "remise à disposition. Pour qu'une autre personne la traite, demandez à l'équipe "
            "nationale de la lui confier."
        )
    return None


def releasable(task: Any, viewer: Viewer) -> bool:
    """Whether « Remettre à disposition » does something for this viewer: they hold the task
    and releasing gives it to someone who can pick it up."""
    if task.status != OPEN or task.assignee is None:
        return False
    if task.assignee != viewer.login and not viewer.operator:
        return False
    designated = getattr(task, "designated", None)
    return task.role not in ASSIGNED_ONLY or bool(designated and designated != task.assignee)


def release(services: Services, viewer: Viewer, task_id: str) -> str | None:
    """Give back a task one holds; returns the login it went back to (None: the role's inbox)."""
    with services.write() as connection:
        task, instance = open_task(connection, viewer, task_id)
        if task.assignee not in (None, viewer.login) and not viewer.operator:
            raise Forbidden(f"La tâche « {task.name} » est prise en charge par {task.assignee}.")
        if task.assignee is None:
            return None
        target = _released_to(connection, task)
        store.set_assignee(connection, task.id, target)
        label = task.name if target is None else f"{task.name} — rendue à {target}"
        _audit(
            connection, task, instance.lock_version, "tache_liberee", viewer.login,
            services.clock.now(), label=label,
        )  # fmt: skip
    return target


def complete(
    services: Services, viewer: Viewer, task_id: str, data: dict[str, Any] | None = None
) -> str:
    """Complete a task with data and run the engine to the next wait; returns the reference.

    Two people completing the same task, or any two steps racing on one instance: the first
    wins, the other gets Conflict and nothing of theirs is written.
    """
    data = check_data(data or {}, "données de la tâche")
    with unit_of_work(services, actor=viewer.login) as work:
        connection = work.connection
        task, instance = open_task(connection, viewer, task_id)
        if task.assignee and task.assignee != viewer.login and not viewer.operator:
            raise Conflict(f"La tâche « {task.name} » est prise en charge par {task.assignee}.")
        files: list[attachments.Claimed] = []
        if task.form_ref:
            validator = services.form_validator(
                instance.process_version_id, task.form_ref, connection
            )
            data, files = attachments.claim(
                connection, validator.schema, data, owner=viewer.login,
                any_owner=viewer.operator, instance_id=instance.id,
            )  # fmt: skip
            people = accounts.people_by_role(connection, person_roles(validator.schema))
            active = {role: {login for login, _ in found} for role, found in people.items()}
            dossier = DossierOrganisation(services.territories, instance.siren)
            data = validate_submission(
                validator, data, task.name, people=active, organisation=dossier
            )
        work.open(instance)
        if task.id not in work.before.tasks:
            raise Conflict(f"La tâche « {task.name} » n'est plus à traiter.")
        log = work.complete(task.id, data)
        audit = [
            {"kind": "tache_terminee", "actor": viewer.login, "task_id": task.id,
             "bpmn_id": task.bpmn_id, "label": task.name}
        ]  # fmt: skip
        _, lock = work.save(log, completed_task=task.id, audit=audit)
        attachments.attach(
            connection, files, instance_id=instance.id, lock_version=lock,
            actor=viewer.login, now=services.clock.now(), task_id=task.id,
            bpmn_id=task.bpmn_id, task_name=task.name,
        )  # fmt: skip
    return instance.reference


def assign(services: Services, viewer: Viewer, task_id: str, login: str) -> str:
    """Hand an open task to a colleague holding its role over its scope; returns their name.

    Préfets and the national team may do so for their tasks (whoever holds the task now); the
    colleague is told by a notification.
    """
    login = (login or "").strip().lower()
    with services.write() as connection:
        task, instance = open_task(connection, viewer, task_id, supervising=True)
        if not may_assign(viewer, task):
            raise Forbidden(
                f"Votre rôle ne permet pas de confier la tâche « {task.name} » à un collègue."
            )
        if not login:
            raise InvalidInput(
                "Choisissez la personne à qui confier la tâche.",
                fields={"login": "Choisissez la personne à qui confier la tâche."},
            )
        names = dict(colleagues_of(connection, task))
        if login not in names:
            message = (
                f"« {login} » ne peut pas recevoir la tâche « {task.name} » : il faut le même "
                "rôle sur le même territoire."
            )
            raise InvalidInput(message, fields={"login": message})
        if task.assignee == login:
            return names[login]
        store.set_assignee(connection, task.id, login)
        now = services.clock.now()
        _audit(
            connection, task, instance.lock_version, "tache_assignee", viewer.login, now,
            label=f"{task.name} — confiée à {names[login]}",
        )  # fmt: skip
        if login != viewer.login:
            account = people_store.user_row(connection, viewer.login)
            actor = account.name if account is not None else None
            store.insert_notification(
                connection,
                {
                    "login": login, "instance_id": instance.id, "task_id": task.id,
                    "kind": "tache_confiee",
                    "subject": f"Tâche confiée : {task.name} ({instance.reference})"[:300],
                    "body": f"{actor or viewer.login} vous a confié la tâche « {task.name} » "
                            f"du dossier {instance.reference}.",
                    "link": f"{services.base_url.rstrip('/')}/taches/{task.id}",
                    "created_at": now, "read_at": None,
                },
            )  # fmt: skip
    return names[login]

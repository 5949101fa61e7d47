"""Human tasks: the inbox of a user and its counts, the task page, claiming, releasing,
assigning to a colleague and completing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    true,
    update,
)

from ..errors import Conflict, Forbidden, InvalidInput, NotFound, ProcessIncident
from ..forms import validate_submission
from ..forms.people import person_roles
from ..forms.prefill import prefilled
from ..roles import EQUIPE_NATIONALE, PREFET
from ..runtime import snapshot
from ..store.models import (
    AuditEvent,
    HumanTask,
    Notification,
    ProcessInstance,
    ProcessVersion,
    User,
    UserGrant,
)
from . import attachments, steps, users
from .context import Services
from .instances import _task_dict, mark_incident
from .operators import step_context
from .task_names import kind_name
from .validation import check_data
from .viewer import ASSIGNED_ONLY, Viewer
from .visibility import visible_data

OPEN = "ouverte"
OVERDUE, THIS_WEEK = "en_retard", "cette_semaine"
#: Orders of an inbox: by due date (the default), by creation, by dossier reference.
BY_DUE, BY_CREATION, BY_REFERENCE = "echeance", "creation", "reference"
ORDERS = (BY_DUE, BY_CREATION, BY_REFERENCE)
#: Roles whose holders may hand one of their tasks to a colleague of the same role and scope.
ASSIGNING_ROLES = frozenset({PREFET, EQUIPE_NATIONALE})
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class TaskFilter:
    role: str | None = None
    territory: str | None = None
    process_id: str | None = None
    #: The task's element in its procedure (`qualifier_besoin`).
    bpmn_id: str | None = None
    assignee: str | None = None
    #: Only the tasks nobody has taken.
    unassigned: bool = False
    #: "en_retard" (due date passed) or "cette_semaine" (due within 7 days, not yet overdue).
    due: str | None = None
    #: "echeance" (tasks without due date last), "creation" or "reference".
    order: str = BY_DUE
    descending: bool = False
    limit: int = 200
    offset: int = 0


@dataclass(frozen=True)
class TaskCounts:
    """How many open tasks of the viewer's inbox match, and how many each quick filter would
    show: the due filters keep the current assignment filter and the other way round (each
    count is what clicking its tag gives)."""

    total: int
    overdue: int
    this_week: int
    mine: int
    unassigned: int


def _due_condition(due: str | None, now: datetime) -> ColumnElement[bool] | None:
    if due is None:
        return None
    if due == OVERDUE:
        return HumanTask.due_at < now
    if due == THIS_WEEK:
        return and_(HumanTask.due_at >= now, HumanTask.due_at < now + WEEK)
    raise InvalidInput(f"Filtre d'échéance inconnu : « {due} » (attendu : {OVERDUE}, {THIS_WEEK}).")


def _assignment_condition(filters: TaskFilter) -> ColumnElement[bool] | None:
    if filters.assignee:
        return HumanTask.assignee == filters.assignee
    if filters.unassigned:
        return HumanTask.assignee.is_(None)
    return None


def _scope_conditions(
    services: Services, viewer: Viewer, filters: TaskFilter
) -> list[ColumnElement[bool]]:
    """Open tasks of the viewer's inbox, narrowed by role, territory, procedure and task."""
    conditions = [HumanTask.status == OPEN, viewer.task_filter()]
    if filters.role:
        conditions.append(HumanTask.role == filters.role)
    if filters.territory:
        code = services.territories.departement(filters.territory).code
        conditions.append(HumanTask.territory == code)
    if filters.process_id:
        conditions.append(HumanTask.process_id == filters.process_id)
    if filters.bpmn_id:
        conditions.append(HumanTask.bpmn_id == filters.bpmn_id)
    return conditions


def _order_by(filters: TaskFilter) -> list[Any]:
    if filters.order not in ORDERS:
        raise InvalidInput(f"Tri inconnu : « {filters.order} » (attendu : {', '.join(ORDERS)}).")
    column = {
        BY_DUE: HumanTask.due_at,
        BY_CREATION: HumanTask.created_at,
        BY_REFERENCE: ProcessInstance.reference,
    }[filters.order]
    direction = column.desc() if filters.descending else column.asc()
    nulls_last = [HumanTask.due_at.is_(None)] if filters.order == BY_DUE else []
    return [*nulls_last, direction, HumanTask.created_at, HumanTask.id]


_ASSIGNEE = User.__table__.alias("assignee_account")


def _task_rows(*columns: Any) -> Any:
    """Tasks with what inboxes and the task page show of them: the dossier's reference and
    requesting authority, the procedure's name and the name of whoever holds the task."""
    return (
        select(
            HumanTask.__table__,
            ProcessInstance.reference,
            ProcessInstance.organisation,
            ProcessVersion.name.label("process_name"),
            _ASSIGNEE.c.name.label("assignee_name"),
            *columns,
        )
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .join(_ASSIGNEE, _ASSIGNEE.c.login == HumanTask.assignee, isouter=True)
    )


def list_tasks(
    services: Services, viewer: Viewer, filters: TaskFilter | None = None
) -> list[dict[str, Any]]:
    """Open tasks the viewer may act on, oldest due first (tasks without due date last).

    Each task carries its dossier's reference (`instance`), requesting authority
    (`organisation`), procedure name, territory label and the name of whoever holds it.
    """
    filters = filters or TaskFilter()
    now = services.clock.now()
    conditions = _scope_conditions(services, viewer, filters)
    for extra in (_due_condition(filters.due, now), _assignment_condition(filters)):
        if extra is not None:
            conditions.append(extra)
    query = (
        _task_rows()
        .where(*conditions)
        .order_by(*_order_by(filters))
        .limit(filters.limit)
        .offset(filters.offset)
    )
    with services.read() as connection:
        rows = connection.execute(query).all()
    return [_inbox_dict(services, row, now) for row in rows]


def _inbox_dict(services: Services, row: Any, now: datetime) -> dict[str, Any]:
    return {
        **_task_dict(row, row.reference, now),
        "organisation": row.organisation,
        "process_name": row.process_name,
        "territory_label": services.territories.label(row.territory),
        "assignee_name": row.assignee_name,
    }


def _sum(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def count_tasks(
    services: Services, viewer: Viewer, filters: TaskFilter | None = None
) -> TaskCounts:
    """The counts of the viewer's inbox under these filters, in one statement; never a task
    outside the viewer's scope (the same condition as `list_tasks`)."""
    filters = filters or TaskFilter()
    now = services.clock.now()
    due = _due_condition(filters.due, now)
    due = true() if due is None else due
    assigned = _assignment_condition(filters)
    assigned = true() if assigned is None else assigned
    query = select(
        _sum(and_(due, assigned)),
        _sum(and_(_due_condition(OVERDUE, now), assigned)),
        _sum(and_(_due_condition(THIS_WEEK, now), assigned)),
        _sum(and_(HumanTask.assignee == viewer.login, due)),
        _sum(and_(HumanTask.assignee.is_(None), due)),
    ).where(*_scope_conditions(services, viewer, filters))
    with services.read() as connection:
        row = connection.execute(query).one()
    return TaskCounts(*(int(value or 0) for value in row))


@dataclass(frozen=True)
class TaskKind:
    """A task of a procedure that has open tasks in the viewer's inbox, with how many."""

    process_id: str
    process_name: str
    bpmn_id: str
    name: str
    count: int


@dataclass(frozen=True)
class InboxFacets:
    """What an inbox can be filtered by: the kinds of task in it, and its territories."""

    kinds: list[TaskKind]
    #: (code, « Creuse (23) », count), by code.
    territories: list[tuple[str, str, int]] = field(default_factory=list)

    def procedures(self) -> list[tuple[str, str, int]]:
        """(process id, name, count) of the procedures with open tasks, by name."""
        totals: dict[tuple[str, str], int] = {}
        for kind in self.kinds:
            key = (kind.process_id, kind.process_name)
            totals[key] = totals.get(key, 0) + kind.count
        return sorted(((p, n, c) for (p, n), c in totals.items()), key=lambda t: t[1])


def inbox_facets(services: Services, viewer: Viewer, *, territories: bool = False) -> InboxFacets:
    """The procedures, tasks (and territories, if asked) of the viewer's open tasks."""
    scope = [HumanTask.status == OPEN, viewer.task_filter()]
    count = func.count().label("n")
    with services.read() as connection:
        kinds = connection.execute(
            select(
                HumanTask.process_id,
                HumanTask.bpmn_id,
                func.min(HumanTask.name),
                func.max(HumanTask.name),
                count,
            )
            .where(*scope)
            .group_by(HumanTask.process_id, HumanTask.bpmn_id)
        ).all()
        names = dict(
            connection.execute(
                select(ProcessVersion.process_id, ProcessVersion.name).order_by(
                    ProcessVersion.version
                )
            ).all()
        )
        places = (
            connection.execute(
                select(HumanTask.territory, count).where(*scope).group_by(HumanTask.territory)
            ).all()
            if territories
            else []
        )
    found = [
        TaskKind(process_id, names.get(process_id, process_id), bpmn_id, kind_name(first, last), n)
        for process_id, bpmn_id, first, last, n in kinds
    ]
    found.sort(key=lambda k: (k.process_name, k.name))
    return InboxFacets(
        found,
        sorted((code, services.territories.label(code), n) for code, n in places),
    )


def _supervises(viewer: Viewer, task: Any) -> bool:
    """Whether the viewer hands out the tasks of a role that works only on what it is given
    (the national team gives experts their missions): they see such a task and may assign it
    to another holder of the role, without acting on it themselves."""
    return task.role in ASSIGNED_ONLY and any(
        g.role == EQUIPE_NATIONALE and g.covers(task.territory, task.siren) for g in viewer.grants
    )


def _open_task(
    connection: Connection, viewer: Viewer, task_id: str, *, supervising: bool = False
) -> tuple[Any, Any]:
    """The task (and its instance) if this viewer may act on it now (or, `supervising`, hand
    it out: see `_supervises`)."""
    found = steps.load_task(connection, task_id)
    # Experts see the tasks assigned to them only (any other task of any territory does not
    # exist for them); the others, what their territory or organisation covers.
    if found is None or not viewer.may_see(
        found[0].territory, found[0].siren, assigned=found[0].assignee == viewer.login
    ):
        raise NotFound(f"Tâche introuvable : « {task_id} ».")
    task, instance = found
    if supervising and _supervises(viewer, task):
        if task.status != OPEN:
            raise Conflict(f"La tâche « {task.name} » a déjà été traitée.")
        return task, instance
    if (
        task.role in ASSIGNED_ONLY
        and not _supervises(viewer, task)
        and not viewer.may_act(task.role, task.territory, task.siren, task.assignee)
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


def _audit(
    connection: Connection, task: Any, lock: int, kind: str, actor: str, at: Any,
    label: str | None = None,
) -> None:  # fmt: skip
    connection.execute(
        _INSERT_AUDIT,
        {
            "instance_id": task.instance_id, "at": at, "actor": actor, "kind": kind,
            "task_id": task.id, "bpmn_id": task.bpmn_id, "label": (label or task.name)[:300],
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


def _active(connection: Connection, login: str | None) -> bool:
    if not login:
        return False
    found = connection.execute(select(User.active).where(User.login == login)).scalar()
    return bool(found)


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
        task, instance = _open_task(connection, viewer, task_id)
        if task.assignee not in (None, viewer.login) and not viewer.operator:
            raise Forbidden(f"La tâche « {task.name} » est prise en charge par {task.assignee}.")
        if task.assignee is None:
            return None
        target = _released_to(connection, task)
        connection.execute(_ASSIGN, {"task_id": task.id, "assignee": target})
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
    instance = None
    try:
        with services.write() as connection, step_context(connection, services.clock):
            task, instance = _open_task(connection, viewer, task_id)
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
                people = users.people_by_role(connection, person_roles(validator.schema))
                active = {role: {login for login, _ in found} for role, found in people.items()}
                data = validate_submission(validator, data, task.name, people=active)
            workflow = steps.open_workflow(services, instance, connection)
            before = snapshot.take(workflow)
            if task.id not in before.tasks:
                raise Conflict(f"La tâche « {task.name} » n'est plus à traiter.")
            log = services.runner.complete(workflow, task.id, data)
            audit = [
                {"kind": "tache_terminee", "actor": viewer.login, "task_id": task.id,
                 "bpmn_id": task.bpmn_id, "label": task.name}
            ]  # fmt: skip
            _, lock = steps.commit(
                services, connection, instance, workflow, before, log,
                actor=viewer.login, now=services.clock.now(), completed_task=task.id, audit=audit,
            )  # fmt: skip
            attachments.attach(
                connection, files, instance_id=instance.id, lock_version=lock,
                actor=viewer.login, now=services.clock.now(), task_id=task.id,
                bpmn_id=task.bpmn_id, task_name=task.name,
            )  # fmt: skip
    except ProcessIncident as error:
        if instance is not None:
            mark_incident(services, instance, error, viewer.login)
        raise
    return instance.reference


# ---------------------------------------------------------------- the task page


@dataclass
class TaskPage:
    """What the page of one task shows: the task, its dossier, its form and who may do what.

    `schema` is the form as deployed with the dossier's version (None for a task without form);
    `data` the dossier's values of the form's fields, to pre-fill it. A task already done is
    returned too (`task["status"]` says so, `completed_*` say when and by whom).
    """

    task: dict[str, Any]
    reference: str
    process_name: str
    organisation: str | None
    territory_label: str
    schema: dict[str, Any] | None
    data: dict[str, Any]
    #: Open, and the viewer may act on it (claim, release, complete).
    may_act: bool
    #: Open, and the viewer may hand it to one of `colleagues`.
    may_assign: bool
    #: (login, name) of the other people holding the task's role over its scope.
    colleagues: list[tuple[str, str]] = field(default_factory=list)
    completed_at: datetime | None = None
    completed_by: str | None = None
    completed_by_name: str | None = None
    #: The deployed version the dossier runs on (its forms give the data's labels).
    version_id: int | None = None
    #: All the dossier's data, to read before acting; None if the viewer may not see the
    #: dossier itself (a co-signatory's task on another organisation's dossier).
    dossier_data: dict[str, Any] | None = None
    #: The viewer holds the task and « Remettre à disposition » gives it to someone.
    may_release: bool = False
    #: The viewer hands this task out (national team, expert missions) without acting on it.
    supervising: bool = False
    #: Role → (login, name) of its active accounts, for the form's person fields.
    people: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @property
    def open(self) -> bool:
        return self.task["status"] == OPEN


_TASK_PAGE = _task_rows(
    ProcessInstance.data.label("instance_data"),
    ProcessInstance.process_version_id,
    ProcessInstance.territory.label("instance_territory"),
    ProcessInstance.siren.label("instance_siren"),
).where(HumanTask.id == bindparam("task_id"))


def _visible_task(connection: Connection, viewer: Viewer, task_id: str) -> Any:
    """The task's row if the viewer may see it, else NotFound (a task outside the viewer's
    scope is as unknown as one that does not exist); Forbidden if it is in their scope but for
    another role (a préfet's task on the dossier of a town)."""
    row = connection.execute(_TASK_PAGE, {"task_id": str(task_id).strip()[:36]}).first()
    missing = NotFound(f"Tâche introuvable : « {task_id} ».")
    if row is None:
        raise missing
    if viewer.operator:
        return row
    holder = row.assignee or row.completed_by
    # Experts see the tasks assigned to them only; the others, what their scope covers.
    if not viewer.may_see(row.territory, row.siren, assigned=holder == viewer.login):
        raise missing
    if not viewer.may_act(row.role, row.territory, row.siren, holder):
        if _supervises(viewer, row):
            return row
        if row.role in ASSIGNED_ONLY:
            raise missing
        raise Forbidden(f"Votre rôle ne permet pas de traiter la tâche « {row.name} ».")
    return row


def _colleagues(connection: Connection, task: Any) -> list[tuple[str, str]]:
    """Active accounts holding the task's role over its territory or organisation."""
    rows = connection.execute(
        select(User.login, User.name)
        .join(UserGrant, UserGrant.login == User.login)
        .where(
            User.active.is_(True),
            UserGrant.role == task.role,
            UserGrant.scope.in_(("", task.territory, task.siren)),
        )
        .distinct()
        .order_by(User.name, User.login)
    ).all()
    return [(row.login, row.name) for row in rows]


def _may_assign(viewer: Viewer, task: Any) -> bool:
    return task.status == OPEN and (
        viewer.operator
        or _supervises(viewer, task)
        or (
            task.role in ASSIGNING_ROLES
            and viewer.may_act(task.role, task.territory, task.siren, task.assignee)
        )
    )


def task_form(services: Services, viewer: Viewer, task_id: str) -> TaskPage:
    """The task page's content, for a viewer who may see the task (NotFound otherwise)."""
    with services.read() as connection:
        row = _visible_task(connection, viewer, task_id)
        schema = None
        if row.form_ref:
            try:
                schema = services.form_validator(
                    row.process_version_id, row.form_ref, connection
                ).schema
            except KeyError:
                schema = None
        may_assign = _may_assign(viewer, row)
        people = users.people_by_role(connection, person_roles(schema))
        colleagues = (
            [c for c in _colleagues(connection, row) if c[0] != viewer.login] if may_assign else []
        )
        completed_by_name = (
            connection.execute(
                select(User.name).where(User.login == row.completed_by)
            ).scalar_one_or_none()
            if row.completed_by
            else None
        )
    now = services.clock.now()
    # The requesting authority reads neither the internal fields nor prefills from them.
    instance_data = visible_data(
        services, viewer, version_id=row.process_version_id,
        territory=row.instance_territory, siren=row.instance_siren,
        data=row.instance_data or {},
    )  # fmt: skip
    # The dossier's values of the form's fields, else what `x-prerempli` derives from it.
    data = prefilled(schema, instance_data) if schema else {}
    task = _inbox_dict(services, row, now)
    holder = row.assignee or row.completed_by
    sees_dossier = viewer.may_see(
        row.instance_territory, row.instance_siren, assigned=holder == viewer.login
    )
    return TaskPage(
        task=task, reference=row.reference, process_name=row.process_name,
        organisation=row.organisation, territory_label=task["territory_label"],
        schema=schema, data=data,
        may_act=row.status == OPEN
        and viewer.may_act(row.role, row.territory, row.siren, row.assignee),
        may_assign=may_assign, colleagues=colleagues,
        completed_at=row.completed_at, completed_by=row.completed_by,
        completed_by_name=completed_by_name, version_id=row.process_version_id,
        dossier_data=instance_data if sees_dossier else None,
        may_release=releasable(row, viewer),
        supervising=not viewer.operator and _supervises(viewer, row)
        and not viewer.may_act(row.role, row.territory, row.siren, row.assignee),
        people=people,
    )  # fmt: skip


def assign(services: Services, viewer: Viewer, task_id: str, login: str) -> str:
    """Hand an open task to a colleague holding its role over its scope; returns their name.

    Préfets and the national team may do so for their tasks (whoever holds the task now); the
    colleague is told by a notification.
    """
    login = (login or "").strip().lower()
    with services.write() as connection:
        task, instance = _open_task(connection, viewer, task_id, supervising=True)
        if not _may_assign(viewer, task):
            raise Forbidden(
                f"Votre rôle ne permet pas de confier la tâche « {task.name} » à un collègue."
            )
        if not login:
            raise InvalidInput(
                "Choisissez la personne à qui confier la tâche.",
                fields={"login": "Choisissez la personne à qui confier la tâche."},
            )
        names = dict(_colleagues(connection, task))
        if login not in names:
            message = (
                f"« {login} » ne peut pas recevoir la tâche « {task.name} » : il faut le même "
                "rôle sur le même territoire."
            )
            raise InvalidInput(message, fields={"login": message})
        if task.assignee == login:
            return names[login]
        connection.execute(_ASSIGN, {"task_id": task.id, "assignee": login})
        now = services.clock.now()
        _audit(
            connection, task, instance.lock_version, "tache_assignee", viewer.login, now,
            label=f"{task.name} — confiée à {names[login]}",
        )  # fmt: skip
        if login != viewer.login:
            actor = connection.execute(
                select(User.name).where(User.login == viewer.login)
            ).scalar_one_or_none()
            connection.execute(
                insert(Notification.__table__),
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

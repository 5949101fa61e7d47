"""The page of one task: the task, its dossier, its form and who may do what."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from ...errors import Forbidden, NotFound
from ...forms.people import person_roles
from ...forms.prefill import prefilled
from ...roles import ASSIGNED_ONLY
from ...store import dossier_territories as other_territories
from ...store import people as people_store
from ...store import tasks as store
from ..context import Services
from ..dossiers.visibility import visible_data
from ..people import accounts
from ..viewer import Viewer
from . import access
from .access import OPEN, supervises
from .commands import releasable
from .inbox import inbox_dict


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


def _visible_task(connection: Connection, viewer: Viewer, task_id: str) -> Any:
    """The task's row if the viewer may see it, else NotFound (a task outside the viewer's
    scope is as unknown as one that does not exist); Forbidden if it is in their scope but for
    another role (a préfet's task on the dossier of a town)."""
    row = store.task_page_row(connection, str(task_id).strip()[:36])
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
        if supervises(viewer, row):
            return row
        if row.role in ASSIGNED_ONLY:
            raise missing
        raise Forbidden(f"Votre rôle ne permet pas de traiter la tâche « {row.name} ».")
    return row


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
        may_assign = access.may_assign(viewer, row)
        people = accounts.people_by_role(connection, person_roles(schema))
        colleagues = (
            [c for c in access.colleagues_of(connection, row) if c[0] != viewer.login]
            if may_assign
            else []
        )
        completer = (
            people_store.user_row(connection, row.completed_by) if row.completed_by else None
        )
        completed_by_name = completer.name if completer is not None else None
        also = other_territories.of(connection, row.instance_id)
    now = services.clock.now()
    # The requesting authority reads neither the internal fields nor prefills from them.
    instance_data = visible_data(
        services, viewer, version_id=row.process_version_id,
        territory=row.instance_territory, siren=row.instance_siren,
        data=row.instance_data or {}, also=also,
    )  # fmt: skip
    # The dossier's values of the form's fields, else what `x-prerempli` derives from it.
    data = prefilled(schema, instance_data) if schema else {}
    task = inbox_dict(services, row, now)
    holder = row.assignee or row.completed_by
    sees_dossier = viewer.may_see(
        row.instance_territory, row.instance_siren, assigned=holder == viewer.login, also=also
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
        supervising=not viewer.operator and supervises(viewer, row)
        and not viewer.may_act(row.role, row.territory, row.siren, row.assignee),
        people=people,
    )  # fmt: skip

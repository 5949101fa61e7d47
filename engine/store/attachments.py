"""The statements over attached files (`attachments`) and the history entries a step writes
when it attaches them.

The service layer (engine/service/dossiers/attachments.py) checks the content, who may use or
see a file and what its field accepts, and brings the viewer's scope (`Viewer.dossier_filter`);
these functions only read and write rows, inside the connection or transaction the caller holds.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, Row, and_, insert, or_, select, true, update

from .models import Attachment, AuditEvent, HumanTask, ProcessInstance, User
from .scope_filters import Condition

_TABLE = Attachment.__table__
_ATTACHER = User.__table__.alias("attacher")
#: Aliased: the viewer's rule has its own subquery on human_tasks, which must not correlate
#: with this join.
_ATTACHING_TASK = HumanTask.__table__.alias("attaching_task")


def insert_staged(connection: Connection, **values: Any) -> Row[Any]:
    """The new row read back, so that the reference carries what the database gave it."""
    result = connection.execute(insert(_TABLE).values(**values))
    return connection.execute(
        select(_TABLE).where(_TABLE.c.id == result.inserted_primary_key[0])
    ).one()


def visible_among(
    connection: Connection, ids: Collection[int], *, uploader: str | None, scope: Condition
) -> list[Row[Any]]:
    """Those of `ids` staged by `uploader` (None: by anyone) and not attached yet, or attached
    to a dossier within `scope`."""
    staged_by = true() if uploader is None else _TABLE.c.uploaded_by == uploader
    visible = select(ProcessInstance.id).where(scope)
    return list(
        connection.execute(
            select(_TABLE).where(
                _TABLE.c.id.in_(list(ids)),
                or_(
                    and_(_TABLE.c.instance_id.is_(None), staged_by),
                    _TABLE.c.instance_id.in_(visible),
                ),
            )
        ).all()
    )


def rows_by_id(connection: Connection, ids: Collection[int]) -> dict[int, Row[Any]]:
    if not ids:
        return {}
    rows = connection.execute(select(_TABLE).where(_TABLE.c.id.in_(list(ids)))).all()
    return {row.id: row for row in rows}


def attachment_row(connection: Connection, attachment_id: int) -> Row[Any] | None:
    return connection.execute(select(_TABLE).where(_TABLE.c.id == attachment_id)).first()


def attach_staged(connection: Connection, attachment_id: int, **values: Any) -> bool:
    """False when the file is attached already (to this dossier or another) or gone: the
    condition on `instance_id` is what stops one staged file landing on two dossiers."""
    done = connection.execute(
        update(_TABLE)
        .where(_TABLE.c.id == attachment_id, _TABLE.c.instance_id.is_(None))
        .values(**values)
    )
    return done.rowcount == 1


def insert_history(connection: Connection, events: list[dict[str, Any]]) -> None:
    connection.execute(insert(AuditEvent.__table__), events)


def dossier_files(connection: Connection, reference: str, scope: Condition) -> list[Row[Any]]:
    """The files of the dossier `reference` if within `scope`, oldest first, each with
    `attacher_name`, `task_name` and the dossier's `instance_version`, `instance_territory` and
    `instance_siren`."""
    query = (
        select(
            _TABLE,
            _ATTACHER.c.name.label("attacher_name"),
            _ATTACHING_TASK.c.name.label("task_name"),
            ProcessInstance.process_version_id.label("instance_version"),
            ProcessInstance.territory.label("instance_territory"),
            ProcessInstance.siren.label("instance_siren"),
        )
        .join(ProcessInstance, ProcessInstance.id == _TABLE.c.instance_id)
        .outerjoin(_ATTACHER, _ATTACHER.c.login == _TABLE.c.attached_by)
        .outerjoin(_ATTACHING_TASK, _ATTACHING_TASK.c.id == _TABLE.c.task_id)
        .where(ProcessInstance.reference == reference)
        .where(scope)
        .order_by(_TABLE.c.attached_at, _TABLE.c.id)
    )
    return list(connection.execute(query).all())


def dossier_within(connection: Connection, instance_id: int, scope: Condition) -> Row[Any] | None:
    """The dossier's process_version_id, territory and siren, or None if outside `scope`."""
    return connection.execute(
        select(
            ProcessInstance.process_version_id, ProcessInstance.territory, ProcessInstance.siren
        ).where(ProcessInstance.id == instance_id, scope)
    ).first()

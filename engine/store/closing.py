"""What closing a dossier from outside its diagram reads: whether its decision has been taken.

The decision is a human task of the procedure (`decisionTasks`, processes/README.md); once one
of those tasks has been done, the requesting authority can no longer withdraw the dossier.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, bindparam, exists, select

from .models import HumanTask

_TASKS = HumanTask.__table__

_DONE_AMONG = select(
    exists().where(
        _TASKS.c.instance_id == bindparam("instance_id"),
        _TASKS.c.bpmn_id.in_(bindparam("bpmn_ids", expanding=True)),
        _TASKS.c.status == "terminee",
    )
)


def any_done(connection: Connection, instance_id: int, bpmn_ids: Collection[str]) -> bool:
    """Whether a task of the instance on one of these elements has been done."""
    if not bpmn_ids:
        return False
    return bool(
        connection.execute(
            _DONE_AMONG, {"instance_id": instance_id, "bpmn_ids": sorted(bpmn_ids)}
        ).scalar()
    )

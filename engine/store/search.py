"""The statements behind the search of dossiers and the authorities' follow-up.

The service layer (engine/service/dossiers/search.py) checks and normalises the filters and
brings the viewer's scope (`Viewer.dossier_filter`); these functions only read rows.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, false, func, or_, select, true

from .models import HumanTask, ProcessInstance, ProcessVersion, Timer
from .scope_filters import Condition, dossiers_in


@dataclass(frozen=True)
class Criteria:
    """What the dossiers must match, already checked; None leaves a criterion out."""

    #: Part of the reference, upper case.
    reference: str | None = None
    #: Part of the requesting authority's name, any case.
    organisation: str | None = None
    siren: str | None = None
    #: Département code.
    territory: str | None = None
    status: str | None = None
    process_id: str | None = None
    #: One of these organisations (SIREN); empty matches no dossier.
    sirens: Collection[str] | None = None


_COLUMNS = (
    ProcessInstance.id,
    ProcessInstance.reference,
    ProcessInstance.process_id,
    ProcessInstance.territory,
    ProcessInstance.siren,
    ProcessInstance.organisation,
    ProcessInstance.status,
    ProcessInstance.outcome,
    ProcessInstance.created_at,
    ProcessInstance.updated_at,
    ProcessInstance.completed_at,
    ProcessVersion.name.label("process_name"),
)
_WITH_DATA = (ProcessInstance.process_version_id, ProcessInstance.data)


def _where(scope: Condition | None, criteria: Criteria) -> Condition:
    conditions = [] if scope is None else [scope]
    if criteria.reference:
        conditions.append(ProcessInstance.reference.contains(criteria.reference, autoescape=True))
    if criteria.organisation:
        conditions.append(
            ProcessInstance.organisation.icontains(criteria.organisation, autoescape=True)
        )
    if criteria.siren:
        conditions.append(ProcessInstance.siren == criteria.siren)
    if criteria.territory:
        conditions.append(dossiers_in(criteria.territory))
    if criteria.status:
        conditions.append(ProcessInstance.status == criteria.status)
    if criteria.process_id:
        conditions.append(ProcessInstance.process_id == criteria.process_id)
    if criteria.sirens is not None:
        sirens = list(criteria.sirens)
        conditions.append(ProcessInstance.siren.in_(sirens) if sirens else false())
    return and_(*conditions) if conditions else true()


def dossiers(
    connection: Connection,
    criteria: Criteria,
    *,
    scope: Condition | None = None,
    limit: int,
    offset: int = 0,
    after: tuple[datetime, int] | None = None,
    with_data: bool = False,
) -> tuple[int, list[Row[Any]]]:
    """How many dossiers within `scope` match, and the rows of `limit` of them from `offset`
    (or, for a cursor, after the dossier created at `after` = (created_at, id)), newest first,
    each with its version's name (`process_name`); `with_data` adds each dossier's
    `process_version_id` and `data`."""
    where = _where(scope, criteria)
    page = where
    if after is not None:
        created, last = after
        page = and_(
            where,
            or_(
                ProcessInstance.created_at < created,
                and_(ProcessInstance.created_at == created, ProcessInstance.id < last),
            ),
        )
    query = (
        select(*_COLUMNS, *(_WITH_DATA if with_data else ()))
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .where(page)
        .order_by(ProcessInstance.created_at.desc(), ProcessInstance.id.desc())
        .limit(limit)
        .offset(offset)
    )
    count = select(func.count()).select_from(ProcessInstance).where(where)
    total = connection.execute(count).scalar_one()
    return total, list(connection.execute(query).all())


def open_tasks_among(connection: Connection, instance_ids: Collection[int]) -> list[Row[Any]]:
    """The open task rows of these dossiers, oldest first."""
    return list(
        connection.execute(
            select(HumanTask.__table__)
            .where(HumanTask.instance_id.in_(list(instance_ids)), HumanTask.status == "ouverte")
            .order_by(HumanTask.created_at, HumanTask.id)
        ).all()
    )


def pending_timers_among(connection: Connection, instance_ids: Collection[int]) -> list[Row[Any]]:
    """(instance_id, name, kind, due_at) of the waiting timers of these dossiers, first due
    first."""
    return list(
        connection.execute(
            select(Timer.instance_id, Timer.name, Timer.kind, Timer.due_at)
            .where(Timer.instance_id.in_(list(instance_ids)), Timer.status == "en_attente")
            .order_by(Timer.due_at)
        ).all()
    )

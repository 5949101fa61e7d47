"""Finding dossiers within the viewer's scope: the staff search and the authorities' follow-up.

The scope is `Viewer.dossier_filter`, the SQL form of `Viewer.may_see`: a dossier outside it
is neither listed nor counted.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from ... import labels
from ...errors import InvalidInput
from ...roles import COLLECTIVITE
from ...store import dossier_territories as other_territories
from ...store import grants as grant_rows
from ...store import search as stored
from ...store.scope_filters import Condition
from ...store.search import Criteria
from ..context import Services
from ..viewer import Viewer
from . import visibility
from .instances import task_summary

STATUSES = labels.DOSSIER_STATUSES
PER_PAGE = 20
MAX_PER_PAGE = 100
#: At most this many dossiers in one export (newest first): a spreadsheet stays usable and one
#: request stays bounded; whoever needs more narrows the filters (the page says so).
EXPORT_LIMIT = 10_000


@dataclass(frozen=True)
class SearchFilter:
    reference: str | None = None
    #: Part of the requesting authority's name, any case.
    organisation: str | None = None
    siren: str | None = None
    #: Département code.
    territory: str | None = None
    status: str | None = None
    process_id: str | None = None
    page: int = 1
    per_page: int = PER_PAGE


@dataclass
class SearchPage:
    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    #: Filters as understood (a département code normalised, "2" → "02").
    filters: SearchFilter | None = None

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _criteria(services: Services, filters: SearchFilter) -> Criteria:
    reference = organisation = siren = territory = None
    if filters.reference and filters.reference.strip():
        reference = filters.reference.strip().upper()
    if filters.organisation and filters.organisation.strip():
        organisation = filters.organisation.strip()
    if filters.siren and filters.siren.strip():
        siren = "".join(filters.siren.split())
        if not (siren.isdigit() and len(siren) == 9):
            raise InvalidInput(
                f"SIREN invalide : « {filters.siren} » (9 chiffres).",
                fields={"siren": "SIREN invalide : 9 chiffres attendus."},
            )
    if filters.territory and filters.territory.strip():
        try:
            territory = services.territories.departement(filters.territory).code
        except InvalidInput as error:
            raise InvalidInput(
                error.message, fields={"territoire": "Code de département inconnu."}
            ) from None
    if filters.status and filters.status not in STATUSES:
        raise InvalidInput(
            f"Statut inconnu : « {filters.status} ».", fields={"statut": "Statut inconnu."}
        )
    return Criteria(
        reference=reference,
        organisation=organisation,
        siren=siren,
        territory=territory,
        status=filters.status or None,
        process_id=filters.process_id or None,
    )


def _page(filters: SearchFilter) -> tuple[int, int]:
    per_page = min(max(int(filters.per_page), 1), MAX_PER_PAGE)
    return max(int(filters.page), 1), per_page


def search(services: Services, viewer: Viewer, filters: SearchFilter | None = None) -> SearchPage:
    """Dossiers matching the filters within the viewer's scope, newest first, one page."""
    filters = filters or SearchFilter()
    page, per_page = _page(filters)
    scope = viewer.dossier_filter()
    return _run(services, _criteria(services, filters), scope, page, per_page, filters)


@dataclass
class CursorPage:
    """One page of a search read with a cursor (the API): stable while dossiers are added."""

    items: list[dict[str, Any]]
    total: int
    #: Give it back to read the next page; None on the last page.
    next_cursor: str | None


def _cursor_of(item: dict[str, Any]) -> str:
    raw = f"{item['created_at'].isoformat()}|{item['id']}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _after(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, _, last = base64.urlsafe_b64decode(padded).decode().partition("|")
        found = datetime.fromisoformat(created), int(last)
    except (ValueError, UnicodeDecodeError):
        found = None
    if found is None or found[0].tzinfo is None:
        raise InvalidInput(
            "Curseur invalide : reprenez celui de la page précédente (`next_cursor`).",
            fields={"cursor": "Curseur invalide."},
        )
    return found


def search_from(
    services: Services, viewer: Viewer, filters: SearchFilter | None = None,
    cursor: str | None = None, limit: int = PER_PAGE,
) -> CursorPage:  # fmt: skip
    """Dossiers matching the filters within the viewer's scope, newest first, `limit` of them
    after `cursor`: unlike page numbers, a cursor neither repeats nor skips a dossier when new
    ones are filed between two reads."""
    filters = filters or SearchFilter()
    limit = min(max(int(limit), 1), MAX_PER_PAGE)
    after = _after(cursor) if cursor else None
    criteria = _criteria(services, filters)
    with services.read() as connection:
        total, rows = stored.dossiers(
            connection, criteria, scope=viewer.dossier_filter(), limit=limit + 1, after=after
        )
    items = [_item(services, row) for row in rows[:limit]]
    more = len(rows) > limit
    return CursorPage(items, total, _cursor_of(items[-1]) if more and items else None)


def export(services: Services, viewer: Viewer, filters: SearchFilter | None = None) -> SearchPage:
    """Every dossier matching the filters within the viewer's scope, newest first, without
    pages but at most `EXPORT_LIMIT` (`total` says how many matched): the CSV export of the
    search, under the same scope condition as the search itself. Each item also carries the
    dossier's `process_version_id` and its `data` as the viewer reads it (`visibility`): the
    export lists the amounts its forms declare."""
    filters = filters or SearchFilter()
    scope = viewer.dossier_filter()
    criteria = _criteria(services, filters)
    found = _run(services, criteria, scope, 1, EXPORT_LIMIT, filters, with_data=True)
    with services.read() as connection:
        money = grant_rows.money_of(connection, [item["id"] for item in found.items])
        fields: dict[int, Any] = {}
        for item in found.items:
            item["data"] = _readable(services, connection, viewer, item, fields)
    for item in found.items:
        amount, paid = money.get(item["id"], (None, None))
        item["aide"] = None if amount is None else Decimal(amount) / 100
        item["verse"] = None if paid is None else Decimal(paid) / 100
    return found


def _readable(
    services: Services,
    connection: Connection,
    viewer: Viewer,
    item: dict[str, Any],
    fields: dict[int, Any],
) -> dict[str, Any]:
    """An exported dossier's data as the viewer reads it (the dossier page's rule): the
    fields one of the roles they hold over it reads. The other départements of the dossier
    are read only for a viewer who holds a role that its own does not reach; `fields` keeps
    each version's declarations for the next dossiers."""
    roles = viewer.roles_over(item["territory"], item["siren"])
    if roles is None:
        return item.get("data") or {}
    if any(g.role not in roles for g in viewer.grants):
        also = other_territories.of(connection, item["id"])
        roles = viewer.roles_over(item["territory"], item["siren"], also)
    version = item["process_version_id"]
    if version not in fields:
        fields[version] = visibility.form_fields(services, version)
    reading = visibility.DossierReader(roles, fields[version])
    return reading.data(item.get("data") or {})


def _run(
    services: Services,
    criteria: Criteria,
    scope: Condition | None,
    page: int,
    per_page: int,
    filters: Any,
    *,
    with_data: bool = False,
) -> SearchPage:
    with services.read() as connection:
        total, rows = stored.dossiers(
            connection, criteria, scope=scope, limit=per_page,
            offset=(page - 1) * per_page, with_data=with_data,
        )  # fmt: skip
    return SearchPage([_item(services, row) for row in rows], total, page, per_page, filters)


def _item(services: Services, row: Any) -> dict[str, Any]:
    item = row._asdict()
    item["territory_label"] = services.territories.label(row.territory)
    return item


def authority_sirens(viewer: Viewer) -> list[str]:
    """The organisations (SIREN) an authority's account speaks for."""
    return sorted({g.scope for g in viewer.grants if g.role == COLLECTIVITE and g.scope})


def follow_up(
    services: Services, viewer: Viewer, *, page: int = 1, per_page: int = PER_PAGE
) -> SearchPage:
    """An authority's own dossiers (its SIREN), each with its current step (open tasks, those it
    must do itself marked `may_act`) and the expected next step with its date (the earliest due
    task or pending timer)."""
    sirens = authority_sirens(viewer)
    page, per_page = _page(SearchFilter(page=page, per_page=per_page))
    result = _run(services, Criteria(sirens=sirens), None, page, per_page, None)
    ids = [item["id"] for item in result.items]
    if not ids:
        return result
    now = services.clock.now()
    with services.read() as connection:
        tasks = stored.open_tasks_among(connection, ids)
        timers = stored.pending_timers_among(connection, ids)
    by_id = {item["id"]: item for item in result.items}
    for item in result.items:
        item["open_tasks"], item["next_step"] = [], None
    for task in tasks:
        item = by_id[task.instance_id]
        entry = task_summary(task, item["reference"], now)
        entry["may_act"] = viewer.may_act(task.role, task.territory, task.siren, task.assignee)
        item["open_tasks"].append(entry)
    waiting: dict[int, list[Any]] = {}
    for timer in timers:
        waiting.setdefault(timer.instance_id, []).append(timer)
    for item in result.items:
        item["next_step"] = _next_step(item["open_tasks"], waiting.get(item["id"], []))
    return result


def _next_step(tasks: list[dict[str, Any]], timers: list[Any]) -> dict[str, Any] | None:
    """What the dossier waits for next: the open task due first, else the first timer (a report
    due, a call closing); None when nothing is dated."""
    dated = [t for t in tasks if t["due_at"] is not None]
    if dated:
        task = min(dated, key=lambda t: t["due_at"])
        return {"name": task["name"], "role": task["role"], "due_at": task["due_at"],
                "kind": "tache", "may_act": task["may_act"]}  # fmt: skip
    if timers:
        timer = min(timers, key=lambda t: t.due_at)
        return {"name": timer.name, "role": None, "due_at": timer.due_at, "kind": "minuterie",
                "may_act": False}  # fmt: skip
    return None

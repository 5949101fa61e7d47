"""The people an event concerns: the assignee of a task, else the holders of its role in scope."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, or_, select

from ..roles import ASSIGNED_ONLY
from ..store.models import User, UserGrant


@dataclass(frozen=True)
class Target:
    """A role over a dossier's territory and organisation, or one named person."""

    role: str | None
    territory: str | None = None
    siren: str | None = None
    assignee: str | None = None
    #: `region:<code>` of the territory, so that a préfet de région hears of its départements.
    region: str | None = None

    def scopes(self) -> list[str]:
        return [s for s in ("", self.territory, self.siren, self.region) if s is not None]


@dataclass(frozen=True)
class Person:
    login: str
    name: str
    email: str | None


def resolve(connection: Connection, targets: list[Target]) -> dict[Target, list[Person]]:
    """Everyone concerned by each target, in one query; inactive accounts hear nothing."""
    clauses = []
    for target in set(targets):
        if target.assignee:
            clauses.append(User.login == target.assignee)
        elif target.role and target.role not in ASSIGNED_ONLY:
            clauses.append(
                and_(UserGrant.role == target.role, UserGrant.scope.in_(target.scopes()))
            )
    if not clauses:
        return {}
    rows = connection.execute(
        select(User.login, User.name, User.email, UserGrant.role, UserGrant.scope)
        .join(UserGrant, UserGrant.login == User.login, isouter=True)
        .where(User.active.is_(True), or_(*clauses))
        .order_by(User.login)
    ).all()
    found: dict[Target, list[Person]] = {}
    for target in targets:
        people: dict[str, Person] = {}
        for row in rows:
            if _matches(target, row):
                people.setdefault(row.login, Person(row.login, row.name, row.email))
        found[target] = list(people.values())
    return found


def _matches(target: Target, row: object) -> bool:
    if target.assignee:
        return row.login == target.assignee  # type: ignore[attr-defined]
    if target.role in ASSIGNED_ONLY or row.role != target.role:  # type: ignore[attr-defined]
        return False
    return row.scope in target.scopes()  # type: ignore[attr-defined]

"""The people an event concerns: the assignee of a task, else the holders of its role in scope."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, or_, select, tuple_

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


#: One statement for every step: built once, so that only its parameters change (SQLAlchemy
#: then reuses the compiled form; building the query each time cost more than running it).
_CONCERNED = (
    select(User.login, User.name, User.email, UserGrant.role, UserGrant.scope)
    .join(UserGrant, UserGrant.login == User.login, isouter=True)
    .where(
        User.active.is_(True),
        or_(
            User.login.in_(bindparam("logins", expanding=True)),
            tuple_(UserGrant.role, UserGrant.scope).in_(bindparam("grants", expanding=True)),
        ),
    )
    .order_by(User.login)
)


def resolve(connection: Connection, targets: list[Target]) -> dict[Target, list[Person]]:
    """Everyone concerned by each target, in one query; inactive accounts hear nothing."""
    logins: set[str] = set()
    grants: set[tuple[str, str]] = set()
    for target in set(targets):
        if target.assignee:
            logins.add(target.assignee)
        elif target.role and target.role not in ASSIGNED_ONLY:
            grants.update((target.role, scope) for scope in target.scopes())
    if not logins and not grants:
        return {}
    rows = connection.execute(
        _CONCERNED, {"logins": sorted(logins), "grants": sorted(grants)}
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

"""The people an event concerns: the assignee of a task, else the holders of its role in scope.

Who hears of a task is `engine.scope.told`: whoever acts on it, when nobody has it or they do.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import Connection, bindparam, or_, select, tuple_

from .. import scope as rule
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
        """The grant scopes that reach the target, as `user_grants` stores them (national '')."""
        return [s or "" for s in rule.reaching_scopes(self.territory, self.siren, self.region)]

    def placed(self, regions: rule.Regions) -> Target:
        """The target with the région of its territory, so that a préfet de région hears."""
        if not self.territory or self.region is not None:
            return self
        return replace(self, region=regions.region_scope(self.territory))


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
            logins.add(target.assignee)  # their grants come with them, checked in `_matches`
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
    if target.role is None and target.assignee:  # one named person, whatever their roles
        return row.login == target.assignee  # type: ignore[attr-defined]
    return row.role is not None and rule.told(  # type: ignore[attr-defined]
        row.login, row.role, row.scope or rule.NATIONAL,  # type: ignore[attr-defined]
        target.role, target.territory, target.siren, target.assignee, target.region,
    )  # fmt: skip

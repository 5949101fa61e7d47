"""Who a grant reaches: the one scope rule that the checks, the queries and the notices read.

A grant is a role over a scope: national (None; stored '' in `user_grants`), a département
(`23`), an organisation's SIREN, or a région (`region:75`, préfets only). A task or a dossier
sits at a position: its département, its organisation's SIREN, the région of its département
and, for a task, the person it is assigned to. The rule, written once:

- a scope reaches a position when it is national, or the position's département, SIREN or
  région (`reaching_scopes`, `covers`);
- a person acts on a task when one of their grants is of the task's role and reaches it and,
  for the roles that work only on what is given to them by name (experts, ASSIGNED_ONLY),
  when the task is assigned to them (`acts`);
- a person is told of a task when they act on it and it is assigned to nobody, or to them
  (`told`): a task taken by someone is their business;
- a person sees a dossier when one of their grants reaches it, an expert's grant only when a
  task of the dossier is assigned to them (`sees`); they read its fields as the roles whose
  grants reach it (`reads_as`). A dossier over several départements (a contract over 59 and 62) sits
  at one position per département: whoever one of them reaches sees it (`Viewer.may_see`
  asks for each, `Columns.other_territory` for a query).

Everything else derives from these: `Viewer` (engine/service/viewer.py) calls them for one
row and `acts_clause` / `sees_clause` for a query; the recipients of a notice are the holders
of the task's role over one of its `reaching_scopes` (engine/notifications/recipients.py).

A région is reached one way: through the région of the position's département. Where the
position's région is not at hand — the tables store département codes, and the many checks
of a signed-in person are given a département and a SIREN — a région grant stands for the
départements whose région it is (`expand`, once per person in engine.service.users.viewer_of):
the same relation read from the other end (tests/engine/test_scope_agreement.py checks both).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, Protocol

from sqlalchemy import ColumnElement, and_, false, or_, true

from .roles import ASSIGNED_ONLY
from .territory import REGION_PREFIX

#: The scope of a national grant (stored as '' in `user_grants`).
NATIONAL = None


class Regions(Protocol):
    """Which région a département belongs to (engine.territory.Territories is one)."""

    def region_scope(self, departement_code: str | None) -> str | None: ...

    def departements_of_region(self, region_code: str) -> list[str]: ...


def is_region(scope: str | None) -> bool:
    return bool(scope) and scope.startswith(REGION_PREFIX)  # type: ignore[union-attr]


def reaching_scopes(
    territory: str | None, siren: str | None, region: str | None = None
) -> tuple[str | None, ...]:
    """The scopes of the grants that reach a position: national, its département, its
    organisation's SIREN, its région (`region:75`, as `Territories.region_scope` gives it)."""
    return (NATIONAL, *dict.fromkeys(s for s in (territory, siren, region) if s))


def covers(
    scope: str | None, territory: str | None, siren: str | None, region: str | None = None
) -> bool:
    """Whether a grant over `scope` reaches this position."""
    return (scope or NATIONAL) in reaching_scopes(territory, siren, region)


def acts(
    login: str, role: str, scope: str | None,
    task_role: str | None, territory: str | None, siren: str | None, assignee: str | None,
    region: str | None = None,
) -> bool:  # fmt: skip
    """Whether the holder (`login`) of a grant (role, scope) acts on a task of `task_role` at
    this position."""
    return (
        role == task_role
        and covers(scope, territory, siren, region)
        and (role not in ASSIGNED_ONLY or assignee == login)
    )


def told(
    login: str, role: str, scope: str | None,
    task_role: str | None, territory: str | None, siren: str | None, assignee: str | None,
    region: str | None = None,
) -> bool:  # fmt: skip
    """Whether the holder of the grant hears of the task: they act on it, and it is assigned
    to nobody or to them."""
    return assignee in (None, login) and acts(
        login, role, scope, task_role, territory, siren, assignee, region
    )


def sees(
    role: str, scope: str | None, territory: str | None, siren: str | None,
    assigned: bool | None, region: str | None = None,
) -> bool:  # fmt: skip
    """Whether the grant shows a dossier at this position. An expert's grant shows the dossiers
    where a task is assigned to its holder (`assigned`); None keeps the territorial answer for
    callers that check the assignment themselves."""
    if role in ASSIGNED_ONLY and assigned is not None:
        return assigned
    return covers(scope, territory, siren, region)


def reads_as(
    role: str, scope: str | None, territory: str | None, siren: str | None,
    region: str | None = None,
) -> bool:  # fmt: skip
    """Whether the grant's role counts for reading the fields of a dossier its holder sees
    (the forms say which roles read each one, engine.forms.readers): a grant that reaches the
    dossier, or an expert's (who sees only the dossiers of their missions). The authority's
    agent who is also a préfet elsewhere reads this dossier as its authority only."""
    return role in ASSIGNED_ONLY or covers(scope, territory, siren, region)


def expand(scope: str | None, regions: Regions) -> tuple[str | None, ...]:
    """The scopes a grant stands for over département codes: a région's départements, any
    other scope itself."""
    if is_region(scope):
        return tuple(regions.departements_of_region(scope.removeprefix(REGION_PREFIX)))  # type: ignore[union-attr]
    return (scope,)


class Columns(NamedTuple):
    """Where a table keeps a position (a task's role and assignee; None for a dossier)."""

    territory: ColumnElement[str]
    siren: ColumnElement[str]
    role: ColumnElement[str] | None = None
    assignee: ColumnElement[str | None] | None = None
    #: A dossier's other départements (`dossier_territories`): the condition that one of them
    #: is the given scope. A position over several départements is reached from each.
    other_territory: Callable[[str], ColumnElement[bool]] | None = None


def covers_clause(scope: str | None, columns: Columns) -> ColumnElement[bool]:
    """`covers` for a query over département codes (a région grant is `expand`ed first; left
    whole it matches no row, as `covers` without the région of the position)."""
    if (scope or NATIONAL) is NATIONAL:
        return true()
    if columns.other_territory is not None:
        return or_(
            columns.territory == scope, columns.siren == scope, columns.other_territory(scope)
        )
    return or_(columns.territory == scope, columns.siren == scope)


def acts_clause(login: str, role: str, scope: str | None, columns: Columns) -> ColumnElement[bool]:
    """`acts` for a query over tasks."""
    assert columns.role is not None and columns.assignee is not None
    clause = and_(columns.role == role, covers_clause(scope, columns))
    if role in ASSIGNED_ONLY:
        clause = and_(clause, columns.assignee == login)
    return clause


def sees_clause(
    role: str, scope: str | None, columns: Columns, assigned: ColumnElement[bool]
) -> ColumnElement[bool]:
    """`sees` for a query over dossiers; `assigned`: a task of the dossier is the holder's."""
    if role in ASSIGNED_ONLY:
        return assigned
    return covers_clause(scope, columns)


def any_of(clauses: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return or_(*clauses) if clauses else false()

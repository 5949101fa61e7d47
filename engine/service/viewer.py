"""Who is asking, and over which dossiers their roles apply."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, false, or_, true

from ..roles import ASSIGNED_ONLY, COLLECTIVITE
from ..store.models import HumanTask, ProcessInstance


@dataclass(frozen=True)
class Grant:
    """A role held over a scope: a département code, an organisation SIREN, or national (None)."""

    role: str
    scope: str | None = None

    def covers(self, territory: str, siren: str) -> bool:
        if self.scope is None:
            return True
        return self.scope in (territory, siren)


@dataclass(frozen=True)
class Viewer:
    login: str
    grants: tuple[Grant, ...] = ()
    #: Operators at the command line act on every dossier (they hold the database anyway).
    operator: bool = False

    @classmethod
    def command_line(cls, login: str = "cli") -> Viewer:
        return cls(login=login, operator=True)

    def may_act(self, role: str, territory: str, siren: str, assignee: str | None = None) -> bool:
        if self.operator:
            return True
        if role in ASSIGNED_ONLY and assignee != self.login:
            return False
        return any(g.role == role and g.covers(territory, siren) for g in self.grants)

    def may_see(self, territory: str, siren: str, *, assigned: bool | None = None) -> bool:
        """Whether the dossier is within the viewer's scope.

        Roles that work only on what is assigned to them (experts) see a dossier only when one
        of its tasks is assigned to them: `assigned` says so; None keeps the territorial answer
        for callers that check the assignment themselves (a task's own assignee).
        """
        if self.operator:
            return True
        for grant in self.grants:
            if grant.role in ASSIGNED_ONLY and assigned is not None:
                if assigned:
                    return True
                continue
            if grant.covers(territory, siren):
                return True
        return False

    def sees_internal(self, territory: str, siren: str) -> bool:
        """Whether the viewer reads the internal fields (`"x-interne"`) of a dossier they see.

        The State's staff do (préfet, national team, committee, experts): those fields are
        what they write for one another, such as the préfet's opinion and ranking. The
        requesting authority does not, even when one of its agents also holds a staff role
        elsewhere: only a staff role over this dossier counts.
        """
        if self.operator:
            return True
        return any(
            grant.role != COLLECTIVITE
            and (grant.role in ASSIGNED_ONLY or grant.covers(territory, siren))
            for grant in self.grants
        )

    def task_filter(self) -> ColumnElement[bool]:
        """SQL condition selecting the tasks this viewer may act on."""
        if self.operator:
            return true()
        clauses = []
        for grant in self.grants:
            clause = HumanTask.role == grant.role
            if grant.role in ASSIGNED_ONLY:
                clause = and_(clause, HumanTask.assignee == self.login)
            if grant.scope is not None:
                clause = and_(
                    clause, or_(HumanTask.territory == grant.scope, HumanTask.siren == grant.scope)
                )
            clauses.append(clause)
        return or_(*clauses) if clauses else false()

    def dossier_filter(self) -> ColumnElement[bool]:
        """SQL condition selecting the dossiers this viewer may see (`may_see` for a query):
        a préfet their département, an authority its SIREN, national roles every dossier, an
        expert the dossiers where a task is assigned to them."""
        if self.operator:
            return true()
        clauses: list[ColumnElement[bool]] = []
        for grant in self.grants:
            if grant.role in ASSIGNED_ONLY:
                clauses.append(
                    exists().where(
                        HumanTask.instance_id == ProcessInstance.id,
                        HumanTask.assignee == self.login,
                    )
                )
            elif grant.scope is None:
                return true()
            else:
                clauses.append(
                    or_(
                        ProcessInstance.territory == grant.scope,
                        ProcessInstance.siren == grant.scope,
                    )
                )
        return or_(*clauses) if clauses else false()

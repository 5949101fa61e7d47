"""Who is asking, and over which dossiers their roles apply (the rule is engine/scope.py)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import scope as rule
from ..store import scope_filters
from ..store.scope_filters import Condition


@dataclass(frozen=True)
class Grant:
    """A role held over a scope: a département code, an organisation SIREN, or national (None)."""

    role: str
    scope: str | None = None

    def covers(self, territory: str, siren: str, region: str | None = None) -> bool:
        return rule.covers(self.scope, territory, siren, region)


@dataclass(frozen=True)
class Viewer:
    login: str
    #: Over départements, SIRENs or national: a région grant comes expanded (users.viewer_of).
    grants: tuple[Grant, ...] = ()
    #: Operators at the command line act on every dossier (they hold the database anyway).
    operator: bool = False

    @classmethod
    def command_line(cls, login: str = "cli") -> Viewer:
        return cls(login=login, operator=True)

    def may_act(self, role: str, territory: str, siren: str, assignee: str | None = None) -> bool:
        if self.operator:
            return True
        return any(
            rule.acts(self.login, g.role, g.scope, role, territory, siren, assignee)
            for g in self.grants
        )

    def may_see(self, territory: str, siren: str, *, assigned: bool | None = None) -> bool:
        """Whether the dossier is within the viewer's scope.

        Roles that work only on what is assigned to them (experts) see a dossier only when one
        of its tasks is assigned to them: `assigned` says so; None keeps the territorial answer
        for callers that check the assignment themselves (a task's own assignee).
        """
        if self.operator:
            return True
        return any(rule.sees(g.role, g.scope, territory, siren, assigned) for g in self.grants)

    def sees_internal(self, territory: str, siren: str) -> bool:
        """Whether the viewer reads the internal fields (`"x-interne"`) of a dossier they see.

        The State's staff do (préfet, national team, committee, experts): those fields are
        what they write for one another, such as the préfet's opinion and ranking. The
        requesting authority does not, even when one of its agents also holds a staff role
        elsewhere: only a staff role over this dossier counts.
        """
        if self.operator:
            return True
        return any(rule.reads_internal(g.role, g.scope, territory, siren) for g in self.grants)

    def task_filter(self) -> Condition:
        """SQL condition selecting the tasks this viewer may act on (`may_act` for a query)."""
        if self.operator:
            return scope_filters.everything()
        return scope_filters.tasks_acted_on(self.login, self._pairs())

    def dossier_filter(self) -> Condition:
        """SQL condition selecting the dossiers this viewer may see (`may_see` for a query):
        a préfet their département, an authority its SIREN, national roles every dossier, an
        expert the dossiers where a task is assigned to them."""
        if self.operator:
            return scope_filters.everything()
        return scope_filters.dossiers_seen(self.login, self._pairs())

    def _pairs(self) -> list[tuple[str, str | None]]:
        return [(g.role, g.scope) for g in self.grants]

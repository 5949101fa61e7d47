"""Who is asking, and over which dossiers their roles apply (the rule is engine/scope.py)."""

from __future__ import annotations

from collections.abc import Iterable
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

    def may_see(
        self, territory: str, siren: str, *, assigned: bool | None = None,
        also: Iterable[str] = (),
    ) -> bool:  # fmt: skip
        """Whether the dossier is within the viewer's scope.

        Roles that work only on what is assigned to them (experts) see a dossier only when one
        of its tasks is assigned to them: `assigned` says so; None keeps the territorial answer
        for callers that check the assignment themselves (a task's own assignee). `also`: the
        dossier's other départements (`dossier_territories`), each as good as its own.
        """
        if self.operator:
            return True
        return any(
            rule.sees(g.role, g.scope, place, siren, assigned)
            for place in (territory, *also)
            for g in self.grants
        )

    def roles_over(
        self, territory: str, siren: str, also: Iterable[str] = ()
    ) -> frozenset[str] | None:
        """The roles the viewer holds over a dossier they see, by which they read its fields
        (each field says which roles read it: engine.forms.readers); None for an operator,
        who reads everything.

        Only a grant over this dossier counts: the authority's agent who is also a préfet
        elsewhere reads it as its authority. `also`: the dossier's other départements.
        """
        if self.operator:
            return None
        return frozenset(
            g.role
            for g in self.grants
            if any(rule.reads_as(g.role, g.scope, place, siren) for place in (territory, *also))
        )

    def task_filter(self) -> Condition:
        """SQL condition selecting the tasks this viewer may act on (`may_act` for a query)."""
        if self.operator:
            return scope_filters.everything()
        return scope_filters.tasks_acted_on(self.login, self._pairs())

    def dossier_filter(self) -> Condition:
        """SQL condition selecting the dossiers this viewer may see (`may_see` for a query):
        a préfet their département (a dossier's own or one of its others), an authority its
        SIREN, national roles every dossier, an expert the dossiers where a task is assigned
        to them."""
        if self.operator:
            return scope_filters.everything()
        return scope_filters.dossiers_seen(self.login, self._pairs())

    def _pairs(self) -> list[tuple[str, str | None]]:
        return [(g.role, g.scope) for g in self.grants]

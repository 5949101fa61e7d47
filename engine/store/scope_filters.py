"""The scope rule (engine/scope.py) as SQL conditions over the tasks and dossiers tables.

The rule stays in engine/scope.py; this module only says where each table keeps a position,
so that `Viewer` (engine/service/viewer.py) asks for a condition without building SQL itself.
A grant is (role, scope), its scope None when national, a région grant already expanded. A
dossier is reached through its own département and each of its other ones
(`dossier_territories`, the process property `territoires`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, exists, false, or_, true

from .. import scope as rule
from .models import DossierTerritory, HumanTask, ProcessInstance

#: A condition to put in a query's `where`, opaque to the service layer.
Condition = ColumnElement[bool]
#: The longest département code (`971`): `dossier_territories.territory` is no longer.
_DEPARTEMENT_LENGTH = 3


def _covers_other_territory(scope: str) -> Condition:
    """One of the dossier's other départements is `scope` (a contract over 59 and 62); never
    an organisation's SIREN, which is no département code."""
    if len(scope) > _DEPARTEMENT_LENGTH:
        return false()
    return exists().where(
        DossierTerritory.instance_id == ProcessInstance.id, DossierTerritory.territory == scope
    )


_TASK = rule.Columns(HumanTask.territory, HumanTask.siren, HumanTask.role, HumanTask.assignee)
_DOSSIER = rule.Columns(
    ProcessInstance.territory, ProcessInstance.siren, other_territory=_covers_other_territory
)


def everything() -> Condition:
    """The condition of whoever reaches every row (operators at the command line)."""
    return true()


def tasks_acted_on(login: str, grants: Iterable[tuple[str, str | None]]) -> Condition:
    """The tasks the holder of these grants acts on: `scope.acts` for a query."""
    return rule.any_of([rule.acts_clause(login, role, scope, _TASK) for role, scope in grants])


def dossiers_seen(login: str, grants: Iterable[tuple[str, str | None]]) -> Condition:
    """The dossiers the holder of these grants sees: `scope.sees` for a query, an expert's
    grant reaching the dossiers where a task is assigned to `login`."""
    assigned = exists().where(
        HumanTask.instance_id == ProcessInstance.id, HumanTask.assignee == login
    )
    return rule.any_of(
        [rule.sees_clause(role, scope, _DOSSIER, assigned) for role, scope in grants]
    )


def dossiers_in(territory: str) -> Condition:
    """The dossiers of a département, filed there or covering it besides their own (a search
    for the Nord's dossiers finds the Bassin minier's contract, filed in the Pas-de-Calais)."""
    return or_(ProcessInstance.territory == territory, _covers_other_territory(territory))

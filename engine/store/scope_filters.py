"""The scope rule (engine/scope.py) as SQL conditions over the tasks and dossiers tables.

The rule stays in engine/scope.py; this module only says where each table keeps a position,
so that `Viewer` (engine/service/viewer.py) asks for a condition without building SQL itself.
A grant is (role, scope), its scope None when national, a région grant already expanded.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, exists, true

from .. import scope as rule
from .models import HumanTask, ProcessInstance

#: A condition to put in a query's `where`, opaque to the service layer.
Condition = ColumnElement[bool]

_TASK = rule.Columns(HumanTask.territory, HumanTask.siren, HumanTask.role, HumanTask.assignee)
_DOSSIER = rule.Columns(ProcessInstance.territory, ProcessInstance.siren)


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

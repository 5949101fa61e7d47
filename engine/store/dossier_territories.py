"""The départements a dossier covers besides its own (`dossier_territories`).

A contract over several départements (the Bassin minier, 59 and 62) is filed in one of them,
the dossier's own (`process_instances.territory`); the others are kept here, written by the
step that computed them (the process property `territoires`, engine.runtime.kernel), so that
the préfet of each sees the dossier: in the SQL scope of the lists and searches
(`scope_filters.dossiers_seen`) and on the dossier's pages (`of`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, bindparam, delete, insert, select

from .models import DossierTerritory

_TABLE = DossierTerritory.__table__
_OF = (
    select(_TABLE.c.territory)
    .where(_TABLE.c.instance_id == bindparam("instance_id"))
    .order_by(_TABLE.c.territory)
)
_DROP = delete(_TABLE).where(
    _TABLE.c.instance_id == bindparam("instance_id"),
    _TABLE.c.territory.not_in(bindparam("kept", expanding=True)),
)
_DROP_ALL = delete(_TABLE).where(_TABLE.c.instance_id == bindparam("instance_id"))
_ADD = insert(_TABLE)


def of(connection: Connection, instance_id: int) -> tuple[str, ...]:
    """The other départements of a dossier, in code order (none for most dossiers)."""
    return tuple(connection.execute(_OF, {"instance_id": instance_id}).scalars())


def replace(connection: Connection, instance_id: int, territories: Iterable[str]) -> None:
    """Make the dossier's other départements exactly `territories` (in the step's
    transaction: a step refused or in conflict leaves them as they were)."""
    wanted = sorted(set(territories))
    stored = set(of(connection, instance_id))
    if stored - set(wanted):
        if wanted:
            connection.execute(_DROP, {"instance_id": instance_id, "kept": wanted})
        else:
            connection.execute(_DROP_ALL, {"instance_id": instance_id})
    added = [t for t in wanted if t not in stored]
    if added:
        connection.execute(_ADD, [{"instance_id": instance_id, "territory": t} for t in added])

"""Who may read, edit and publish a procedure, and the log of what they did.

National staff read the catalogue; a procedure is edited, published (and later migrated) only
by its owners (process owners named on it) and by administrators. Every such action is written
to the procedure's audit log in the transaction that does it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from ...errors import Conflict, Forbidden, InvalidInput, NotFound
from ...roles import ADMIN, EQUIPE_NATIONALE, RESPONSABLE_PROCESSUS
from ...store import people
from ...store import process_editing as store
from ..context import Services
from ..viewer import Viewer

READERS = frozenset({RESPONSABLE_PROCESSUS, ADMIN, EQUIPE_NATIONALE})

#: What each audit action reads as on the process page.
ACTIONS = {
    "brouillon_ouvert": "Brouillon ouvert",
    "brouillon_enregistre": "Brouillon enregistré",
    "brouillon_abandonne": "Brouillon abandonné",
    "import": "Fichiers importés",
    "publication": "Version publiée",
    "creation": "Procédure créée",
    "responsable_ajoute": "Responsable ajouté",
    "responsable_retire": "Responsable retiré",
    "retrait": "Procédure retirée",
    "remise_en_service": "Procédure remise en service",
    "plan_migration": "Plan de migration créé",
    "plan_migration_modifie": "Plan de migration modifié",
    "essai_migration": "Essai de migration lancé",
    "essai_termine": "Essai de migration terminé",
    "migration_lancee": "Migration lancée",
    "migration_terminee": "Migration terminée",
}


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str | None
    action: str
    detail: str

    @property
    def label(self) -> str:
        return ACTIONS.get(self.action, self.action)


def _national(viewer: Viewer, roles: frozenset[str] | set[str]) -> bool:
    return any(g.role in roles and g.scope is None for g in viewer.grants)


def may_read(viewer: Viewer) -> bool:
    return viewer.operator or _national(viewer, READERS)


def is_admin(viewer: Viewer) -> bool:
    return viewer.operator or _national(viewer, {ADMIN})


def may_edit(connection: Connection, viewer: Viewer, process_id: str) -> bool:
    if is_admin(viewer):
        return True
    return _national(viewer, {RESPONSABLE_PROCESSUS}) and store.is_owner(
        connection, process_id, viewer.login
    )


def may_edit_owned_by(viewer: Viewer, owners: Collection[str]) -> bool:
    """`may_edit` when the procedure's owners are already read (lists, the process page)."""
    return is_admin(viewer) or (
        _national(viewer, {RESPONSABLE_PROCESSUS}) and viewer.login in owners
    )


def may_create(viewer: Viewer) -> bool:
    return is_admin(viewer) or _national(viewer, {RESPONSABLE_PROCESSUS})


def require_reader(viewer: Viewer) -> None:
    if not may_read(viewer):
        raise Forbidden("Le catalogue des procédures est réservé à l'équipe nationale.")


def require_editor(connection: Connection, viewer: Viewer, process_id: str) -> None:
    if not may_edit(connection, viewer, process_id):
        raise Forbidden(
            "Seuls les responsables de cette procédure et les administrateurs la modifient."
        )


def record(
    connection: Connection, process_id: str, action: str, detail: str, *, at: datetime, actor: str
) -> None:
    store.record(connection, process_id, action, detail, at=at, actor=actor)


def audit(services: Services, viewer: Viewer, process_id: str) -> list[AuditEntry]:
    require_reader(viewer)
    with services.read() as connection:
        rows = store.audit(connection, process_id)
    return [AuditEntry(r.at, r.actor, r.action, r.detail) for r in rows]


def owners(services: Services, viewer: Viewer, process_id: str) -> list[str]:
    require_reader(viewer)
    with services.read() as connection:
        return store.owners(connection, [process_id]).get(process_id, [])


def add_owner(services: Services, viewer: Viewer, process_id: str, login: str) -> None:
    """Name a process owner (an account with the national `responsable_processus` role)."""
    login = login.strip()
    now = services.clock.now()
    with services.write() as connection:
        require_editor(connection, viewer, process_id)
        if people.user_row(connection, login) is None:
            raise NotFound(f"Utilisateur introuvable : « {login} ».")
        grants = people.grants_of(connection, login)
        if (RESPONSABLE_PROCESSUS, None) not in grants:
            raise InvalidInput(
                f"« {login} » n'a pas le rôle national de responsable de processus : "
                "donnez-le-lui d'abord dans l'administration des comptes.",
                field="login",
            )
        if store.is_owner(connection, process_id, login):
            raise Conflict(f"« {login} » est déjà responsable de cette procédure.")
        store.add_owner(connection, process_id, login, now, viewer.login)
        record(connection, process_id, "responsable_ajoute", login, at=now, actor=viewer.login)


def remove_owner(services: Services, viewer: Viewer, process_id: str, login: str) -> None:
    now = services.clock.now()
    with services.write() as connection:
        require_editor(connection, viewer, process_id)
        if not store.remove_owner(connection, process_id, login):
            raise NotFound(f"« {login} » n'est pas responsable de cette procédure.")
        record(connection, process_id, "responsable_retire", login, at=now, actor=viewer.login)

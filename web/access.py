"""Who is signed in, and what the navigation offers them. Every view asks here, never the session."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g
from flask_login import UserMixin, current_user, login_required

from engine import service
from engine.roles import (
    ADMIN,
    COLLECTIVITE,
    COMITE,
    EQUIPE_NATIONALE,
    EXPERT,
    PREFET,
    RESPONSABLE_PROCESSUS,
)

F = TypeVar("F", bound=Callable[..., Any])
#: Roles that work in inboxes (the authorities have their portal).
STAFF = frozenset({PREFET, EQUIPE_NATIONALE, COMITE, EXPERT})
NATIONAL_WATCHERS = frozenset({EQUIPE_NATIONALE, RESPONSABLE_PROCESSUS})


class SignedIn(UserMixin):
    """The person of this request: their account and the engine viewer built from its grants."""

    def __init__(self, account: Any, viewer: service.Viewer) -> None:
        self.account = account
        self.id = account.login
        self.viewer = viewer

    @property
    def roles(self) -> set[str]:
        return {grant.role for grant in self.viewer.grants}

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


def services() -> service.Services:
    return current_app.extensions["anct"]


def viewer() -> service.Viewer:
    return current_user.viewer


def roles_required(*roles: str) -> Callable[[F], F]:
    """Signed in and holding one of these roles, else 403 (401 → sign-in page first)."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def national_watcher() -> bool:
    return any(grant.role in NATIONAL_WATCHERS and grant.scope is None for grant in viewer().grants)


def navigation() -> list[tuple[str, str]]:
    """(endpoint, label) of the menu for the signed-in person, in order."""
    if not current_user.is_authenticated:
        return []
    items = []
    if current_user.has(*STAFF):
        items.append(("inbox.index", "Mes tâches"))
    if current_user.has(COLLECTIVITE):
        items.append(("portal.index", "Mes dossiers"))
    if current_user.has(*STAFF, RESPONSABLE_PROCESSUS):
        items.append(("dossiers.search", "Dossiers"))
    if any(g.role == EQUIPE_NATIONALE and g.scope is None for g in viewer().grants):
        items.append(("campaigns.index", "Appels à projets"))
    items.append(("notices.index", "Notifications"))
    if national_watcher():
        items.append(("notices.incidents", "Incidents"))
    if current_user.has(RESPONSABLE_PROCESSUS, ADMIN) or any(
        g.role == EQUIPE_NATIONALE and g.scope is None for g in viewer().grants
    ):
        items.append(("processes.index", "Procédures"))
    if current_user.has(ADMIN):
        items.append(("admin.users", "Utilisateurs"))
    return items


def home_endpoint() -> str:
    """Where a person lands after signing in."""
    if current_user.has(*STAFF):
        return "inbox.index"
    if current_user.has(COLLECTIVITE):
        return "portal.index"
    if current_user.has(ADMIN):
        return "admin.users"
    return "notices.index"


def remember_unread() -> int:
    if "unread" not in g:
        from engine.service import notifications

        g.unread = notifications.unread_count(services(), viewer())
    return g.unread

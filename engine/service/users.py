"""The viewer a signed-in person is: the grants of their account, as every check reads them.

Accounts, passwords and grants are engine/service/people/; this module turns an account into
the `Viewer` that the task filter, the dossier scope and the actions check.
"""

from __future__ import annotations

from ..scope import expand
from .context import Services
from .people.accounts import Account, get_account
from .viewer import Grant, Viewer


def viewer_for(services: Services, login: str) -> Viewer:
    """The viewer of an active account (no grant at all for an inactive one)."""
    return viewer_of(services, get_account(services, login))


def viewer_of(services: Services, account: Account) -> Viewer:
    """The viewer of an account, a région grant standing for one grant per département.

    A préfet de région sees the départements of the région (shared/procedures.md); expanding
    here (engine.scope.expand) keeps every check (task filter, dossier scope, actions) on
    département codes.
    """
    if not account.active:
        return Viewer(login=account.login)
    grants = (
        Grant(grant.role, scope)
        for grant in account.grants
        for scope in expand(grant.scope, services.territories)
    )
    return Viewer(login=account.login, grants=tuple(dict.fromkeys(grants)))

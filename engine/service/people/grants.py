"""Grants as people type them: a role, and a scope that must fit it.

A collectivité acts for one organisation (its SIREN), a préfet over a département or a région
(`region:75`), the admin over the whole platform; any other role may be national or scoped.
Every grant is checked against the real territories before it is stored, so that a typo never
becomes a role over nothing.
"""

from __future__ import annotations

from ...errors import InvalidInput
from ...roles import ADMIN, COLLECTIVITE, PREFET, ROLE_LABELS
from ...territory import REGION_PREFIX, check_siren, region_scope
from ..context import Services
from ..field_errors import FieldErrors
from ..viewer import Grant

#: Roles that only make sense over a scope: an authority's SIREN, a préfet's département.
_SCOPED = {COLLECTIVITE: "siren", PREFET: "departement"}
#: Roles over the whole platform: a scope would mean nothing (the admin manages accounts
#: everywhere and acts in no dossier).
_NATIONAL_ONLY = frozenset({ADMIN})


def normalise_grant(services: Services, role: str, scope: str | None) -> Grant:
    """A grant as stored: a known role, and a scope that is a real SIREN or département."""
    role = (role or "").strip()
    if role not in ROLE_LABELS:
        known = ", ".join(sorted(ROLE_LABELS))
        raise InvalidInput(f"Rôle inconnu : « {role} » (rôles possibles : {known}).", field="role")
    scope = (scope or "").strip() or None
    kind = _SCOPED.get(role)
    if scope is not None and role in _NATIONAL_ONLY:
        raise InvalidInput(
            f"Le rôle « {ROLE_LABELS[role]} » vaut pour toute la plateforme : "
            "laissez le périmètre vide.",
            field="scope",
        )
    if scope is None:
        if kind == "siren":
            raise InvalidInput("Le rôle « collectivite » s'exerce pour une organisation : SIREN ?")
        if kind == "departement":
            raise InvalidInput("Le rôle « prefet » s'exerce sur un département : code ?")
        return Grant(role, None)
    compact = scope.replace(" ", "")
    if kind == "departement" and compact.lower().startswith(("region:", "région:")):
        return Grant(role, _check_region(services, compact.split(":", 1)[1]))
    if kind == "siren" or (kind is None and compact.isdigit() and len(compact) == 9):
        return Grant(role, check_siren(compact))
    return Grant(role, services.territories.departement(scope).code)


def normalise_grants(services: Services, grants: list[tuple[str, str | None]]) -> list[Grant]:
    """Each grant checked, duplicates dropped (the first one kept in its place)."""
    return list(dict.fromkeys(normalise_grant(services, r, s) for r, s in grants))


def grant_label(services: Services, grant: Grant) -> str:
    """« Préfet (délégué territorial) (Creuse, 23) », « Équipe nationale (national) »."""
    role = ROLE_LABELS.get(grant.role, grant.role)
    if grant.scope is None:
        return f"{role} (national)"
    if grant.scope.startswith(REGION_PREFIX):
        code = grant.scope.removeprefix(REGION_PREFIX)
        return f"{role} (région {services.territories.regions.get(code, code)}, {code})"
    found = services.territories.departements.get(grant.scope)
    if found is not None:
        return f"{role} ({found.nom}, {found.code})"
    if grant.scope.isdigit() and len(grant.scope) == 9:
        return f"{role} (SIREN {grant.scope})"
    return f"{role} ({grant.scope})"


def check_grant_rows(services: Services, rows: list[tuple[str | None, str | None]]) -> list[Grant]:
    """The grants of role/scope rows as typed in a form; refused with an error per row."""
    errors = FieldErrors()
    grants = grant_rows(services, rows, errors)
    errors.raise_if_any()
    return grants


def grant_rows(
    services: Services, rows: list[tuple[str | None, str | None]], errors: FieldErrors
) -> list[Grant]:
    """The grants of role/scope rows as typed, each refusal kept as `role-<i>` or `scope-<i>`
    (the i-th row as typed, 0-based; rows left entirely blank are ignored), and `grants` when
    the form, otherwise correct, gives none."""
    grants: list[Grant] = []
    for index, (role, scope) in enumerate(rows):
        role, scope = (role or "").strip(), (scope or "").strip()
        if not role and not scope:
            continue
        if not role:
            errors.add(f"role-{index}", "Choisissez le rôle qui s'exerce sur ce périmètre.")
            continue
        try:
            grants.append(normalise_grant(services, role, scope))
        except InvalidInput as exc:
            where = "role" if exc.details.get("field") == "role" else "scope"
            errors.add(f"{where}-{index}", exc.message)
    if not grants and not errors:
        errors.add("grants", "Donnez au moins un rôle.")
    return list(dict.fromkeys(grants))


def _check_region(services: Services, code: str) -> str:
    code = code.strip()
    if code not in services.territories.regions:
        raise InvalidInput(
            f"Région inconnue : « {code} » (code INSEE, par exemple 75).", field="scope"
        )
    return region_scope(code)

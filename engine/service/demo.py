"""Demonstration data for the embedded default: one account per role, open calls.

Idempotent: what exists is left as it is (a changed password stays changed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ..store import campaigns as campaign_rows
from ..store import grants as grant_rows
from ..store import people as people_rows
from ..store import process_editing
from .campaigns import calls, programmes
from .context import Services
from .people import accounts

#: The demonstration password of every account, documented in the README. Never in production.
DEMO_PASSWORD = "demo-anct-2026"  # noqa: S105 - documented demonstration password


@dataclass(frozen=True)
class DemoUser:
    login: str
    name: str
    role: str
    scope: str | None
    organisation: str | None = None


DEMO_USERS = (
    DemoUser("mairie.gueret", "Sophie Lemaire", "collectivite", "212309603", "Commune de Guéret"),
    DemoUser("ardenne.metropole", "Jean Moreau", "collectivite", "200041630",
             "CA Ardenne Métropole"),
    DemoUser("prefet.creuse", "Préfecture de la Creuse", "prefet", "23"),
    DemoUser("prefet.ardennes", "Préfecture des Ardennes", "prefet", "08"),
    DemoUser("anct.national", "Claire Martin (ANCT)", "equipe_nationale", None),
    DemoUser("comite.membre", "Paul Bernard (comité)", "comite", None),
    DemoUser("expert.cerema", "Luc Petit (Cerema)", "expert", None, "Cerema"),
    DemoUser("responsable.processus", "Nadia Roux (processus)", "responsable_processus", None),
    DemoUser("responsable.fabriques", "Marc Durand (Fabriques)", "responsable_processus", None),
    DemoUser("admin", "Administrateur", "admin", None),
)  # fmt: skip

#: The Fabriques' programme: 300 places and 45 M€ over its successive waves (guide ANCT 2020).
DEMO_PROGRAMMES = (
    ("FABRIQUES", "fabriques_territoire", "Fabriques de territoire", 45_000_000, 300),
)
DEMO_CALLS = (
    ("FABRIQUES-DEMO", "fabriques_territoire", "Fabriques de territoire (démonstration)",
     45_000_000, 300, "FABRIQUES"),
    ("PASS-NUMERIQUE-DEMO", "pass_numerique", "Pass numérique (démonstration)", 15_000_000, None,
     None),
)  # fmt: skip


#: Owners of the four procedures: one owner of them all, and one of the Fabriques only (who
#: may not edit the others).
DEMO_OWNERS = (
    ("demande_ingenierie", "responsable.processus"),
    ("fabriques_territoire", "responsable.processus"),
    ("fabriques_territoire", "responsable.fabriques"),
    ("pass_numerique", "responsable.processus"),
    ("territoires_en_renouveau", "responsable.processus"),
)


def ensure_demo(services: Services) -> list[str]:
    """Create what is missing; returns what was created, for the command to print."""
    created = []
    with services.read() as connection:
        existing = people_rows.logins(connection)
        codes = campaign_rows.codes(connection)
        programme_codes = {row.code for row in grant_rows.programmes(connection)}
    for person in DEMO_USERS:
        if person.login in existing:
            continue
        accounts.create_user(
            services, person.login, name=person.name, grants=[(person.role, person.scope)],
            email=f"{person.login}@demo.anct.gouv.fr", password=DEMO_PASSWORD,
            organisation=person.organisation,
        )  # fmt: skip
        created.append(f"utilisateur {person.login}")
    now = services.clock.now()
    for code, process_id, name, envelope, laureates in DEMO_PROGRAMMES:
        if code not in programme_codes:
            programmes.create(
                services, code=code, process_id=process_id, name=name, envelope=envelope,
                max_laureates=laureates,
            )  # fmt: skip
            created.append(f"programme {code}")
    for code, process_id, name, envelope, laureates, programme in DEMO_CALLS:
        if code in codes:
            continue
        calls.create(
            services, code=code, process_id=process_id, name=name,
            opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=90),
            envelope=envelope, max_laureates=laureates,
            instruction_deadline=now + timedelta(days=120),
            committee_at=now + timedelta(days=150), programme=programme,
        )  # fmt: skip
        created.append(f"appel {code}")
    with services.write() as connection:
        known = process_editing.owners(connection)
        for process_id, login in DEMO_OWNERS:
            if login not in known.get(process_id, []):
                process_editing.add_owner(connection, process_id, login, now, None)
                created.append(f"responsable {login} de {process_id}")
    return created

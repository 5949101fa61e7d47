"""Role codes: every BPMN lane is named after one of them (see shared/procedures.md)."""

from __future__ import annotations

COLLECTIVITE = "collectivite"
PREFET = "prefet"
EQUIPE_NATIONALE = "equipe_nationale"
COMITE = "comite"
EXPERT = "expert"
RESPONSABLE_PROCESSUS = "responsable_processus"
ADMIN = "admin"

ROLE_LABELS = {
    COLLECTIVITE: "Collectivité",
    PREFET: "Préfet (délégué territorial)",
    EQUIPE_NATIONALE: "Équipe nationale",
    COMITE: "Comité",
    EXPERT: "Expert",
    RESPONSABLE_PROCESSUS: "Responsable de processus",
    ADMIN: "Administrateur",
}

#: Roles that may hold tasks in a lane (the others manage the platform, not dossiers).
LANE_ROLES = frozenset({COLLECTIVITE, PREFET, EQUIPE_NATIONALE, COMITE, EXPERT})

#: Roles that act only on the tasks assigned to them by name (an expert works on the missions
#: the agency gave them, not on every expert task of the territory).
ASSIGNED_ONLY = frozenset({EXPERT})

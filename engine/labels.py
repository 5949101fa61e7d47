"""The French words for the codes the platform stores, in one table per kind of code.

Codes (`non_recevable`, `equipe_nationale`, `minuterie`) are what the engine and the database
keep; people read labels. The web pages, the notifications and e-mails and the CSV export all
ask here, so that no code reaches a person and a label changes in one place. A code missing
from a table (a procedure deployed later with a new outcome) still reads as words: the name
the procedure gives it if there is one, else the code with its underscores turned to spaces.
"""

from __future__ import annotations

from collections.abc import Mapping

from .roles import ROLE_LABELS

#: Roles, and so the lanes of every BPMN diagram (each lane is named after a role).
ROLES: Mapping[str, str] = ROLE_LABELS

#: How a dossier ended: the `outcome` property of the end event it reached.
OUTCOMES: Mapping[str, str] = {
    # Demande d'accompagnement en ingénierie
    "orientee_localement": "Orientée vers l'ingénierie locale",
    "non_recevable": "Non recevable",
    "sans_suite": "Classée sans suite",
    "refusee": "Accompagnement refusé",
    "accompagnement_termine": "Accompagnement terminé",
    "rapport_etape_remis": "Rapport d'étape remis",
    # Appels à projets (Fabriques de territoire, pass numérique)
    "non_retenu": "Non retenue",
    "laureat": "Lauréat, accompagnement terminé",
    "periode_suivi_echue": "Période de suivi échue",
    "rapport_activite_rendu": "Rapport d'activité rendu",
    "solde_verse": "Solde versé",
    # Territoires en renouveau
    "abandonne": "Contrat non engagé (abandon)",
    "periode_echue": "Période du contrat échue",
    "comite_pilotage_tenu": "Comité de pilotage tenu",
    "revue_mi_parcours_faite": "Revue à mi-parcours faite",
    "contrat_clos": "Contrat clos",
    # Closed from outside the diagram (engine/service/dossiers/closing.py)
    "retire": "Retiré par la collectivité",
    "renonce": "Aide refusée par le lauréat (renonciation)",
    "aide_annulee": "Aide annulée par l'équipe nationale",
    # Branches that end while the dossier goes on (reminders, alerts)
    "rappel_prefet": "Préfet relancé",
    "alerte_equipe_nationale": "Équipe nationale alertée",
    "relance_collectivite": "Collectivité relancée",
    "relance_signature_collectivite": "Collectivité relancée pour signer",
    "relance_signature_anct": "Agence relancée pour signer",
    "relance_signature_partenaires": "Partenaires relancés pour signer",
    "relance_avis_prefet": "Préfet relancé",
    "relance_rapport_6_mois": "Collectivité relancée (rapport à 6 mois)",
    "relance_rapport_12_mois": "Collectivité relancée (rapport final)",
}

#: Where a dossier stands (`process_instances.status`); also the search's status filter.
DOSSIER_STATUSES: Mapping[str, str] = {
    "en_cours": "En cours",
    "terminee": "Terminé",
    "incident": "Incident",
}

#: Tasks (`human_tasks.status`) and timers (`timers.status`).
TASK_STATUSES: Mapping[str, str] = {
    "ouverte": "À faire",
    "terminee": "Traitée",
    "annulee": "Annulée",
}
TIMER_STATUSES: Mapping[str, str] = {
    "en_attente": "En attente",
    "declenchee": "Déclenchée",
    "annulee": "Annulée",
    "incident": "Incident",
}

#: Every status a page may show, whatever it belongs to (dossier first: « terminee » is
#: « Terminé » for a dossier).
STATUSES: Mapping[str, str] = {**TIMER_STATUSES, **TASK_STATUSES, **DOSSIER_STATUSES}

#: What each kind of history event (`audit_events.kind`) means.
EVENTS: Mapping[str, str] = {
    "dossier_cree": "Dossier déposé",
    "donnees": "Données modifiées",
    "debut": "Début de la procédure",
    "script": "Étape automatique",
    "decision": "Décision automatique (table de décision)",
    "minuterie": "Échéance atteinte",
    "fin": "Fin de la procédure",
    "dossier_termine": "Dossier terminé",
    "tache_terminee": "Tâche traitée",
    "tache_prise": "Tâche prise en charge",
    "tache_liberee": "Tâche remise à disposition",
    "tache_assignee": "Tâche confiée",
    "incident": "Incident",
    "piece_jointe": "Pièce jointe reçue",
    "signature": "Signature",
    "migration": "Migration de version",
    "retrait": "Dossier retiré par la collectivité",
    "classement_sans_suite": "Dossier classé sans suite",
    "renonciation": "Renonciation à l'aide",
    "annulation_aide": "Aide annulée",
    "reduction_aide": "Aide réduite",
}

#: Who acted when it was not a person: the scheduler firing a due timer, or the engine itself
#: (no actor recorded).
PLATFORM = "Plateforme"
ACTORS: Mapping[str, str] = {
    "minuterie": "Plateforme (échéance atteinte)",
}

#: Kinds of timers (`timers.kind`).
TIMER_KINDS: Mapping[str, str] = {"duree": "Délai", "date": "Date fixée", "cycle": "Périodique"}

#: Variables the procedures' scripts record (dates of reminders, alerts), shown on the dossier
#: page under « Autres informations » where no form gives them a title.
VARIABLES: Mapping[str, str] = {
    "date_depot": "Date de dépôt",
    "territoire": "Département du dossier",
    "rappel_prefet": "Préfet relancé le",
    "alerte_equipe_nationale": "Équipe nationale alertée",
    "date_alerte_equipe_nationale": "Équipe nationale alertée le",
    "relance_complements": "Collectivité relancée (compléments) le",
    "relance_signature_collectivite": "Collectivité relancée pour signer le",
    "relance_signature_anct": "Agence relancée pour signer le",
    "relance_signature_partenaires": "Partenaires relancés pour signer le",
    "partenaires_par_login": "Partenaires, par identifiant",
    "signatures_partenaires": "Signatures des partenaires",
    "date_signature_convention": "Convention signée le",
    "date_fin_mission_prevue": "Fin de mission prévue le",
    "motif_issue": "Motif de l'issue",
    "motif_reduction": "Motif de la réduction de l'aide",
}


def humanize(code: str) -> str:
    """« date_depot » → « Date depot »: the last resort, so that a person never reads a code."""
    text = " ".join(code.replace("_", " ").split())
    return text[:1].upper() + text[1:]


def label(table: Mapping[str, str], code: str | None, default: str | None = None) -> str:
    """The label of `code` in `table`; else `default` (a name the procedure gives); else the
    code as words; « — » for no code at all."""
    if code is None or code == "":
        return "—"
    return table.get(code) or default or humanize(code)


def outcome(code: str | None, name: str | None = None) -> str:
    """How a dossier ended; `name` is the end event's own name, used for a code not listed."""
    return label(OUTCOMES, code, name)


def role(code: str | None) -> str:
    return label(ROLES, code)


def status(code: str | None) -> str:
    return label(STATUSES, code)


def event(kind: str | None) -> str:
    return label(EVENTS, kind)


def actor(login: str | None, name: str | None = None) -> str:
    """Who did it: the person's name, else what the platform did, else the login."""
    if not login:
        return PLATFORM
    return name or ACTORS.get(login) or login


def timer_kind(kind: str | None) -> str:
    return label(TIMER_KINDS, kind)


def variable(name: str) -> str:
    return label(VARIABLES, name)

"""The operators a BPMN service task may call, with their parameters.

Declared here so that deployment can check a diagram against them; their implementations live
in the service layer (`engine.service.operators`), which a test keeps in step with this list.
"""

from __future__ import annotations

OPERATORS: dict[str, frozenset[str]] = {
    "campagne_ouverte": frozenset({"campagne"}),
    "reserver_enveloppe": frozenset({"campagne", "montant"}),
    "aide_du_dossier": frozenset(),
    "enregistrer_versement": frozenset({"nature", "libelle", "montant", "date", "reference"}),
}

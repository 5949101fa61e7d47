"""What a decision notice states besides the outcome: for a grant, its amount and conditions.

The end event the dossier reached names them in its extension properties, like its `motif`
(processes/README.md): `montant`, an expression giving the amount granted (`montant_accorde`),
and `conditions`, one giving its conditions in words (`conditions_aide`). The dossier page's
banner, the notification and the e-mail to the requesting authority state them. They are
written for the authority: the deployment refuses a property that reads a variable the
authority does not read (engine.definitions.reader_checks), so they are evaluated here on
the dossier's data as it stands.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection

from .. import l10n
from ..definitions.bpmn_checks import NS
from ..definitions.xml import parse_xml
from ..errors import EngineError
from .context import Services
from .version_catalogue import VersionFiles

logger = logging.getLogger(__name__)

#: The end event's properties a notice states, besides `motif` (which the engine keeps).
AMOUNT, CONDITIONS = "montant", "conditions"


@dataclass(frozen=True)
class Terms:
    """The amount granted (in words, « 90 000,00 € ») and the conditions of a decision."""

    amount: str | None = None
    conditions: str | None = None


def decision_terms(
    services: Services,
    connection: Connection,
    version_id: int | None,
    outcome: str | None,
    data: Mapping[str, Any],
) -> Terms:
    """The terms the end event of `outcome` gives on this data (none for an outcome without
    them, a dossier closed from outside its diagram, or an expression that cannot be read)."""
    if version_id is None or not outcome:
        return Terms()
    expressions = services.versions.derived(
        version_id, connection, "decision_terms", _end_properties
    ).get(outcome)
    if not expressions:
        return Terms()
    values = {}
    for name, expression in expressions.items():
        try:
            values[name] = services.runner.script_engine.environment.evaluate(
                expression, dict(data)
            )
        except EngineError as exc:
            # A field left empty (optional conditions) is no fault of the procedure's.
            unfilled = "NameError" in getattr(exc, "technical", "")
            logger.log(
                logging.INFO if unfilled else logging.WARNING,
                "Issue « %s », propriété « %s » : %s", outcome, name, exc.message,
            )  # fmt: skip
            values[name] = None
    return Terms(amount=_amount(values.get(AMOUNT)), conditions=_text(values.get(CONDITIONS)))


def _amount(value: Any) -> str | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return l10n.euros(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text[:2000] or None


def _end_properties(version: VersionFiles) -> dict[str, dict[str, str]]:
    """Outcome code → the `montant` and `conditions` expressions of its end event(s)."""
    found: dict[str, dict[str, str]] = {}
    for name, text in sorted(version.files.items()):
        if not name.lower().endswith(".bpmn"):
            continue
        root = parse_xml(text.encode("utf-8"), name)
        for end in root.iterfind(".//bpmn:endEvent", NS):
            properties = {
                p.get("name"): (p.get("value") or "").strip()
                for p in end.iterfind(
                    "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS
                )
            }
            terms = {k: properties[k] for k in (AMOUNT, CONDITIONS) if properties.get(k)}
            if terms:
                found.setdefault(properties.get("outcome") or end.get("id") or "", terms)
    return found

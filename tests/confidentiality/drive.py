"""Driving a dossier of each procedure to its end, with a value in every free-text field.

The steps are the migration scenarios' (tests/procedures/test_migration_procedures.py: who
does each task, with what). Each task's form, read from the deployed version, gets a marker
text (« Témoin notes_comite 3 ») in every free-text field the step leaves empty, so that the
matrix finds data in the fields no scenario fills (the committee's notes, the conditions of a
grant) and can look for it on pages and in messages. `before_task` lets the matrix read the
task page as its holder sees it, just before they do it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from itertools import count
from typing import Any

from engine import service
from tests.procedures import test_demande_ingenierie as ing
from tests.procedures import test_migration_procedures as scenarios

OPERATOR = service.Viewer.command_line()
PROCEDURES = {p.id: p for p in scenarios.PROCEDURES}
#: Choices other than the scenarios', task by task, in the order the dossier meets them: one
#: dossier per entry, so that the branches' fields hold data too (a refusal's motive, the
#: complements asked, the préfet's reserved opinion and its motivation).
VARIANTS: dict[str, list[dict[str, list[dict]]]] = {
    "demande_ingenierie": [
        {"qualifier_besoin": [ing.COMPLEMENTS, ing.TRANSMISSION],
         "decider_accompagnement": [ing.RENVOI, ing.ACCEPTE]},
        {"qualifier_besoin": [ing.INGENIERIE_LOCALE]},
        {"qualifier_besoin": [ing.NON_RECEVABLE]},
        {"decider_accompagnement": [ing.REFUSE]},
    ],
    "fabriques_territoire": [
        {"avis_prefet": [{"avis_prefet": "reserve", "rang_prefet": 2}]},
        {"selectionner": [{"decision_comite": "non_retenu"}]},
    ],
    "pass_numerique": [
        {"avis_prefet": [{"avis_prefet": "reserve", "rang_prefet": 2}]},
        {"deliberer_jury": [{"decision_jury": "non_retenu"}]},
    ],
    "territoires_en_renouveau": [
        {},
        {"valider_diagnostic": [{"decision_diagnostic": "abandonner"}]},
    ],
}  # fmt: skip
#: Text fields whose value has a meaning a marker would break.
KEEP = frozenset({"login", "expert_login"})


def details(services: service.Services, reference: str) -> service.InstanceDetails:
    return service.get_instance(services, reference, OPERATOR)


def free_text(schema: Mapping[str, Any]) -> bool:
    """A field a person types anything into (no choice, format, pattern or person)."""
    return (
        schema.get("type") == "string"
        and not any(key in schema for key in ("enum", "const", "format", "pattern"))
        and schema.get("x-widget") not in ("personne", "fichier", "email", "telephone")
    )


def applies(schema: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    """Whether a conditional field (`x-si`) holds with these values."""
    condition = schema.get("x-si")
    if not isinstance(condition, Mapping):
        return True
    value = data.get(condition.get("champ"))
    wanted = condition.get("vaut") or []
    return any(v in wanted for v in value) if isinstance(value, list) else value in wanted


def with_markers(form: Mapping[str, Any] | None, data: dict, numbers: count) -> dict:
    """`data` with a marker in each free-text field of the form it leaves empty."""
    if not form:
        return data
    filled = dict(data)
    for name, schema in (form.get("properties") or {}).items():
        if name in filled or name in KEEP or not free_text(schema) or not applies(schema, data):
            continue
        marker = f"Témoin {name} {next(numbers)}"
        filled[name] = marker[: int(schema.get("maxLength", 200))]
    return filled


def drive(
    procedure: scenarios.Procedure,
    services: service.Services,
    people: dict[str, service.Viewer],
    clock: Any,
    reference: str,
    *,
    choices: Mapping[str, list[dict]] | None = None,
    before_task: Callable[[service.Viewer, dict], None] | None = None,
) -> None:
    """The dossier to its end: one task at a time, the clock jumping to the next timer when
    no task is open (scenarios.drive, for one dossier); `choices` (see VARIANTS) first."""
    numbers = count(1)
    waiting = {bpmn_id: list(data) for bpmn_id, data in (choices or {}).items()}
    for _ in range(500):
        dossier = details(services, reference)
        if dossier.status != "en_cours":
            return
        if dossier.tasks:
            task = dossier.tasks[0]
            step = procedure.steps[task["bpmn_id"]]
            viewer = scenarios.viewer_for(procedure, people, task)
            if before_task is not None:
                before_task(viewer, task)
            data = step.data(services, viewer, task) if callable(step.data) else step.data
            if waiting.get(task["bpmn_id"]):
                data = waiting[task["bpmn_id"]].pop(0)
            form = service.task_form(services, viewer, task["id"]).schema
            service.complete(services, viewer, task["id"], with_markers(form, data, numbers))
            continue
        assert dossier.timers, "le dossier n'attend ni tâche ni minuterie"
        clock.set(max(clock.now(), min(t["due_at"] for t in dossier.timers)))
        service.advance(services, reference)
    raise AssertionError("le dossier n'arrive pas à sa fin")

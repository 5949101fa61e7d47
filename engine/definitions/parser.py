"""Our SpiffWorkflow parser: the spiff parser with clock-aware timers and process properties."""

from __future__ import annotations

from typing import Any, ClassVar

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    StartEvent,
)
from SpiffWorkflow.spiff.parser.event_parsers import (
    SpiffBoundaryEventParser,
    SpiffIntermediateCatchEventParser,
    SpiffIntermediateThrowEventParser,
    SpiffStartEventParser,
)
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser, SpiffProcessParser

from .bpmn_checks import NS
from .timers import CLOCK_TIMERS

#: Where a process keeps its own properties (`referencePrefix`, `startForm`, `territoires`).
_PROCESS_PROPERTIES = "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"


class _ClockTimers:
    def parse_timer_event(self, event: Any) -> Any:
        definition = super().parse_timer_event(event)  # type: ignore[misc]
        clock_class = CLOCK_TIMERS.get(type(definition))
        if clock_class is None:
            return definition
        return clock_class(
            definition.name, definition.expression, description=definition.description
        )


class StartEventParser(_ClockTimers, SpiffStartEventParser):
    pass


class IntermediateCatchEventParser(_ClockTimers, SpiffIntermediateCatchEventParser):
    pass


class BoundaryEventParser(_ClockTimers, SpiffBoundaryEventParser):
    pass


class IntermediateThrowEventParser(_ClockTimers, SpiffIntermediateThrowEventParser):
    pass


class ProcessParser(SpiffProcessParser):
    """Keeps the process's own properties on its spec (`spec.properties`), for the step
    kernel to read at every step (the `territoires` a dossier covers); the library keeps
    only those of tasks."""

    def create_spec(self) -> Any:
        spec = super().create_spec()
        spec.properties = {
            node.get("name"): node.get("value") or ""
            for node in self.node.iterfind(_PROCESS_PROPERTIES, NS)
            if node.get("name")
        }
        return spec


def process_properties(spec: Any) -> dict[str, str]:
    """The properties of a parsed process (none for a spec not parsed by `ProcessParser`)."""
    return getattr(spec, "properties", None) or {}


class AnctBpmnParser(SpiffBpmnParser):
    PROCESS_PARSER_CLASS = ProcessParser
    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, tuple[type, type]]] = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("startEvent"): (StartEventParser, StartEvent),
        full_tag("boundaryEvent"): (BoundaryEventParser, BoundaryEvent),
        full_tag("intermediateCatchEvent"): (IntermediateCatchEventParser, IntermediateCatchEvent),
        full_tag("intermediateThrowEvent"): (IntermediateThrowEventParser, IntermediateThrowEvent),
    }

    def __init__(self) -> None:
        super().__init__(validator=VALIDATOR)


def start_lanes(spec: Any) -> set[str | None]:
    """The lanes of a parsed process's start events (None for a start event outside any lane)."""
    return {t.lane for t in spec.task_specs.values() if isinstance(t, StartEvent)}

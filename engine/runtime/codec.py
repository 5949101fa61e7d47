"""Serialized form of a running workflow, without its spec.

The spec of a version never changes, so it is parsed once (kept by the version catalogue) rather than
stored in every instance and re-read at every step; the stored state is the task tree only.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import (
    TimerConditionalEventDefinitionConverter,
)
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from ..definitions.timers import CLOCK_TIMERS
from .script_engine import SandboxedScriptEngine


class _TaskTreeConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


def _registry() -> Any:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _TaskTreeConverter
    for clock_class in CLOCK_TIMERS.values():
        config[clock_class] = TimerConditionalEventDefinitionConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(
        date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"])
    )
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    return registry


class WorkflowCodec:
    def __init__(self) -> None:
        self.serializer = BpmnWorkflowSerializer(_registry())

    def dumps(self, workflow: BpmnWorkflow) -> str:
        return self.serializer.serialize_json(workflow)

    def loads(
        self,
        state: str,
        spec: BpmnProcessSpec,
        subprocess_specs: dict[str, Any],
        script_engine: SandboxedScriptEngine,
    ) -> BpmnWorkflow:
        dct = json.loads(state)
        self.serializer.migrate(dct)
        dct["spec"] = spec
        dct["subprocess_specs"] = dict(subprocess_specs)
        workflow = self.serializer.from_dict(dct)
        workflow.script_engine = script_engine
        return workflow

"""The bridge between SpiffWorkflow's script engine interface and our sandbox.

It lives with the runtime, the room that speaks SpiffWorkflow: the sandbox itself knows only
RestrictedPython and plain values."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from ..clock import Clock
from ..errors import EngineError, InvalidInput, ScriptError
from ..sandbox import Sandbox
from .jsondata import to_json


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__({})
        self.sandbox = sandbox

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        return self.sandbox.evaluate(expression, context, external_context)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        result = self.sandbox.execute(script, context, external_context)
        context.clear()
        context.update(result)
        return True

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        raise ScriptError("Les tâches de service ne sont pas prises en charge par ce moteur.")


#: The operators of the step running in this thread, bound to its collaborators.
_STEP_OPERATORS: ContextVar[Mapping[str, Callable[..., Any]] | None] = ContextVar(
    "anct_step_operators", default=None
)


@contextmanager
def operating(operators: Mapping[str, Callable[..., Any]] | None) -> Iterator[None]:
    """Give the service tasks of one step the operators the unit of work bound for it (its
    connection, its clock); one script engine serves every thread, so they are not kept on it."""
    token = _STEP_OPERATORS.set(operators)
    try:
        yield
    finally:
        _STEP_OPERATORS.reset(token)


class SandboxedScriptEngine(PythonScriptEngine):
    """Every script, condition, timer and DMN expression of a workflow runs here.

    The engine also carries the clock (our timer definitions read "now" from it); the operators
    service tasks may call (`engine.definitions.operators`) come with each step (`operating`).
    """

    def __init__(self, clock: Clock, time_limit: float = 1.0) -> None:
        self.clock = clock
        super().__init__(environment=SandboxEnvironment(Sandbox(clock, time_limit)))

    def call_service(
        self, task: Any, operation_name: str = "", operation_params: Any = None, **_: Any
    ) -> str:
        """Run an engine operator; its errors reach the user as they are (no script prefix)."""
        function = (_STEP_OPERATORS.get() or {}).get(operation_name)
        if function is None:
            raise _located(ScriptError(f"Opérateur inconnu : « {operation_name} »."), task)
        params = {name: param["value"] for name, param in (operation_params or {}).items()}
        return json.dumps(to_json(function(**params)))

    def evaluate(self, task: Any, expression: str, external_context: dict | None = None) -> Any:
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except EngineError as exc:
            raise _located(exc, task) from None

    def execute(self, task: Any, script: str, external_context: dict | None = None) -> bool:
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except EngineError as exc:
            raise _located(exc, task) from None


def _located(exc: EngineError, task: Any) -> EngineError:
    """Name the BPMN element whose script failed, once."""
    spec = task.task_spec
    label = getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name
    prefix = f"« {label} » ({getattr(spec, 'bpmn_id', spec.name)}) : "
    if isinstance(exc, InvalidInput):
        return exc  # a refusal the process addresses to the person, as written
    if not exc.message.startswith("« "):
        exc.message = prefix + exc.message
        exc.args = (exc.message,)
        exc.details.setdefault("element", getattr(spec, "bpmn_id", spec.name))
    return exc

"""Evaluate expressions and execute scripts of a process against its data, in the sandbox."""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ..clock import Clock, SystemClock
from ..errors import EngineError, SandboxViolation, ScriptError
from .guards import GUARDS, MAX_LENGTH
from .helpers import make_helpers
from .limits import run_with_limits
from .policy import SCRIPT_FILENAME, compile_script

_STORABLE_SCALARS = (str, int, float, bool, type(None), date, timedelta, Decimal)


#: Most values, and most characters of text, one variable may hold to be stored.
MAX_STORED_VALUES = MAX_LENGTH
MAX_STORED_CHARACTERS = 10 * MAX_LENGTH


def _check_storable(name: str, value: Any, depth: int = 0, left: list[int] | None = None) -> None:
    """Data must survive serialization: JSON values plus dates, durations and decimals.

    `left` counts down the values and characters still allowed: a list may hold the same list
    many times, so the stored size of a variable is not bounded by the memory it uses.
    """
    if left is None:
        left = [MAX_STORED_VALUES, MAX_STORED_CHARACTERS]
    left[0] -= 1
    left[1] -= len(value) if isinstance(value, str) else 0
    if left[0] < 0 or left[1] < 0:
        raise ScriptError(f"La variable « {name} » est trop volumineuse pour être enregistrée.")
    if depth > 50:
        raise ScriptError(f"La variable « {name} » est trop imbriquée pour être enregistrée.")
    if isinstance(value, _STORABLE_SCALARS):
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_storable(name, item, depth + 1, left)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ScriptError(f"La variable « {name} » a une clé qui n'est pas un texte.")
            _check_storable(name, item, depth + 1, left)
        return
    raise ScriptError(
        f"La variable « {name} » est de type « {type(value).__name__} », qui ne peut pas être "
        "enregistré dans le dossier (utilisez textes, nombres, dates, listes et dictionnaires)."
    )


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__} : {exc}"


class Sandbox:
    """One sandbox per clock; cheap to create, compiled code is shared."""

    def __init__(self, clock: Clock | None = None, time_limit: float = 1.0) -> None:
        self.clock = clock or SystemClock()
        self.time_limit = time_limit
        self._builtins = {**make_helpers(self.clock), **GUARDS}

    def _namespace(self, data: Mapping[str, Any], extra: Mapping[str, Any] | None) -> dict:
        # A copy, so that a failed script or an expression leaves the data as it was.
        namespace = deepcopy({k: v for k, v in data.items() if not k.startswith("_")})
        if extra:
            namespace.update(extra)
        namespace["__builtins__"] = self._builtins
        return namespace

    def evaluate(
        self, expression: str, data: Mapping[str, Any], extra: Mapping[str, Any] | None = None
    ) -> Any:
        code = compile_script(expression.strip(), "eval")
        namespace = self._namespace(data, extra)
        try:
            return run_with_limits(self.time_limit, lambda: eval(code, namespace))  # noqa: S307 (compiled by RestrictedPython, guarded builtins)
        except EngineError:
            raise
        except RecursionError:
            raise SandboxViolation("Expression interrompue : récursion trop profonde.") from None
        except Exception as exc:
            raise ScriptError(
                f"Erreur dans l'expression « {expression.strip()} » : {_describe(exc)}", cause=exc
            ) from None

    def execute(
        self, script: str, data: Mapping[str, Any], extra: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run `script` on a copy of `data`; return the new data (the input is left untouched)."""
        code = compile_script(script, "exec")
        namespace = self._namespace(data, extra)
        try:
            run_with_limits(self.time_limit, lambda: exec(code, namespace))  # noqa: S102 (compiled by RestrictedPython, guarded builtins)
        except EngineError:
            raise
        except RecursionError:
            raise SandboxViolation("Script interrompu : récursion trop profonde.") from None
        except Exception as exc:
            line = _script_line(exc)
            where = f" (ligne {line})" if line else ""
            raise ScriptError(
                f"Erreur dans le script{where} : {_describe(exc)}", cause=exc
            ) from None
        namespace.pop("__builtins__", None)
        for name in extra or ():
            namespace.pop(name, None)
        result = {k: v for k, v in data.items() if k.startswith("_")}
        for name, value in namespace.items():
            if callable(value) and not isinstance(value, type):
                continue  # a helper function the script defined for itself
            _check_storable(name, value)
            result[name] = value
        return result


def _script_line(exc: BaseException) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == SCRIPT_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line

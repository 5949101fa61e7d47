"""Time and memory limits of one script run, enforced by a trace function.

A trace function sees every line of the sandboxed code; loops also call `tick` on each turn
(a one-line `while True: pass` reports no line event), and the guards keep any single operation
small, so checking between lines and turns is enough.
"""

from __future__ import annotations

import resource
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

from ..errors import SandboxViolation
from .policy import SCRIPT_FILENAME

#: Growth of the process's peak memory (kB) a script may cause.
MAX_MEMORY_GROWTH_KB = 256 * 1024

T = TypeVar("T")


class _Budget:
    __slots__ = ("deadline", "memory_ceiling", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.memory_ceiling = _peak_memory_kb() + MAX_MEMORY_GROWTH_KB

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise SandboxViolation(
                f"Script interrompu : il a dépassé la durée maximale de {self.seconds:g} s."
            )
        if _peak_memory_kb() > self.memory_ceiling:
            raise SandboxViolation("Script interrompu : il consomme trop de mémoire.")


_active = threading.local()


def tick() -> None:
    """Check the running script's budget; called by loops, which may not report line events."""
    budget = getattr(_active, "budget", None)
    if budget is not None:
        budget.check()


def _peak_memory_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_with_limits(seconds: float, function: Callable[[], T]) -> T:
    """Call `function` (which runs sandboxed code) with a time and memory budget."""
    budget = _Budget(seconds)

    def local_trace(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            budget.check()
        return local_trace

    def global_trace(frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename == SCRIPT_FILENAME:
            budget.check()
            return local_trace
        return None

    previous = sys.gettrace()
    outer_budget = getattr(_active, "budget", None)
    _active.budget = budget
    sys.settrace(global_trace)
    try:
        return function()
    finally:
        sys.settrace(previous)
        _active.budget = outer_budget

"""The engine runs without Flask, even through its third-party dependencies.

The floors themselves (web and CLI above the services, no Flask in engine/) are import-linter
contracts in pyproject.toml, run by `make test`; they read our code only. This test imports every
engine module and looks at what got loaded, which also catches a library that pulls Flask in.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"


def test_engine_imports_without_flask():
    modules = sorted(
        ".".join(p.relative_to(ENGINE.parent).with_suffix("").parts)
        for p in ENGINE.rglob("*.py")
        if "migrations" not in p.parts and p.name != "__init__.py"
    )
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug', 'web', 'cli')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"

"""Checking definitions without deploying them (`anct validate`, the editor's "Vérifier").

It needs no database: the same validator as a deployment runs on files, so that an owner or a
CI job learns every problem before anything is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ...definitions import Validation, read_sources, validate
from ...definitions.bundle import FormSource, forms_in


def check_path(path: Path, forms_path: Path | None) -> Validation:
    """Every problem of the .bpmn/.dmn files of `path` (a file or a folder)."""
    return check_sources(read_sources(path), forms_in(forms_path) if forms_path else None)


def check_sources(sources: Mapping[str, bytes], forms: FormSource | None) -> Validation:
    return validate(sources, forms)

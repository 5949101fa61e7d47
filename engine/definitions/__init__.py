"""Process definitions: safe reading, validation, parsing and bundling of BPMN and DMN files."""

from .bundle import ProcessBundle, build_specs, read_sources
from .validator import Validation, prepare, validate

__all__ = ["ProcessBundle", "Validation", "build_specs", "prepare", "read_sources", "validate"]

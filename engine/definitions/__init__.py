"""Process definitions: safe reading, validation, parsing and bundling of BPMN and DMN files."""

from .bundle import ProcessBundle, build_specs, prepare, read_sources

__all__ = ["ProcessBundle", "build_specs", "prepare", "read_sources"]

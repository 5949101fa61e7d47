"""The catalogue of deployed versions: the one cache of what is derived from their files.

A deployed version never changes: its files are stored with their content hash. What the engine
derives from them (parsed specs, form validators, the fields the forms declare, the diagram
shown to people) is therefore computed once and kept here for the life of the process, and
nowhere else. Entries are shared by content hash, so that two databases holding the same files
(the tests' databases, a restored backup) parse them once; validators bind the territory data
of one services context and are kept per catalogue. The modeler and migrations read versions here.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection

from ..definitions import build_specs
from ..definitions.bundle import FORMS
from ..forms import make_validator
from ..store.catalogue import version_files
from ..territory import Territories

T = TypeVar("T")

#: Distinct contents kept at most (every running version of a server fits many times over).
MAX_CONTENTS = 128


@dataclass
class VersionFiles:
    """The files of one deployed content, and what has been derived from them so far."""

    process_id: str
    content_hash: str
    files: Mapping[str, str] = field(repr=False)
    start_form: str | None = None
    _derived: dict[str, Any] = field(default_factory=dict, repr=False)

    def derived(self, name: str, compute: Callable[[VersionFiles], T]) -> T:
        if name not in self._derived:
            value = compute(self)
            with _LOCK:
                self._derived.setdefault(name, value)
        return self._derived[name]


_LOCK = threading.Lock()
_CONTENTS: OrderedDict[tuple[str, str], VersionFiles] = OrderedDict()


def _shared(
    process_id: str, content_hash: str, files: Mapping[str, str], start_form: str | None
) -> VersionFiles:
    key = (content_hash, process_id)
    with _LOCK:
        found = _CONTENTS.get(key)
        if found is None:
            found = _CONTENTS[key] = VersionFiles(process_id, content_hash, files, start_form)
        _CONTENTS.move_to_end(key)
        while len(_CONTENTS) > MAX_CONTENTS:
            _CONTENTS.popitem(last=False)
    return found


def _specs(version: VersionFiles) -> tuple[Any, dict[str, Any]]:
    return build_specs(version.files, version.process_id)


def specs_of(
    files: Mapping[str, str], process_id: str, content_hash: str
) -> tuple[Any, dict[str, Any]]:
    """The parsed specs of files about to be deployed (`definitions.prepare` checks them by
    parsing): parsed here, they are not parsed again once the version is deployed."""
    return _shared(process_id, content_hash, files, None).derived("specs", _specs)


class VersionCatalogue:
    """Deployed versions by id, for one services context (one database)."""

    def __init__(self, territories: Territories) -> None:
        self.territories = territories
        self._by_id: dict[int, VersionFiles] = {}
        self._validators: dict[tuple[int, str], Any] = {}

    def version(self, version_id: int, connection: Connection) -> VersionFiles:
        """Read through the caller's connection: on SQLite a second connection would wait for
        the write lock the caller may hold."""
        found = self._by_id.get(version_id)
        if found is None:
            row = version_files(connection, version_id)
            found = _shared(row.process_id, row.content_hash, row.files, row.start_form)
            if found.start_form is None and row.start_form:
                found.start_form = row.start_form
            with _LOCK:
                self._by_id[version_id] = found
        return found

    def specs(self, version_id: int, connection: Connection) -> tuple[Any, dict[str, Any]]:
        return self.version(version_id, connection).derived("specs", _specs)

    def form_validator(self, version_id: int, ref: str, connection: Connection) -> Any:
        """The validator of a form as deployed with a version (KeyError for a form it lacks)."""
        key = (version_id, ref)
        validator = self._validators.get(key)
        if validator is None:
            text = self.version(version_id, connection).files.get(FORMS + ref)
            if text is None:
                raise KeyError(ref)
            validator = make_validator(json.loads(text), self.territories)
            with _LOCK:
                self._validators[key] = validator
        return validator

    def derived(
        self,
        version_id: int,
        connection: Connection,
        name: str,
        compute: Callable[[VersionFiles], T],
    ) -> T:
        """What `compute` derives from a version's files (its fields, its main diagram...)."""
        return self.version(version_id, connection).derived(name, compute)

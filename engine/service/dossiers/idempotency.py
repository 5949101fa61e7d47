"""Filing a dossier at most once per idempotency key: a system that retries after a timeout
gets back the dossier it already filed, never a second one.

The key is taken in the transaction that starts the dossier (`instances.start(once=...)`): of
two concurrent retries, the second waits on the key's row and then finds the first's dossier.
The same key with another body is refused, since it would silently drop what changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from ...errors import InvalidInput
from ...store import idempotency as store
from ..context import Services
from ..viewer import Viewer
from .instances import Once

MAX_KEY = 200


@dataclass(frozen=True)
class Filed:
    reference: str
    #: True when the key had already filed this dossier (nothing new was started).
    replayed: bool


def fingerprint(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise InvalidInput(
            f"Clé d'idempotence invalide : de 1 à {MAX_KEY} caractères imprimables.",
            fields={"Idempotency-Key": "Clé invalide."},
        )
    return key


def _replay(found: Any, fingerprint: str) -> Filed:
    if found.fingerprint != fingerprint:
        raise InvalidInput(
            "Cette clé d'idempotence a déjà servi pour une autre demande (corps différent) : "
            f"le dossier {found.reference} a été déposé avec elle. Utilisez une nouvelle clé.",
            fields={"Idempotency-Key": "Clé déjà utilisée avec un autre corps."},
        )
    return Filed(found.reference, True)


def file_once(
    services: Services, viewer: Viewer, key: str, body: Any,
    file: Callable[[Once], Any],
) -> Filed:  # fmt: skip
    """`file(once)` files the dossier (drafts.file with `once=`) unless this key already did."""
    once = Once(viewer.login, check_key(key), fingerprint(body))
    with services.read() as connection:
        found = store.find(connection, once.login, once.key)
    if found is not None and found.reference is not None:
        return _replay(found, once.fingerprint)
    try:
        started = file(once)
    except IntegrityError:
        with services.read() as connection:
            found = store.find(connection, once.login, once.key)
        if found is None or found.reference is None:
            raise
        return _replay(found, once.fingerprint)
    return Filed(started.reference, False)

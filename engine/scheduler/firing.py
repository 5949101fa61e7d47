"""One sweep: claim the due timers, advance each instance once, record what failed."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import uuid4

from sqlalchemy import select

from ..errors import EngineError
from ..service.context import Services
from ..service.dossiers import instances
from ..service.dossiers.incidents import notify_incident
from ..store.models import ProcessInstance, Timer
from .claims import PENDING, claim, record_failure

#: How long a claimed timer stays with its worker; past it, another worker may fire it.
LEASE = timedelta(seconds=60)
#: Attempts before a failing timer becomes an incident; waits between them double.
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(seconds=30)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class FiringReport:
    claimed: int = 0
    #: Dossiers the sweep tried to move (moved or not).
    instances: int = 0
    failed: list[str] = field(default_factory=list)
    incidents: list[str] = field(default_factory=list)
    #: References of the dossiers whose step went through: a failed step is not counted here,
    #: so that a report never says a dossier moved when it did not.
    advanced: list[str] = field(default_factory=list)


def fire_due(services: Services, *, worker: str | None = None, limit: int = 500) -> FiringReport:
    """Fire what is due at the services' clock; safe to run in any number of workers at once."""
    worker = worker or worker_name()
    now = services.clock.now()
    with services.write() as connection:
        claimed = claim(connection, now, worker, limit, LEASE)
    report = FiringReport(claimed=len(claimed))
    by_instance: dict[int, list[tuple[str, int]]] = {}
    for timer_id, instance_id, attempts in claimed:
        by_instance.setdefault(instance_id, []).append((timer_id, attempts))
    for instance_id, timers in by_instance.items():
        report.instances += 1
        label = str(instance_id)
        try:
            with services.read() as connection:
                reference = connection.execute(
                    ProcessInstance.__table__.select()
                    .with_only_columns(ProcessInstance.reference)
                    .where(ProcessInstance.id == instance_id)
                ).scalar_one()
            label = reference
            instances.advance(services, reference, actor="minuterie")
            untouched = _still_held(services, [timer_id for timer_id, _ in timers], worker)
            if untouched:
                message = (
                    "l'étape n'a pas déclenché cette minuterie (échéance du processus différente ?)"
                )
                held = [(t, a) for t, a in timers if t in untouched]
                _failed(services, (instance_id, label), held, worker, message, report)
            else:
                report.advanced.append(label)
        except EngineError as error:
            _failed(services, (instance_id, label), timers, worker, error.message, report)
        except Exception as error:
            message = f"{type(error).__name__} : {error}"
            _failed(services, (instance_id, label), timers, worker, message, report)
    return report


def _still_held(services: Services, timer_ids: list[str], worker: str) -> set[str]:
    """Claimed timers the step left as they were: neither fired, moved nor cancelled."""
    with services.read() as connection:
        return set(
            connection.execute(
                select(Timer.id).where(
                    Timer.id.in_(timer_ids), Timer.status == PENDING, Timer.locked_by == worker
                )
            ).scalars()
        )


def _failed(
    services: Services,
    instance: tuple[int, str],
    timers: list[tuple[str, int]],
    worker: str,
    message: str,
    report: FiringReport,
) -> None:
    """Retry later, or, retries spent, an incident the watchers are told of (same transaction)."""
    instance_id, label = instance
    now = services.clock.now()
    with services.write() as connection:
        for timer_id, attempts in timers:
            retry_at = None
            if attempts < MAX_ATTEMPTS:
                retry_at = now + FIRST_RETRY * (2 ** (attempts - 1))
            if not record_failure(connection, timer_id, worker, message, retry_at, now):
                continue  # the lease ran out and another worker holds the timer now
            if retry_at is None:
                report.incidents.append(label)
                # Each incident is its own event: retried after a fix, it may happen again.
                key = f"incident:{timer_id}:{uuid4().hex}"
                notify_incident(services, connection, instance_id, message, key)
            else:
                report.failed.append(label)

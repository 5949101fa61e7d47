"""The periodic sweep, run by APScheduler in `anct worker` and inside `anct serve`."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from ..service.context import Services
from .firing import fire_due

log = logging.getLogger("anct.minuteries")


def sweep(services: Services) -> None:
    report = fire_due(services)
    if report.claimed:
        log.info(
            "%s minuterie(s) prise(s), %s dossier(s), %s échec(s), %s incident(s)",
            report.claimed, report.instances, len(report.failed), len(report.incidents),
        )  # fmt: skip


def _schedule(
    scheduler: BackgroundScheduler | BlockingScheduler, services: Services, seconds: float
) -> None:
    # One sweep at a time per process (max_instances=1); other processes share the work.
    scheduler.add_job(sweep, "interval", seconds=seconds, args=[services], max_instances=1,
                      coalesce=True, id="minuteries")  # fmt: skip


def run_forever(services: Services, seconds: float = 1.0) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    _schedule(scheduler, services, seconds)
    scheduler.start()


def start_in_background(services: Services, seconds: float = 1.0) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
    _schedule(scheduler, services, seconds)
    scheduler.start()
    return scheduler

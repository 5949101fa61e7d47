"""The periodic jobs of `anct worker` and of `anct serve`: fire due timers, send the outbox,
migrate the dossiers queued by a migration plan.

Separate jobs, so that a slow mail server or a large migration never delays a timer.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from ..notifications.outbox import send_pending
from ..service.context import Services
from ..service.migrations import runs
from .firing import fire_due, worker_name

log = logging.getLogger("anct.minuteries")


def sweep(services: Services) -> None:
    report = fire_due(services)
    if report.claimed:
        log.info(
            "%s minuterie(s) prise(s), %s dossier(s) avancé(s), %s échec(s), %s incident(s)",
            report.claimed, len(report.advanced), len(report.failed), len(report.incidents),
        )  # fmt: skip


def send_mail(services: Services) -> int:
    """Send the outbox until nothing is due or the server stops accepting; returns how many."""
    if services.mailer is None:
        return 0
    sent = 0
    while True:
        report = send_pending(
            services, services.mailer, worker=worker_name(), sender=services.mail_from
        )
        sent += len(report.sent)
        if report.sent or report.retried or report.failed:
            log.info("courriels : %s envoyé(s), %s à réessayer, %s en échec",
                     len(report.sent), len(report.retried), len(report.failed))  # fmt: skip
        if not report.sent:
            return sent


def migrate(services: Services) -> int:
    """Work the queued migration runs in batches until none is pending; returns how many."""
    done = len(runs.work_all(services, worker=worker_name()))
    if done:
        log.info("migration : %s dossier(s) traité(s)", done)
    return done


def _schedule(
    scheduler: BackgroundScheduler | BlockingScheduler, services: Services, seconds: float
) -> None:
    # One run of each job at a time per process (max_instances=1); other processes share the work.
    jobs = ((sweep, "minuteries"), (send_mail, "courriels"), (migrate, "migrations"))
    for job, name in jobs:
        scheduler.add_job(job, "interval", seconds=seconds, args=[services], max_instances=1,
                          coalesce=True, id=name)  # fmt: skip


def run_forever(services: Services, seconds: float = 1.0) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    _schedule(scheduler, services, seconds)
    scheduler.start()


def start_in_background(services: Services, seconds: float = 1.0) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
    _schedule(scheduler, services, seconds)
    scheduler.start()
    return scheduler

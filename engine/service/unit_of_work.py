"""The unit of work of an engine step: open the instance, snapshot, run, save, or set it aside.

Starting a dossier, completing a task, firing timers (and, later, migrating) are each one step in
one transaction. They share this preamble: the write transaction, the instance read with its lock
version, the workflow restored and snapshotted, the operators bound to the transaction, the step
computed by the kernel (`engine.runtime.kernel`) and saved by the store; and, when the process
itself is at fault (`ProcessIncident`), the instance recorded as an incident in a transaction of
its own once the step's has been abandoned.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

from ..errors import ProcessIncident, ScriptError
from ..notifications.compose import Dossier, Event, compose
from ..roles import ASSIGNED_ONLY
from ..runtime import migration, snapshot
from ..runtime.kernel import (
    Closing,
    Evaluation,
    amend_data,
    cancelled_notices,
    close_workflow,
    compute_step,
    deadline_notices,
)
from ..runtime.runner import StepLog
from ..store import instances as stored
from ..store.steps import TaskRow, active_logins, save_step
from . import operators
from .context import Services
from .decision_notice import decision_terms


def open_workflow(
    services: Services, instance: stored.LoadedInstance, connection: Connection
) -> Any:
    """The instance's workflow, restored on the specs of the version it runs on."""
    spec, subprocess_specs = services.specs(instance.process_version_id, connection)
    return services.codec.loads(
        instance.state, spec, subprocess_specs, services.runner.script_engine
    )


class UnitOfWork:
    """One step on one instance, inside the transaction `unit_of_work` opened."""

    def __init__(self, services: Services, connection: Connection, actor: str | None) -> None:
        self.services = services
        self.connection = connection
        self.actor = actor
        self.instance: stored.LoadedInstance | None = None
        self.workflow: Any = None
        self.before = snapshot.Snapshot({}, {})
        self.operators = operators.bind(connection, services.clock, self._current)
        self.migrated_to: int | None = None
        self.closing: Closing | None = None

    def _current(self) -> tuple[int | None, str | None]:
        """The stored instance's id (None before its first save) and the actor, for operators."""
        return (self.instance.id if self.instance is not None else None), self.actor

    def load(self, *, reference: str | None = None, instance_id: int | None = None) -> Any:
        """Read the instance (NotFound if there is none) and restore its workflow."""
        return self.open(stored.load(self.connection, reference=reference, instance_id=instance_id))

    def open(self, instance: stored.LoadedInstance) -> Any:
        """Restore the workflow of an instance already read (with a task, for instance)."""
        self.instance = instance
        self.workflow = open_workflow(self.services, instance, self.connection)
        self.before = snapshot.take(self.workflow)
        return self.workflow

    def begin(self, spec: Any, subprocess_specs: Any, data: dict[str, Any]) -> Any:
        """A new instance's workflow, not yet stored: set `instance` (without id) before
        `save`, which inserts its row."""
        self.workflow = self.services.runner.new_workflow(spec, subprocess_specs, data)
        return self.workflow

    def advance(self) -> StepLog:
        return self.services.runner.advance(self.workflow, operators=self.operators)

    def complete(self, task_id: str, data: dict[str, Any]) -> StepLog:
        return self.services.runner.complete(self.workflow, task_id, data, operators=self.operators)

    def migrate(
        self,
        target_version_id: int,
        rules: migration.Rules,
        check_form: migration.FormCheck | None = None,
    ) -> migration.Outcome:
        """Move the open workflow onto another version (nothing changes if it is refused).
        The result is stored and restored once, so that what `save` writes is what the next
        step will load."""
        services = self.services
        spec, subprocess_specs = services.specs(target_version_id, self.connection)
        outcome = migration.migrate(
            self.workflow, spec, subprocess_specs, rules,
            now=services.clock.now(), check_form=check_form,
        )  # fmt: skip
        if outcome.workflow is not None:
            self.workflow = services.codec.loads(
                services.codec.dumps(outcome.workflow), spec, subprocess_specs,
                services.runner.script_engine,
            )  # fmt: skip
            self.migrated_to = target_version_id
        return outcome

    def close(self, closing: Closing) -> StepLog:
        """Close the open workflow from outside its diagram: every task and timer cancelled,
        the outcome and motive `closing` gives (saved by `save`, which tells the holders of
        the cancelled tasks and the requesting authority)."""
        close_workflow(self.workflow)
        self.closing = closing
        return StepLog()

    def amend(self, changes: dict[str, Any]) -> StepLog:
        """Change variables of the open workflow from outside its diagram (a grant reduced):
        what runs next reads them, and `save` records them on the dossier and its history."""
        amend_data(self.workflow, changes)
        log = StepLog()
        log.writes.append(dict(changes))
        return log

    def changed(self, log: StepLog) -> bool:
        """Whether running did anything worth a write (a timer that was not yet due: no)."""
        return bool(log.events) or snapshot.take(self.workflow) != self.before

    def save(
        self,
        log: StepLog,
        *,
        completed_task: str | None = None,
        audit: list[dict[str, Any]] | None = None,
        new_instance: dict[str, Any] | None = None,
        notices: list[Event] | None = None,
    ) -> tuple[int, int]:
        """Write the step; returns (instance id, new lock version). Conflict if another step
        wrote the instance first: nothing of this one is kept. `notices`: what the caller
        has to tell besides what the step itself announces (a grant reduced)."""
        services, connection, instance = self.services, self.connection, self.instance
        assert instance is not None
        now = services.clock.now()
        step = compute_step(
            self.workflow, self.before, log, instance,
            Evaluation(services.runner, services.territories, services.codec),
            now=now, actor=self.actor, completed_task=completed_task, audit=audit,
            new_instance=new_instance, migrated_to=self.migrated_to, closing=self.closing,
        )  # fmt: skip
        _check_designations(connection, step.write.opened_tasks)
        open_rows = stored.open_tasks_among(connection, list(step.deadlines))
        notices = [*step.opened, *deadline_notices(step.deadlines, open_rows), *(notices or [])]
        if step.decision is not None:
            if self.closing is None:  # the end event reached states the grant's terms
                terms = decision_terms(
                    services, connection, self.migrated_to or instance.process_version_id,
                    step.write.outcome, step.write.data,
                )  # fmt: skip
                step.decision.amount, step.decision.conditions = terms.amount, terms.conditions
            notices.append(step.decision)
        if self.closing is not None and step.decision is not None:
            cancelled = stored.open_tasks_among(connection, step.write.cancelled_tasks)
            notices.extend(
                cancelled_notices(
                    cancelled, instance, step.decision.outcome or "", self.closing.motive
                )
            )
        for notice in notices:
            notice.target = notice.target.placed(services.territories)
        if notices:
            reference = instance.reference or (new_instance or {}).get("reference", "")
            dossier = Dossier(
                reference=reference,
                procedure=self.workflow.spec.description or instance.process_id,
                territory=services.territories.label(instance.territory),
            )
            outgoing = compose(
                connection, dossier, notices, base_url=services.base_url, now=now, actor=self.actor
            )
            step.write.notifications, step.write.emails = outgoing.notifications, outgoing.emails
        return save_step(connection, step.write)

    @property
    def status(self) -> str:
        """The instance's status as stored before this step."""
        assert self.instance is not None
        return self.instance.status

    @property
    def completed(self) -> bool:
        return bool(self.workflow is not None and self.workflow.is_completed())


@contextmanager
def unit_of_work(services: Services, *, actor: str | None) -> Iterator[UnitOfWork]:
    """`with unit_of_work(services, actor=...) as work:` — one step, in one transaction."""
    work: UnitOfWork | None = None
    try:
        with services.write() as connection:
            work = UnitOfWork(services, connection, actor)
            yield work
    except ProcessIncident as error:
        if work is not None and work.instance is not None and work.instance.id is not None:
            record_incident(services, work.instance, error, actor)
        raise


def record_incident(
    services: Services, instance: stored.LoadedInstance, error: ProcessIncident, actor: str | None
) -> None:
    """Record that the instance cannot go further; its stored workflow stays as it was."""
    with services.write() as connection:
        stored.mark_incident(connection, instance, error.message, actor, services.clock.now())


def _check_designations(connection: Connection, tasks: list[TaskRow]) -> None:
    """Refuse the step rather than open a task nobody can reach: one named after an account
    that does not exist or is closed, or an expert's task naming nobody (experts see only
    what is given to them)."""
    active = active_logins(connection, {task.assignee for task in tasks if task.assignee})
    for task in tasks:
        if task.assignee and task.assignee not in active:
            raise ScriptError(
                f"« {task.name} » : la personne désignée (« {task.assignee} ») n'a pas de "
                "compte actif sur la plateforme."
            )
        if not task.assignee and task.role in ASSIGNED_ONLY:
            raise ScriptError(
                f"« {task.name} » : la procédure ne désigne personne pour cette tâche, "
                "qui ne serait visible de personne."
            )

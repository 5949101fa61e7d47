"""Tables of the engine. The serialized workflow is the truth; the other tables are projections
written in the same transaction, so that inboxes, timers and history are queries, not replays."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on both databases (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: SQLite has no 64-bit autoincrement type; BIGINT works on PostgreSQL, INTEGER on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ProcessVersion(Base):
    __tablename__ = "process_versions"
    __table_args__ = (
        UniqueConstraint("process_id", "version"),
        UniqueConstraint("process_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    reference_prefix: Mapped[str] = mapped_column(String(8))
    files: Mapped[dict] = mapped_column(JSON)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deployed_by: Mapped[str | None] = mapped_column(String(200))
    start_form: Mapped[str | None] = mapped_column(String(300))


class Process(Base):
    """A procedure's place in the catalogue: the version new dossiers start on (not always the
    highest: deploying an earlier content brings it back) and whether it is retired (no new
    dossiers; running ones go on)."""

    __tablename__ = "processes"

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    current_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retired_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProcessOwner(Base):
    """Who may edit, publish and (later) migrate a procedure, besides the administrators. Keyed
    by process id, not by catalogue row: a procedure has owners before its first version."""

    __tablename__ = "process_owners"

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    login: Mapped[str] = mapped_column(ForeignKey("users.login"), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    granted_by: Mapped[str | None] = mapped_column(String(200))


class DefinitionDraft(Base):
    """The one open draft of a procedure: its files as the editor saved them. `lock_version`
    is what two owners saving at once compare; `base_version_id` the version it started from
    (none for a new procedure)."""

    __tablename__ = "definition_drafts"

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    files: Mapped[dict] = mapped_column(JSON)
    lock_version: Mapped[int] = mapped_column(Integer)
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_versions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(200))


class ProcessAudit(Base):
    """What owners and administrators did to a procedure (draft, import, publish, owners,
    retire), shown on its page; never updated or deleted."""

    __tablename__ = "process_audit"
    __table_args__ = (Index(None, "process_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    process_id: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text)


class ProcessInstance(Base):
    __tablename__ = "process_instances"
    __table_args__ = (
        Index(None, "territory", "status"),
        Index(None, "siren"),
        Index(None, "process_id", "status"),
        Index(None, "organisation"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    process_id: Mapped[str] = mapped_column(String(200))
    territory: Mapped[str] = mapped_column(String(3))
    siren: Mapped[str] = mapped_column(String(9))
    status: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(100))
    incident: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(Text)
    lock_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(200))
    #: The requesting authority's name as people read it (inboxes, search).
    organisation: Mapped[str | None] = mapped_column(String(300))


class HumanTask(Base):
    __tablename__ = "human_tasks"
    __table_args__ = (
        Index(None, "status", "role", "territory", "due_at"),
        Index(None, "instance_id"),
        Index(None, "assignee", "status"),
        # Inboxes (migration 0006, measured by bench/inbox.py): the SIREN branch of a scope's
        # `territory = :p OR siren = :p`, and the order by due date of a role without scope
        # (the expression is the one of the ORDER BY in engine.store.tasks._order_by;
        # PostgreSQL only: SQLite cannot reflect an expression index).
        Index(
            "ix_human_tasks_open_role_siren", "role", "siren",
            postgresql_where=text("status = 'ouverte'"), sqlite_where=text("status = 'ouverte'"),
        ),
        Index(
            "ix_human_tasks_open_role_due",
            "role", text("(due_at IS NULL)"), "due_at", "created_at", "id",
            postgresql_where=text("status = 'ouverte'"),
        ).ddl_if(dialect="postgresql"),
    )  # fmt: skip

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"))
    process_id: Mapped[str] = mapped_column(String(200))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(40))
    territory: Mapped[str] = mapped_column(String(3))
    siren: Mapped[str] = mapped_column(String(9))
    form_ref: Mapped[str | None] = mapped_column(String(300))
    assignee: Mapped[str | None] = mapped_column(String(200))
    #: Whom the procedure named (its `assignee` property): a released task goes back to them.
    designated: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by: Mapped[str | None] = mapped_column(String(200))


class Timer(Base):
    """A waiting timer event of an instance; the scheduler fires rows whose due date passed."""

    __tablename__ = "timers"
    __table_args__ = (Index(None, "status", "due_at"), Index(None, "instance_id"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(12))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12))
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "instance_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    task_id: Mapped[str | None] = mapped_column(String(36))
    bpmn_id: Mapped[str | None] = mapped_column(String(200))
    label: Mapped[str | None] = mapped_column(String(300))
    changes: Mapped[dict | None] = mapped_column(JSON)
    lock_version: Mapped[int] = mapped_column(Integer)


class ReferenceCounter(Base):
    __tablename__ = "reference_counters"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    territory: Mapped[str] = mapped_column(String(3), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class Campaign(Base):
    """A call for applications: its window, its envelope and the running totals of its grants.

    Amounts are integers of cents: exact on both databases. Totals change only through a
    conditional UPDATE inside the step that grants, so concurrent selections stay exact.
    """

    __tablename__ = "campaigns"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    instruction_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    committee_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    envelope_cents: Mapped[int] = mapped_column(BigInteger)
    max_laureates: Mapped[int | None] = mapped_column(Integer)
    granted_cents: Mapped[int] = mapped_column(BigInteger)
    laureates: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The programme whose caps this call shares with its other waves, if any.
    programme_code: Mapped[str | None] = mapped_column(ForeignKey("programmes.code"))


class User(Base):
    """A person who signs in; what they may do comes from their grants, not from this row."""

    __tablename__ = "users"

    login: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    organisation: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Failed sign-ins in a row; past a threshold the account waits until `locked_until`.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class UserGrant(Base):
    """A role over a scope: a département code, an organisation SIREN, or national ('')."""

    __tablename__ = "user_grants"
    __table_args__ = (Index(None, "role", "scope"),)

    login: Mapped[str] = mapped_column(
        ForeignKey("users.login", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(40), primary_key=True)
    scope: Mapped[str] = mapped_column(String(20), primary_key=True, default="")


class Notification(Base):
    """What a user reads in the application: one row per event that concerns them."""

    __tablename__ = "notifications"
    __table_args__ = (Index(None, "login", "read_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(200))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """An e-mail written in the transaction of the step that caused it, sent after commit.

    `step_key` names the step (instance and lock version, or the event outside any step): with
    the addressee, it is unique, so a step never queues the same person twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("step_key", "login"),
        Index(None, "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    step_key: Mapped[str] = mapped_column(String(80))
    login: Mapped[str] = mapped_column(String(200))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Draft(Base):
    """A request or application an authority is writing and has not filed yet (not an instance:
    nothing runs, nobody else sees it)."""

    __tablename__ = "drafts"
    __table_args__ = (Index(None, "login", "updated_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(200))
    process_id: Mapped[str] = mapped_column(String(200))
    siren: Mapped[str] = mapped_column(String(9))
    territory: Mapped[str | None] = mapped_column(String(3))
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Attachment(Base):
    """A file received for a dossier; its bytes are in the blob store under `sha256`.

    Staged (`instance_id` NULL) from the moment it is received until the step that sent it
    succeeds and attaches it: a step that fails keeps the file for the next attempt.
    """

    __tablename__ = "attachments"
    __table_args__ = (Index(None, "instance_id", "id"), Index(None, "sha256"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(120))
    filename: Mapped[str] = mapped_column(String(255))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    #: The form field (dotted path) and its label, once attached.
    field: Mapped[str | None] = mapped_column(String(200))
    label: Mapped[str | None] = mapped_column(String(300))
    #: A signed document: `attached_by` signed it at `attached_at`.
    signature: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attached_by: Mapped[str | None] = mapped_column(String(200))
    attached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MigrationPlan(Base):
    """How running dossiers of one version move to another: the owner's mapping of elements
    (source id → target id, where it differs from the same id), the timers re-armed from the
    migration time (the others keep their due date), and the run under way or last done.
    `revision` grows with every change of the plan: a refused dossier is tried again on a newer
    one."""

    __tablename__ = "migration_plans"
    __table_args__ = (Index(None, "process_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    process_id: Mapped[str] = mapped_column(String(200))
    source_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    target_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    mapping: Mapped[dict] = mapped_column(JSON)
    rearm: Mapped[list] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(200))
    #: The run: 0 before the first; its mode ('essai' or 'migration'), who started it, when.
    run_number: Mapped[int] = mapped_column(Integer, default=0)
    run_mode: Mapped[str | None] = mapped_column(String(12))
    run_by: Mapped[str | None] = mapped_column(String(200))
    run_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    run_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MigrationItem(Base):
    """One dossier of a plan: queued for the plan's current run (`pending`), and the outcome of
    its last attempt ('migrable', 'migre', 'refuse', 'conflit'). A migrated dossier's outcome
    is written in the transaction that migrated it: a worker that dies leaves the item pending,
    never migrated twice."""

    __tablename__ = "migration_items"
    __table_args__ = (Index(None, "pending", "plan_id", "instance_id"),)

    plan_id: Mapped[int] = mapped_column(BigId, ForeignKey("migration_plans.id"), primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("process_instances.id"), primary_key=True
    )
    reference: Mapped[str] = mapped_column(String(40))
    run_number: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(12))
    pending: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str | None] = mapped_column(String(12))
    element_id: Mapped[str | None] = mapped_column(String(200))
    rule: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int | None] = mapped_column(Integer)
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Programme(Base):
    """A programme whose caps hold across its successive calls (the Fabriques' 300 places and
    45 M€ over several waves). Its totals move in the same conditional UPDATEs as its calls'."""

    __tablename__ = "programmes"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    envelope_cents: Mapped[int] = mapped_column(BigInteger)
    max_laureates: Mapped[int | None] = mapped_column(Integer)
    granted_cents: Mapped[int] = mapped_column(BigInteger)
    laureates: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Grant(Base):
    """The grant a dossier holds on a call: what was granted, what it is now (a reduction
    lowers it), and whether it still holds ('en_cours') or went back to the call's totals
    ('renoncee', 'annulee', 'retiree'). The call's totals are always the sum of live grants."""

    __tablename__ = "grants"
    __table_args__ = (Index(None, "campaign_code", "status"),)

    instance_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("process_instances.id"), primary_key=True
    )
    campaign_code: Mapped[str] = mapped_column(ForeignKey("campaigns.code"))
    granted_cents: Mapped[int] = mapped_column(BigInteger)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(200))


class Payment(Base):
    """A payment made on a grant ('avance', 'tranche', 'solde'): amount, date, reference of the
    payment order. Written in the step that records it; never above what remains."""

    __tablename__ = "payments"
    __table_args__ = (Index(None, "instance_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(BigId, ForeignKey("process_instances.id"))
    kind: Mapped[str] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(String(200))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str | None] = mapped_column(String(200))


class DossierTerritory(Base):
    """Every département a dossier covers besides its own (a contract over 59 and 62): the
    préfet of each sees the dossier and has the tasks of their département."""

    __tablename__ = "dossier_territories"
    __table_args__ = (Index(None, "territory", "instance_id"),)

    instance_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("process_instances.id"), primary_key=True
    )
    territory: Mapped[str] = mapped_column(String(3), primary_key=True)


class ApiToken(Base):
    """A personal API token: only its SHA-256 is kept (the secret is shown once, at creation)."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index(None, "login", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(ForeignKey("users.login", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class IdempotencyKey(Base):
    """A dossier started through the API with an `Idempotency-Key`: written in the start's own
    transaction, so that a retry (even a concurrent one) finds the dossier instead of a second."""

    __tablename__ = "idempotency_keys"

    login: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: SHA-256 of the request body: the same key with another body is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

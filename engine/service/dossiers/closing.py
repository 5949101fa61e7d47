"""Closing a dossier from outside its diagram, and lowering the grant it holds.

The requesting authority withdraws a dossier not yet decided; the national team (or, before
the decision, the préfet of its département) classes one « sans suite »; a laureate renounces
its grant; the national team cancels or reduces it. Each is one engine step in one
transaction (engine.service.unit_of_work): the workflow is cancelled with every task and timer,
the dossier takes its outcome and the reason in words (`motif_issue`, shown like an end event's
`motif`), the history names who did it and why, the authority and the holders of the cancelled
tasks are told, and the grant goes back to its call's totals (engine.service.campaigns.grants)
under the same locks that reserve it. Someone changed the dossier meanwhile: Conflict, and
nothing is written. A reduction does not close the dossier: it lowers the grant and the
dossier's `montant_accorde`, records `motif_reduction`, and tells the authority.

« Decided » is the procedure's to say: the BPMN ids of its decision tasks in the process
property `decisionTasks` (processes/README.md). A procedure that declares none offers no
withdrawal; staff can still class its dossiers « sans suite ».
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from ... import l10n
from ...definitions.bpmn_checks import executable_processes, process_property
from ...definitions.xml import parse_xml
from ...errors import Conflict, EngineError, Forbidden, InvalidInput
from ...notifications.compose import GRANT_REDUCED, Event
from ...notifications.recipients import Target
from ...roles import COLLECTIVITE, EQUIPE_NATIONALE, PREFET
from ...runtime.kernel import Closing
from ...store import closing as store
from ...store import instances as stored
from ...store.instances import COMPLETED, LoadedInstance, from_row
from ..campaigns import grants
from ..campaigns.grants import GrantView
from ..context import Services
from ..unit_of_work import unit_of_work
from ..version_catalogue import VersionFiles
from ..viewer import Viewer
from .instances import _visible

#: The process property naming the decision tasks, separated by commas.
DECISION_TASKS = "decisionTasks"
#: The longest reason kept (as an end event's `motif`).
MAX_REASON = 2000

WITHDRAW, SANS_SUITE, RENOUNCE, CANCEL, REDUCE = (
    "retirer", "classer_sans_suite", "renoncer", "annuler_aide", "reduire_aide",
)  # fmt: skip


@dataclass(frozen=True)
class Action:
    code: str
    #: The dossier's outcome (`engine.labels.OUTCOMES`); None: the dossier goes on.
    outcome: str | None
    #: How the grant ends (`grants.release`), if the dossier holds one.
    grant_ending: str | None
    #: The history event (`engine.labels.EVENTS`).
    event: str
    reason_required: bool
    #: What a person does, for the messages (« retirer le dossier »).
    verb: str


ACTIONS: dict[str, Action] = {
    WITHDRAW: Action(WITHDRAW, "retire", "retiree", "retrait", False, "retirer le dossier"),
    SANS_SUITE: Action(
        SANS_SUITE, "sans_suite", "retiree", "classement_sans_suite", True,
        "classer le dossier sans suite",
    ),
    RENOUNCE: Action(RENOUNCE, "renonce", "renoncee", "renonciation", False, "renoncer à l'aide"),
    CANCEL: Action(CANCEL, "aide_annulee", "annulee", "annulation_aide", True, "annuler l'aide"),
    REDUCE: Action(REDUCE, None, None, "reduction_aide", True, "réduire l'aide"),
}  # fmt: skip


@dataclass(frozen=True)
class Facts:
    """What the rules read of a dossier, inside the caller's transaction."""

    instance: LoadedInstance
    process_name: str
    organisation: str | None
    #: The procedure's decision tasks; None when it declares none.
    decisions: frozenset[str] | None
    decided: bool
    grant: GrantView | None

    @property
    def running(self) -> bool:
        return self.instance.status != COMPLETED


@dataclass(frozen=True)
class Options:
    """What the viewer may do on the dossier now (the buttons of its page)."""

    allowed: frozenset[str]
    grant: GrantView | None

    def __contains__(self, code: object) -> bool:
        return code in self.allowed


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page of an action shows."""

    action: str
    reference: str
    process_name: str
    organisation: str | None
    lock_version: int
    grant: GrantView | None
    #: The names of the open tasks that closing would cancel.
    tasks: tuple[str, ...]


@dataclass(frozen=True)
class Done:
    reference: str
    #: The outcome's code, None for a reduction.
    outcome: str | None
    #: What went back to the call's totals (None: the dossier held no grant).
    released: Decimal | None
    #: The grant's amount after a reduction.
    amount: Decimal | None = None


# ---------------------------------------------------------------- the rules


def decision_tasks(
    services: Services, connection: Connection, version_id: int
) -> frozenset[str] | None:
    """The BPMN ids of the decision tasks the version declares (`decisionTasks`), or None."""
    return services.versions.derived(version_id, connection, "decision_tasks", _declared)


def _declared(version: VersionFiles) -> frozenset[str] | None:
    for name, text in sorted(version.files.items()):
        if not name.lower().endswith(".bpmn"):
            continue
        for process in executable_processes(parse_xml(text.encode("utf-8"), name)):
            if process.get("id") == version.process_id:
                value = process_property(process, DECISION_TASKS) or ""
                ids = frozenset(part.strip() for part in value.split(",") if part.strip())
                return ids or None
    return None


def _facts(services: Services, connection: Connection, viewer: Viewer, reference: str) -> Facts:
    row = _visible(connection, reference, viewer)
    decisions = decision_tasks(services, connection, row.process_version_id)
    return Facts(
        instance=from_row(row),
        process_name=row.process_name,
        organisation=row.organisation,
        decisions=decisions,
        decided=bool(decisions) and store.any_done(connection, row.id, decisions or ()),
        grant=grants.live(connection, row.id),
    )


def _national(viewer: Viewer) -> bool:
    return viewer.operator or any(
        g.role == EQUIPE_NATIONALE and g.scope is None for g in viewer.grants
    )


def _authority(viewer: Viewer, instance: LoadedInstance) -> bool:
    return viewer.may_act(COLLECTIVITE, instance.territory, instance.siren)


def refusal(action: Action, viewer: Viewer, facts: Facts) -> EngineError | None:
    """Why the viewer may not do `action` on the dossier now (Forbidden: never, for their
    role; Conflict: not in the dossier's present state), or None."""
    instance = facts.instance
    national = _national(viewer)
    if action.code in (WITHDRAW, RENOUNCE):
        if not (viewer.operator or _authority(viewer, instance)):
            who = (
                "qui a déposé le dossier peut le retirer"
                if action.code == WITHDRAW
                else ("lauréate peut renoncer à l'aide accordée à ce dossier")
            )
            return Forbidden(f"Seule la collectivité {who}.")
    elif action.code == SANS_SUITE:
        if not (national or viewer.may_act(PREFET, instance.territory, instance.siren)):
            return Forbidden(
                "Le classement sans suite est réservé à l'équipe nationale et à la préfecture "
                "du département du dossier."
            )
    elif not national:
        return Forbidden(
            "L'annulation et la réduction d'une aide sont réservées à l'équipe nationale."
        )
    if not facts.running:
        return Conflict(
            f"Le dossier {instance.reference} est clos : il n'est plus possible de {action.verb}."
        )
    if action.code == WITHDRAW:
        if facts.grant is not None:
            return Conflict(
                "Une aide est accordée à ce dossier : il ne peut plus être retiré. Pour y "
                "renoncer, choisissez « Renoncer à l'aide » sur la page du dossier."
            )
        if facts.decisions is None:
            return Conflict(
                f"La procédure « {facts.process_name} » ne prévoit pas le retrait d'un dossier "
                "par la collectivité. Pour l'arrêter, adressez-vous à la préfecture de votre "
                "département ou à l'équipe nationale, qui peuvent le classer sans suite."
            )
        if facts.decided:
            return Conflict(
                "La décision sur ce dossier est prise : il ne peut plus être retiré. Pour "
                "l'arrêter, adressez-vous à l'équipe nationale, qui peut le classer sans suite."
            )
    elif action.code == SANS_SUITE:
        if not national and (facts.decided or facts.grant is not None):
            return Conflict(
                "La décision sur ce dossier est prise : seule l'équipe nationale peut désormais "
                "le classer sans suite."
            )
    elif facts.grant is None:
        return Conflict(
            f"Ce dossier n'a pas d'aide en cours : il n'est pas possible de {action.verb}."
        )
    return None


def _refuse(action: Action, viewer: Viewer, facts: Facts) -> None:
    found = refusal(action, viewer, facts)
    if found is not None:
        raise found


# ---------------------------------------------------------------- reading


def options(services: Services, viewer: Viewer, reference: str) -> Options:
    """The actions the viewer may take on the dossier now (NotFound outside their scope)."""
    with services.read() as connection:
        facts = _facts(services, connection, viewer, reference)
    allowed = frozenset(
        code for code, action in ACTIONS.items() if refusal(action, viewer, facts) is None
    )
    return Options(allowed, facts.grant)


def confirmation(services: Services, viewer: Viewer, reference: str, code: str) -> Confirmation:
    """What to show before the viewer confirms `code`; refused as the action itself would be."""
    action = ACTIONS[code]
    with services.read() as connection:
        facts = _facts(services, connection, viewer, reference)
        _refuse(action, viewer, facts)
        tasks = stored.open_tasks_of(connection, facts.instance.id)
    return Confirmation(
        action=code, reference=facts.instance.reference, process_name=facts.process_name,
        organisation=facts.organisation, lock_version=facts.instance.lock_version,
        grant=facts.grant, tasks=tuple(task.name for task in tasks) if action.outcome else (),
    )  # fmt: skip


# ---------------------------------------------------------------- acting


def withdraw(
    services: Services, viewer: Viewer, reference: str, *, reason: str | None = None,
    confirmed: bool = False, lock_version: int | None = None,
) -> Done:  # fmt: skip
    """The requesting authority withdraws its dossier, not yet decided (reason optional)."""
    return _close(services, viewer, reference, ACTIONS[WITHDRAW], reason, confirmed, lock_version)


def close_sans_suite(
    services: Services, viewer: Viewer, reference: str, *, reason: str | None,
    confirmed: bool = False, lock_version: int | None = None,
) -> Done:  # fmt: skip
    """Staff class a running dossier « sans suite », with a reason the authority reads."""
    return _close(services, viewer, reference, ACTIONS[SANS_SUITE], reason, confirmed, lock_version)


def renounce(
    services: Services, viewer: Viewer, reference: str, *, reason: str | None = None,
    confirmed: bool = False, lock_version: int | None = None,
) -> Done:  # fmt: skip
    """The laureate renounces its grant: the dossier closes, the amount and the laureate go
    back to the call's totals."""
    return _close(services, viewer, reference, ACTIONS[RENOUNCE], reason, confirmed, lock_version)


def cancel_grant(
    services: Services, viewer: Viewer, reference: str, *, reason: str | None,
    confirmed: bool = False, lock_version: int | None = None,
) -> Done:  # fmt: skip
    """The national team cancels a dossier's grant (with a reason): the dossier closes."""
    return _close(services, viewer, reference, ACTIONS[CANCEL], reason, confirmed, lock_version)


def _close(
    services: Services, viewer: Viewer, reference: str, action: Action, reason: str | None,
    confirmed: bool, lock_version: int | None,
) -> Done:  # fmt: skip
    with unit_of_work(services, actor=viewer.login) as work:
        connection = work.connection
        facts = _facts(services, connection, viewer, reference)
        _refuse(action, viewer, facts)
        _same_version(facts, lock_version)
        motive = _reason(action, reason, confirmed)
        now = services.clock.now()
        instance = facts.instance
        released = grants.release(
            connection, instance.id, status=action.grant_ending or "retiree",
            reason=motive or _default_reason(action), actor=viewer.login, now=now,
        )  # fmt: skip
        if released is None and action.code in (RENOUNCE, CANCEL):
            raise Conflict("L'aide de ce dossier a déjà pris fin entre-temps : rechargez la page.")
        work.open(instance)
        assert action.outcome is not None
        log = work.close(Closing(action.outcome, motive))
        label = _motive_text(motive)
        if released is not None and facts.grant is not None:
            label += f" — {l10n.euros(released)} rendus à l'appel « {facts.grant.campaign_name} »"
        work.save(log, audit=[{"kind": action.event, "actor": viewer.login, "label": label[:300]}])
    return Done(instance.reference, action.outcome, released)


def reduce_grant(
    services: Services, viewer: Viewer, reference: str, *, amount: Any, reason: str | None,
    lock_version: int | None = None,
) -> Done:  # fmt: skip
    """The national team lowers a dossier's grant (with a reason): the difference goes back
    to the call's totals, the dossier goes on with `montant_accorde` at the new amount."""
    action = ACTIONS[REDUCE]
    with unit_of_work(services, actor=viewer.login) as work:
        connection = work.connection
        facts = _facts(services, connection, viewer, reference)
        _refuse(action, viewer, facts)
        _same_version(facts, lock_version)
        errors: dict[str, str] = {}
        text = (
            amount if isinstance(amount, str) else str(amount if amount is not None else "")
        ).strip()
        if not text:
            errors["montant"] = "Indiquez le nouveau montant de l'aide, en euros."
        try:
            motive = _reason(action, reason, True)
        except InvalidInput as refused:
            errors.update(refused.details.get("fields") or {})
            motive = None
        if errors:
            raise InvalidInput(next(iter(errors.values())), fields=errors)
        assert facts.grant is not None and motive is not None
        previous = facts.grant.amount
        instance = facts.instance
        try:
            given_back = grants.reduce(
                connection, instance.id, text.replace(" ", "").replace("\u202f", "").replace(",", "."),
                reason=motive, actor=viewer.login, now=services.clock.now(),
            )  # fmt: skip
        except InvalidInput as refused:
            raise InvalidInput(refused.message, fields={"montant": refused.message}) from None
        new_amount = previous - given_back
        work.open(instance)
        log = work.amend({"montant_accorde": _number(new_amount), "motif_reduction": motive})
        before, after = l10n.euros(previous), l10n.euros(new_amount)
        notice = Event(
            GRANT_REDUCED, Target(COLLECTIVITE, None, instance.siren),
            previous_amount=before, amount=after, motive=motive,
        )  # fmt: skip
        label = (
            f"De {before} à {after} ({l10n.euros(given_back)} rendus à l'appel) — motif : {motive}"
        )
        work.save(
            log, audit=[{"kind": action.event, "actor": viewer.login, "label": label[:300]}],
            notices=[notice],
        )  # fmt: skip
    return Done(instance.reference, None, given_back, new_amount)


# ---------------------------------------------------------------- helpers


def _same_version(facts: Facts, lock_version: int | None) -> None:
    """The person confirmed what they saw: a dossier that moved since is refused."""
    if lock_version is not None and lock_version != facts.instance.lock_version:
        raise Conflict(
            "Le dossier a été modifié par quelqu'un d'autre entre-temps : rechargez-le et "
            "recommencez."
        )


def _reason(action: Action, reason: str | None, confirmed: bool) -> str | None:
    text = " ".join(str(reason or "").split())
    errors = {}
    if action.reason_required and not text:
        errors["motif"] = "Indiquez le motif : la collectivité le lira dans sa notification."
    elif len(text) > MAX_REASON:
        errors["motif"] = f"Le motif ne peut pas dépasser {MAX_REASON} caractères."
    if not confirmed:
        errors["confirmation"] = (
            f"Cochez la case pour confirmer : {action.verb} ne peut pas être annulé."
        )
    if errors:
        raise InvalidInput(next(iter(errors.values())), fields=errors)
    return text or None


def _default_reason(action: Action) -> str:
    return {WITHDRAW: "Retrait par la collectivité", RENOUNCE: "Renonciation du lauréat"}.get(
        action.code, action.verb
    )


def _motive_text(motive: str | None) -> str:
    return f"Motif : {motive}" if motive else "Sans motif indiqué"


def _number(amount: Decimal) -> int | float:
    """An amount as the dossier's data keeps numbers (whole euros as integers)."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)

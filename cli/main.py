"""Entry point of the `anct` console script.

Errors a user can cause print one French line on standard error and exit with a non-zero
status (1: refused, 3: not found, 4: conflict); never a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click

from engine import l10n, labels, service
from engine.config import Settings
from engine.errors import Conflict, EngineError, InvalidDefinition, NotFound
from engine.service.campaigns import calls, programmes
from engine.service.catalogue import checking
from engine.service.catalogue import processes as catalogue
from engine.service.context import DatabaseUnreachable
from engine.service.dossiers import closing
from engine.service.migrations import plans as migration_plans
from engine.service.migrations import runs as migration_runs
from engine.territory import ReferenceDataMissing

from .output import print_json, table, when

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CODES = {NotFound: 3, Conflict: 4}


def fail(message: str, code: int = 1) -> None:
    click.echo(f"Erreur : {message}", err=True)
    sys.exit(code)


def friendly_errors(function: F) -> F:
    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except InvalidDefinition as exc:
            for problem in exc.problems[1:]:
                click.echo(f"Erreur : {problem}", err=True)
            fail(str(exc.problems[0]) if exc.problems else exc.message)
        except EngineError as exc:
            fail(exc.message, next((c for t, c in EXIT_CODES.items() if isinstance(exc, t)), 1))
        except ReferenceDataMissing as exc:
            fail(str(exc))
        except DatabaseUnreachable as exc:
            fail(f"base de données inaccessible ({str(exc.orig).strip().splitlines()[0]})")

    return wrapper  # type: ignore[return-value]


def services() -> service.Services:
    return service.create_services(Settings.from_env())


def parse_data(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(
            f"--data n'est pas du JSON valide (ligne {exc.lineno}, colonne {exc.colno} : {exc.msg})."
        )
    if not isinstance(value, dict):
        fail("--data doit être un objet JSON, par exemple '{\"montant\": 1000}'.")
    return value


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Plateforme BPM de l'ANCT. La base vient de DATABASE_URL (SQLite par défaut)."""


@main.command()
@click.argument("path", type=click.Path(path_type=Path), default=Settings().processes_path)
@click.option("--user", "actor", default="cli", help="Auteur du déploiement.")
@friendly_errors
def deploy(path: Path, actor: str) -> None:
    """Déployer un fichier .bpmn/.dmn ou un dossier (par défaut processes/)."""
    for warning in checking.check_path(path, Settings.from_env().forms_path).warnings:
        click.echo(f"Avertissement : {warning}", err=True)
    for result in service.deploy_path(services(), path, actor):
        click.echo(f"{result.process_id}  {result.summary}")


@main.command()
@click.argument("path", type=click.Path(path_type=Path), default=Settings().processes_path)
@click.option("--json", "as_json", is_flag=True, help="Une liste JSON de problèmes.")
@friendly_errors
def validate(path: Path, as_json: bool) -> None:
    """Vérifier un fichier .bpmn/.dmn ou un dossier sans rien déployer (sortie 1 si erreur)."""
    result = checking.check_path(path, Settings.from_env().forms_path)
    if as_json:
        print_json([p.to_dict() for p in result.problems])
    else:
        for problem in result.problems:
            warning = "avertissement : " if not problem.is_error else ""
            click.echo(f"{problem.file}: {problem.element_id or '-'}: {warning}{problem.message}")
        if not result.problems:
            click.echo("Aucun problème.")
    sys.exit(1 if result.errors else 0)


#: How `anct migrate` prints each outcome.
MIGRATION_WORDS = {
    "migre": "migré",
    "migrable": "migrable",
    "refuse": "refusé",
    "conflit": "conflit",
}


@main.command()
@click.argument("process_id")
@click.option("--from", "source", type=int, required=True, help="Version des dossiers à migrer.")
@click.option("--to", "target", type=int, required=True, help="Version cible.")
@click.option("--dry-run", is_flag=True, help="Essai à blanc : ne change aucun dossier.")
@click.option("--reference", "references", multiple=True, help="Seulement ce dossier (répétable).")
@click.option(
    "--plan", "plan_id", type=int, help="Plan enregistré à suivre (sinon un plan par défaut)."
)
@click.option("--user", "actor", default="cli", help="Auteur de la migration.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@friendly_errors
def migrate(
    process_id: str,
    source: int,
    target: int,
    dry_run: bool,
    references: tuple[str, ...],
    plan_id: int | None,
    actor: str,
    as_json: bool,
) -> None:
    """Migrer les dossiers en cours d'une version à une autre (sortie 1 si un dossier est refusé)."""
    context = services()
    viewer = service.Viewer.command_line(actor)
    if plan_id is None:
        plan_id = migration_plans.create_plan(context, viewer, process_id, source, target)
    else:
        plan = migration_plans.plan_page(context, viewer, plan_id).plan
        if (plan.process_id, plan.source_version, plan.target_version) != (
            process_id,
            source,
            target,
        ):
            fail(f"le plan n° {plan_id} ne va pas de la version {source} à la version {target}.")
    mode = "essai" if dry_run else "migration"
    try:
        migration_runs.start(
            context, viewer, plan_id, mode=mode, references=list(references), inline_limit=0
        )
    except migration_runs.NothingToMigrate as exc:
        click.echo(exc.message, err=True)
        sys.exit(0)
    outcomes = migration_runs.work_all(context, worker=f"cli:{os.getpid()}", plan_id=plan_id)
    if as_json:
        print_json([o.to_dict() for o in outcomes])
    else:
        for outcome in outcomes:
            word = MIGRATION_WORDS.get(outcome.status, outcome.status)
            click.echo(
                f"{outcome.reference} {word}" + (f" : {outcome.reason}" if outcome.reason else "")
            )
    sys.exit(1 if any(o.status in ("refuse", "conflit") for o in outcomes) else 0)


@main.group()
def processes() -> None:
    """Catalogue des procédures : version en service, retrait."""


@processes.command("list")
@friendly_errors
def processes_list() -> None:
    """Lister les procédures, leur version en service et leur état."""
    for entry in catalogue.entries(services(), service.Viewer.command_line()):
        state = (
            f"retirée le {l10n.date_text(entry.retired_at, 'short')}"
            if entry.retired
            else "en service"
        )
        latest = f" (dernière : {entry.latest})" if entry.latest != entry.current else ""
        click.echo(
            f"{entry.process_id}  version {entry.current}{latest}  {state}  "
            f"{entry.running} dossier(s) en cours"
        )


@processes.command("retire")
@click.argument("process_id")
@click.option("--actor", default="operateur", show_default=True)
@friendly_errors
def processes_retire(process_id: str, actor: str) -> None:
    """Retirer une procédure : plus de nouveaux dossiers, ceux en cours continuent."""
    name = catalogue.retire(services(), service.Viewer.command_line(actor), process_id)
    click.echo(f"Procédure « {name} » retirée : les dossiers en cours continuent.")


@processes.command("reinstate")
@click.argument("process_id")
@click.option("--actor", default="operateur", show_default=True)
@friendly_errors
def processes_reinstate(process_id: str, actor: str) -> None:
    """Remettre en service une procédure retirée."""
    name = catalogue.reinstate(services(), service.Viewer.command_line(actor), process_id)
    click.echo(f"Procédure « {name} » remise en service.")


@main.command()
@click.argument("process_id")
@click.option("--territory", required=True, help="Code du département (23, 2A, 971…).")
@click.option("--siren", required=True, help="SIREN de l'organisation demandeuse.")
@click.option("--data", "data_text", help="Données initiales en JSON.")
@click.option("--user", "actor", default="cli")
@friendly_errors
def start(process_id: str, territory: str, siren: str, data_text: str | None, actor: str) -> None:
    """Démarrer un dossier ; affiche sa référence sur la dernière ligne."""
    started = service.start(
        services(),
        process_id,
        territory=territory,
        siren=siren,
        data=parse_data(data_text),
        actor=actor,
    )
    click.echo(f"Dossier créé ({process_id}, version {started.version}, {started.status}) :")
    click.echo(started.reference)


@main.command()
@click.option(
    "--role", help="Code de rôle (collectivite, prefet, equipe_nationale, comite, expert)."
)
@click.option("--territory", help="Code du département.")
@click.option("--process", "process_id", help="Identifiant de procédure.")
@click.option("--due", type=click.Choice(["en_retard", "cette_semaine"]), help="Échéance.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@friendly_errors
def tasks(
    role: str | None, territory: str | None, process_id: str | None, due: str | None,
    as_json: bool,
) -> None:  # fmt: skip
    """Lister les tâches humaines ouvertes (les échéances dépassées marquées « en retard »)."""
    filters = service.TaskFilter(
        role=role, territory=territory, process_id=process_id, due=due, limit=10_000
    )
    found = service.list_tasks(services(), service.Viewer.command_line(), filters)
    if as_json:
        print_json(found)
        return
    if not found:
        click.echo("Aucune tâche ouverte.")
        return
    table(
        [
            [
                t["id"],
                t["instance"],
                t["bpmn_id"],
                t["name"],
                t["role"],
                t["territory"],
                when(t["due_at"]) + (" en retard" if t["overdue"] else ""),
                t["assignee"] or "—",
            ]
            for t in found
        ],
        ["TÂCHE", "DOSSIER", "ÉLÉMENT", "NOM", "RÔLE", "DÉP.", "ÉCHÉANCE", "ASSIGNÉE À"],
    )


@main.command()
@click.argument("task_id")
@click.option("--data", "data_text", help="Données saisies, en JSON.")
@click.option(
    "--user", "login", default="cli", help="Identifiant de la personne qui termine la tâche."
)
@friendly_errors
def complete(task_id: str, data_text: str | None, login: str) -> None:
    """Terminer une tâche humaine avec des données."""
    reference = service.complete(
        services(), service.Viewer.command_line(login), task_id, parse_data(data_text)
    )
    click.echo(f"Tâche terminée ; dossier {reference}")


@main.command()
@click.argument("task_id")
@click.option("--user", "login", required=True)
@friendly_errors
def claim(task_id: str, login: str) -> None:
    """Prendre une tâche en charge."""
    service.claim(services(), service.Viewer.command_line(login), task_id)
    click.echo(f"Tâche prise en charge par {login}")


#: `anct close --issue`: the closing actions an operator may take on any running dossier.
CLOSINGS = {
    "retire": closing.withdraw,
    "sans_suite": closing.close_sans_suite,
    "renonce": closing.renounce,
    "aide_annulee": closing.cancel_grant,
}


@main.command("close")
@click.argument("reference")
@click.option(
    "--issue",
    type=click.Choice(sorted(CLOSINGS)),
    required=True,
    help="Retrait, classement sans suite, renonciation ou annulation de l'aide.",
)
@click.option("--reason", default="", help="Motif, lu par la collectivité.")
@click.option("--user", "login", default="cli", help="Qui clôt le dossier (historique).")
@friendly_errors
def close_command(reference: str, issue: str, reason: str, login: str) -> None:
    """Clore un dossier en cours hors de son schéma : tâches et échéances annulées, aide
    rendue à l'appel, collectivité prévenue."""
    done = CLOSINGS[issue](
        services(), service.Viewer.command_line(login), reference, reason=reason, confirmed=True
    )
    released = f" ; {l10n.euros(done.released)} rendus à l'appel" if done.released else ""
    click.echo(f"Dossier {done.reference} clos : {labels.outcome(done.outcome)}{released}")


@main.command("reduce-grant")
@click.argument("reference")
@click.argument("amount")
@click.option("--reason", required=True, help="Motif, lu par la collectivité.")
@click.option("--user", "login", default="cli", help="Qui réduit l'aide (historique).")
@friendly_errors
def reduce_grant_command(reference: str, amount: str, reason: str, login: str) -> None:
    """Ramener l'aide d'un dossier à un montant inférieur (en euros) ; la différence est
    rendue à l'appel."""
    done = closing.reduce_grant(
        services(), service.Viewer.command_line(login), reference, amount=amount, reason=reason
    )
    assert done.amount is not None and done.released is not None
    click.echo(
        f"Aide du dossier {done.reference} ramenée à {l10n.euros(done.amount)} ; "
        f"{l10n.euros(done.released)} rendus à l'appel"
    )


@main.command()
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@friendly_errors
def show(reference: str, as_json: bool) -> None:
    """Afficher un dossier : statut, issue, données, tâches ouvertes et historique."""
    details = service.get_instance(services(), reference, service.Viewer.command_line())
    if as_json:
        print_json(details.__dict__)
        return
    click.echo(f"{details.reference} — {details.process_name} (version {details.version})")
    click.echo(f"Territoire {details.territory}, SIREN {details.siren}")
    click.echo(
        f"Statut : {labels.status(details.status)}"
        + (f", issue : {labels.outcome(details.outcome)}" if details.outcome else "")
    )
    if details.incident:
        click.echo(f"Incident : {details.incident}")
    click.echo("Données :")
    click.echo(json.dumps(details.data, ensure_ascii=False, indent=2))
    click.echo("Tâches ouvertes :" if details.tasks else "Aucune tâche ouverte.")
    for task in details.tasks:
        click.echo(
            f"  {task['id']}  {task['name']} [{task['role']}]  échéance {when(task['due_at'])}"
        )
    for timer in details.timers:
        click.echo(f"  minuterie {timer['name']} : {when(timer['due_at'])}")
    click.echo("Historique :")
    for event in details.history:
        who = event["actor"] or "moteur"
        click.echo(
            f"  {when(event['at'])}  {who}  {event['kind']}  {event['label'] or ''}".rstrip()
        )


@main.group()
def campaign() -> None:
    """Appels à projets : fenêtre de dépôt, enveloppe, totaux attribués."""


@campaign.command("create")
@click.argument("code")
@click.option("--process", "process_id", required=True, help="Procédure des candidatures.")
@click.option("--name", required=True, help="Nom de l'appel.")
@click.option("--opens", required=True, help="Ouverture (AAAA-MM-JJTHH:MM, heure de Paris).")
@click.option("--closes", required=True, help="Clôture des dépôts.")
@click.option("--envelope", required=True, help="Enveloppe en euros.")
@click.option("--max-laureates", type=int, help="Nombre maximal de lauréats.")
@click.option("--instruction-deadline", help="Date limite d'instruction des préfets.")
@click.option("--committee", help="Date du comité de sélection.")
@click.option("--programme", help="Programme dont l'appel est une vague (plafonds communs).")
@friendly_errors
def campaign_create(code: str, process_id: str, name: str, opens: str, closes: str, envelope: str,
                    max_laureates: int | None, instruction_deadline: str | None,
                    committee: str | None, programme: str | None) -> None:  # fmt: skip
    """Créer un appel à projets."""
    created = calls.create(
        services(), code=code, process_id=process_id, name=name, opens_at=paris(opens),
        closes_at=paris(closes), envelope=envelope, max_laureates=max_laureates,
        instruction_deadline=paris(instruction_deadline) if instruction_deadline else None,
        committee_at=paris(committee) if committee else None, programme=programme,
    )  # fmt: skip
    click.echo(f"Appel « {created.name} » ({created.code}) créé.")


@campaign.command("programme")
@click.argument("code")
@click.option("--process", "process_id", required=True, help="Procédure des candidatures.")
@click.option("--name", required=True, help="Nom du programme.")
@click.option("--envelope", required=True, help="Enveloppe totale en euros, toutes vagues.")
@click.option("--max-laureates", type=int, help="Nombre maximal de lauréats, toutes vagues.")
@friendly_errors
def campaign_programme(code: str, process_id: str, name: str, envelope: str,
                       max_laureates: int | None) -> None:  # fmt: skip
    """Créer un programme : plafonds communs à ses appels successifs (--programme CODE)."""
    created = programmes.create(
        services(), code=code, process_id=process_id, name=name, envelope=envelope,
        max_laureates=max_laureates,
    )  # fmt: skip
    click.echo(f"Programme « {created.name} » ({created.code}) créé.")


@campaign.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@friendly_errors
def campaign_show(code: str, as_json: bool) -> None:
    """Afficher un appel : fenêtre, enveloppe, totaux."""
    found = calls.get(services(), code)
    if as_json:
        print_json(found.__dict__)
        return
    click.echo(f"{found.name} ({found.code}) — procédure {found.process_id}")
    click.echo(f"Dépôts du {when(found.opens_at)} au {when(found.closes_at)} (heure de Paris)")
    click.echo(
        f"Enveloppe {l10n.euros(found.envelope)}, attribué {l10n.euros(found.granted_total)}, "
        f"{l10n.plural(found.laureates, 'lauréat', 'lauréats')}"
    )


def paris(text: str) -> datetime:
    """A date typed by a person: Paris time unless an offset is given."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"date invalide : « {text} » (attendu AAAA-MM-JJ ou AAAA-MM-JJTHH:MM).")
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("Europe/Paris"))


@main.group()
def timers() -> None:
    """Minuteries : déclenchement de ce qui est échu."""


@timers.command("fire-due")
@click.option(
    "--now",
    "now_text",
    help="Instant de référence (AAAA-MM-JJTHH:MM, heure de Paris).",
)
@friendly_errors
def timers_fire_due(now_text: str | None) -> None:
    """Déclencher une fois les minuteries échues (démonstrations, exploitation)."""
    from engine.clock import ManualClock
    from engine.scheduler import fire_due

    clock = ManualClock(paris(now_text)) if now_text else None
    report = fire_due(service.create_services(Settings.from_env(), clock=clock))
    click.echo(firing_summary(report))
    if report.failed or report.incidents:
        sys.exit(1)


def firing_summary(report: Any) -> str:
    """« 1 minuterie échue : 0 dossier avancé, 1 échec : REF (nouvel essai prévu). »

    Failed steps are counted apart from the dossiers that moved, and named, so that an operator
    never reads that a dossier advanced when its step was refused.
    """
    failures = {ref: "nouvel essai prévu" for ref in report.failed}
    failures.update({ref: "incident" for ref in report.incidents})
    advanced = list(dict.fromkeys(report.advanced))
    text = (
        f"{l10n.plural(report.claimed, 'minuterie échue', 'minuteries échues')} : "
        f"{l10n.plural(len(advanced), 'dossier avancé', 'dossiers avancés')}, "
        f"{l10n.plural(len(failures), 'échec', 'échecs')}"
    )
    if failures:
        text += " : " + ", ".join(f"{ref} ({what})" for ref, what in failures.items())
    return text + "."


@main.command()
@click.option("--interval", default=1.0, show_default=True, help="Secondes entre deux passages.")
@friendly_errors
def worker(interval: float) -> None:
    """Déclencher les minuteries en continu (autant de processus que voulu sur PostgreSQL)."""
    from engine.scheduler.worker import run_forever

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    click.echo(f"Minuteries : passage toutes les {interval:g} s.")
    run_forever(services(), interval)


@timers.command("retry")
@click.argument("timer_id")
@friendly_errors
def timers_retry(timer_id: str) -> None:
    """Relancer une minuterie en incident (après correction de la cause)."""
    from engine.service.dossiers import incidents

    incidents.retry_timer(services(), service.Viewer.command_line(), timer_id)
    click.echo(f"Minuterie {timer_id} relancée : elle sera déclenchée au prochain passage.")


@main.command("incidents")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@friendly_errors
def incidents_command(as_json: bool) -> None:
    """Minuteries en incident, dossiers arrêtés, courriels en échec."""
    from engine.service.dossiers import incidents

    found = incidents.list_incidents(services(), service.Viewer.command_line())
    if as_json:
        print_json(found)
        return
    if not any(found.values()):
        click.echo("Aucun incident.")
    for timer in found["minuteries"]:
        click.echo(f"minuterie {timer['id']}  {timer['dossier']}  {timer['name']}  "
                   f"{timer['attempts']} essai(s) : {timer['error']}")  # fmt: skip
    for dossier in found["dossiers"]:
        click.echo(f"dossier {dossier['dossier']} : {dossier['error']}")
    for email in found["courriels"]:
        click.echo(f"courriel {email['id']} à {email['to']} « {email['subject']} » : "
                   f"{email['error']}")  # fmt: skip


@main.group()
def mail() -> None:
    """Courriels : file d'envoi."""


@mail.command("send")
@friendly_errors
def mail_send() -> None:
    """Envoyer maintenant les courriels en attente (le worker le fait chaque seconde)."""
    from engine.scheduler.worker import send_mail

    click.echo(f"{send_mail(services())} courriel(s) envoyé(s).")


@main.group()
def users() -> None:
    """Utilisateurs et habilitations."""


@users.command("create")
@click.argument("login")
@click.option("--name", help="Nom affiché (par défaut : l'identifiant).")
@click.option("--role", "roles", multiple=True, required=True, help="Rôle (répétable).")
@click.option(
    "--scope", "scopes", multiple=True,
    help="Périmètre du --role de même rang : code de département ou SIREN ; vide : national.",
)  # fmt: skip
@click.option("--email")
@click.option("--organisation")
@click.option("--password", help="Mot de passe (10 caractères au moins).")
@friendly_errors
def users_create(
    login: str,
    name: str | None,
    roles: tuple[str, ...],
    scopes: tuple[str, ...],
    email: str | None,
    organisation: str | None,
    password: str | None,
) -> None:
    """Créer un utilisateur : --role prefet --scope 23 --role comite (rôle national)."""
    from engine.service.people import accounts

    if len(scopes) > len(roles):
        fail("plus de --scope que de --role : chaque --scope suit le --role qu'il précise.")
    grants = [(role, scopes[i] if i < len(scopes) else None) for i, role in enumerate(roles)]
    account = accounts.create_user(
        services(), login, name=name or login, grants=grants, email=email, password=password,
        organisation=organisation,
    )  # fmt: skip
    described = ", ".join(f"{g.role} ({g.scope or 'national'})" for g in account.grants)
    click.echo(f"Utilisateur {account.login} créé : {described}.")


@main.group()
def tokens() -> None:
    """Jetons d'API personnels (en-tête « Authorization: Bearer JETON »)."""


@tokens.command("create")
@click.argument("login")
@click.option("--name", default="Créé en ligne de commande", show_default=True,
              help="Nom du jeton : le système qui l'utilisera.")  # fmt: skip
@click.option("--days", default="90", show_default=True,
              help="Durée de validité en jours (1 à 366).")  # fmt: skip
@click.option("--actor", default="operateur", show_default=True)
@friendly_errors
def tokens_create(login: str, name: str, days: str, actor: str) -> None:
    """Créer un jeton pour LOGIN ; le jeton seul est sur la dernière ligne (affiché une fois)."""
    from engine.service.people import tokens as api_tokens

    if not days.strip().isdigit():
        fail(f"--days est un nombre entier de jours, de 1 à {api_tokens.MAX_DAYS} (reçu : {days}).")
    created = api_tokens.create(
        services(), service.Viewer.command_line(actor), login, name=name, days=int(days)
    )
    record = created.record
    click.echo(
        f"Jeton n° {record.id} « {record.name} » créé pour {record.login}, valable jusqu'au "
        f"{when(record.expires_at)} ; il ne sera plus affiché :"
    )
    click.echo(created.secret)


@tokens.command("list")
@click.argument("login", required=False)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@friendly_errors
def tokens_list(login: str | None, as_json: bool) -> None:
    """Lister les jetons de LOGIN (de tous les comptes sans LOGIN), les plus récents d'abord."""
    from engine.service.people import accounts
    from engine.service.people import tokens as api_tokens

    context = services()
    operator = service.Viewer.command_line()
    if login:
        accounts.get_account(context, login)  # « introuvable » rather than an empty list
    found = api_tokens.list_tokens(context, operator, login, everyone=not login)
    if as_json:
        print_json([record.to_dict() for record in found])
        return
    if not found:
        click.echo(f"Aucun jeton pour {login}." if login else "Aucun jeton.")
        return
    now = context.clock.now()

    def state(record: api_tokens.TokenRecord) -> str:
        if record.revoked_at is not None:
            return f"révoqué le {when(record.revoked_at)}"
        return "actif" if record.live(now) else "expiré"

    table(
        [[str(r.id), r.login, r.name, state(r), when(r.created_at), when(r.expires_at),
          when(r.last_used_at)] for r in found],
        ["N°", "Compte", "Nom", "État", "Créé", "Expire", "Dernière utilisation"],
    )  # fmt: skip


@tokens.command("revoke")
@click.argument("token_id")
@click.option("--actor", default="operateur", show_default=True)
@friendly_errors
def tokens_revoke(token_id: str, actor: str) -> None:
    """Révoquer le jeton n° TOKEN_ID (voir « anct tokens list ») : ses systèmes perdent l'accès."""
    from engine.service.people import tokens as api_tokens

    if not token_id.isdigit():
        fail(
            f"le numéro du jeton est un entier, comme l'affiche « anct tokens list » : {token_id}."
        )
    record = api_tokens.revoke(services(), service.Viewer.command_line(actor), int(token_id))
    click.echo(f"Jeton n° {record.id} « {record.name} » de {record.login} révoqué.")


@main.command("notifications")
@click.argument("login")
@click.option("--unread", is_flag=True, help="Seulement les non lues.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@friendly_errors
def notifications_command(login: str, unread: bool, as_json: bool) -> None:
    """Les notifications d'un utilisateur, les plus récentes d'abord."""
    from engine.service import notifications as notices
    from engine.service import users as accounts

    context = services()
    viewer = accounts.viewer_for(context, login)
    found = notices.list_notifications(context, viewer, unread_only=unread)
    if as_json:
        print_json(found)
        return
    click.echo(f"{notices.unread_count(context, viewer)} non lue(s).")
    for notice in found:
        mark = " " if notice["read_at"] else "•"
        click.echo(f"{mark} {notice['created_at'][:16]}  {notice['subject']}  {notice['link']}")


def _create_demo(context: service.Services) -> None:
    from engine.service.demo import DEMO_PASSWORD, ensure_demo

    created = ensure_demo(context)
    click.echo(
        f"Démonstration : {len(created)} élément(s) créé(s) "
        f"(comptes du README, mot de passe « {DEMO_PASSWORD} »)."
    )


@main.command()
@friendly_errors
def demo() -> None:
    """Créer les comptes et appels de démonstration (sans effet s'ils existent déjà)."""
    _create_demo(services())


@main.group()
def db() -> None:
    """Base de données."""


@db.command()
@friendly_errors
def upgrade() -> None:
    """Mettre le schéma à jour (fait aussi à chaque démarrage)."""
    services()
    click.echo("Base de données à jour.")


def served_address(host: str, port: int) -> str:
    """The address `anct serve` answers at, for links when ANCT_BASE_URL is not set.

    A wildcard host (every interface) is reached by the machine's name, not by 0.0.0.0.
    """
    name = host.strip() or "0.0.0.0"  # noqa: S104 - a name to compare with, not a bind
    if name in ("0.0.0.0", "::"):  # noqa: S104
        name = socket.getfqdn()
    if ":" in name:
        name = f"[{name}]"
    return f"http://{name}:{port}"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--deploy/--no-deploy",
    "deploy_processes",
    default=True,
    help="Déployer processes/ au démarrage.",
)
@click.option("--demo", is_flag=True, help="Créer d'abord les données de démonstration.")
@friendly_errors
def serve(host: str, port: int, deploy_processes: bool, demo: bool) -> None:
    """Servir l'application web (base mise à jour et procédures déployées au démarrage)."""
    from werkzeug.serving import run_simple

    from web import create_app

    context = services()
    if not os.environ.get("ANCT_BASE_URL"):
        # Links in e-mails and notifications, sent from requests and from the timers of this
        # process alike, point where the application is actually served.
        context.base_url = served_address(host, port)
    settings = Settings.from_env()
    if deploy_processes and any(settings.processes_path.rglob("*.bpmn")):
        # restore=False: a restart never takes a procedure back to the folder's older content.
        for result in service.deploy_path(
            context, settings.processes_path, "demarrage", restore=False
        ):
            click.echo(f"{result.process_id}  {result.summary}")
    if demo:
        _create_demo(context)
    from engine.scheduler.worker import start_in_background

    start_in_background(context)
    click.echo(
        f"Application servie sur http://{host}:{port}/ (minuteries déclenchées chaque seconde ; "
        f"liens des courriels vers {context.base_url})"
    )
    run_simple(host, port, create_app(context), threaded=True, use_reloader=False)


if __name__ == "__main__":  # pragma: no cover
    main()

"""Migration de dossiers en cours : dossiers migrés par seconde sur PostgreSQL, à côté du débit
d'étapes du moteur mesuré dans le même passage.

    python bench/migration.py [--dossiers 10000] [--workers 1 --workers 2] [--json] [--url URL]

Les dossiers suivent `tests/fixtures/relance.bpmn` (une tâche humaine ouverte, deux minuteries en
attente). Ils sont démarrés par le moteur (`service.start`, dans `--prep-workers` processus), puis
une v2 est publiée (tâche renommée, rappel à 10 jours au lieu de 7 : minuterie réarmée) avec son
plan v1 → v2. Chaque mesure met tous les dossiers en file (`runs.start(..., inline_limit=0)`) puis
lance 1 ou 2 processus de travail (`runs.work` par lots de `runs.BATCH` jusqu'à épuisement),
partis ensemble : essais (`essai`, annulés à la fin de chaque dossier), puis migrations réelles ;
la seconde migration réelle passe les mêmes dossiers de la v2 à une v3 (rappel à 14 jours).

Le débit d'étapes vient de `bench/engine_throughput.py` (importé) : plafond SpiffWorkflow seul et
couche de services sur PostgreSQL, sur une seconde base (`<nom>_steps`).

Les bases (`--url`, sinon `DATABASE_URL`, sinon `anct_bench_migration` en local) sont
SUPPRIMÉES puis recréées : leur nom doit contenir « bench ».
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_database import PostgreSQLUnavailable, fresh_postgresql, log, postgresql_url
from engine_throughput import STEPS, Ceiling, ServiceBench, measure
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from engine import service
from engine.config import Settings
from engine.service.migrations import plans, runs
from engine.service.people import accounts
from engine.store.models import MigrationItem, ProcessInstance, ProcessVersion

ROOT = Path(__file__).resolve().parent.parent
PROCESS_FILE = ROOT / "tests" / "fixtures" / "relance.bpmn"
PROCESS_ID = "relance"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/anct_bench_migration"
GUERET = {"territory": "23", "siren": "212309603"}
START_DATA = {"date_limite": "2027-12-31", "referent": "marie"}
#: Steps of one dossier of the throughput bench: its start, then one per completed task.
STEPS_PER_DOSSIER = 1 + len(STEPS)
TASK_NAME = 'name="Répondre à la demande de compléments"'


# --- Processus enfants ------------------------------------------------------------------------


def say(**values: Any) -> None:
    print(json.dumps(values), flush=True)


def child_start(url: str, count: int) -> None:
    services = service.create_services(Settings(database_url=url), migrate=False)
    try:
        for _ in range(count):
            service.start(services, PROCESS_ID, data=START_DATA, **GUERET)
    finally:
        services.close()
    say(started=count)


def child_work(url: str, name: str, plan_id: int, go: Path) -> None:
    """Wait for `go`, then work batches of the plan until a batch finds nothing."""
    services = service.create_services(Settings(database_url=url), migrate=False)
    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    try:
        with services.write() as connection:  # connexion ouverte, deux versions analysées
            plan = plans.load(connection, plan_id)
            for version_id in (plan.source_version_id, plan.target_version_id):
                services.specs(version_id, connection)
        event.listen(services.db, "before_cursor_execute", count)
        say(ready=name)
        while not go.exists():
            time.sleep(0.005)
        began = time.perf_counter()
        statuses: dict[str, int] = {}
        while True:
            outcomes = runs.work(services, worker=name, plan_id=plan_id)
            if not outcomes:
                break
            for outcome in outcomes:
                statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
        seconds = time.perf_counter() - began
    finally:
        services.close()
    say(worker=name, statuses=statuses, seconds=seconds, statements=statements)


# --- Le banc ----------------------------------------------------------------------------------


def spawn(*args: str) -> subprocess.Popen[str]:
    command = [sys.executable, __file__, *args]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)


def last_line(child: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"processus enfant en échec ({child.returncode})")
    return json.loads(out.strip().splitlines()[-1])


def publish(services: service.Services, folder: Path, version: int, reminder: str) -> None:
    """Publish `version` of the procedure: its task renamed, the 7-day reminder at `reminder`."""
    text = PROCESS_FILE.read_text(encoding="utf-8")
    text = text.replace('"P7D"', f'"{reminder}"').replace(
        TASK_NAME, f'name="Répondre aux compléments (v{version})"'
    )
    path = folder / f"v{version}" / "relance.bpmn"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    [deployed] = service.deploy_path(services, path)
    if deployed.version != version:
        raise RuntimeError(f"version {deployed.version} publiée au lieu de {version}")


def prepare(services: service.Services, url: str, dossiers: int, processes: int) -> float:
    """Deploy v1 and start `dossiers` dossiers in `processes` processes; seconds taken."""
    service.deploy_path(services, PROCESS_FILE)
    accounts.create_user(services, "marie", name="Marie", grants=[("expert", None)])
    shares = [
        dossiers // processes + (1 if i < dossiers % processes else 0) for i in range(processes)
    ]
    began = time.perf_counter()
    children = [spawn("--child-start", str(share), "--url", url) for share in shares if share]
    for child in children:
        last_line(child)
    return time.perf_counter() - began


def run(
    services: service.Services, url: str, plan_id: int, mode: str, workers: int, folder: Path
) -> dict[str, Any]:
    """Queue every dossier of the plan, then `workers` processes work it; the figures."""
    viewer = service.Viewer.command_line("bench")
    began = time.perf_counter()
    started = runs.start(services, viewer, plan_id, mode=mode, inline_limit=0)
    queued = time.perf_counter() - began
    go = folder / f"go-{plan_id}-{mode}-{workers}"
    children = [
        spawn("--child-work", f"w{i}", "--url", url, "--plan", str(plan_id), "--go", str(go))
        for i in range(1, workers + 1)
    ]
    for child in children:
        assert child.stdout is not None
        line = child.stdout.readline()
        if "ready" not in line:
            raise RuntimeError(f"processus de travail non prêt : {line!r}")
    began = time.perf_counter()
    go.touch()
    summaries = [last_line(child) for child in children]
    seconds = time.perf_counter() - began
    statuses: dict[str, int] = {}
    for summary in summaries:
        for status, count in summary["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    expected = "migrable" if mode == "essai" else "migre"
    if statuses != {expected: started.total}:
        raise RuntimeError(f"{mode}, {workers} processus : {statuses} au lieu de {expected}")
    with services.read() as connection:
        pending = connection.execute(
            select(func.count()).where(MigrationItem.pending.is_(True))
        ).scalar_one()
    if pending:
        raise RuntimeError(f"{pending} dossiers encore en file")
    return {
        "mode": mode,
        "workers": workers,
        "dossiers": started.total,
        "queue_seconds": round(queued, 3),
        "seconds": round(seconds, 3),
        "per_s": round(started.total / seconds, 1),
        "by_worker": [s["statuses"].get(expected, 0) for s in summaries],
        "statements_per_dossier": round(sum(s["statements"] for s in summaries) / started.total, 1),
    }


def on_version(services: service.Services, version: int) -> int:
    with services.read() as connection:
        return connection.execute(
            select(func.count())
            .select_from(ProcessInstance)
            .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
            .where(ProcessVersion.version == version, ProcessInstance.status == "en_cours")
        ).scalar_one()


def step_rate(url: str, n: int) -> dict[str, Any]:
    """The engine's rate on the throughput bench's procedure, ceiling and PostgreSQL."""
    benches: dict[str, Any] = {"ceiling": Ceiling(), "postgresql": ServiceBench(url)}
    try:
        seconds = measure(benches, n, warmup=20, rounds=3)
        benches["postgresql"].check(n + 20)
    finally:
        benches["postgresql"].close()
    out: dict[str, Any] = {"n": n, "steps_per_dossier": STEPS_PER_DOSSIER}
    for name, value in seconds.items():
        out[f"{name}_dossiers_per_s"] = round(n / value, 1)
        out[f"{name}_steps_per_s"] = round(n * STEPS_PER_DOSSIER / value, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=10000, help="dossiers en cours (10000)")
    parser.add_argument(
        "--workers", type=int, action="append", help="processus de travail (répétable ; 1 et 2)"
    )
    parser.add_argument("--prep-workers", type=int, default=2, help="processus de démarrage (2)")
    parser.add_argument("--steps-n", type=int, default=300, help="dossiers du débit d'étapes")
    parser.add_argument("--url", help=f"défaut : DATABASE_URL, sinon {DEFAULT_URL}")
    parser.add_argument("--json", action="store_true", help="un seul objet JSON sur la sortie")
    parser.add_argument("--child-start", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-work", help=argparse.SUPPRESS)
    parser.add_argument("--plan", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--go", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_start is not None:
        child_start(args.url, args.child_start)
        return 0
    if args.child_work is not None:
        child_work(args.url, args.child_work, args.plan, args.go)
        return 0
    workers = sorted(set(args.workers or [1, 2]))
    if args.dossiers < 1 or min(workers) < 1 or args.prep_workers < 1:
        parser.error("--dossiers, --workers et --prep-workers doivent être ≥ 1")

    url = postgresql_url(args.url, DEFAULT_URL)
    parsed = make_url(url)
    try:
        database = fresh_postgresql(url)
        steps_database = fresh_postgresql(
            parsed.set(database=f"{parsed.database}_steps").render_as_string(hide_password=False)
        )
    except PostgreSQLUnavailable as exc:
        log(str(exc))
        return 2
    out: dict[str, Any] = {"dossiers": args.dossiers, "database": parsed.render_as_string()}
    services = service.create_services(Settings(database_url=database))
    operator = service.Viewer.command_line("bench")
    try:
        with tempfile.TemporaryDirectory(prefix="anct-bench-migration-") as folder:
            log(f"démarrage de {args.dossiers} dossiers ({args.prep_workers} processus)…")
            out["prep_seconds"] = round(
                prepare(services, database, args.dossiers, args.prep_workers), 1
            )
            out["prep_per_s"] = round(args.dossiers / out["prep_seconds"], 1)
            publish(services, Path(folder), 2, "P10D")
            plan_id = plans.create_plan(services, operator, PROCESS_ID, 1, 2)
            out["runs"] = []
            for workers_count in workers:
                log(f"essai, {workers_count} processus…")
                figures = run(services, database, plan_id, "essai", workers_count, Path(folder))
                out["runs"].append({**figures, "versions": "v1 → v2"})
            real = [(plan_id, 1, 2)]
            for index, workers_count in enumerate(workers):
                if index:
                    source = real[-1][2]
                    publish(services, Path(folder), source + 1, f"P{7 + 3 * (source + 1)}D")
                    next_plan = plans.create_plan(
                        services, operator, PROCESS_ID, source, source + 1
                    )
                    real.append((next_plan, source, source + 1))
                plan, source, target = real[-1]
                log(f"migration v{source} → v{target}, {workers_count} processus…")
                figures = run(services, database, plan, "migration", workers_count, Path(folder))
                figures["versions"] = f"v{source} → v{target}"
                out["runs"].append(figures)
                if on_version(services, target) != args.dossiers:
                    raise RuntimeError(f"des dossiers manquent sur la v{target}")
    finally:
        services.close()
    log(f"débit d'étapes ({args.steps_n} dossiers d'approbation)…")
    out["steps"] = step_rate(steps_database, args.steps_n)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print_table(out)
    return 0


def print_table(out: dict[str, Any]) -> None:
    print(
        f"{out['dossiers']} dossiers en cours de « {PROCESS_ID} » (PostgreSQL : {out['database']})"
    )
    print(f"démarrage par le moteur : {out['prep_seconds']} s ({out['prep_per_s']} dossiers/s)")
    header = (
        f"{'':<28} {'processus':>9} {'dossiers/s':>10} {'secondes':>9} {'requêtes':>9} "
        f"{'mise en file':>12}"
    )
    print(header)
    print("-" * len(header))
    for figures in out["runs"]:
        label = f"{figures['mode']} {figures['versions']}"
        print(
            f"{label:<28} {figures['workers']:>9} {figures['per_s']:>10} "
            f"{figures['seconds']:>9} {figures['statements_per_dossier']:>9} "
            f"{figures['queue_seconds']:>11} s"
        )
    steps = out["steps"]
    print(
        f"débit d'étapes ({steps['n']} dossiers d'approbation, {steps['steps_per_dossier']} étapes "
        f"chacun, 1 processus) : PostgreSQL {steps['postgresql_steps_per_s']} étapes/s "
        f"({steps['postgresql_dossiers_per_s']} dossiers/s), plafond SpiffWorkflow "
        f"{steps['ceiling_steps_per_s']} étapes/s"
    )
    print(
        "requêtes : par dossier, vues par SQLAlchemy (sans BEGIN/COMMIT), prises de lots comprises ; "
        "mise en file : runs.start, hors débit"
    )


if __name__ == "__main__":
    sys.exit(main())

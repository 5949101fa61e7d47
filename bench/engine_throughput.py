"""Débit du moteur : dossiers complets par seconde, sur SQLite, sur PostgreSQL et au plafond.

Chaque dossier suit la procédure `tests/fixtures/approbation.bpmn` par la couche de services :
démarrage, lecture de sa tâche ouverte puis `complete` avec {"montant": 50000}, idem avec
{"avis": "favorable"} : le dossier est terminé. Le plafond fait le même travail avec SpiffWorkflow
seul, en mémoire (sérialiseur d'origine, moteur de script d'origine : `eval` nu), sans base.

    python bench/engine_throughput.py [-n 300] [--json] [--postgresql-url URL]

La base PostgreSQL (`--postgresql-url`, sinon `DATABASE_URL`, sinon `anct_bench` en local) est
SUPPRIMÉE puis recréée : son nom doit contenir « bench ».
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench_database import PostgreSQLUnavailable, fresh_postgresql, log, postgresql_url
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, event, func, select
from sqlalchemy.engine import make_url

from engine import service
from engine.config import Settings
from engine.store.models import HumanTask, ProcessInstance

ROOT = Path(__file__).resolve().parent.parent
PROCESS_FILE = ROOT / "tests" / "fixtures" / "approbation.bpmn"
PROCESS_ID = "approbation"
DEFAULT_POSTGRESQL_URL = "postgresql://postgres@127.0.0.1:5432/anct_bench"
TERRITORY, SIREN = "23", "212309603"
START_DATA = {"objet": "bench"}
STEPS = ({"montant": 50000}, {"avis": "favorable"})
WARMUP = 20
ROUNDS = 3
TARGET_RATIO = 0.40
BACKENDS = ("ceiling", "sqlite", "postgresql")
LABELS = {
    "ceiling": "plafond SpiffWorkflow brut",
    "sqlite": "SQLite (fichier temporaire)",
    "postgresql": "PostgreSQL (base recréée)",
}
CEILING_NOTE = (
    "plafond : SpiffWorkflow seul, en mémoire, sans base ; moteur de script d'origine "
    "(PythonScriptEngine, eval nu, sans bac à sable) ; sérialiseur d'origine (spec comprise), "
    "JSON écrit après chaque étape et relu avant la suivante"
)


# --- Plafond : SpiffWorkflow brut -------------------------------------------------------------


class Ceiling:
    """Le même travail sans notre code ni base : ce que SpiffWorkflow seul permet au mieux."""

    def __init__(self) -> None:
        parser = SpiffBpmnParser()
        parser.add_bpmn_file(str(PROCESS_FILE))
        self.spec = parser.get_spec(PROCESS_ID)
        self.subprocess_specs = parser.get_subprocess_specs(PROCESS_ID)
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self.start_data = {**START_DATA, "territoire": TERRITORY, "siren": SIREN}

    def one(self) -> None:
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(self.start_data)
        workflow.do_engine_steps()
        state = self.serializer.serialize_json(workflow)
        for data in STEPS:
            workflow = self.serializer.deserialize_json(state)
            (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
            state = self.serializer.serialize_json(workflow)
        if not workflow.is_completed():
            raise RuntimeError("plafond : le dossier n'est pas terminé")

    def reset(self) -> None:
        pass

    def counts(self, n: int) -> dict[str, Any]:
        return {}

    def check(self, expected: int) -> None:
        pass


# --- Couche de services -----------------------------------------------------------------------

#: La corbeille du dossier : sa tâche ouverte (requête construite une fois pour toutes).
_TASKS = HumanTask.__table__
OPEN_TASK_OF = select(_TASKS.c.id).where(
    _TASKS.c.instance_id == bindparam("instance_id"), _TASKS.c.status == "ouverte"
)


class ServiceBench:
    """Les dossiers passent par `engine.service`, comme pour la CLI et le web.

    Compte les requêtes (événement `before_cursor_execute` : ni BEGIN/COMMIT/ROLLBACK de
    psycopg, ni le ping de `pool_pre_ping`) et les prises de connexion au pool.
    """

    def __init__(self, url: str) -> None:
        self.services = service.create_services(Settings(database_url=url))
        service.deploy_path(self.services, PROCESS_FILE)
        self.viewer = service.Viewer.command_line("bench")
        self.statements = 0
        self.checkouts = 0
        self.by_phase = {"start": 0, "inbox": 0, "complete": 0}
        event.listen(self.services.db, "before_cursor_execute", self._statement)
        event.listen(self.services.db, "checkout", self._checkout)

    def _statement(self, *_args: Any) -> None:
        self.statements += 1

    def _checkout(self, *_args: Any) -> None:
        self.checkouts += 1

    def open_task(self, instance_id: int) -> str:
        with self.services.read() as connection:
            return connection.execute(OPEN_TASK_OF, {"instance_id": instance_id}).scalar_one()

    def one(self) -> None:
        before = self.statements
        started = service.start(
            self.services, PROCESS_ID, territory=TERRITORY, siren=SIREN, data=START_DATA
        )
        self.by_phase["start"] += self.statements - before
        for data in STEPS:
            before = self.statements
            task_id = self.open_task(started.id)  # on lit sa tâche avant de la traiter
            middle = self.statements
            service.complete(self.services, self.viewer, task_id, data)
            self.by_phase["inbox"] += middle - before
            self.by_phase["complete"] += self.statements - middle

    def reset(self) -> None:
        self.statements = self.checkouts = 0
        self.by_phase = dict.fromkeys(self.by_phase, 0)

    def counts(self, n: int) -> dict[str, Any]:
        return {
            "statements": self.statements / n,
            "by_phase": {phase: count / n for phase, count in self.by_phase.items()},
            "connections": self.checkouts / n,
        }

    def check(self, expected: int) -> None:
        with self.services.db.connect() as connection:
            done = connection.execute(
                select(func.count()).where(
                    ProcessInstance.status == "terminee", ProcessInstance.outcome == "acceptee"
                )
            ).scalar_one()
        if done != expected:
            raise RuntimeError(f"{done} dossiers terminés au lieu de {expected}")

    def close(self) -> None:
        self.services.close()


# --- Mesure -------------------------------------------------------------------------------------


def measure(benches: dict[str, Any], n: int, warmup: int, rounds: int) -> dict[str, float]:
    """Secondes pour n dossiers par banc, mesurées en tours alternés.

    Chaque tour fait passer une part des n dossiers sur chaque banc à la suite : une charge
    passagère de la machine pèse alors sur tous les bancs, et les rapports restent comparables.
    """
    for name, bench in benches.items():
        log(f"{LABELS[name]} : {warmup} dossiers d'échauffement…")
        for _ in range(warmup):
            bench.one()
        bench.reset()
    sizes = [n // rounds + (1 if i < n % rounds else 0) for i in range(rounds)]
    seconds = dict.fromkeys(benches, 0.0)
    for turn, size in enumerate(s for s in sizes if s):
        for name, bench in benches.items():
            log(f"tour {turn + 1}/{rounds} : {LABELS[name]}, {size} dossiers…")
            gc.collect()
            begin = time.perf_counter()
            for _ in range(size):
                bench.one()
            seconds[name] += time.perf_counter() - begin
    return seconds


def report(
    args: argparse.Namespace,
    seconds: dict[str, float],
    counts: dict[str, dict[str, Any]],
    database: str,
    postgresql_error: str | None,
) -> dict[str, Any]:
    per_s = {name: args.n / seconds[name] if name in seconds else None for name in BACKENDS}
    ceiling = per_s["ceiling"]

    def ratio(name: str) -> float | None:
        value = per_s[name]
        return None if value is None or ceiling is None else round(value / ceiling, 3)

    def count(name: str, key: str) -> Any:
        value = counts.get(name, {}).get(key)
        if isinstance(value, dict):
            return {k: round(v, 2) for k, v in value.items()}
        return None if value is None else round(value, 2)

    out: dict[str, Any] = {"n": args.n, "warmup": args.warmup, "rounds": args.rounds}
    for name in BACKENDS:
        out[f"{name}_per_s"] = None if per_s[name] is None else round(per_s[name], 1)
    for name in BACKENDS[1:]:
        out[f"ratio_{name}"] = ratio(name)
    out["seconds"] = {name: round(value, 3) for name, value in seconds.items()}
    out["statements_per_instance"] = {name: count(name, "statements") for name in BACKENDS[1:]}
    out["statements_by_phase"] = {name: count(name, "by_phase") for name in BACKENDS[1:]}
    out["connections_per_instance"] = {name: count(name, "connections") for name in BACKENDS[1:]}
    pg_ratio = out["ratio_postgresql"]
    out["target_ratio_postgresql"] = TARGET_RATIO
    out["target_met"] = None if pg_ratio is None else pg_ratio >= TARGET_RATIO
    out["postgresql_database"] = database
    out["postgresql_error"] = postgresql_error
    out["ceiling_note"] = CEILING_NOTE
    return out


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def print_table(out: dict[str, Any]) -> None:
    print(
        f"Procédure « {PROCESS_ID} » (démarrage + 2 tâches) : n = {out['n']} dossiers par banc, "
        f"en {out['rounds']} tours alternés, après {out['warmup']} d'échauffement"
    )
    header = f"{'':<30} {'dossiers/s':>10} {'/ plafond':>10} {'requêtes':>9} {'connexions':>11}"
    print(header)
    print("-" * len(header))
    for name in BACKENDS:
        share = "100 %" if name == "ceiling" else _percent(out.get(f"ratio_{name}"))
        if out[f"{name}_per_s"] is None:
            share = "—"
        statements = out.get("statements_per_instance", {}).get(name)
        connections = out.get("connections_per_instance", {}).get(name)
        print(
            f"{LABELS[name]:<30} {_number(out[f'{name}_per_s']):>10} {share:>10} "
            f"{_number(statements):>9} {_number(connections):>11}"
        )
    print()
    print(f"PostgreSQL : {out['postgresql_database']}")
    print(
        "requêtes, connexions : par dossier (requêtes vues par SQLAlchemy, sans BEGIN/COMMIT ni "
        "ping du pool ; connexions = prises au pool)"
    )
    print(CEILING_NOTE)
    if out["postgresql_error"]:
        print(f"PostgreSQL non mesuré : {out['postgresql_error']}")
    elif out["target_met"] is not None:
        verdict = "atteint" if out["target_met"] else "NON atteint"
        print(
            f"objectif PostgreSQL ≥ {_percent(TARGET_RATIO)} du plafond : {verdict} "
            f"({_percent(out['ratio_postgresql'])})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="dossiers mesurés par banc (300)")
    parser.add_argument("--warmup", type=int, default=WARMUP, help="dossiers non comptés (20)")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="tours alternés (3)")
    parser.add_argument(
        "--postgresql-url", help=f"défaut : DATABASE_URL, sinon {DEFAULT_POSTGRESQL_URL}"
    )
    parser.add_argument(
        "--require-postgresql", action="store_true", help="échouer si PostgreSQL est injoignable"
    )
    parser.add_argument(
        "--only", action="append", choices=BACKENDS, help="ne mesurer que ce banc (répétable)"
    )
    parser.add_argument("--json", action="store_true", help="un seul objet JSON sur la sortie")
    args = parser.parse_args(argv)
    if args.n < 1 or args.warmup < 0 or args.rounds < 1:
        parser.error("-n et --rounds doivent être ≥ 1, --warmup ≥ 0")
    wanted = [name for name in BACKENDS if name in (args.only or BACKENDS)]

    url = postgresql_url(args.postgresql_url, DEFAULT_POSTGRESQL_URL)
    shown_url = make_url(url).render_as_string(hide_password=True)
    postgresql_error = None
    with ExitStack() as stack:
        benches: dict[str, Any] = {}
        for name in wanted:
            if name == "ceiling":
                benches[name] = Ceiling()
            elif name == "sqlite":
                folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="anct-bench-"))
                benches[name] = ServiceBench(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
                stack.callback(benches[name].close)
            else:
                try:
                    benches[name] = ServiceBench(fresh_postgresql(url))
                except PostgreSQLUnavailable as exc:
                    postgresql_error = str(exc)
                    log(postgresql_error)
                    if args.require_postgresql:
                        return 2
                    continue
                stack.callback(benches[name].close)
        seconds = measure(benches, args.n, args.warmup, args.rounds)
        counts = {name: bench.counts(args.n) for name, bench in benches.items()}
        for bench in benches.values():
            bench.check(args.n + args.warmup)
    out = report(args, seconds, counts, shown_url, postgresql_error)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print_table(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

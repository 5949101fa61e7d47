"""Débit de l'API REST (/api/v1) servie par gunicorn (2 processus), sur 1 000 000 de tâches.

La base PostgreSQL est remplie comme celle du banc des corbeilles (`fill()` de `bench/inbox.py` :
quatre procédures de `processes/`, comptes de démonstration, 250 000 dossiers et 1 000 000 de
tâches humaines dont 100 000 ouvertes), puis `--completions` demandes d'ingénierie réelles (et
autant pour l'échauffement) sont déposées dans la Creuse par la couche de services
(`service.start`, dépôt `DEPOT` des tests de la procédure, par `mairie.gueret`). Des jetons
personnels sont créés pour `prefet.creuse` et `anct.national`, puis gunicorn démarre
(`gunicorn --workers 2 web.wsgi:app`, configuré par l'environnement : `DATABASE_URL`, dossier
d'instance temporaire `ANCT_INSTANCE_PATH`, `ANCT_API_RATE_LIMIT` à « 1000000 per minute » : la
limite par jeton ne freine pas le banc).

Mesures, chacune par `--concurrency` clients (8 par défaut, un fil et une `requests.Session`
chacun), après un échauffement non compté : requêtes par seconde (réponses 200 / durée de la
mesure), médiane et 95e centile du temps de réponse vu du client (attente dans la file de
gunicorn comprise) :

- `POST /api/v1/tasks/{id}/complete` comme `prefet.creuse`, données `NON_RECEVABLE` : la tâche
  `qualifier_besoin` de chaque demande déposée, une fois chacune (le dossier se termine) ;
- `GET /api/v1/tasks` (corbeille de l'appelant, première page de 25, avec ses compteurs) comme
  `prefet.creuse` puis comme `anct.national`, `--requests` requêtes chacun.

Les terminaisons passent avant les lectures : la corbeille lue est alors celle du jeu de données,
sans les demandes déposées pour le banc. Seules les réponses 200 comptent ; les autres sont
rapportées par code.

    python bench/api.py [--tasks 1000000] [--open 100000] [--requests 2000] [--completions 300]
                        [--concurrency 8] [--postgresql-url URL] [--reuse] [--json]

La base (`--postgresql-url`, sinon `DATABASE_URL`, sinon `anct_bench_api` en local) est
SUPPRIMÉE puis recréée : son nom doit contenir « bench ». `--reuse` garde une base déjà remplie
(même volume) : seules les demandes à terminer sont déposées à nouveau.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from bench_database import PostgreSQLUnavailable, fresh_postgresql, log, postgresql_url
from inbox import NATIONAL, PREFET, TASKS, percentile, stored_now
from inbox import OPEN as OPEN_TASKS
from inbox import fill as fill_inbox
from sqlalchemy import text
from sqlalchemy.engine import make_url

from engine import service
from engine.config import Settings
from engine.service.people import tokens
from engine.service.viewer import Viewer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.procedures.test_demande_ingenierie import DEPOT, NON_RECEVABLE  # noqa: E402

DEFAULT_POSTGRESQL_URL = "postgresql://postgres@127.0.0.1:5432/anct_bench_api"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
WORKERS = 2
API = "/api/v1"
MAIRIE, COMMUNE = "mairie.gueret", "Commune de Guéret"
GUERET = {"territory": "23", "siren": "212309603"}
FIRST_TASK = "qualifier_besoin"
#: Calls per token at most: under the API's default limit (300 per minute per token).
PER_TOKEN = 1_000_000


# --- Préparation --------------------------------------------------------------------------------


def file_requests(services: service.Services, count: int) -> list[str]:
    """`count` engineering requests filed in the Creuse; the ids of their open first task."""
    begin = time.perf_counter()
    references = [
        service.start(
            services, "demande_ingenierie", data={**DEPOT, "intitule_projet": f"Banc API {i}"},
            actor=MAIRIE, organisation=COMMUNE, **GUERET,
        ).reference
        for i in range(count)
    ]  # fmt: skip
    with services.db.connect() as connection:
        ids = dict(
            connection.execute(
                text("""SELECT p.reference, h.id FROM human_tasks h
                    JOIN process_instances p ON p.id = h.instance_id
                    WHERE p.reference = ANY(:refs) AND h.bpmn_id = :bpmn
                        AND h.status = 'ouverte'"""),
                {"refs": references, "bpmn": FIRST_TASK},
            ).all()
        )
    missing = [r for r in references if r not in ids]
    if missing:
        raise RuntimeError(f"{len(missing)} dossiers sans tâche « {FIRST_TASK} » : {missing[:3]}")
    log(f"  {count} demandes déposées en {time.perf_counter() - begin:.1f} s")
    return [ids[r] for r in references]


def token_pool(services: service.Services, login: str, calls: int) -> list[str]:
    """Enough tokens of `login` for `calls` calls, each token used at most PER_TOKEN times (one
    token, with the limit lifted by ANCT_API_RATE_LIMIT; lower PER_TOKEN to bench with the
    default limit of 300 calls per minute and per token)."""
    count = max(-(-calls // PER_TOKEN), 1)
    return [
        tokens.create(services, Viewer.command_line(), login, name=f"banc api {i}", days=1).secret
        for i in range(count)
    ]


def spread(secrets: list[str], count: int) -> list[str]:
    """`count` tokens taken in turn from the pool."""
    return [secrets[i % len(secrets)] for i in range(count)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """`gunicorn --workers 2 web.wsgi:app` on a free port, stopped (SIGTERM, then SIGKILL) on
    exit, even on error."""

    def __init__(self, database_url: str, instance: Path, port: int) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = instance / "gunicorn.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "ANCT_INSTANCE_PATH": str(instance),
            "ANCT_API_RATE_LIMIT": "1000000 per minute",
            "PYTHONPATH": str(ROOT),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Gunicorn:
        command = [str(GUNICORN), "--workers", str(WORKERS), "--bind", f"127.0.0.1:{self.port}",
                   "--timeout", "120", "web.wsgi:app"]  # fmt: skip
        with self.log_path.open("wb") as output:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT
            )
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_ready(self, timeout: float = 60.0) -> None:
        """Until both workers answer the health check (each imports the app on its own)."""
        deadline = time.monotonic() + timeout
        answered = 0
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn s'est arrêté :\n{self.tail()}")
            try:
                if requests.get(f"{self.base}{API}/health", timeout=5).status_code == 200:
                    answered += 1
                    if answered >= 4 * WORKERS:
                        return
                    continue
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn ne répond pas après {timeout:g} s :\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __exit__(self, *_exc: Any) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- Mesure -------------------------------------------------------------------------------------

Call = Callable[[requests.Session], requests.Response]


def run_clients(calls: list[Call], concurrency: int) -> dict[str, Any]:
    """The calls shared out among `concurrency` clients (one thread and one Session each), all
    started together; per call: status and time in ms; wall-clock seconds of the whole."""
    shares = [calls[i::concurrency] for i in range(concurrency)]
    results: list[list[tuple[int, float]]] = [[] for _ in shares]
    errors: list[BaseException] = []
    ready = threading.Barrier(len(shares) + 1)

    def client(index: int) -> None:
        with requests.Session() as session:
            ready.wait()
            for call in shares[index]:
                begin = time.perf_counter()
                try:
                    status = call(session).status_code
                except requests.RequestException as exc:
                    errors.append(exc)
                    status = 0
                results[index].append((status, (time.perf_counter() - begin) * 1000))

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(len(shares))]
    for thread in threads:
        thread.start()
    ready.wait()
    begin = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - begin
    flat = [r for share in results for r in share]
    if errors:
        log(f"  {len(errors)} erreurs de connexion, dont : {errors[0]!r}")
    return {"seconds": seconds, "results": flat}


def summary(measured: dict[str, Any]) -> dict[str, Any]:
    results = measured["results"]
    ok = [ms for status, ms in results if status == 200]
    others = Counter(status for status, _ in results if status != 200)
    return {
        "requests": len(results),
        "ok": len(ok),
        "per_s": round(len(ok) / measured["seconds"], 1) if measured["seconds"] else None,
        "p50_ms": round(percentile(ok, 0.50), 1) if ok else None,
        "p95_ms": round(percentile(ok, 0.95), 1) if ok else None,
        "max_ms": round(max(ok), 1) if ok else None,
        "seconds": round(measured["seconds"], 2),
        "non_200": {str(status): n for status, n in sorted(others.items())},
    }


def bench(name: str, calls: list[Call], warmup: list[Call], concurrency: int) -> dict[str, Any]:
    if warmup:
        warmed = summary(run_clients(warmup, concurrency))
        if warmed["non_200"]:
            log(f"  {name} : échauffement, réponses autres que 200 : {warmed['non_200']}")
    out = summary(run_clients(calls, concurrency))
    log(f"  {name} : {out}")
    return out


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def get(base: str, secret: str) -> Call:
    url, headers = f"{base}{API}/tasks", bearer(secret)
    return lambda session: session.get(url, headers=headers, timeout=120)


def complete(base: str, task_id: str, secret: str) -> Call:
    url, headers = f"{base}{API}/tasks/{task_id}/complete", bearer(secret)
    body = {"data": NON_RECEVABLE}
    return lambda session: session.post(url, json=body, headers=headers, timeout=120)


def first_status(base: str, secret: str, what: str) -> str | None:
    """One GET before measuring: a refusal (token, rate limit) stops the bench clearly. The
    answer: the limit per token the server announces (X-RateLimit-Limit)."""
    answer = requests.get(
        f"{base}{API}/tasks", headers={"Authorization": f"Bearer {secret}"}, timeout=120
    )
    if answer.status_code != 200:
        raise RuntimeError(
            f"GET {API}/tasks comme {what} : {answer.status_code} {answer.text[:300]}"
        )
    body = answer.json()
    limit = answer.headers.get("X-RateLimit-Limit")
    log(
        f"  corbeille de {what} : {body['total']} tâches, {len(body['items'])} sur la page ; "
        f"limite par jeton annoncée : {limit} par fenêtre"
    )
    return limit


# --- Sortie -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=TASKS, help=f"tâches en tout ({TASKS})")
    parser.add_argument(
        "--open", type=int, default=OPEN_TASKS, help=f"dont ouvertes ({OPEN_TASKS})"
    )
    parser.add_argument("--requests", type=int, default=2000, help="GET mesurés par compte (2000)")
    parser.add_argument(
        "--completions", type=int, default=300, help="tâches terminées mesurées (300)"
    )
    parser.add_argument("--warmup", type=int, default=40, help="requêtes d'échauffement (40)")
    parser.add_argument("--concurrency", type=int, default=8, help="clients simultanés (8)")
    parser.add_argument("--postgresql-url", help=f"défaut : {DEFAULT_POSTGRESQL_URL}")
    parser.add_argument("--reuse", action="store_true", help="garder une base déjà remplie")
    parser.add_argument("--port", type=int, help="port de gunicorn (défaut : un port libre)")
    parser.add_argument("--json", action="store_true", help="un seul objet JSON sur la sortie")
    args = parser.parse_args(argv)
    if min(args.requests, args.completions, args.concurrency) < 1 or args.warmup < 0:
        parser.error("--requests, --completions, --concurrency ≥ 1 ; --warmup ≥ 0")
    if args.tasks < 4 or args.open < 1:
        parser.error("--tasks ≥ 4, --open ≥ 1")
    url = postgresql_url(args.postgresql_url, DEFAULT_POSTGRESQL_URL)
    if "bench" not in (make_url(url).database or ""):
        parser.error("le nom de la base doit contenir « bench » (elle est recréée)")
    load_before = os.getloadavg()
    previous = stored_now(url) if args.reuse else None
    try:
        if previous and previous[1:] == (args.tasks, args.open):
            log(f"base déjà remplie ({args.tasks} tâches) : réutilisée")
            database = make_url(url).set(drivername="postgresql+psycopg")
            database_url = database.render_as_string(hide_password=False)
            services = service.create_services(Settings(database_url=database_url))
            filled: dict[str, Any] = {"fill_seconds": None}
        else:
            database_url = fresh_postgresql(url)
            services = service.create_services(Settings(database_url=database_url))
            log(f"remplissage : {args.tasks} tâches dont {args.open} ouvertes…")
            filled = fill_inbox(services, args.tasks, args.open)
    except PostgreSQLUnavailable as exc:
        log(str(exc))
        return 2
    try:
        log(f"dépôt de {args.warmup} + {args.completions} demandes d'ingénierie (Creuse)…")
        begin = time.perf_counter()
        task_ids = file_requests(services, args.warmup + args.completions)
        filing_seconds = time.perf_counter() - begin
        gets = args.warmup + args.requests + 2
        pools = {
            "complete_prefet": token_pool(services, PREFET, len(task_ids)),
            "inbox_prefet": token_pool(services, PREFET, gets),
            "inbox_national": token_pool(services, NATIONAL, gets),
        }
    finally:
        services.close()

    results: dict[str, Any] = {}
    limits: dict[str, str | None] = {}
    with tempfile.TemporaryDirectory(prefix="anct-bench-api-") as instance:
        port = args.port or free_port()
        log(f"gunicorn ({WORKERS} processus) sur 127.0.0.1:{port}…")
        with Gunicorn(database_url, Path(instance), port) as server:
            base = server.base
            accounts = {"inbox_prefet": PREFET, "inbox_national": NATIONAL}
            for name, login in accounts.items():
                limits[login] = first_status(base, pools[name][0], login)
            log("mesures…")
            secrets = spread(pools["complete_prefet"], len(task_ids))
            calls = [complete(base, t, s) for t, s in zip(task_ids, secrets, strict=True)]
            results["complete_prefet"] = bench(
                "complete_prefet", calls[args.warmup :], calls[: args.warmup], args.concurrency
            )
            for name in accounts:
                calls = [get(base, s) for s in spread(pools[name], args.warmup + args.requests)]
                results[name] = bench(
                    name, calls[args.warmup :], calls[: args.warmup], args.concurrency
                )
            for name, login in accounts.items():
                first_status(base, pools[name][-1], login)
    load_after = os.getloadavg()

    out: dict[str, Any] = {
        **filled, "tasks": args.tasks, "open": args.open, "requests": args.requests,
        "completions": args.completions, "warmup": args.warmup,
        "concurrency": args.concurrency, "workers": WORKERS,
        "filing_seconds": round(filing_seconds, 1), "results": results,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after], "cpus": os.cpu_count(),
        "rate_limit_per_token": limits, "tokens": {n: len(p) for n, p in pools.items()},
        "postgresql_database": make_url(url).render_as_string(hide_password=True),
    }  # fmt: skip
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    print(
        f"{args.tasks} tâches dont {args.open} ouvertes ; gunicorn {WORKERS} processus, "
        f"{args.concurrency} clients ; {args.warmup} requêtes d'échauffement par mesure"
    )
    if filled.get("fill_seconds") is not None:
        print(f"remplissage : {filled['fill_seconds']} s")
    print(f"dépôt de {args.warmup + args.completions} demandes : {filing_seconds:.1f} s")
    labels = {
        "complete_prefet": "terminer (préfet 23)",
        "inbox_prefet": "corbeille préfet 23",
        "inbox_national": "corbeille nationale",
    }
    header = (
        f"{'mesure':<22} {'requêtes':>8} {'200':>6} {'req/s':>7} {'médiane':>8} {'p95':>8} "
        f"{'max':>8}  autres codes"
    )
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        others = ", ".join(f"{code} × {n}" for code, n in r["non_200"].items()) or "—"
        print(
            f"{labels[name]:<22} {r['requests']:>8} {r['ok']:>6} {r['per_s'] or 0:>7.1f} "
            f"{r['p50_ms'] or 0:>8.1f} {r['p95_ms'] or 0:>8.1f} {r['max_ms'] or 0:>8.1f}  {others}"
        )
    print("(temps en ms, vus du client)")
    print(
        f"limite annoncée par jeton : {limits} ; jetons : {out['tokens']} "
        f"(au plus {PER_TOKEN} requêtes chacun)"
    )
    print(
        f"charge moyenne (1, 5, 15 min) : avant {out['load_average_before']}, "
        f"après {out['load_average_after']} ; {out['cpus']} cœurs"
    )
    print(f"PostgreSQL : {out['postgresql_database']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

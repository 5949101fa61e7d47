"""Balayage des minuteries : coût d'un passage selon le nombre en attente, et retard de déclenchement.

Sur PostgreSQL, pour chaque taille (10 000 puis 100 000 minuteries en attente par défaut) :
1 000 dossiers réels de `tests/fixtures/relance.bpmn` (2 minuteries chacun : le rappel à 7 jours
et la date limite), le reste des minuteries en attente inséré en masse, à échéance lointaine, sur
des dossiers copiés d'un vrai. L'horloge manuelle passe ensuite le rappel des 1 000 dossiers ; un
balayage = `fire_due` répété jusqu'à ce qu'il ne prenne plus rien. Le plan (`EXPLAIN ANALYZE`) de la
requête de prise montre l'usage de l'index (status, due_at).

Puis, en temps réel (`SystemClock`), des rappels échelonnés sur ~20 s et un balayage par seconde
dans un fil à part (comme `anct worker --interval 1`) : retard échéance → déclenchement, p50/p99.

    python bench/timer_sweep.py [--json] [--postgresql-url URL]

La base PostgreSQL (`--postgresql-url`, sinon `DATABASE_URL`, sinon `anct_bench_timers` en local)
est SUPPRIMÉE puis recréée à chaque étape : son nom doit contenir « bench ».
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_database import PostgreSQLUnavailable, fresh_postgresql, log, postgresql_url
from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from engine import service
from engine.clock import ManualClock
from engine.config import Settings
from engine.scheduler import fire_due
from engine.scheduler.claims import PENDING
from engine.store.leases import due_candidates
from engine.store.models import Timer

ROOT = Path(__file__).resolve().parent.parent
PROCESS_FILE = ROOT / "tests" / "fixtures" / "relance.bpmn"
PROCESS_ID = "relance"
DEFAULT_POSTGRESQL_URL = "postgresql://postgres@127.0.0.1:5432/anct_bench_timers"
GUERET = {"territory": "23", "siren": "212309603"}
CLOCK_START = "2026-01-05T09:00:00+00:00"
FAR_AWAY = datetime(2100, 1, 1, tzinfo=UTC)
TARGET_P99 = 2.0
INDEX = "ix_timers_status_due_at"
_TIMERS = Timer.__table__


def pending_count(services: service.Services) -> int:
    with services.db.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(_TIMERS).where(_TIMERS.c.status == PENDING)
        ).scalar_one()


# --- Remplissage --------------------------------------------------------------------------------

_COPY_INSTANCES = text("""
    INSERT INTO process_instances (reference, process_version_id, process_id, territory, siren,
        status, outcome, incident, data, state, lock_version, created_at, updated_at,
        completed_at, created_by)
    SELECT 'BENCH-' || g, t.process_version_id, t.process_id, t.territory, t.siren, t.status,
        t.outcome, t.incident, t.data, t.state, t.lock_version, t.created_at, t.updated_at,
        t.completed_at, t.created_by
    FROM process_instances t, generate_series(1, :n) AS g
    WHERE t.id = :template
""")
_COPY_TIMERS = text("""
    INSERT INTO timers (id, instance_id, bpmn_id, name, kind, due_at, status, attempts,
        updated_at)
    SELECT gen_random_uuid()::text, p.id, 'delai_depasse', 'Sans réponse à la date limite',
        'date', :far + (p.id % 100000) * interval '1 minute', :pending, 0, :now
    FROM process_instances p
    WHERE p.reference LIKE 'BENCH-%'
""")


def fill(services: service.Services, clock: ManualClock, due: int, pending: int) -> None:
    """`due` dossiers réels (rappel à 7 jours), puis les minuteries lointaines jusqu'à `pending`."""
    begin = time.perf_counter()
    data = {"date_limite": "2026-04-01", "referent": "marie"}
    template = None
    for _ in range(due):
        template = service.start(services, PROCESS_ID, data=data, **GUERET).id
    log(f"  {due} dossiers démarrés en {time.perf_counter() - begin:.1f} s")
    extra = max(pending - 2 * due, 0)
    begin = time.perf_counter()
    with services.write() as connection:
        connection.execute(_COPY_INSTANCES, {"n": extra, "template": template})
        connection.execute(_COPY_TIMERS, {"far": FAR_AWAY, "pending": PENDING, "now": clock.now()})
    with services.db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE timers"))
        connection.execute(text("VACUUM ANALYZE process_instances"))
    log(f"  {extra} minuteries lointaines insérées en {time.perf_counter() - begin:.1f} s")


def explain_claim(services: service.Services, now: datetime, limit: int) -> tuple[str, float]:
    """Plan de la sous-requête de prise (celle de `store.leases`), exécutée puis annulée."""
    candidates = due_candidates(
        _TIMERS, _TIMERS.c.due_at, now=now, limit=limit, pending=PENDING, skip_locked=True
    )
    compiled = candidates.compile(dialect=postgresql.psycopg.dialect())
    with services.db.connect() as connection:
        rows = connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS) " + str(compiled), compiled.params
        ).all()
        connection.rollback()
    plan = "\n".join(row[0] for row in rows)
    milliseconds = 0.0
    for line in plan.splitlines():
        if "Execution Time" in line:
            milliseconds = float(line.split(":")[1].split()[0])
    return plan, milliseconds


def sweep_size(url: str, due: int, pending: int, limit: int) -> dict[str, Any]:
    log(f"{pending} minuteries en attente, {due} échues : préparation…")
    clock = ManualClock(CLOCK_START)
    services = service.create_services(Settings(database_url=fresh_postgresql(url)), clock=clock)
    try:
        service.deploy_path(services, PROCESS_FILE)
        fill(services, clock, due, pending)
        waiting = pending_count(services)
        clock.advance(days=7, minutes=1)
        plan, claim_ms = explain_claim(services, clock.now(), limit)
        gc.collect()
        claimed = passes = 0
        failed: list[str] = []
        begin = time.perf_counter()
        while True:
            report = fire_due(services, worker="bench", limit=limit)
            passes += 1
            claimed += report.claimed
            failed += report.failed + report.incidents
            if report.claimed == 0:
                break
        seconds = time.perf_counter() - begin
        left = pending_count(services)
    finally:
        services.close()
    if claimed != due or failed or left != waiting - due:
        raise RuntimeError(
            f"balayage incorrect : {claimed} prises pour {due}, {len(failed)} échecs, "
            f"{left} en attente après (attendu {waiting - due})"
        )
    log(f"  balayage : {claimed} minuteries en {seconds:.2f} s ({passes} appels à fire_due)")
    return {
        "pending": waiting,
        "seconds": seconds,
        "per_s": claimed / seconds,
        "passes": passes,
        "claim_ms": claim_ms,
        "index_used": INDEX in plan,
        "plan": plan,
    }


# --- Retard en temps réel -----------------------------------------------------------------------


def delayed_bpmn(folder: Path) -> Path:
    """`relance.bpmn` dont le rappel lit sa durée dans les données du dossier."""
    content = PROCESS_FILE.read_text(encoding="utf-8")
    changed = content.replace(
        '<bpmn:timeDuration>"P7D"</bpmn:timeDuration>',
        "<bpmn:timeDuration>duree_rappel</bpmn:timeDuration>",
    )
    if changed == content:
        raise RuntimeError("relance.bpmn : la durée du rappel n'a pas été trouvée")
    path = folder / "relance.bpmn"
    path.write_text(changed, encoding="utf-8")
    return path


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def delay_phase(url: str, count: int, lead: float, window: float, interval: float) -> dict:
    log(f"retard : {count} rappels échelonnés sur {window:.0f} s, un balayage par {interval} s…")
    services = service.create_services(Settings(database_url=fresh_postgresql(url)))
    stop = threading.Event()
    errors: list[str] = []

    def worker() -> None:  # balayage à cadence fixe, comme l'intervalle d'APScheduler
        tick = time.monotonic()
        while not stop.is_set():
            try:
                report = fire_due(services, worker="bench-retard")
                errors.extend(report.failed + report.incidents)
            except Exception as error:
                errors.append(f"{type(error).__name__} : {error}")
            tick += interval
            now = time.monotonic()
            if tick < now:  # passages manqués : regroupés (coalesce)
                tick = now + interval - (now - tick) % interval
            stop.wait(tick - now)

    try:
        with tempfile.TemporaryDirectory(prefix="anct-bench-") as folder:
            service.deploy_path(services, delayed_bpmn(Path(folder)))
        thread = threading.Thread(target=worker, daemon=True)
        thread.start()
        start = time.time()
        for i in range(count):
            target = start + lead + window * i / count
            seconds = max(target - time.time(), 0.2)
            data = {"date_limite": "2099-01-01", "referent": "marie",
                    "duree_rappel": f"PT{seconds:.3f}S"}  # fmt: skip
            service.start(services, PROCESS_ID, data=data, **GUERET)
        log(f"  {count} dossiers démarrés en {time.time() - start:.1f} s")
        deadline = start + lead + window + 15
        fired_query = select(_TIMERS.c.due_at, _TIMERS.c.updated_at).where(
            _TIMERS.c.bpmn_id == "rappel", _TIMERS.c.status == "declenchee"
        )
        while True:
            with services.db.connect() as connection:
                rows = connection.execute(fired_query).all()
            if len(rows) >= count or time.time() > deadline:
                break
            time.sleep(0.5)
        stop.set()
        thread.join(30)
    finally:
        services.close()
    delays = [(fired - due).total_seconds() for due, fired in rows]
    if not delays:
        raise RuntimeError("aucun rappel déclenché")
    out = {
        "timers": count,
        "fired": len(delays),
        "errors": errors[:5],
        "p50": percentile(delays, 0.50),
        "p99": percentile(delays, 0.99),
        "max": max(delays),
        "min": min(delays),
    }
    log(f"  {len(delays)}/{count} déclenchés, p50 {out['p50']:.3f} s, p99 {out['p99']:.3f} s")
    return out


# --- Sortie -------------------------------------------------------------------------------------


def label(pending: int) -> str:
    return f"{pending // 1000}k" if pending % 1000 == 0 else str(pending)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=1000, help="minuteries échues (1000)")
    parser.add_argument(
        "--pending", type=int, action="append", help="en attente, répétable (10000 et 100000)"
    )
    parser.add_argument("--limit", type=int, default=500, help="limite de fire_due (500)")
    parser.add_argument("--delay-timers", type=int, default=300, help="rappels en temps réel")
    parser.add_argument("--window", type=float, default=20.0, help="échelonnement, s (20)")
    parser.add_argument("--interval", type=float, default=1.0, help="entre balayages, s (1)")
    parser.add_argument("--postgresql-url", help=f"défaut : {DEFAULT_POSTGRESQL_URL}")
    parser.add_argument("--json", action="store_true", help="un seul objet JSON sur la sortie")
    args = parser.parse_args(argv)
    sizes = args.pending or [10_000, 100_000]
    if args.due < 1 or args.delay_timers < 1 or any(size < 2 * args.due for size in sizes):
        parser.error("--due ≥ 1, --delay-timers ≥ 1, chaque --pending ≥ 2 × --due")
    url = postgresql_url(args.postgresql_url, DEFAULT_POSTGRESQL_URL)
    try:
        sweeps = {size: sweep_size(url, args.due, size, args.limit) for size in sizes}
        delay = delay_phase(url, args.delay_timers, 5.0, args.window, args.interval)
    except PostgreSQLUnavailable as exc:
        log(str(exc))
        return 2

    out: dict[str, Any] = {"due": args.due, "limit": args.limit}
    for size, result in sweeps.items():
        name = label(size)
        out[f"sweep_seconds_{name}"] = round(result["seconds"], 3)
        out[f"sweep_per_s_{name}"] = round(result["per_s"], 1)
        out[f"pending_{name}"] = result["pending"]
        out[f"claim_ms_{name}"] = result["claim_ms"]
        out[f"index_used_{name}"] = result["index_used"]
    first, last = sweeps[sizes[0]], sweeps[sizes[-1]]
    out["sweep_ratio"] = round(last["seconds"] / first["seconds"], 3)
    out["delay_timers"] = delay["timers"]
    out["delay_fired"] = delay["fired"]
    out["delay_p50_s"] = round(delay["p50"], 3)
    out["delay_p99_s"] = round(delay["p99"], 3)
    out["delay_max_s"] = round(delay["max"], 3)
    out["delay_errors"] = delay["errors"]
    out["target_p99_s"] = TARGET_P99
    out["target_met"] = delay["fired"] == delay["timers"] and delay["p99"] < TARGET_P99
    out["postgresql_database"] = make_url(url).render_as_string(hide_password=True)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    print(f"Balayage de {args.due} minuteries échues (fire_due, limite {args.limit}) :")
    header = (
        f"{'en attente':>12} {'secondes':>9} {'minuteries/s':>13} {'prise (ms)':>11} {'index':>6}"
    )
    print(header)
    print("-" * len(header))
    for result in sweeps.values():
        print(
            f"{result['pending']:>12} {result['seconds']:>9.2f} {result['per_s']:>13.1f} "
            f"{result['claim_ms']:>11.2f} {'oui' if result['index_used'] else 'NON':>6}"
        )
    print(f"rapport {label(sizes[-1])} / {label(sizes[0])} : {out['sweep_ratio']:.2f}")
    print()
    print(f"Plan de la requête de prise ({last['pending']} en attente) :")
    print(last["plan"])
    print()
    print(
        f"Retard échéance → déclenchement, {delay['fired']}/{delay['timers']} rappels, un "
        f"balayage toutes les {args.interval:g} s : p50 {delay['p50']:.3f} s, "
        f"p99 {delay['p99']:.3f} s, max {delay['max']:.3f} s"
    )
    verdict = "atteint" if out["target_met"] else "NON atteint"
    print(f"objectif p99 < {TARGET_P99:g} s : {verdict}")
    if delay["errors"]:
        print(f"échecs : {delay['errors']}")
    print(f"PostgreSQL : {out['postgresql_database']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

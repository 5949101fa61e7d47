"""Corbeilles de tâches : temps de la requête et de la page, sur 1 000 000 de tâches PostgreSQL.

Une base neuve reçoit les quatre procédures de `processes/`, les comptes de démonstration, puis
250 000 dossiers et 1 000 000 de tâches humaines (`INSERT … SELECT generate_series`), dont
100 000 ouvertes : réparties sur les 101 départements (données officielles), les tâches réelles
des quatre procédures (préfet, équipe nationale, collectivité, comité, expert), des échéances
autour de « maintenant » (un tiers en retard, quelques-unes cette semaine, 10 % sans échéance).

Mesures (échauffement, puis `--repeat` répétitions, médiane et 95e centile en ms) :

- la corbeille du préfet de la Creuse filtrée « en retard », première page de 25, par la couche
  de services (`list_tasks`), et ses compteurs (`count_tasks`) et facettes (`inbox_facets`)
  s'ils existent ;
- la corbeille nationale (`equipe_nationale`, sans périmètre), première page ;
- la page entière par le client de test Flask (`GET /taches/?echeance=en_retard` connecté comme
  `prefet.creuse`, `GET /taches/` comme `anct.national`) : temps serveur, sans réseau.

Le plan `EXPLAIN (ANALYZE, BUFFERS)` des requêtes du préfet est affiché (requêtes captées au
passage, telles que la couche de services les envoie).

    python bench/inbox.py [--json] [--repeat 200] [--postgresql-url URL] [--reuse]
                          [--without-0006]

La base PostgreSQL (`--postgresql-url`, sinon `DATABASE_URL`, sinon `anct_bench_inbox` en local)
est SUPPRIMÉE puis recréée : son nom doit contenir « bench ». `--reuse` garde une base déjà
remplie par un passage précédent (même volume) et ne fait que mesurer. `--without-0006` mesure
sans les index de la migration 0006 (retour à la révision 0005), pour comparer.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_database import PostgreSQLUnavailable, fresh_postgresql, log, postgresql_url
from lxml import etree
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from engine import service
from engine.clock import ManualClock
from engine.config import Settings
from engine.service import users
from engine.service.demo import DEMO_PASSWORD, ensure_demo
from engine.store.migrate import alembic_config

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
DEFAULT_POSTGRESQL_URL = "postgresql://postgres@127.0.0.1:5432/anct_bench_inbox"
TASKS, OPEN, TASKS_PER_DOSSIER = 1_000_000, 100_000, 4
PAGE = 25
PREFET, NATIONAL = "prefet.creuse", "anct.national"
TARGET_QUERY_MS, TARGET_PAGE_MS = 50.0, 150.0
#: Share of the open tasks per role (the kinds of task of a role share its weight).
ROLE_WEIGHTS = {"prefet": 55, "equipe_nationale": 20, "collectivite": 12, "comite": 8, "expert": 5}
BPMN = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
#: The indexes of migration 0006 (engine/store/migrations/versions/0006_inbox_indexes.py).
INBOX_INDEXES = ("ix_human_tasks_open_role_siren", "ix_human_tasks_open_role_due")


# --- Remplissage --------------------------------------------------------------------------------


def task_kinds() -> list[tuple[str, str, str, str]]:
    """(process_id, bpmn_id, name, role) of every user task of the procedures, lane = role."""
    kinds = []
    for path in sorted(PROCESSES.glob("*/*.bpmn")):
        for process in etree.parse(str(path)).getroot().iterfind("bpmn:process", BPMN):
            lanes = {
                (ref.text or "").strip(): lane.get("name")
                for lane in process.iterfind(".//bpmn:lane", BPMN)
                for ref in lane.iterfind("bpmn:flowNodeRef", BPMN)
            }
            for task in process.iterfind(".//bpmn:userTask", BPMN):
                role = lanes.get(task.get("id"))
                if role in ROLE_WEIGHTS:
                    kinds.append((process.get("id"), task.get("id"), task.get("name"), role))
    return kinds


def slots(kinds: list[tuple[str, str, str, str]], size: int = 1000) -> list[int]:
    """`size` slots, each the index of a kind, so that roles get their ROLE_WEIGHTS share."""
    by_role: dict[str, list[int]] = {}
    for index, kind in enumerate(kinds):
        by_role.setdefault(kind[3], []).append(index)
    out: list[int] = []
    total = sum(ROLE_WEIGHTS[role] for role in by_role)
    for role, indexes in sorted(by_role.items()):
        share = round(size * ROLE_WEIGHTS[role] / total)
        out += [indexes[i % len(indexes)] for i in range(share)]
    return (out + out[: max(size - len(out), 0)])[:size]


_KINDS = """
    CREATE TEMP TABLE bench_kinds ON COMMIT DROP AS
    SELECT k.no, k.process_id, k.bpmn_id, k.name, k.role,
        (row_number() OVER (PARTITION BY k.process_id ORDER BY k.no) - 1)::int AS pno,
        (count(*) OVER (PARTITION BY k.process_id))::int AS pcount,
        v.id AS version_id, upper(left(k.process_id, 3)) AS prefix
    FROM jsonb_to_recordset(CAST(:kinds AS jsonb))
        AS k(no int, process_id text, bpmn_id text, name text, role text)
    JOIN (SELECT DISTINCT ON (process_id) process_id, id FROM process_versions
          ORDER BY process_id, version DESC) v ON v.process_id = k.process_id
"""
_SLOTS = """
    CREATE TEMP TABLE bench_slots ON COMMIT DROP AS
    SELECT (s.ord - 1)::int AS slot, s.kind FROM unnest(CAST(:slots AS int[]))
        WITH ORDINALITY AS s(kind, ord)
"""
#: Dossier g: its open kind (slot-weighted), territory, SIREN; the first `open` ones are running.
_INSTANCES = """
    INSERT INTO process_instances (id, reference, process_version_id, process_id, territory,
        siren, status, outcome, incident, data, state, lock_version, created_at, updated_at,
        completed_at, created_by, organisation)
    SELECT g, k.prefix || '-' || d.code || '-2026-' || lpad(g::text, 6, '0'), k.version_id,
        k.process_id, d.code, '2' || lpad(((g * 7919) % 99999999)::text, 8, '0'),
        CASE WHEN g <= :open THEN 'en_cours' ELSE 'terminee' END,
        CASE WHEN g <= :open THEN NULL ELSE 'favorable' END, NULL, '{}', '{}', 3,
        :now - make_interval(days => (30 + (g * 13) % 300)::int),
        :now - make_interval(days => ((g * 17) % 20)::int),
        CASE WHEN g > :open THEN :now - make_interval(days => ((g * 17) % 20)::int) END,
        'bench', 'Commune n° ' || (g % 5000) || ' (' || d.code || ')'
    FROM generate_series(1::bigint, :dossiers) AS g
    JOIN bench_slots s ON s.slot = (g * 2654435761) % 1000
    JOIN bench_kinds k ON k.no = s.kind
    JOIN (SELECT code, (ord - 1)::int AS ord FROM unnest(CAST(:codes AS text[]))
          WITH ORDINALITY AS c(code, ord)) d ON d.ord = (g * 40503) % :territories
"""
#: Task j of dossier g: the last one of a running dossier is open (its slot's kind), the others
#: are done (kinds of the same procedure). Due dates of open tasks: 10 % none, the rest spread
#: from 25 days ago to 50 days ahead.
_TASKS = """
    INSERT INTO human_tasks (id, instance_id, process_id, bpmn_id, name, role, territory, siren,
        form_ref, assignee, due_at, status, created_at, completed_at, completed_by)
    SELECT md5(p.id || '-' || j)::uuid::text, p.id, k.process_id, k.bpmn_id, k.name, k.role,
        p.territory, p.siren, NULL,
        CASE WHEN k.role = 'expert' THEN
                CASE WHEN p.id % 2 = 0 THEN 'expert.cerema' ELSE 'expert.' || p.id % 40 END
             WHEN (p.id * 31) % 10 < 3 THEN k.role || '.agent' || p.id % 7 END,
        CASE WHEN NOT open_task THEN p.created_at + make_interval(days => 15 + 20 * j)
             WHEN (p.id * 6151) % 10 = 0 THEN NULL
             ELSE :now + make_interval(mins => ((p.id * 1000003) % 108000)::int - 36000) END,
        CASE WHEN open_task THEN 'ouverte' ELSE 'terminee' END,
        CASE WHEN open_task THEN :now - make_interval(days => ((p.id * 11) % 40)::int)
             ELSE p.created_at + make_interval(days => 20 * j) END,
        CASE WHEN NOT open_task THEN p.created_at + make_interval(days => 20 * j + 5) END,
        CASE WHEN open_task THEN NULL ELSE k.role || '.agent' || p.id % 7 END
    FROM process_instances p
    CROSS JOIN generate_series(0, :per - 1) AS j
    CROSS JOIN LATERAL (SELECT j = :per - 1 AND p.id <= :open AS open_task) o
    JOIN bench_slots s ON s.slot = (p.id * 2654435761) % 1000
    JOIN bench_kinds own ON own.no = s.kind
    JOIN bench_kinds k ON k.process_id = p.process_id
        AND k.pno = CASE WHEN open_task THEN own.pno ELSE (p.id + j) % own.pcount END
    WHERE p.created_by = 'bench'
"""


def departement_codes(services: service.Services) -> list[str]:
    """The 101 départements: those of a région (overseas collectivities, whose « région » is
    their own three-digit code in the reference data, are left out)."""
    departements = services.territories.departements.values()
    return sorted(d.code for d in departements if d.region and len(d.region) == 2)


def fill(services: service.Services, tasks: int, open_tasks: int) -> dict[str, Any]:
    begin = time.perf_counter()
    service.deploy_path(services, PROCESSES)
    ensure_demo(services)
    kinds = task_kinds()
    codes = departement_codes(services)
    dossiers = tasks // TASKS_PER_DOSSIER
    if open_tasks > dossiers:
        raise SystemExit(f"au plus une tâche ouverte par dossier : --open ≤ {dossiers}")
    payload = json.dumps(
        [dict(zip(("no", "process_id", "bpmn_id", "name", "role"), (i, *k), strict=True))
         for i, k in enumerate(kinds)]
    )  # fmt: skip
    now = services.clock.now()
    with services.write() as connection:
        connection.execute(text(_KINDS), {"kinds": payload})
        connection.execute(text(_SLOTS), {"slots": slots(kinds)})
        connection.execute(text(_INSTANCES), {
            "open": open_tasks, "now": now, "dossiers": dossiers, "codes": codes,
            "territories": len(codes),
        })  # fmt: skip
        log(f"  {dossiers} dossiers insérés ({time.perf_counter() - begin:.1f} s)")
        connection.execute(text(_TASKS), {"per": TASKS_PER_DOSSIER, "open": open_tasks, "now": now})
        connection.execute(
            text("SELECT setval(pg_get_serial_sequence('process_instances', 'id'), :n)"),
            {"n": dossiers},
        )
        connection.execute(text("CREATE TABLE bench_inbox (now timestamptz, tasks int, open int)"))
        connection.execute(
            text("INSERT INTO bench_inbox VALUES (:now, :tasks, :open)"),
            {"now": now, "tasks": tasks, "open": open_tasks},
        )
    log(f"  {tasks} tâches insérées ({time.perf_counter() - begin:.1f} s)")
    with services.db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE human_tasks"))
        connection.execute(text("VACUUM ANALYZE process_instances"))
    seconds = time.perf_counter() - begin
    log(f"  VACUUM ANALYZE fait : remplissage en {seconds:.1f} s")
    return {"fill_seconds": round(seconds, 1), "departements": len(codes), "kinds": len(kinds)}


def volumes(services: service.Services) -> dict[str, Any]:
    with services.db.connect() as connection:
        row = connection.execute(
            text("""SELECT count(*), count(*) FILTER (WHERE status = 'ouverte'),
                count(DISTINCT territory) FROM human_tasks""")
        ).one()
        instances = connection.execute(text("SELECT count(*) FROM process_instances")).scalar()
        by_role = dict(
            connection.execute(
                text("""SELECT role, count(*) FROM human_tasks WHERE status = 'ouverte'
                    GROUP BY role ORDER BY role""")
            ).all()
        )
    return {
        "tasks": row[0], "open": row[1], "territories": row[2], "instances": instances,
        "open_by_role": by_role,
    }  # fmt: skip


def stored_now(url: str) -> tuple[datetime, int, int] | None:
    """The instant, volume and open count of a previous fill, if the database has one."""
    from sqlalchemy import create_engine

    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as connection:
            row = connection.execute(text("SELECT now, tasks, open FROM bench_inbox")).first()
    except Exception:
        return None
    finally:
        engine.dispose()
    return (row[0], row[1], row[2]) if row else None


def without_inbox_indexes(services: service.Services) -> None:
    """Back to revision 0005 (the inbox indexes dropped), statistics refreshed."""
    from alembic import command

    config = alembic_config()
    with services.db.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
        connection.commit()
    with services.db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE human_tasks"))


def present_indexes(services: service.Services) -> list[str]:
    with services.db.connect() as connection:
        return list(
            connection.execute(
                text("SELECT indexname FROM pg_indexes WHERE tablename = 'human_tasks' "
                     "ORDER BY indexname")
            ).scalars()
        )  # fmt: skip


# --- Mesure -------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def measure(action: Callable[[], Any], repeat: int, warmup: int) -> dict[str, float]:
    for _ in range(warmup):
        action()
    gc.collect()
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        action()
        times.append((time.perf_counter() - begin) * 1000)
    return {
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "max_ms": round(max(times), 2),
    }


class Captured:
    """The SQL statements a call sends (to EXPLAIN them with the same parameters)."""

    def __init__(self, services: service.Services) -> None:
        self.engine = services.db
        self.statements: list[tuple[str, Any]] = []

    def __enter__(self) -> Captured:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.statements.append((statement, parameters))


def explain(services: service.Services, statement: str, parameters: Any) -> str:
    with services.db.connect() as connection:
        rows = connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
        ).all()
        connection.rollback()
    return "\n".join(row[0] for row in rows)


def plan_notes(plan: str) -> dict[str, Any]:
    execution = re.search(r"Execution Time: ([\d.]+) ms", plan)
    return {
        "execution_ms": float(execution.group(1)) if execution else None,
        "indexes": sorted(set(re.findall(r"(?:Index|Index Only|Bitmap Index) Scan (?:Backward )?"
                                         r"(?:using|on) (\w+)", plan))),
        "seq_scans": sorted(set(re.findall(r"Seq Scan on (\w+)", plan))),
        "rows_removed_by_filter": sum(
            int(n) for n in re.findall(r"Rows Removed by Filter: (\d+)", plan)
        ),
        "sorted": bool(re.search(r"->\s+Sort|^Sort", plan, re.MULTILINE)),
    }  # fmt: skip


def service_benches(services: service.Services, repeat: int, warmup: int) -> dict[str, Any]:
    prefet = users.viewer_for(services, PREFET)
    national = users.viewer_for(services, NATIONAL)
    overdue = service.TaskFilter(due="en_retard", limit=PAGE)
    first = service.TaskFilter(limit=PAGE)
    count_tasks = getattr(service, "count_tasks", None)
    inbox_facets = getattr(service, "inbox_facets", None)
    cases: dict[str, Callable[[], Any]] = {
        "prefet_list": lambda: service.list_tasks(services, prefet, overdue),
        "national_list": lambda: service.list_tasks(services, national, first),
        "national_overdue_list": lambda: service.list_tasks(services, national, overdue),
    }
    if count_tasks is not None:
        cases["prefet_count"] = lambda: count_tasks(services, prefet, overdue)
        cases["national_count"] = lambda: count_tasks(services, national, first)
    if inbox_facets is not None:
        cases["prefet_facets"] = lambda: inbox_facets(services, prefet)
        cases["national_facets"] = lambda: inbox_facets(services, national, territories=True)
    out: dict[str, Any] = {"rows": {}, "timings": {}, "plans": {}}
    for name, action in cases.items():
        with Captured(services) as captured:
            result = action()
        out["rows"][name] = len(result) if isinstance(result, list) else repr(result)
        out["plans"][name] = [explain(services, s, p) for s, p in captured.statements]
        out["timings"][name] = measure(action, repeat, warmup)
        log(f"  {name} : {out['timings'][name]}")
    return out


def page_benches(services: service.Services, repeat: int, warmup: int) -> dict[str, Any]:
    from web import create_app

    app = create_app(services, SECRET_KEY="banc-corbeilles", TESTING=True)
    pages = {
        "prefet_page": (PREFET, "/taches/?echeance=en_retard"),
        "national_page": (NATIONAL, "/taches/"),
        "national_overdue_page": (NATIONAL, "/taches/?echeance=en_retard"),
    }
    out: dict[str, Any] = {"timings": {}, "status": {}, "bytes": {}}
    for name, (login, path) in pages.items():
        client = app.test_client()
        token = CSRF.search(client.get("/connexion").get_data(as_text=True))
        if token is None:
            raise RuntimeError("pas de jeton CSRF sur /connexion")
        signed = client.post("/connexion", data={
            "login": login, "password": DEMO_PASSWORD, "csrf_token": token.group(1),
        })  # fmt: skip
        if signed.status_code != 302:
            raise RuntimeError(f"connexion de {login} refusée ({signed.status_code})")
        answer = client.get(path)
        out["status"][name] = answer.status_code
        out["bytes"][name] = len(answer.data)
        if answer.status_code != 200:
            log(f"  {name} : {path} répond {answer.status_code}")

        def get(client: Any = client, path: str = path) -> None:
            client.get(path)

        out["timings"][name] = measure(get, repeat, warmup)
        log(f"  {name} : {out['timings'][name]}")
    return out


# --- Sortie -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=TASKS, help=f"tâches en tout ({TASKS})")
    parser.add_argument("--open", type=int, default=OPEN, help=f"dont ouvertes ({OPEN})")
    parser.add_argument("--repeat", type=int, default=200, help="répétitions mesurées (200)")
    parser.add_argument("--warmup", type=int, default=20, help="répétitions d'échauffement (20)")
    parser.add_argument("--postgresql-url", help=f"défaut : {DEFAULT_POSTGRESQL_URL}")
    parser.add_argument("--reuse", action="store_true", help="garder une base déjà remplie")
    parser.add_argument(
        "--without-0006", action="store_true", help="sans les index de la migration 0006"
    )
    parser.add_argument("--json", action="store_true", help="un seul objet JSON sur la sortie")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.warmup < 0 or args.tasks < TASKS_PER_DOSSIER or args.open < 1:
        parser.error("--repeat ≥ 1, --warmup ≥ 0, --tasks ≥ 4, --open ≥ 1")
    url = postgresql_url(args.postgresql_url, DEFAULT_POSTGRESQL_URL)
    if "bench" not in (make_url(url).database or ""):
        parser.error("le nom de la base doit contenir « bench » (elle est recréée)")
    previous = stored_now(url) if args.reuse else None
    try:
        if previous and previous[1:] == (args.tasks, args.open):
            log(f"base déjà remplie ({args.tasks} tâches) : réutilisée")
            database = make_url(url).set(drivername="postgresql+psycopg")
            database_url = database.render_as_string(hide_password=False)
            clock = ManualClock(previous[0])
            services = service.create_services(Settings(database_url=database_url), clock=clock)
            filled: dict[str, Any] = {"fill_seconds": None}
        else:
            database_url = fresh_postgresql(url)
            clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
            services = service.create_services(Settings(database_url=database_url), clock=clock)
            log(f"remplissage : {args.tasks} tâches dont {args.open} ouvertes…")
            filled = fill(services, args.tasks, args.open)
    except PostgreSQLUnavailable as exc:
        log(str(exc))
        return 2
    try:
        if args.without_0006:
            log("index de la migration 0006 retirés (révision 0005) pour comparaison")
            without_inbox_indexes(services)
        indexes = present_indexes(services)
        sizes = volumes(services)
        log("mesures par la couche de services…")
        queries = service_benches(services, args.repeat, args.warmup)
        log("mesures des pages (client de test Flask)…")
        pages = page_benches(services, args.repeat, args.warmup)
    finally:
        services.close()

    timings = {**queries["timings"], **pages["timings"]}
    query_names = [n for n in timings if n.startswith("prefet_") and not n.endswith("_page")]
    query_names += [n for n in timings if n.startswith("national_") and not n.endswith("_page")]
    page_names = [n for n in timings if n.endswith("_page")]
    query_ok = all(timings[n]["p95_ms"] < TARGET_QUERY_MS for n in query_names)
    page_ok = all(timings[n]["p95_ms"] < TARGET_PAGE_MS for n in page_names)
    notes = {name: [plan_notes(p) for p in plans] for name, plans in queries["plans"].items()}
    out: dict[str, Any] = {
        **sizes, **filled, "now": clock.now().isoformat(), "repeat": args.repeat,
        "warmup": args.warmup, "page_size": PAGE, "timings": timings,
        "rows": queries["rows"], "page_status": pages["status"], "page_bytes": pages["bytes"],
        "plan_notes": notes, "target_query_p95_ms": TARGET_QUERY_MS,
        "target_page_p95_ms": TARGET_PAGE_MS, "target_query_met": query_ok,
        "target_page_met": page_ok, "target_met": query_ok and page_ok,
        "inbox_indexes": [name for name in INBOX_INDEXES if name in indexes],
        "postgresql_database": make_url(url).render_as_string(hide_password=True),
    }  # fmt: skip
    if args.json:
        out["plans"] = queries["plans"]
        print(json.dumps(out, ensure_ascii=False, default=str))
        return 0
    print(
        f"{sizes['tasks']} tâches dont {sizes['open']} ouvertes, {sizes['instances']} dossiers, "
        f"{sizes['territories']} départements ; ouvertes par rôle : {sizes['open_by_role']}"
    )
    if filled.get("fill_seconds") is not None:
        print(f"remplissage : {filled['fill_seconds']} s")
    print(f"index de la migration 0006 présents : {', '.join(out['inbox_indexes']) or 'aucun'}")
    print(f"{args.repeat} répétitions après {args.warmup} d'échauffement, temps en ms :")
    header = f"{'mesure':<24} {'médiane':>8} {'p95':>8} {'max':>8} {'objectif p95':>13}"
    print(header)
    print("-" * len(header))
    for name, timing in timings.items():
        target = TARGET_PAGE_MS if name in page_names else TARGET_QUERY_MS
        mark = "ok" if timing["p95_ms"] < target else "DÉPASSÉ"
        print(
            f"{name:<24} {timing['median_ms']:>8.2f} {timing['p95_ms']:>8.2f} "
            f"{timing['max_ms']:>8.2f} {f'< {target:g} {mark}':>13}"
        )
    for name, status in pages["status"].items():
        if status != 200:
            print(f"attention : {name} a répondu {status}")
    print()
    print("Plans (EXPLAIN ANALYZE) : index lus, parcours séquentiels, lignes lues puis écartées")
    for name, found in notes.items():
        for note in found:
            print(
                f"  {name:<22} {note['execution_ms']:>7.2f} ms  index : "
                f"{', '.join(note['indexes']) or '—'} ; séquentiels : "
                f"{', '.join(note['seq_scans']) or '—'} ; écartées : "
                f"{note['rows_removed_by_filter']}{' ; tri' if note['sorted'] else ''}"
            )
    for name in ("prefet_list", "prefet_count", "national_list"):
        for plan in queries["plans"].get(name, []):
            print()
            print(f"Plan de {name} (EXPLAIN ANALYZE, BUFFERS) :")
            print(plan)
    print()
    print(f"objectif requête p95 < {TARGET_QUERY_MS:g} ms : {'atteint' if query_ok else 'NON'}")
    print(f"objectif page p95 < {TARGET_PAGE_MS:g} ms : {'atteint' if page_ok else 'NON'}")
    print(f"PostgreSQL : {out['postgresql_database']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

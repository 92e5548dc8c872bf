"""The HTTP API under load: requests per second and p50/p95/p99 latency with 32 concurrent clients.

The database holds the clinic records set of ``benchmarks/records.py`` (by default 100,000
patients and 1,000,000 charted sessions, made by the same generator), on SQLite and on PostgreSQL
when one answers at 127.0.0.1:5432 (trust authentication, user ``postgres``; the benchmark
works in a schema of its own and drops it). The API runs as ``microneedling serve`` does: uvicorn
with the app factory and the options of ``microneedling.api.server`` (httptools and uvloop,
``TCP_NODELAY`` on every connection; ``--http h11`` for uvicorn's pure-Python parser on asyncio's
loop), ``--workers`` worker processes (1 by default), in a subprocess on a free localhost port.
Measured, signed in as a clinician:

- ``POST /api/v1/screen`` (the demo intake; token check, validation, screening);
- ``POST /api/v1/plan`` (the demo plan request);
- ``GET /api/v1/patients/{id}/record`` (a random patient's full record: token check, role check,
  the record's queries, an audit entry and its commit);
- the same with ``If-None-Match`` holding the record's current ``ETag`` (fetched first for the
  first ``--etag-patients`` patients, one of whom each request asks for at random): token check,
  role check, the record's version, a ``304 Not Modified`` and still an audit entry and its
  commit.

Two ceilings, served the same way (same uvicorn options and worker count) by one small app
(``_ceiling.py``) and measured in the same run with the same load:

- a **bare** FastAPI endpoint (``async def`` returning a constant): the most an app served this
  way can answer. Targets for the computations: p95 under 50 ms and at least 40 % of it.
- an **audited read**: one indexed read (a random patient's row by its key) and one audit entry
  appended, in one transaction, committed, with the project's own ``Database`` and ``AuditLog``
  and the record's lane of threads: the work no read of patient data can avoid, since every read
  appends its audit entry. Target for the record: within 3× of it (its requests per second at
  least a third of the ceiling's).

One worker by default (``--workers`` for more). Each worker listens with a socket of its own
(``SO_REUSEPORT``, as ``microneedling serve`` runs them: ``microneedling.api.server.serve``), so
the kernel spreads the client's keep-alive connections over the workers; with uvicorn's shared
socket the first worker to wake accepted the whole burst. A second table, **workers**, measures
``POST /screen`` (on the first database) served by 1 and then 2 workers, the same load, and gives
the speed-up as a ratio (2 cores here, shared with the load generator).

The load: ``--clients`` (32) keep-alive connections, each sending its next request as soon as the
last one is answered, for ``--warmup`` seconds (not measured) and then ``--seconds``. The client
is **wrk** (``apt-get install wrk``; a C load generator that needs a small share of one core), with
Lua scripts written to a temporary folder for the bodies, the bearer token, the random patient
ids and their ETags, on ``--threads`` threads (1). Without wrk the benchmark says so and falls
back to a Python client (``httpx.AsyncClient``), which itself needs about a core and so caps
every figure, the ceilings' most: those figures are not comparable with wrk's. The client runs on
the same machine as the server and takes CPU from it; the load average at the start is printed,
since anything else running skews the figures.

A bar shows each step: generating the records (per table), then each endpoint's load.
``--quick``: 300 patients, 3,000 sessions, 1 s per endpoint without warm-up, the computations on
the first database only (about 20 s for both databases; the figures are not the targets').

    .venv/bin/python benchmarks/api.py [--patients N] [--sessions N] [--seconds S] [--warmup S]
                                       [--clients C] [--workers W] [--threads T] [--http H]
                                       [--client wrk|python] [--backend sqlite|postgresql|both]
                                       [--etag-patients N] [--quick]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import update

from _api_load import Run, Target, load_with_python, load_with_wrk, wrk_path
from _ceiling import CEILING_APP
from _common import (
    console,
    parse_arguments,
    postgres_admin,
    postgres_schema,
    print_table,
    step,
    tracked,
    with_bar,
)
from microneedling import demo
from microneedling.services.passwords import hash_password
from microneedling.store import Database
from microneedling.store.migrate import upgrade
from microneedling.store.models import StaffUser
from records import CLINIC, CLINICIAN, Scale, generate

P95_TARGET_MS = 50
SHARE_TARGET = 0.40
#: The record's requests per second at least 1/3 of the audited-read ceiling's.
CEILING_TARGET = 3.0
PASSWORD = "benchmark-password"
BENCHMARKS = Path(__file__).resolve().parent
#: ``--quick``: under half a minute for both databases.
QUICK = {"patients": 300, "sessions": 3_000, "seconds": 1.0, "warmup": 0.0, "etag_patients": 30}
BARE = "bare FastAPI (ceiling)"
CEILING = "audited read (ceiling)"
RECORD = "GET …/{id}/record"
RECORD_UNCHANGED = "… If-None-Match: 304"

#: uvicorn with the API's options (``microneedling.api.server``), for the ceilings and the API.
SERVER = """
import sys
sys.path.insert(0, sys.argv[3])
from microneedling.api.server import serve
serve(sys.argv[1], host="127.0.0.1", port=int(sys.argv[2]), workers=int(sys.argv[4]),
      http=sys.argv[5], log_level="warning")
"""
SCREEN = "POST /screen"
#: The workers' table: (database, workers, run) for 1 and 2 workers.
SPEEDUP: list[tuple[str, int, Run]] = []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(
    factories: list[str], environment: dict[str, str], folder: Path, workers: int, http: str
) -> Iterator[list[str]]:
    """Each of ``factories`` served by uvicorn in a subprocess of its own, started together (an
    idle server takes no CPU from the one being measured); yields their base URLs."""
    processes: list[subprocess.Popen[bytes]] = []
    bases = []
    try:
        with step(f"starting {', '.join(factory.split(':')[0] for factory in factories)}"):
            for factory in factories:
                port = free_port()
                command = [sys.executable, "-c", SERVER, factory, str(port), str(folder)]
                path = os.pathsep.join((str(folder), str(BENCHMARKS)))
                processes.append(
                    subprocess.Popen(
                        [*command, str(workers), http],
                        env={**os.environ, **environment, "PYTHONPATH": path},
                    )
                )
                bases.append(f"http://127.0.0.1:{port}")
            deadline = time.monotonic() + 60
            for factory, process, base in zip(factories, processes, bases, strict=True):
                while True:
                    if process.poll() is not None:
                        raise RuntimeError(
                            f"the server for {factory} exited with {process.returncode}"
                        )
                    try:
                        httpx.get(f"{base}/openapi.json", timeout=1)
                        break
                    except httpx.TransportError:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.1)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def sign_in(base: str, email: str) -> dict[str, str]:
    response = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": email, "password": PASSWORD}, timeout=30
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def record_etags(base: str, headers: dict[str, str], count: int) -> tuple[str, ...]:
    """The current ETag of the records of patients 1..count (empty if the API sends none)."""
    found = []
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for number in tracked(range(1, count + 1), "fetching records' ETags"):
            response = client.get(f"/api/v1/patients/{number}/record")
            response.raise_for_status()
            etag = response.headers.get("etag")
            if etag is None:
                return ()
            found.append(etag)
    return tuple(found)


def measure_backend(database: Database, args: argparse.Namespace, folder: Path) -> list[Run]:
    scale = Scale(args.patients, args.sessions)
    started = time.perf_counter()
    console.print(
        f"[bold]{database.backend}[/]: generating {scale.patients:,} patients and "
        f"{scale.sessions:,} sessions"
    )
    with step("migrating the new database"):
        upgrade(database)
    generate(database, scale)
    with database.engine.begin() as connection:
        connection.execute(
            update(StaffUser)
            .where(StaffUser.id == CLINICIAN)
            .values(password_hash=hash_password(PASSWORD))
        )
    if database.backend == "sqlite":
        # The bulk load leaves a large write-ahead log; fold it into the database now, not in
        # the first measured request that happens to trigger the checkpoint.
        raw = database.engine.raw_connection()
        try:
            with step("checkpoint"):
                raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        finally:
            raw.close()
    console.print(
        f"  generated in {time.perf_counter() - started:.0f} s; measuring "
        f"(load average {os.getloadavg()[0]:.2f})"
    )
    (folder / "ceiling_app.py").write_text(CEILING_APP, encoding="utf-8")
    environment = {
        "MICRONEEDLING_DATABASE_URL": database.url.render_as_string(hide_password=False),
        "MICRONEEDLING_PHOTO_DIR": str(folder / "photos"),
        "BENCH_CLINIC": str(CLINIC),
        "BENCH_STAFF": str(CLINICIAN),
    }
    scripts = folder / "load"
    scripts.mkdir()
    runs = []

    def go(base: str, target: Target, headers: dict[str, str]) -> None:
        # The first requests load caches (knowledge base, query plans).
        for number in range(3 if args.quick else 20):
            path = target.path.replace("{id}", str(number % (target.ids or 1) + 1))
            httpx.request(target.method, base + path, json=target.body, headers=headers,
                          timeout=60).raise_for_status()  # fmt: skip

        def load() -> Run:
            if args.client == "wrk":
                return load_with_wrk(
                    base, target, headers, scripts, connections=args.clients,
                    threads=args.threads, seconds=args.seconds, warmup=args.warmup,
                )  # fmt: skip
            return load_with_python(
                base, target, headers, connections=args.clients, seconds=args.seconds,
                warmup=args.warmup,
            )  # fmt: skip

        run = with_bar(target.name, args.warmup + max(1.0, args.seconds), load)
        console.print(
            f"  {target.name}: {run.rps:,.0f} requests/s, p95 {run.p95_ms:.1f} ms"
            + (f", {run.errors} errors" if run.errors else "")
        )
        runs.append(run)

    factories = ["ceiling_app:create_app", "microneedling.api.app:create_app"]
    with served(factories, environment, folder, args.workers, args.http) as (app, api):
        go(app, Target(BARE, "GET", "/bare"), {})
        go(app, Target(CEILING, "GET", "/ceiling/{id}", ids=scale.patients), {})
        headers = sign_in(api, "clinician@bench.example")
        # The computations read no records: --quick measures them on the first database only.
        if not (args.quick and database.backend == "postgresql" and args.backend == "both"):
            go(api, Target("POST /screen", "POST", "/api/v1/screen", demo.load("intake.json")),
               headers)  # fmt: skip
            go(api, Target("POST /plan", "POST", "/api/v1/plan", demo.load("plan_request.json")),
               headers)  # fmt: skip
        go(api, Target(RECORD, "GET", "/api/v1/patients/{id}/record", ids=scale.patients), headers)
        etags = record_etags(api, headers, min(args.etag_patients, scale.patients))
        if etags:
            path = "/api/v1/patients/{id}/record"
            go(api, Target(RECORD_UNCHANGED, "GET", path, ids=len(etags), etags=etags), headers)
        else:
            console.print("[yellow]  the record came without an ETag: no conditional row[/]")
    if not SPEEDUP:  # the computations read no records: the first database is enough
        for workers in (1, 2):
            with served([factories[1]], environment, folder, workers, args.http) as (api,):
                before = len(runs)
                go(api, Target(f"{SCREEN}, {workers} worker(s)", "POST", "/api/v1/screen",
                               demo.load("intake.json")), sign_in(api, "clinician@bench.example"))  # fmt: skip
                SPEEDUP.append((database.backend, workers, runs.pop(before)))
    return runs


def run_sqlite(args: argparse.Namespace) -> list[Run]:
    with tempfile.TemporaryDirectory(prefix="mn-api-bench-") as folder:
        database = Database(f"sqlite:///{Path(folder) / 'records.db'}")
        try:
            return measure_backend(database, args, Path(folder))
        finally:
            database.dispose()


def run_postgresql(args: argparse.Namespace) -> list[Run]:
    admin = postgres_admin()
    if admin is None:
        console.print("[yellow]PostgreSQL not reachable at 127.0.0.1:5432: skipped[/]")
        return []
    with postgres_schema(admin) as url, tempfile.TemporaryDirectory(prefix="mn-api-") as folder:
        database = Database(url)
        try:
            return measure_backend(database, args, Path(folder))
        finally:
            database.dispose()


def rows(backend: str, runs: list[Run]) -> list[list[str]]:
    by_name = {run.name: run for run in runs}
    if BARE not in by_name:
        return []
    bare, ceiling = by_name[BARE], by_name.get(CEILING)
    table = []
    for run in runs:
        share = run.rps / bare.rps
        times, met = "", ""
        if run.name in (RECORD, RECORD_UNCHANGED) and ceiling is not None:
            times = f"{ceiling.rps / run.rps:.1f}×"
            met = "yes" if ceiling.rps / run.rps <= CEILING_TARGET else "no"
        elif run is ceiling:
            times = "1.0×"
        elif run is not bare:
            met = "yes" if share >= SHARE_TARGET and run.p95_ms < P95_TARGET_MS else "no"
        table.append(
            [
                backend,
                run.name,
                f"{run.rps:,.0f}",
                f"{run.p50_ms:.1f}",
                f"{run.p95_ms:.1f}",
                f"{run.p99_ms:.1f}",
                f"{share:.2f}",
                times,
                met,
                str(run.errors),
            ]
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="Measured time per endpoint")
    parser.add_argument("--warmup", type=float, default=2.0, help="Unmeasured time first")
    parser.add_argument("--clients", type=int, default=32, help="Concurrent connections")
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (ceilings and API alike)"
    )
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument(
        "--http",
        choices=("httptools", "h11"),
        default="httptools",
        help="uvicorn's HTTP parser, for the ceilings and the API alike (microneedling serve: "
        "httptools)",
    )
    parser.add_argument(
        "--client",
        choices=("wrk", "python"),
        default="wrk" if wrk_path() else "python",
        help="The load generator (wrk when installed)",
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--etag-patients",
        type=int,
        default=200,
        help="Patients whose record's ETag is fetched first, for the If-None-Match row",
    )
    args = parse_arguments(parser, QUICK)
    if args.sessions < args.patients or args.patients < 1:
        parser.error("--sessions must be at least --patients (every patient has a session)")
    if args.client == "wrk" and not wrk_path():
        parser.error("wrk is not installed (apt-get install wrk), use --client python")
    if args.client == "python":
        console.print(
            "[yellow]Load from the Python client (httpx), not wrk"
            + ("" if wrk_path() else ", which is not installed (apt-get install wrk)")
            + ": it needs about a core itself and caps every figure, the ceilings' most.[/]"
        )
    table: list[list[str]] = []
    if args.backend in ("sqlite", "both"):
        table.extend(rows("sqlite", run_sqlite(args)))
    if args.backend in ("postgresql", "both"):
        table.extend(rows("postgresql", run_postgresql(args)))
    client = f"wrk, {args.threads} thread(s)" if args.client == "wrk" else "Python client (httpx)"
    print_table(
        f"HTTP API, {args.clients} concurrent clients ({client}), {args.seconds:g} s per "
        f"endpoint, uvicorn ({args.http}) with {args.workers} worker(s) for the ceilings and the "
        f"API alike; {args.patients:,} patients, {args.sessions:,} sessions. Targets: the "
        f"computations p95 < {P95_TARGET_MS} ms and ≥ {SHARE_TARGET:.0%} of the bare endpoint's "
        f"requests/s; the record within {CEILING_TARGET:g}× of the audited-read ceiling "
        "(ceiling's requests/s ÷ the record's)",
        ["database", "endpoint", "req/s", "p50 ms", "p95 ms", "p99 ms", "of bare",
         "ceiling ÷", "target", "errors"],
        table,
    )  # fmt: skip
    if speedup_rows():
        print_table(
            f"Workers: {SCREEN} with 1 and 2 uvicorn workers (each its own SO_REUSEPORT socket), "
            f"{args.clients} concurrent clients, {args.seconds:g} s each; speed-up = requests/s "
            f"with 2 ÷ with 1 ({os.cpu_count()} CPUs, shared with the load generator)",
            ["database", "endpoint", "workers", "req/s", "p95 ms", "speed-up", "errors"],
            speedup_rows(),
        )


def speedup_rows() -> list[list[str]]:
    """The workers' table: each run, and the ratio of 2 workers' requests per second to 1's."""
    if len(SPEEDUP) != 2:
        return []
    (backend, _, one), (_, _, two) = SPEEDUP
    return [
        [backend, SCREEN, "1", f"{one.rps:,.0f}", f"{one.p95_ms:.1f}", "1.00×", str(one.errors)],
        [backend, SCREEN, "2", f"{two.rps:,.0f}", f"{two.p95_ms:.1f}",
         f"{two.rps / one.rps:.2f}×", str(two.errors)],
    ]  # fmt: skip


if __name__ == "__main__":
    main()

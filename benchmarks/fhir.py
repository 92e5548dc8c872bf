"""FHIR R4 at scale: a clinic's bulk ``$export``, and a Patient search under load.

The database holds the clinic records set of ``benchmarks/records.py`` (made by the same
generator; by default 100,000 patients and 1,000,000 charted sessions), on SQLite and on
PostgreSQL when one answers at 127.0.0.1:5432 (trust authentication; a schema of its own,
dropped after).

- **$export**: the clinic's records written as NDJSON files, one per resource type, exactly as
  the server's ``$export`` job and ``microneedling fhir export`` write them
  (``microneedling.api.fhir.bulk.export_to``, as the owner, audited), each run in a fresh
  subprocess so that its **peak memory** (maximum resident set size, ``getrusage``) is the
  export's own. Resources per second and peak memory, the median of ``--repeats`` runs; then the
  same at a quarter of the patients (``--small``), so that the two peaks show whether memory
  grows with the clinic (it should not: the export reads and writes a page of 500 rows at a
  time). The time for the full target size is extrapolated linearly from the measured rate.
- **Patient search**: ``GET /fhir/R4/Patient?name=family<n>`` (about ten matches each, a page
  of 20; token check, role check, the search, its total, the audit entry and its commit), with
  ``--clients`` (32) keep-alive connections, against the bare-endpoint ceiling served the same
  way, as ``benchmarks/api.py`` measures it (its load generators: wrk when installed, else a
  Python client).

``--quick``: 300 patients, 3,000 sessions, one repeat, 1 s of load.

    .venv/bin/python benchmarks/fhir.py [--patients N] [--sessions N] [--repeats R]
                                        [--seconds S] [--clients C] [--client wrk|python]
                                        [--backend sqlite|postgresql|both] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

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
    with_bar,
)
from api import PASSWORD, served, sign_in
from microneedling.services.passwords import hash_password
from microneedling.store import Database
from microneedling.store.migrate import upgrade
from microneedling.store.models import StaffUser
from records import CLINIC, Scale, generate

BENCHMARKS = Path(__file__).resolve().parent
OWNER = 1
QUICK = {"patients": 300, "sessions": 3_000, "repeats": 1, "seconds": 1.0, "warmup": 0.0}
#: Target sizes of the issue (the extrapolation's).
TARGET_PATIENTS, TARGET_SESSIONS = 100_000, 1_000_000

#: One export in a subprocess of its own: prints its figures as one JSON line.
EXPORT = """
import json, resource, sys, time
from pathlib import Path
from microneedling.api.fhir import bulk
from microneedling.services.access import Actor, Role
from microneedling.services.clock import utc_now
from microneedling.store import Database, UnitOfWork
from microneedling.store.files import PhotoFiles

database = Database(sys.argv[1])
folder = Path(sys.argv[2])
uow = UnitOfWork(database, PhotoFiles(folder / "photos"))
owner = Actor(int(sys.argv[3]), int(sys.argv[4]), Role.OWNER)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
outputs = bulk.export_to(uow, owner, folder, bulk.CLINIC_TYPES, utc_now)
seconds = time.perf_counter() - started
print(json.dumps({
    "seconds": seconds,
    "resources": sum(o.count for o in outputs),
    "bytes": sum(o.path.stat().st_size for o in outputs),
    "by_type": {o.type: o.count for o in outputs},
    "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "start_kib": before,
}))
"""


def export_once(database: Database, folder: Path) -> dict[str, float]:
    out = Path(tempfile.mkdtemp(prefix="export-", dir=folder))
    done = subprocess.run(
        [sys.executable, "-c", EXPORT, database.url.render_as_string(hide_password=False),
         str(out), str(OWNER), str(CLINIC)],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join((str(BENCHMARKS), str(folder)))},
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the export failed:\n{done.stderr[-2000:]}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    for file in out.iterdir():
        file.unlink()
    out.rmdir()
    return figures


def measure_export(database: Database, folder: Path, repeats: int, label: str) -> dict[str, float]:
    runs = []
    for number in range(repeats):
        with step(f"{label}: export run {number + 1} of {repeats}"):
            runs.append(export_once(database, folder))
    rate = statistics.median(r["resources"] / r["seconds"] for r in runs)
    return {
        "resources": runs[0]["resources"],
        "bytes": runs[0]["bytes"],
        "seconds": statistics.median(r["seconds"] for r in runs),
        "rate": rate,
        "peak_mib": statistics.median(r["peak_kib"] for r in runs) / 1024,
        "start_mib": statistics.median(r["start_kib"] for r in runs) / 1024,
    }


def fresh(database: Database, scale: Scale) -> None:
    with step("migrating the new database"):
        upgrade(database)
    generate(database, scale)
    with database.engine.begin() as connection:
        connection.execute(
            update(StaffUser)
            .where(StaffUser.id == OWNER)
            .values(password_hash=hash_password(PASSWORD))
        )
    if database.backend == "sqlite":
        raw = database.engine.raw_connection()
        try:
            with step("checkpoint"):
                raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        finally:
            raw.close()


def search_load(database: Database, args: argparse.Namespace, folder: Path) -> list[Run]:
    (folder / "ceiling_app.py").write_text(CEILING_APP, encoding="utf-8")
    environment = {
        "MICRONEEDLING_DATABASE_URL": database.url.render_as_string(hide_password=False),
        "MICRONEEDLING_PHOTO_DIR": str(folder / "photos"),
        "BENCH_CLINIC": str(CLINIC),
        "BENCH_STAFF": str(OWNER),
    }
    scripts = folder / "load"
    scripts.mkdir(exist_ok=True)
    runs: list[Run] = []

    def load(base: str, target: Target, headers: dict[str, str]) -> None:
        def work() -> Run:
            if args.client == "wrk":
                return load_with_wrk(
                    base, target, headers, scripts, connections=args.clients, threads=1,
                    seconds=args.seconds, warmup=args.warmup,
                )  # fmt: skip
            return load_with_python(
                base, target, headers, connections=args.clients, seconds=args.seconds,
                warmup=args.warmup,
            )  # fmt: skip

        run = with_bar(target.name, args.warmup + max(1.0, args.seconds), work)
        console.print(f"  {target.name}: {run.rps:,.0f} requests/s, p95 {run.p95_ms:.1f} ms")
        runs.append(run)

    factories = ["ceiling_app:create_app", "microneedling.api.app:create_app"]
    families = min(9973, args.patients)
    with served(factories, environment, folder, 1, "httptools") as (app, api):
        load(app, Target("bare FastAPI (ceiling)", "GET", "/bare"), {})
        headers = sign_in(api, "owner@bench.example")
        load(
            api,
            Target("GET /fhir/R4/Patient?name=…", "GET", "/fhir/R4/Patient?name=family{id}",
                   ids=families),
            headers,
        )  # fmt: skip
    return runs


def run(backend: str, args: argparse.Namespace, folder: Path) -> list[list[str]]:
    """Both sizes on ``backend`` (each in a new database), then the search load on the larger."""
    rows: list[list[str]] = []
    sizes = [Scale(args.patients, args.sessions)]
    if not args.quick:
        sizes.insert(0, Scale(max(1, args.patients // 4), max(1, args.sessions // 4)))
    with ExitStack() as stack:
        admin = postgres_admin() if backend == "postgresql" else None
        if backend == "postgresql" and admin is None:
            console.print("[yellow]PostgreSQL not reachable at 127.0.0.1:5432: skipped[/]")
            return []
        largest: Database | None = None
        for scale in sizes:
            console.print(
                f"[bold]{backend}[/]: {scale.patients:,} patients, {scale.sessions:,} sessions"
            )
            if admin is None:
                url = f"sqlite:///{folder / f'records-{scale.patients}.db'}"
            else:
                url = stack.enter_context(postgres_schema(admin))
            database = Database(url)
            stack.callback(database.dispose)
            fresh(database, scale)
            figures = measure_export(database, folder, args.repeats, f"{scale.patients:,}")
            extrapolated = TARGET_SESSIONS / (scale.sessions / figures["seconds"])
            rows.append(
                [
                    backend,
                    f"{scale.patients:,} / {scale.sessions:,}",
                    f"{figures['resources']:,.0f}",
                    f"{figures['bytes'] / 1e6:,.1f}",
                    f"{figures['seconds']:.1f}",
                    f"{figures['rate']:,.0f}",
                    f"{figures['peak_mib']:.0f}",
                    f"{extrapolated / 60:.0f} min",
                ]
            )
            largest = database
        assert largest is not None
        search = search_load(largest, args, folder)
    bare = search[0]
    for item in search:
        SEARCH_ROWS.append(
            [backend, item.name, f"{item.rps:,.0f}", f"{item.p50_ms:.1f}",
             f"{item.p95_ms:.1f}", f"{item.p99_ms:.1f}", f"{item.rps / bare.rps:.2f}",
             str(item.errors)]
        )  # fmt: skip
    return rows


SEARCH_ROWS: list[list[str]] = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=TARGET_PATIENTS)
    parser.add_argument("--sessions", type=int, default=TARGET_SESSIONS)
    parser.add_argument("--repeats", type=int, default=3, help="Export runs (the median)")
    parser.add_argument("--seconds", type=float, default=10.0, help="Search load, measured")
    parser.add_argument("--warmup", type=float, default=2.0, help="Search load, unmeasured")
    parser.add_argument("--clients", type=int, default=32, help="Concurrent connections")
    parser.add_argument(
        "--client", choices=("wrk", "python"), default="wrk" if wrk_path() else "python"
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parse_arguments(parser, QUICK)
    if args.sessions < args.patients or args.patients < 1:
        parser.error("--sessions must be at least --patients (every patient has a session)")
    table: list[list[str]] = []
    for backend in ("sqlite", "postgresql"):
        if args.backend in (backend, "both"):
            with tempfile.TemporaryDirectory(prefix="mn-fhir-bench-") as folder:
                table.extend(run(backend, args, Path(folder)))
    print_table(
        f"FHIR $export (all clinic types but the audit log, NDJSON files), median of "
        f"{args.repeats} run(s), each in a fresh process; peak = maximum resident memory of that "
        f"process; extrapolated = the time for {TARGET_SESSIONS:,} sessions at the measured rate "
        f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end)",
        ["database", "patients / sessions", "resources", "MB written", "seconds",
         "resources/s", "peak MiB", "extrapolated"],
        table,
    )  # fmt: skip
    client = "wrk" if args.client == "wrk" else "Python client (httpx)"
    print_table(
        f"FHIR Patient search under {args.clients} concurrent clients ({client}), "
        f"{args.seconds:g} s, 1 uvicorn worker, against the bare-endpoint ceiling served the "
        "same way",
        ["database", "endpoint", "req/s", "p50 ms", "p95 ms", "p99 ms", "of bare", "errors"],
        SEARCH_ROWS,
    )


if __name__ == "__main__":
    main()

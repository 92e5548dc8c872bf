"""The HTTP API under load: requests per second and p50/p95/p99 latency with 32 concurrent clients.

The database holds the clinic records set of ``benchmarks/records.py`` (by default 100,000
patients and 1,000,000 charted sessions, made by the same generator), on SQLite and on PostgreSQL
when one answers at 127.0.0.1:5432. The API runs as ``microneedling serve`` does (uvicorn, one
worker, the app factory) in a subprocess on a free localhost port; this process is the client:
``httpx.AsyncClient`` with 32 concurrent clients, each sending its next request when the last one
is answered, for a fixed time per endpoint after a warm-up. Measured, signed in as a clinician:

- ``POST /api/v1/screen`` (the demo intake; token check, validation, screening);
- ``POST /api/v1/plan`` (the demo plan request);
- ``GET /api/v1/patients/{id}/record`` (a random patient's full record: token check, role check,
  the record's queries, an audit entry and its commit).

The ceiling is a bare FastAPI endpoint (``async def`` returning a constant) served the same way
and measured in the same run; each figure is also given as a share of it. Targets: p95 under
50 ms, and at least 40 % of the ceiling's requests per second.

    .venv/bin/python benchmarks/api.py [--patients N] [--sessions N] [--seconds S]
                                       [--clients C] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from sqlalchemy import update

from _common import print_table
from microneedling import demo
from microneedling.services.passwords import hash_password
from microneedling.store import Database
from microneedling.store.migrate import upgrade
from microneedling.store.models import StaffUser
from records import CLINICIAN, Scale, _postgres_admin, generate

P95_TARGET_MS = 50
SHARE_TARGET = 0.40
PASSWORD = "benchmark-password"
console = Console(stderr=True)

#: The bare endpoint: the most a FastAPI app served this way can answer.
BARE_APP = """
from fastapi import FastAPI

def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/bare")
    async def bare() -> dict[str, bool]:
        return {"ok": True}

    return app
"""

SERVER = """
import sys, uvicorn
sys.path.insert(0, sys.argv[3])
uvicorn.run(sys.argv[1], factory=True, host="127.0.0.1", port=int(sys.argv[2]),
            access_log=False, log_level="warning", server_header=False)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(factory: str, environment: dict[str, str], folder: Path) -> Iterator[str]:
    """``factory`` served by uvicorn in a subprocess; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, factory, str(port), str(folder)],
        env={**os.environ, **environment},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server for {factory} exited with {process.returncode}")
            try:
                httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Run:
    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


RequestMaker = Callable[[random.Random], tuple[str, str, Any]]


async def load(
    base: str,
    name: str,
    make: RequestMaker,
    *,
    clients: int,
    seconds: float,
    warmup: float,
    headers: dict[str, str],
) -> Run:
    """``clients`` closed-loop clients sending ``make()`` requests for ``seconds``."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=60
    ) as client:
        latencies: list[float] = []
        errors = 0
        recording = False
        stop = False

        async def one_client(seed: int) -> None:
            nonlocal errors
            rng = random.Random(seed)
            while not stop:
                method, path, body = make(rng)
                started = time.perf_counter()
                try:
                    response = await client.request(method, path, json=body)
                    failed = response.status_code >= 400
                except httpx.TransportError:
                    failed = True
                elapsed = (time.perf_counter() - started) * 1000
                if recording:
                    errors += failed
                    latencies.append(elapsed)

        tasks = [asyncio.create_task(one_client(seed)) for seed in range(clients)]
        await asyncio.sleep(warmup)
        recording = True
        started = time.perf_counter()
        await asyncio.sleep(seconds)
        recording = False
        elapsed = time.perf_counter() - started
        stop = True
        await asyncio.gather(*tasks)
    return Run(name, len(latencies), elapsed, latencies, errors)


def sign_in(base: str, email: str) -> dict[str, str]:
    response = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": email, "password": PASSWORD}, timeout=30
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def measure_backend(database: Database, args: argparse.Namespace, folder: Path) -> list[Run]:
    upgrade(database)
    scale = Scale(args.patients, args.sessions)
    started = time.perf_counter()
    console.print(
        f"[bold]{database.backend}[/]: generating {scale.patients:,} patients and "
        f"{scale.sessions:,} sessions"
    )
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
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        finally:
            raw.close()
    console.print(f"  generated in {time.perf_counter() - started:.0f} s; measuring")
    (folder / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
    environment = {
        "MICRONEEDLING_DATABASE_URL": database.url.render_as_string(hide_password=False),
        "MICRONEEDLING_PHOTO_DIR": str(folder / "photos"),
    }
    intake = demo.load("intake.json")
    plan_request = demo.load("plan_request.json")
    patients = scale.patients
    runs = []

    def go(base: str, name: str, make: RequestMaker, headers: dict[str, str]) -> None:
        rng = random.Random(0)
        for _ in range(20):  # first requests load caches (knowledge base, query plans)
            method, path, body = make(rng)
            httpx.request(method, base + path, json=body, headers=headers, timeout=60)
        run = asyncio.run(
            load(base, name, make, clients=args.clients, seconds=args.seconds,
                 warmup=args.warmup, headers=headers)
        )  # fmt: skip
        console.print(
            f"  {name}: {run.rps:,.0f} requests/s, p95 {run.percentile(0.95):.1f} ms"
            + (f", {run.errors} errors" if run.errors else "")
        )
        runs.append(run)

    with served("bare_app:create_app", {}, folder) as bare:
        go(bare, "bare FastAPI endpoint (ceiling)", lambda rng: ("GET", "/bare", None), {})
    with served("microneedling.api.app:create_app", environment, folder) as api:
        headers = sign_in(api, "clinician@bench.example")
        go(api, "POST /api/v1/screen", lambda rng: ("POST", "/api/v1/screen", intake), headers)
        go(api, "POST /api/v1/plan", lambda rng: ("POST", "/api/v1/plan", plan_request), headers)
        go(
            api,
            "GET /api/v1/patients/{id}/record",
            lambda rng: ("GET", f"/api/v1/patients/{rng.randrange(1, patients + 1)}/record", None),
            headers,
        )
    return runs


def run_sqlite(args: argparse.Namespace) -> list[Run]:
    with tempfile.TemporaryDirectory(prefix="mn-api-bench-") as folder:
        database = Database(f"sqlite:///{Path(folder) / 'records.db'}")
        try:
            return measure_backend(database, args, Path(folder))
        finally:
            database.dispose()


def run_postgresql(args: argparse.Namespace) -> list[Run]:
    import psycopg

    admin = _postgres_admin()
    if admin is None:
        console.print("[yellow]PostgreSQL not reachable at 127.0.0.1:5432: skipped[/]")
        return []
    name = f"mn_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    user = psycopg.conninfo.conninfo_to_dict(admin)["user"]
    database = Database(f"postgresql://{user}@127.0.0.1:5432/{name}")
    try:
        with tempfile.TemporaryDirectory(prefix="mn-api-bench-") as folder:
            return measure_backend(database, args, Path(folder))
    finally:
        database.dispose()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def rows(backend: str, runs: list[Run]) -> list[list[str]]:
    if not runs:
        return []
    ceiling = runs[0].rps
    table = []
    for run in runs:
        share = run.rps / ceiling
        is_ceiling = run is runs[0]
        meets = run.percentile(0.95) < P95_TARGET_MS and (is_ceiling or share >= SHARE_TARGET)
        table.append(
            [
                backend,
                run.name,
                f"{run.rps:,.0f}",
                f"{run.percentile(0.50):.1f}",
                f"{run.percentile(0.95):.1f}",
                f"{run.percentile(0.99):.1f}",
                "1.00" if is_ceiling else f"{share:.2f}",
                "yes" if meets else "no",
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
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    if args.sessions < args.patients or args.patients < 1:
        parser.error("--sessions must be at least --patients (every patient has a session)")
    table: list[list[str]] = []
    if args.backend in ("sqlite", "both"):
        table.extend(rows("sqlite", run_sqlite(args)))
    if args.backend in ("postgresql", "both"):
        table.extend(rows("postgresql", run_postgresql(args)))
    print_table(
        f"HTTP API, {args.clients} concurrent clients, {args.seconds:g} s per endpoint; "
        f"{args.patients:,} patients, {args.sessions:,} sessions; targets: p95 < "
        f"{P95_TARGET_MS} ms, ≥ {SHARE_TARGET:.0%} of the ceiling",
        ["database", "endpoint", "requests/s", "p50 ms", "p95 ms", "p99 ms", "of ceiling",
         "targets met", "errors"],
        table,
    )  # fmt: skip


if __name__ == "__main__":
    main()

"""How fast the command line starts: each command as a fresh process, as a person types it.

Every row is a new ``microneedling`` process (no state kept between runs but what the product
keeps itself: the compiled knowledge base in the user's cache folder, made by an untimed first
run, as after the first use on a machine). The figure is the median wall time of ``--repeats``
runs, from starting the process to its exit, and its ratio against a baseline measured in the same
run: ``python -c "import pydantic, yaml"``, a fresh Python importing the two libraries any
screening needs.

Goals (issue 16): ``--help`` < 0.3 s, ``screen --demo --json`` < 0.6 s, ``plan --demo --json``
< 0.8 s; measured only (others own them): ``demo`` into a fresh database < 10 s and ``web``
answering its first request on an existing database < 3 s.

    .venv/bin/python benchmarks/startup.py [--quick] [--repeats R] [--slow-repeats S]

``--quick`` makes 3 runs of each fast row and skips the slow ones (``demo``, ``web``): well under a
minute, for the test suite. The full run (nine runs of each fast row, one untimed and three timed
demo builds, three web starts) took 54 s on this machine (2 CPUs).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from _common import Bars, parse_arguments, print_table, step

COMMAND = str(Path(sys.executable).with_name("microneedling"))
#: The day the demo is built for and the web server runs as: the same records every run.
TODAY = "2026-12-08"
BASELINE = [sys.executable, "-c", "import pydantic, yaml"]


@dataclass(frozen=True)
class Row:
    """One measured command: a label, how to run it once (returning seconds), and its goal."""

    label: str
    run: Callable[[], float]
    goal: float | None = None
    slow: bool = False


def timed(argv: list[str], folder: Path, environment: dict[str, str] | None = None) -> float:
    """Seconds from starting ``argv`` in ``folder`` to its exit (which must be 0)."""
    started = time.perf_counter()
    result = subprocess.run(
        argv,
        cwd=folder,
        env=environment or records_in(folder),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=600,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        error = result.stderr.decode("utf-8", "replace").strip()[-500:]
        raise RuntimeError(f"{' '.join(argv[1:])} exited {result.returncode}: {error}")
    return seconds


def records_in(folder: Path, name: str = "records.db") -> dict[str, str]:
    """The environment of a command whose database (and photos) are in ``folder``."""
    return {
        **os.environ,
        "MICRONEEDLING_DATABASE_URL": f"sqlite:///{folder / name}",
        "MICRONEEDLING_PHOTO_DIR": str(folder / "photos"),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def web_answers(folder: Path) -> float:
    """Seconds from starting ``microneedling web`` on ``folder``'s existing database to the first
    answer of its sign-in page; the server is stopped afterwards."""
    import httpx

    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [COMMAND, "web", "--no-demo", "--today", TODAY, "--port", str(port)],
        cwd=folder,
        env=records_in(folder, "demo.db"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while True:
            if process.poll() is not None:
                error = process.stderr.read().decode("utf-8", "replace")  # type: ignore[union-attr]
                raise RuntimeError(f"microneedling web exited: {error[-500:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/sign-in", timeout=2).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                time.sleep(0.02)
            if time.perf_counter() - started > 120:
                raise RuntimeError("microneedling web did not answer within 120 s")
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def demo_into_fresh_database(folder: Path) -> float:
    """Seconds for ``microneedling demo`` into a database that does not exist yet."""
    target = folder / "fresh.db"
    target.unlink(missing_ok=True)
    return timed(
        [COMMAND, "demo", "--today", TODAY, "--json"], folder, records_in(folder, "fresh.db")
    )


def rows(folder: Path) -> list[Row]:
    def command(*args: str) -> Callable[[], float]:
        return lambda: timed([COMMAND, *args], folder)

    no_cache = {**records_in(folder), "MICRONEEDLING_CACHE_DIR": "off"}
    return [
        Row("baseline: python -c 'import pydantic, yaml'", lambda: timed(BASELINE, folder)),
        Row("microneedling --help", command("--help"), goal=0.3),
        Row("microneedling --version", command("--version")),
        Row("microneedling screen --demo --json", command("screen", "--demo", "--json"), 0.6),
        Row(
            "  the same without the compiled knowledge base",
            lambda: timed([COMMAND, "screen", "--demo", "--json"], folder, no_cache),
        ),
        Row("microneedling plan --demo --json", command("plan", "--demo", "--json"), goal=0.8),
        Row(
            f"microneedling demo --today {TODAY}, fresh database",
            lambda: demo_into_fresh_database(folder),
            goal=10.0,
            slow=True,
        ),
        Row(
            "microneedling web, existing database: first answer",
            lambda: web_answers(folder),
            goal=3.0,
            slow=True,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="Runs of each fast row.")
    parser.add_argument("--slow-repeats", type=int, default=3, help="Runs of demo and web.")
    args = parse_arguments(parser, {"repeats": 3}, argv)

    with tempfile.TemporaryDirectory(prefix="microneedling-startup-") as name:
        folder = Path(name)
        measured = [row for row in rows(folder) if not (row.slow and args.quick)]
        if not args.quick:
            with step("Building the demo clinics for the web row"):
                timed(
                    [COMMAND, "demo", "--today", TODAY, "--json"],
                    folder,
                    records_in(folder, "demo.db"),
                )
        runs_of = {row.label: args.slow_repeats if row.slow else args.repeats for row in measured}
        times: dict[str, list[float]] = {row.label: [] for row in measured}
        with Bars() as bars:
            warm = [row for row in measured if not row.slow]
            task = bars.add_task("Warming up (untimed)", total=len(warm))
            for row in warm:
                row.run()  # compiles .pyc files and the knowledge base, warms the disk cache
                bars.advance(task)
            task = bars.add_task("Starting commands", total=sum(runs_of.values()))
            # Interleaved rounds, so a busy spell on the machine hits every row alike.
            for round_number in range(max(runs_of.values())):
                for row in measured:
                    if round_number < runs_of[row.label]:
                        times[row.label].append(row.run())
                        bars.advance(task)

    baseline = statistics.median(times[measured[0].label])
    table_rows = []
    for row in measured:
        median = statistics.median(times[row.label])
        met = "" if row.goal is None else ("yes" if median < row.goal else "NO")
        table_rows.append(
            [
                row.label,
                f"{median:.3f}",
                str(len(times[row.label])),
                f"{median / baseline:.1f}×",
                "" if row.goal is None else f"< {row.goal:g} s",
                met,
            ]
        )
    skipped = " (--quick: demo and web skipped)" if args.quick else ""
    print_table(
        f"Command-line start-up: median wall time of fresh processes{skipped}",
        ["command", "median s", "runs", "vs baseline", "goal", "met"],
        table_rows,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

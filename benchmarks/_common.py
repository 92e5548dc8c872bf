"""Shared helpers for the benchmark scripts: timing, medians, machine facts, a result table,
progress bars, ``--quick``, and a PostgreSQL database of the benchmark's own."""

from __future__ import annotations

import argparse
import getpass
import os
import platform
import statistics
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

T = TypeVar("T")

#: Progress and notes go to stderr; stdout holds the tables only.
console = Console(stderr=True)

#: The help of ``--quick``, the same in every script.
QUICK_HELP = (
    "small scale, a few seconds: every part of the benchmark runs, but the figures are not the "
    "targets' (python3 dev.py bench --quick; tests/integration/test_benchmarks_quick.py)"
)


def median_seconds(run: Callable[[], object], repeats: int) -> tuple[float, list[float]]:
    """Median wall time of ``repeats`` calls of ``run`` (and every time)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def machine() -> str:
    return (
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"
    )


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right" if column != columns[0] else "left")
    for row in rows:
        table.add_row(*row)
    out = Console(width=120)
    out.print(table)
    out.print(f"[dim]{machine()}[/]")


# --quick ----------------------------------------------------------------------------------------


def parse_arguments(
    parser: argparse.ArgumentParser, quick: dict[str, Any], argv: Sequence[str] | None = None
) -> argparse.Namespace:
    """``parser``'s arguments with ``--quick`` added: with it, each option named in ``quick``
    that was not given takes the small value there instead of its default."""
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP)
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in quick.items():
            if getattr(args, name) == parser.get_default(name):
                setattr(args, name, value)
    return args


# Progress -----------------------------------------------------------------------------------------


class Bars(Progress):
    """Rich progress bars on stderr. On a terminal they redraw in place; elsewhere (a log, a
    pipe, CI), where Rich would show nothing until the end, each step is announced as it
    starts and the unfinished ones are listed every :attr:`EVERY` seconds."""

    EVERY = 10.0

    def __init__(self, *, spinner: bool = False) -> None:
        columns: list[Any] = [SpinnerColumn()] if spinner else []
        columns += [
            TextColumn("{task.description:<28}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        ]
        super().__init__(*columns, console=console)
        # Off a terminal Rich would draw the bars once, at the end: lines say it instead.
        self._plain = not console.is_interactive
        self._said = time.monotonic()

    def start(self) -> None:
        if not self._plain:
            super().start()

    def stop(self) -> None:
        if not self._plain:
            super().stop()

    def add_task(self, description: str, *args: Any, **kwargs: Any) -> TaskID:
        task = super().add_task(description, *args, **kwargs)
        if self._plain and kwargs.get("visible", True):
            total = kwargs.get("total", args[1] if len(args) > 1 else 100.0)
            console.print(f"  {description} ({total:,.0f})…" if total else f"  {description}…")
        return task

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        super().advance(task_id, advance)
        self._tick()

    def update(self, task_id: TaskID, **kwargs: Any) -> None:  # type: ignore[override]
        super().update(task_id, **kwargs)
        self._tick()

    def _tick(self) -> None:
        if not self._plain or time.monotonic() - self._said < self.EVERY:
            return
        self._said = time.monotonic()
        for task in self.tasks:
            if task.visible and not task.finished:
                done = f"{task.completed:,.0f}/{task.total:,.0f}" if task.total else ""
                console.print(f"  {task.description}: {done} ({task.elapsed or 0:.0f} s)")


def tracked(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """``items`` one by one under a progress bar of their own."""
    if total is None and isinstance(items, Sequence):
        total = len(items)
    with Bars() as bars:
        task = bars.add_task(description, total=total)
        for item in items:
            yield item
            bars.advance(task)


def timed_runs(run: Callable[[], object], repeats: int, description: str) -> list[float]:
    """Seconds of each of ``repeats`` calls of ``run``, under a progress bar."""
    times = []
    for _ in tracked(range(repeats), description):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def median_seconds_bar(run: Callable[[], object], repeats: int, description: str) -> float:
    """Median seconds of ``repeats`` calls of ``run``, under a progress bar."""
    return statistics.median(timed_runs(run, repeats, description))


def median_ms(run: Callable[[], object], repeats: int, description: str) -> float:
    """Median milliseconds of ``repeats`` calls of ``run``, under a progress bar."""
    return statistics.median(timed_runs(run, repeats, description)) * 1000


def with_bar(description: str, seconds: float, work: Callable[[], T]) -> T:
    """``work()`` (which takes about ``seconds``: a load generator's run) in a thread, under a
    bar that fills with the time."""
    from concurrent.futures import ThreadPoolExecutor

    started = time.monotonic()
    with Bars() as bars, ThreadPoolExecutor(1) as pool:
        task = bars.add_task(description, total=max(1, round(seconds)))
        future = pool.submit(work)
        while not future.done():
            time.sleep(0.2)
            bars.update(task, completed=min(time.monotonic() - started, seconds))
        bars.update(task, completed=max(1, round(seconds)))
        return future.result()


@contextmanager
def step(description: str) -> Iterator[None]:
    """A step that cannot count its progress (a migration, ``VACUUM ANALYZE``): a spinner with
    the time it has taken."""
    with Bars(spinner=True) as bars:
        task = bars.add_task(description, total=None)
        yield
        bars.update(task, total=1, completed=1)


# PostgreSQL -----------------------------------------------------------------------------------


def postgres_admin() -> str | None:
    """A conninfo for the ``postgres`` database: ``MICRONEEDLING_TEST_POSTGRES`` when set (as
    for the tests), else 127.0.0.1:5432 with trust authentication as user ``postgres`` or this
    user; None when no server answers."""
    import psycopg

    configured = os.environ.get("MICRONEEDLING_TEST_POSTGRES")
    candidates = (
        [configured]
        if configured
        else [
            f"postgresql://{user}@127.0.0.1:5432/postgres"
            for user in dict.fromkeys(("postgres", getpass.getuser()))
        ]
    )
    for conninfo in candidates:
        try:
            with psycopg.connect(conninfo, connect_timeout=3, autocommit=True):
                return conninfo
        except psycopg.Error:
            continue
    return None


@contextmanager
def postgres_schema(admin: str) -> Iterator[str]:
    """The URL of an empty schema of our own in the server's ``postgres`` database (every
    connection's ``search_path``), dropped afterwards. A schema, not a database: ``DROP
    DATABASE`` waits for a checkpoint, seconds after a bulk load; ``DROP SCHEMA`` does not."""
    import psycopg

    name = f"mn_bench_{uuid.uuid4().hex[:10]}"
    parts = psycopg.conninfo.conninfo_to_dict(admin)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{name}"')
    user = parts.get("user") or getpass.getuser()
    if parts.get("password"):
        user += f":{parts['password']}"
    try:
        yield (
            f"postgresql://{user}@{parts.get('host', '127.0.0.1')}:{parts.get('port', '5432')}"
            f"/{parts.get('dbname', 'postgres')}?options=-csearch_path%3D{name}"
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')

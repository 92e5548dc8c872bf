"""The records lane (api/lanes.py): at most its number of threads at once, the rest in turn, and
how many by default on each database."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import anyio
import pytest

from microneedling.api.lanes import DEFAULT_THREADS, ReadLane, lane_threads
from microneedling.config import POOL_CONNECTIONS, Settings
from microneedling.store import Database
from microneedling.store.database import MAX_OVERFLOW, POOL_SIZE


def busiest(threads: int, calls: int) -> tuple[int, list[int]]:
    """Run ``calls`` short blocking calls through a lane at once: the most that ran together,
    and their results."""
    lane = ReadLane(threads)
    running = 0
    most = 0
    lock = threading.Lock()
    results: list[int] = []

    def work(number: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return number * 10

    async def main() -> None:
        async def one(number: int) -> None:
            results.append(await lane.run(work, number))

        async with anyio.create_task_group() as group:
            for number in range(calls):
                group.start_soon(one, number)

    anyio.run(main)
    return most, sorted(results)


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_no_more_than_the_lanes_threads_run_at_once_and_every_call_is_answered(
    threads: int,
) -> None:
    most, results = busiest(threads, 8)
    assert most == threads
    assert results == [number * 10 for number in range(8)]


def test_an_error_in_the_lane_reaches_the_caller() -> None:
    def fails() -> None:
        raise ValueError("no such thing")

    async def main() -> None:
        with pytest.raises(ValueError, match="no such thing"):
            await ReadLane(1).run(fails)

    anyio.run(main)


def test_one_thread_on_sqlite_four_on_postgresql_unless_set(tmp_path: Path) -> None:
    sqlite = Database(f"sqlite:///{tmp_path / 'lanes.db'}")
    try:
        assert lane_threads(Settings(), sqlite) == DEFAULT_THREADS["sqlite"] == 1
        assert lane_threads(Settings(api_record_read_threads=3), sqlite) == 3
    finally:
        sqlite.dispose()
    postgresql = Database("postgresql://nobody@127.0.0.1:1/none")  # never connected to
    try:
        assert lane_threads(Settings(), postgresql) == DEFAULT_THREADS["postgresql"] == 4
    finally:
        postgresql.dispose()


def test_the_setting_is_bounded() -> None:
    with pytest.raises(ValueError):
        Settings(api_record_read_threads=0)
    with pytest.raises(ValueError):
        Settings(api_record_read_threads=17)


def test_the_lane_and_the_shared_pool_together_fit_the_database_pool() -> None:
    assert POOL_SIZE + MAX_OVERFLOW == POOL_CONNECTIONS
    Settings(api_worker_threads=12, api_record_read_threads=4)
    with pytest.raises(ValueError, match="together may be at most 16"):
        Settings(api_worker_threads=14, api_record_read_threads=4)

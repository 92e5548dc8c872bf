"""A lane of its own for opening a patient's record: a few threads, taken in turn.

Opening a record is the most frequent read of the clinic's data: about twenty short statements,
an audit entry and its commit, a few milliseconds of Python. FastAPI runs a plain ``def`` route in
the shared thread pool (``Settings.api_worker_threads``, 8), and eight such reads at once are
slower in total than the same reads one after another: the threads take turns at the GIL at
every statement, each turn a thread switch, and SQLite's work is all in this process anyway.
With ``benchmarks/api.py`` on 2 cores the record answered 177 requests/s through the shared pool
and 270 through a lane of one thread (SQLite).

So the record route is ``async def`` and hands its work to :class:`ReadLane`, whose own
``CapacityLimiter`` lets ``threads`` of them run at once (``Settings.api_record_read_threads``;
unset: 1 on SQLite, where reads are work of this process, and 4 on PostgreSQL, where a read also
waits for the server and another can use the time). Requests beyond it wait their turn in order,
and the shared pool stays free for everything else (an optimisation, a PDF, a photo).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TypeVar

from anyio import CapacityLimiter, to_thread

from microneedling.config import Settings
from microneedling.store import Database

T = TypeVar("T")

#: Threads of the lane when the setting is unset, by database backend.
DEFAULT_THREADS = {"sqlite": 1, "postgresql": 4}


def lane_threads(settings: Settings, database: Database) -> int:
    """The lane's threads: the setting, or :data:`DEFAULT_THREADS` for the backend."""
    if settings.api_record_read_threads is not None:
        return settings.api_record_read_threads
    return DEFAULT_THREADS.get(database.backend, 4)


class ReadLane:
    """Work run in threads, at most ``threads`` at once, the rest waiting in order."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._limiter: CapacityLimiter | None = None

    async def run(self, work: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        if self._limiter is None:  # made on first use, inside the event loop
            self._limiter = CapacityLimiter(self.threads)
        return await to_thread.run_sync(partial(work, *args, **kwargs), limiter=self._limiter)

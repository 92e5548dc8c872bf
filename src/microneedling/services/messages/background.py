"""The worker inside ``microneedling web``: a daemon thread that sends what is due every
``interval`` seconds until stopped (on by default with SQLite, where one process serves a clinic;
off with PostgreSQL, where ``microneedling worker`` processes run instead; see
:func:`.channels.worker_in_web`). A pass that fails is logged (ids and the error's type, never a
message body) and the next pass tries again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime

from microneedling.services.messages.transports import Transport
from microneedling.services.messages.worker import WorkerSettings, run_once
from microneedling.store import Database

log = logging.getLogger(__name__)


class BackgroundWorker:
    """Sends due messages in a thread of this process until :meth:`stop`."""

    def __init__(
        self,
        database: Database,
        transports: Mapping[str, Transport],
        *,
        clock: Callable[[], datetime],
        interval: float,
        settings: WorkerSettings | None = None,
    ) -> None:
        self.database = database
        self.transports = transports
        self.clock = clock
        self.interval = interval
        self.settings = settings or WorkerSettings()
        self.passes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="messages-worker", daemon=True)

    def start(self) -> BackgroundWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            busy = False
            try:
                summary = run_once(
                    self.database, self.transports, now=self.clock(), settings=self.settings
                )
                busy = summary.claimed >= self.settings.batch
                if summary.claimed:
                    log.info("messages: %s", summary.as_dict())
            except Exception as error:  # the next pass tries again
                log.warning("messages: a pass failed (%s)", type(error).__name__)
            self.passes += 1
            if not busy:
                self._stop.wait(self.interval)

"""Opening the database: SQLite by default, PostgreSQL when the URL says so.

SQLite runs in WAL mode with foreign keys on and a busy timeout; every transaction starts with
``BEGIN IMMEDIATE`` so writers take turns from their first statement (every use case writes, if
only its audit entry), and a reader that must not block anyone (a backup) asks for ``DEFERRED``.
Writers of one process queue for a lock of the engine before ``BEGIN IMMEDIATE`` (see
:class:`_SQLiteConnection`), so they wait their turn instead of in SQLite's busy handler, which
sleeps in growing steps and keeps the database idle while it does.

The connection pool keeps :data:`POOL_SIZE` connections, more than the API's worker threads
(``api/app.py``), so that concurrent requests neither wait for a connection nor open and close
overflow connections.

Statement parameters are never put into log lines or error messages (``hide_parameters``), and
SQLAlchemy's DEBUG dump of result rows is filtered out: both carry patient data.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from microneedling.config import POOL_CONNECTIONS
from microneedling.errors import UserError
from microneedling.store.audit_keys import NO_KEYS, AuditKeys

BACKENDS = ("sqlite", "postgresql")


class _NoResultRows(logging.Filter):
    """SQLAlchemy logs every result row at DEBUG (echo="debug"); rows hold patient data."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_engine_log = logging.getLogger("sqlalchemy.engine.Engine")
if not any(isinstance(item, _NoResultRows) for item in _engine_log.filters):
    _engine_log.addFilter(_NoResultRows())
#: Execution option naming how a SQLite transaction begins (IMMEDIATE unless told otherwise).
SQLITE_BEGIN = "sqlite_begin"
#: The ``SQLITE_BEGIN`` mode of :meth:`Database.statement_reader`: no ``BEGIN`` at all.
STATEMENT_ONLY = "STATEMENT"
#: Connections the pool keeps open, and how many more it opens (and closes again) when more are
#: wanted at once. The API's worker threads (``Settings.api_worker_threads``: 8 by default, at
#: most 16) each hold at most one at a time, so together with the event loop's short reads they
#: rarely wait for one.
POOL_SIZE = 8
MAX_OVERFLOW = POOL_CONNECTIONS - POOL_SIZE


def database_url(url: str) -> URL:
    """Parse and check a database URL; ``postgresql://`` means the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UserError(
            "not a database URL (expected sqlite:///PATH or postgresql://USER@HOST/DB)",
            field="database_url",
        ) from None
    backend = parsed.get_backend_name()
    if backend not in BACKENDS:
        raise UserError(
            f"unsupported database {backend!r}; use sqlite or postgresql", field="database_url"
        )
    if backend == "postgresql" and parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise UserError("SQLite needs a file path (sqlite:///PATH)", field="database_url")
    return parsed


def _private_sqlite_file(path: Path, *, uri: bool) -> None:
    """Create a new SQLite file empty and owner-only (0600), in an owner-only folder when that is
    new too: it holds every patient and the password hashes. SQLite gives its -wal and -shm files
    the database file's permissions."""
    if uri:
        return
    from microneedling.store.files import private_folder

    # A folder or file that cannot be made is left for SQLite to report on connecting, in the
    # words the commands already turn into one line.
    with suppress(OSError):
        private_folder(path.parent)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def create_database_engine(
    url: str | URL, *, busy_timeout_ms: int = 10_000, sqlite_synchronous: str = "FULL"
) -> Engine:
    """An engine with the pragmas and transaction behaviour the records rely on.

    ``sqlite_synchronous`` FULL makes every commit durable through a power cut; NORMAL (for bulk
    loads such as the demo) may lose the last commits then, never consistency.
    """
    if sqlite_synchronous not in ("FULL", "NORMAL"):
        raise ValueError("sqlite_synchronous is FULL or NORMAL")
    parsed = database_url(str(url) if isinstance(url, str) else url.render_as_string(False))
    if parsed.get_backend_name() == "sqlite":
        _private_sqlite_file(Path(str(parsed.database)), uri=bool(parsed.query.get("uri")))
        engine = create_engine(
            parsed,
            hide_parameters=True,
            pool_size=POOL_SIZE,
            max_overflow=MAX_OVERFLOW,
            connect_args={
                "timeout": busy_timeout_ms / 1000,
                "check_same_thread": False,
                "factory": _SQLiteConnection,
            },
        )
        _sqlite_behaviour(engine, busy_timeout_ms, sqlite_synchronous)
        return engine
    return create_engine(
        parsed,
        hide_parameters=True,
        pool_pre_ping=True,
        pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW,
    )


class _SQLiteConnection(sqlite3.Connection):
    """A SQLite connection whose write transactions first take their engine's writer lock.

    SQLite lets one connection write at a time; another's ``BEGIN IMMEDIATE`` waits in the busy
    handler, which polls with sleeps of 1, 2, 5, 10 ... 100 ms: with tens of threads writing at
    once the database is mostly idle and a writer can wait for seconds. Here a write transaction
    takes the engine's lock (its waiters wake the moment it is free) before ``BEGIN IMMEDIATE``,
    and gives it back when it ends (commit, rollback or close). Other processes still meet in the
    busy handler. A writer that cannot get the lock within the busy timeout goes on without it
    and meets the busy handler too, so a stuck writer still ends as "database is locked".
    """

    writer_lock: threading.Lock | None = None
    holds_writer_lock = False

    def take_writer_lock(self, timeout: float) -> None:
        if self.writer_lock is not None and not self.holds_writer_lock:
            self.holds_writer_lock = self.writer_lock.acquire(timeout=timeout)

    def release_writer_lock(self) -> None:
        if self.holds_writer_lock and self.writer_lock is not None:
            self.holds_writer_lock = False
            self.writer_lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.release_writer_lock()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.release_writer_lock()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.release_writer_lock()

    def __del__(self) -> None:  # dropped without close(): SQLite closes it, so may we
        self.release_writer_lock()


def _sqlite_behaviour(engine: Engine, busy_timeout_ms: int, synchronous: str) -> None:
    writers = threading.Lock()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        if isinstance(dbapi_connection, _SQLiteConnection):
            dbapi_connection.writer_lock = writers
        # The driver's own implicit transactions are off: we say BEGIN ourselves (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
        if mode == STATEMENT_ONLY:
            return  # no BEGIN: SQLite runs the one statement as a transaction of its own
        if mode not in ("IMMEDIATE", "DEFERRED", "EXCLUSIVE"):
            raise ValueError(f"unknown SQLite BEGIN mode {mode!r}")
        driver = connection.connection.dbapi_connection
        writing = mode != "DEFERRED" and isinstance(driver, _SQLiteConnection)
        if writing:
            driver.take_writer_lock(busy_timeout_ms / 1000)
        try:
            connection.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            if writing:
                driver.release_writer_lock()
            raise


class Database:
    """One database: its engine and a session factory."""

    def __init__(
        self,
        url: str,
        *,
        busy_timeout_ms: int = 10_000,
        sqlite_synchronous: str = "FULL",
        audit_keys: AuditKeys = NO_KEYS,
    ) -> None:
        self.url = database_url(url)
        #: The keys audit entries are authenticated and checked with (never stored in it).
        self.audit_keys = audit_keys
        self._described = self.url.render_as_string(hide_password=True)
        self.engine = create_database_engine(
            self.url, busy_timeout_ms=busy_timeout_ms, sqlite_synchronous=sqlite_synchronous
        )
        self._reader = self.engine.execution_options(**{SQLITE_BEGIN: "DEFERRED"})
        self._statement_reader = self.engine.execution_options(
            **(
                {SQLITE_BEGIN: STATEMENT_ONLY}
                if self.backend == "sqlite"
                else {"isolation_level": "AUTOCOMMIT"}
            )
        )
        self.sessions: sessionmaker[Session] = sessionmaker(
            self.engine, expire_on_commit=False, autoflush=True
        )
        #: Sessions that read without waiting for writers (SQLite: ``BEGIN DEFERRED``).
        self.read_sessions: sessionmaker[Session] = sessionmaker(
            self.reader(), expire_on_commit=False, autoflush=True
        )

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.url.get_backend_name()

    @property
    def reads_in_process(self) -> bool:
        """Whether a short read is work of this process (SQLite: no server, no network), cheap
        enough to make on an event loop's thread rather than handing it to a worker thread.

        The pool then always has a connection for it: it keeps more connections
        (:data:`POOL_SIZE` + :data:`MAX_OVERFLOW`) than the API has worker threads, each of
        which holds at most one at a time.
        """
        return self.backend == "sqlite"

    def describe(self) -> str:
        """The URL without its password, for messages (and as the key of in-process caches)."""
        return self._described

    def reader(self) -> Engine:
        """The engine for reading without waiting for writers (SQLite: ``BEGIN DEFERRED``)."""
        return self._reader

    def statement_reader(self) -> Engine:
        """The engine for a read of one statement, which the database makes atomic by itself:
        no transaction around it (SQLite: no ``BEGIN``; PostgreSQL: autocommit, so no ``BEGIN``
        and ``ROLLBACK`` round trips). For anything more than one statement use :meth:`reader`.
        """
        return self._statement_reader

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A read-only transaction that sees one consistent state while others write.

        PostgreSQL: REPEATABLE READ, READ ONLY. SQLite in WAL mode: a read transaction keeps the
        state of its first read until it ends.
        """
        engine = self.reader()
        if self.backend == "postgresql":
            engine = engine.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        with engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def snapshot_session(self) -> Iterator[Session]:
        """An ORM session on :meth:`snapshot`."""
        with self.snapshot() as connection, Session(bind=connection) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()

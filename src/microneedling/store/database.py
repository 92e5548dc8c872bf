"""Opening the database: SQLite by default, PostgreSQL when the URL says so.

SQLite runs in WAL mode with foreign keys on and a busy timeout; every transaction starts with
``BEGIN IMMEDIATE`` so writers take turns from their first statement (every use case writes, if
only its audit entry), and a reader that must not block anyone (a backup) asks for ``DEFERRED``.
Statement parameters are never put into log lines or error messages (``hide_parameters``), and
SQLAlchemy's DEBUG dump of result rows is filtered out: both carry patient data.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from microneedling.errors import UserError

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
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed,
            hide_parameters=True,
            connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
        )
        _sqlite_behaviour(engine, busy_timeout_ms, sqlite_synchronous)
        return engine
    return create_engine(parsed, hide_parameters=True, pool_pre_ping=True)


def _sqlite_behaviour(engine: Engine, busy_timeout_ms: int, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
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
        if mode not in ("IMMEDIATE", "DEFERRED", "EXCLUSIVE"):
            raise ValueError(f"unknown SQLite BEGIN mode {mode!r}")
        connection.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """One database: its engine and a session factory."""

    def __init__(
        self, url: str, *, busy_timeout_ms: int = 10_000, sqlite_synchronous: str = "FULL"
    ) -> None:
        self.url = database_url(url)
        self.engine = create_database_engine(
            self.url, busy_timeout_ms=busy_timeout_ms, sqlite_synchronous=sqlite_synchronous
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

    def describe(self) -> str:
        """The URL without its password, for messages."""
        return self.url.render_as_string(hide_password=True)

    def reader(self) -> Engine:
        """The engine for reading without waiting for writers (SQLite: ``BEGIN DEFERRED``)."""
        return self.engine.execution_options(**{SQLITE_BEGIN: "DEFERRED"})

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

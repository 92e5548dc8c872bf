"""The demo clinics built once and copied (SQLite).

Building the demo runs a year of a clinic's use cases (:mod:`~microneedling.services.demo_clinic`):
tens of seconds. What it builds depends only on the code, the day it is built for, the seed, the
number of patients, the password and the photo limits, so a build is kept in a cache folder under
a key made of all of those, and a fresh database asking for the same demo again gets a copy: the
database's pages (the sqlite3 backup API) and the photo files, the same records byte for byte, in
well under a second.

The cache is used only for a SQLite database that is migrated to the newest schema and holds no
records at all, with a photo folder, and the shipped knowledge base; anything else is built as
before, in place. A demo missing from the cache is built in a database of its own in the cache
folder (which nothing else writes to), kept there, and then copied like any other, so a copy is
all a caller's database ever receives.

The key covers this package's source and data files (but those of the pages, the API and the
command line), the installed distributions' versions, the Python and SQLite versions and the
clinic's time-zone rules, so a change to any of them builds afresh. The newest :data:`KEEP`
builds are kept in the ``demo`` folder of the user's cache folder, as the compiled knowledge base
is (:mod:`~microneedling.knowledge.compiled`: ``~/.cache/microneedling``, or
``MICRONEEDLING_CACHE_DIR``; ``off`` turns caching off). A build that is not the user's own, or
that others may write to, is not copied.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import secrets
import shutil
import sqlite3
import sys
import time
import zoneinfo
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from microneedling.knowledge.compiled import cache_folder, trusted
from microneedling.services.calendar_index import CALENDAR_INDEX
from microneedling.store import Database, PhotoFiles, UnitOfWork, migrate
from microneedling.store.backup import has_records
from microneedling.store.models import Photo

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

#: Builds kept (the least recently used go first).
KEEP = 8
#: A build folder left behind this long (a process killed while building) is removed.
STALE_SECONDS = 3600
DATABASE = "demo.db"
PHOTOS = "photos"
SUMMARY = "summary.json"
#: Which files of the package make up "the code" of the key: its source and data files, but
#: not those of the edges, which the use cases never import (tests/unit/test_dependency_direction):
#: changing a page, a route or a command keeps the builds.
SOURCE_SUFFIXES = (".py", ".yaml", ".yml", ".json", ".mako")
EDGES = ("api", "web", "cli")

Counts = dict[str, Any]

log = logging.getLogger("microneedling.services")


@cache
def code_fingerprint() -> str:
    """A hash of everything a demo build depends on besides its own parameters."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if (
            path.suffix in SOURCE_SUFFIXES
            and relative.parts[0] not in EDGES
            and "__pycache__" not in relative.parts
            and path.is_file()
        ):
            digest.update(relative.as_posix().encode("utf-8") + b"\0")
            digest.update(path.read_bytes() + b"\0")
    for folder in filter(None, sys.path):
        try:
            names = sorted(name for name in os.listdir(folder) if name.endswith("-info"))
        except OSError:
            continue
        digest.update("\n".join(names).encode("utf-8") + b"\0")
    digest.update(f"{sys.version}\0{sqlite3.sqlite_version}\0".encode())
    for folder in zoneinfo.TZPATH:
        rules = Path(folder) / "Europe" / "Amsterdam"
        if rules.is_file():
            digest.update(rules.read_bytes())
            break
    return digest.hexdigest()


def fresh_sqlite(uow: UnitOfWork) -> bool:
    """Whether ``uow``'s database can receive a copy: SQLite, at the newest schema, no records,
    and a photo folder."""
    database = uow.database
    return (
        database.backend == "sqlite"
        and uow.photos is not None
        and migrate.current_revision(database) == migrate.head_revision()
        and not has_records(database)
    )


class DemoCache:
    """Built demos in ``folder``, one subfolder per key: the database, the photos, the counts."""

    def __init__(self, folder: Path, *, keep: int = KEEP) -> None:
        self.folder = Path(folder)
        self.keep = keep

    @classmethod
    def configured(cls) -> DemoCache | None:
        """The ``demo`` folder of the user's cache folder (``MICRONEEDLING_CACHE_DIR``, as for the
        compiled knowledge base); None when caching is off."""
        folder = cache_folder()
        return None if folder is None else cls(folder / "demo")

    def key(self, photos: PhotoFiles, **parameters: Any) -> str:
        """The key of a demo built with ``parameters`` into a photo folder like ``photos``."""
        described = {
            "code": code_fingerprint(),
            "photo_limits": [photos.max_bytes, photos.max_pixels],
            **{name: str(value) for name, value in sorted(parameters.items())},
        }
        return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:32]

    def demo(
        self,
        key: str,
        into: UnitOfWork,
        build: Callable[[UnitOfWork], Counts],
    ) -> Counts | None:
        """Copy the demo ``key`` into ``into`` (a :func:`fresh_sqlite` one), building it with
        ``build`` first when the cache does not hold it; returns the build's counts, or None
        when the cache folder cannot be used (``into`` is then untouched)."""
        entry = self.folder / key
        try:
            if not (entry / SUMMARY).is_file():
                with self._building(key):
                    # Another process may have built it while this one waited for its turn.
                    if not (entry / SUMMARY).is_file():
                        self._build(key, into, build)
            if not all(trusted(path) for path in (self.folder, entry, entry / DATABASE)):
                raise PermissionError(errno.EPERM, "not the user's own, or writable by others")
            os.utime(entry)  # most recently used
            counts: Counts = json.loads((entry / SUMMARY).read_text("utf-8"))
        except OSError as error:  # a folder that cannot be written: a read-only home, a full disk
            log.warning(
                "the demo cache in %s cannot be used (%s); building in place",
                self.folder,
                error.strerror or error,
            )
            return None
        _copy_photos(entry / PHOTOS, into)
        _copy_pages(entry / DATABASE, into.database)
        return counts

    @contextlib.contextmanager
    def _building(self, key: str) -> Iterator[None]:
        """One build of ``key`` at a time on this machine: a process that finds another one
        building the same demo waits for it and then copies its build (two servers started
        together build the demo once, not twice side by side). Where the folder cannot hold a
        lock file, or there are no POSIX locks, each builds its own, as before."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if fcntl is None or not trusted(self.folder):
            yield
            return
        path = self.folder / f".lock-{key}"
        with open(path, "a+b") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                # Gone once the build is in place (a process still waiting on it then finds the
                # build; one that comes later finds the build before it looks for a lock).
                path.unlink(missing_ok=True)
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _build(self, key: str, into: UnitOfWork, build: Callable[[UnitOfWork], Counts]) -> None:
        assert into.photos is not None
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not trusted(self.folder):
            raise PermissionError(errno.EPERM, "not the user's own, or writable by others")
        self._prune()
        # Builds arrive whole (a folder renamed into place): one without its counts was damaged.
        shutil.rmtree(self.folder / key, ignore_errors=True)
        work = self.folder / f".building-{key}-{os.getpid()}-{secrets.token_hex(4)}"
        work.mkdir(mode=0o700)
        try:
            # The empty, migrated database the caller has is the one to start from.
            _copy_pages_out(into.database, work / DATABASE)
            database = Database(f"sqlite:///{work / DATABASE}", sqlite_synchronous="NORMAL")
            try:
                photos = PhotoFiles(
                    work / PHOTOS,
                    max_bytes=into.photos.max_bytes,
                    max_pixels=into.photos.max_pixels,
                )
                counts = build(UnitOfWork(database, photos))
            finally:
                database.dispose()
                # Its calendar is in the process-wide index under the build's own database.
                CALENDAR_INDEX.clear()
            connection = sqlite3.connect(work / DATABASE)
            try:
                connection.execute("PRAGMA journal_mode=DELETE")  # one file, read-only from now
            finally:
                connection.close()
            (work / SUMMARY).write_text(json.dumps(counts, sort_keys=True), "utf-8")
            # When another process built the same demo meanwhile, theirs is as good.
            with contextlib.suppress(OSError):
                work.rename(self.folder / key)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _prune(self) -> None:
        """Make room for one more build; drop builds left behind by killed processes."""
        now = time.time()
        entries = []
        for path in self.folder.iterdir():
            with contextlib.suppress(OSError):  # another process may be pruning too
                used = path.stat().st_mtime
                if path.name.startswith(".building-"):
                    if now - used > STALE_SECONDS:
                        shutil.rmtree(path, ignore_errors=True)
                elif path.is_dir():
                    entries.append((used, path))
        entries.sort(reverse=True)
        for _, stale in entries[max(self.keep - 1, 0) :]:
            shutil.rmtree(stale, ignore_errors=True)


def _copy_pages_out(database: Database, target: Path) -> None:
    source = database.engine.raw_connection()
    try:
        driver = source.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        destination = sqlite3.connect(target)
        try:
            driver.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _copy_pages(source_file: Path, database: Database) -> None:
    """Every page of ``source_file`` into ``database`` (one step, under its write lock)."""
    source = _read_only(source_file)
    try:
        target = database.engine.raw_connection()
        try:
            driver = target.driver_connection
            assert isinstance(driver, sqlite3.Connection)
            source.backup(driver)
        finally:
            target.close()
    finally:
        source.close()
    CALENDAR_INDEX.clear()  # nothing it held of this database is true any more


def _copy_photos(folder: Path, into: UnitOfWork) -> None:
    """The photo files of the demo, into ``into``'s photo folder (before the records that name
    them, so that no record ever names a missing file)."""
    assert into.photos is not None
    source = _read_only(folder.parent / DATABASE)
    try:
        rows = source.execute(
            f"SELECT clinic_id, stored_sha256, stored_path FROM {Photo.__tablename__}"
        ).fetchall()
    finally:
        source.close()
    for clinic_id, sha256, stored_path in rows:
        suffix = stored_path.rsplit(".", 1)[-1]
        into.photos.put(clinic_id, sha256, suffix, (folder / stored_path).read_bytes())

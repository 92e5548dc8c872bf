"""Two processes asking for the same demo at once build it once: the second waits for the first's
build and copies it (the browser and end-to-end servers of a test run start together)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from tests.integration.conftest import SqliteDatabases

from microneedling.services.demo_cache import DemoCache
from microneedling.store import Database, PhotoFiles, UnitOfWork


def test_the_same_demo_asked_for_twice_at_once_is_built_once(tmp_path: Path) -> None:
    folder = tmp_path / "databases"
    folder.mkdir()
    databases = SqliteDatabases(folder)
    cache = DemoCache(tmp_path / "cache")
    started, release = threading.Event(), threading.Event()
    builds: list[int] = []
    results: dict[str, Any] = {}

    def build(into: UnitOfWork) -> dict[str, Any]:
        builds.append(1)
        started.set()
        assert release.wait(30), "the test never let the build finish"
        return {"patients": 7}

    def ask(name: str) -> None:
        database = Database(databases.migrated_url())
        try:
            uow = UnitOfWork(database, PhotoFiles(tmp_path / name))
            results[name] = cache.demo(cache.key(uow.photos, seed=1), uow, build)  # type: ignore[arg-type]
        finally:
            database.dispose()

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    assert started.wait(30)
    second = threading.Thread(target=ask, args=("second",))
    second.start()
    second.join(0.5)  # the second is waiting for the first's build, not building its own
    assert second.is_alive()
    release.set()
    first.join(30)
    second.join(30)
    assert builds == [1]
    assert results == {"first": {"patients": 7}, "second": {"patients": 7}}

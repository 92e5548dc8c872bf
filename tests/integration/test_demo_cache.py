"""The demo built once and copied: a copy holds the same records as a build in place."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from tests.integration.conftest import NOW, SqliteDatabases
from tests.integration.test_backup_and_restore import rows_of
from tests.integration.test_demo_clinic import _without_password_hashes

from microneedling.services import clinics, patients
from microneedling.services.audit import verify_audit_log
from microneedling.services.demo_cache import DemoCache
from microneedling.services.demo_clinic import build_demo_clinic
from microneedling.store import Database, PhotoFiles, UnitOfWork
from microneedling.store.backup import backup
from microneedling.store.migrate import upgrade

DAY = date(2026, 12, 1)
PASSWORD = "cache-pass"


@pytest.fixture
def sqlite_databases(tmp_path: Path) -> SqliteDatabases:
    folder = tmp_path / "databases"
    folder.mkdir()
    return SqliteDatabases(folder)


def _demo(
    url: str, photos: Path, cache: DemoCache | None, *, day: date = DAY
) -> tuple[Database, UnitOfWork, dict[str, object]]:
    database = Database(url)
    upgrade(database)
    uow = UnitOfWork(database, PhotoFiles(photos))
    summary = build_demo_clinic(
        uow, today=day, seed=5, patient_count=12, password=PASSWORD, cache=cache
    )
    assert not summary.already_loaded
    return database, uow, summary.counts


def test_a_copied_demo_holds_the_same_records_as_one_built_in_place(
    sqlite_databases: SqliteDatabases, tmp_path: Path
) -> None:
    cache = DemoCache(tmp_path / "cache")
    results = []
    for name, used in (("in_place", None), ("built_and_kept", cache), ("copied", cache)):
        database, uow, counts = _demo(sqlite_databases.new_url(), tmp_path / name, used)
        file = tmp_path / f"{name}.jsonl"
        backup(database, file, now=NOW)
        actor = clinics.sign_in(uow, "frontdesk@demo.example", PASSWORD)
        with closing(sqlite3.connect(str(database.url.database))) as connection:
            (family,) = connection.execute(
                "SELECT min(family_name) FROM patient WHERE clinic_id = ?", (actor.clinic_id,)
            ).fetchone()
        assert patients.find_patients(uow, actor, family), "a copy works like any other"
        assert verify_audit_log(database).intact
        stored = sorted(path.name for path in (tmp_path / name).rglob("*.jpg"))
        database.dispose()
        results.append((_without_password_hashes(rows_of(file)), counts, stored))
    (in_place, *copies) = results
    assert len(list((tmp_path / "cache").iterdir())) == 1, "one build kept"
    for copy in copies:
        assert copy[0] == in_place[0]  # the same records
        assert copy[1] == in_place[1]  # the same counts reported
        assert copy[2] == in_place[2] and len(copy[2]) > 0  # the same photo files


def test_another_day_is_another_demo_and_a_database_with_records_is_built_in_place(
    sqlite_databases: SqliteDatabases, tmp_path: Path
) -> None:
    cache = DemoCache(tmp_path / "cache")
    first, _, _ = _demo(sqlite_databases.new_url(), tmp_path / "a", cache)
    first.dispose()
    later, _, _ = _demo(sqlite_databases.new_url(), tmp_path / "b", cache, day=date(2026, 12, 2))
    later.dispose()
    assert len([path for path in (tmp_path / "cache").iterdir()]) == 2

    # A database that already holds a clinic is never overwritten by a copy.
    database = Database(sqlite_databases.new_url())
    upgrade(database)
    uow = UnitOfWork(database, PhotoFiles(tmp_path / "c"))
    clinics.create_clinic(
        uow,
        slug="mine",
        name="My Clinic",
        time_zone="Europe/Amsterdam",
        owner={
            "email": "me@mine.example",
            "display_name": "Me",
            "role": "owner",
            "password": "my-own-password",
        },
    )
    build_demo_clinic(uow, today=DAY, seed=5, patient_count=3, password=PASSWORD, cache=cache)
    with closing(sqlite3.connect(str(database.url.database))) as connection:
        slugs = {row[0] for row in connection.execute("SELECT slug FROM clinic")}
    assert slugs == {"mine", "demo", "second"}
    assert len([path for path in (tmp_path / "cache").iterdir()]) == 2
    database.dispose()


def test_the_oldest_builds_are_dropped_and_the_cache_can_be_turned_off(
    sqlite_databases: SqliteDatabases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = DemoCache(tmp_path / "cache", keep=1)
    for day in (date(2026, 12, 1), date(2026, 12, 2)):
        database, _, _ = _demo(
            sqlite_databases.new_url(), tmp_path / day.isoformat(), cache, day=day
        )
        database.dispose()
    assert len(list((tmp_path / "cache").iterdir())) == 1

    monkeypatch.setenv("MICRONEEDLING_CACHE_DIR", str(tmp_path / "elsewhere"))
    configured = DemoCache.configured()
    assert configured is not None and configured.folder == tmp_path / "elsewhere" / "demo"
    monkeypatch.setenv("MICRONEEDLING_CACHE_DIR", "off")
    assert DemoCache.configured() is None


@pytest.mark.parametrize("problem", ["a file in the way", "writable by others"])
def test_a_cache_folder_that_cannot_be_used_means_building_in_place(
    sqlite_databases: SqliteDatabases,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    problem: str,
) -> None:
    folder = tmp_path / "cache"
    if problem == "a file in the way":
        folder.write_text("not a folder")
    else:
        folder.mkdir()
        folder.chmod(0o777)
    database, _, counts = _demo(sqlite_databases.new_url(), tmp_path / "p", DemoCache(folder))
    assert counts["patients"] == 12 + 10  # and the second clinic's
    assert "building in place" in caplog.text
    assert verify_audit_log(database).intact
    database.dispose()
    assert not folder.is_dir() or list(folder.iterdir()) == []

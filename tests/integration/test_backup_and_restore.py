"""Backups are consistent snapshots taken while others write; restoring gives the same data."""

from __future__ import annotations

import gzip
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from tests.integration.conftest import NOW, PostgresDatabases, SqliteDatabases, make_world
from tests.integration.records_cli import app
from typer.testing import CliRunner

from microneedling.errors import Conflict, InputFileError, UserError
from microneedling.services import patients, sign_in, web_sessions
from microneedling.services.audit import verify_audit_log
from microneedling.services.demo_clinic import build_demo_clinic
from microneedling.services.passwords import hash_password
from microneedling.store import Database, PhotoFiles, UnitOfWork
from microneedling.store.backup import backup, restore
from microneedling.store.migrate import current_revision, head_revision, upgrade
from microneedling.store.models import AccessToken, AuditEntry, Patient, StaffUser, WebSession

runner = CliRunner()


def rows_of(path: Path) -> list[Any]:
    """Every line after the header of a JSON-lines backup, JSON values parsed."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as lines:  # type: ignore[operator]
        lines.readline()
        return [json.loads(line) for line in lines]


@pytest.fixture(scope="session")
def clinic_records(
    databases: SqliteDatabases | PostgresDatabases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A database of its own holding a small demo clinic: every kind of record, amendments,
    photos. Only read by the tests."""
    database = Database(databases.new_url())
    upgrade(database)
    uow = UnitOfWork(database, PhotoFiles(tmp_path_factory.mktemp("photos")))
    build_demo_clinic(uow, today=date(2026, 12, 1), patient_count=12, password="backup-test")
    yield database
    database.dispose()


@pytest.mark.parametrize("name", ["records.jsonl", "records.jsonl.gz"])
def test_backup_then_restore_gives_the_same_data(
    clinic_records: Database, fresh_url: str, tmp_path: Path, name: str
) -> None:
    first = tmp_path / name
    summary = backup(clinic_records, first, now=NOW)
    assert summary.rows["session_chart"] > 0 and summary.rows["audit_entry"] > 0
    target = Database(fresh_url)
    restored = restore(target, first)
    assert restored.rows == summary.rows
    again = tmp_path / f"again-{name}"
    backup(target, again, now=NOW)
    assert rows_of(again) == rows_of(first)
    assert current_revision(target) == head_revision()
    assert verify_audit_log(target).intact
    target.dispose()


def test_a_restored_database_takes_new_records_without_key_clashes(
    clinic_records: Database, fresh_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "records.jsonl"
    backup(clinic_records, file, now=NOW)
    target = Database(fresh_url)
    restore(target, file)
    world = make_world(target, tmp_path / "photos")
    patient_id = world.patient()
    assert patient_id > 12
    assert verify_audit_log(target).intact
    target.dispose()


def test_a_sqlite_backup_file_restores_into_any_database(fresh_url: str, tmp_path: Path) -> None:
    source = Database(f"sqlite:///{tmp_path / 'source.db'}")
    upgrade(source)
    uow = UnitOfWork(source, PhotoFiles(tmp_path / "photos"))
    build_demo_clinic(uow, today=date(2026, 12, 1), patient_count=5, password="backup-test")
    copy = tmp_path / "copy.sqlite"
    backup(source, copy, now=NOW)
    target = Database(fresh_url)
    restore(target, copy)
    backup(source, tmp_path / "a.jsonl", now=NOW)
    backup(target, tmp_path / "b.jsonl", now=NOW)
    assert rows_of(tmp_path / "a.jsonl") == rows_of(tmp_path / "b.jsonl")
    source.dispose()
    target.dispose()


def test_a_sqlite_file_backup_is_for_sqlite_only(clinic_records: Database, tmp_path: Path) -> None:
    if clinic_records.backend == "sqlite":
        backup(clinic_records, tmp_path / "copy.sqlite", now=NOW)
    else:
        with pytest.raises(UserError, match="for SQLite databases"):
            backup(clinic_records, tmp_path / "copy.sqlite", now=NOW)


def test_restoring_over_existing_records_needs_force(
    clinic_records: Database, fresh_database: Database, tmp_path: Path
) -> None:
    file = tmp_path / "records.jsonl"
    backup(clinic_records, file, now=NOW)
    make_world(fresh_database, tmp_path / "photos").patient()
    with pytest.raises(Conflict, match="already holds records"):
        restore(fresh_database, file)
    restore(fresh_database, file, force=True)
    backup(fresh_database, tmp_path / "after.jsonl", now=NOW)
    assert rows_of(tmp_path / "after.jsonl") == rows_of(file)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("just some text\n", "not a microneedling backup"),
        ('{"format": "microneedling-backup", "format_version": 99}\n', "format version 99"),
        (
            '{"format": "microneedling-backup", "format_version": 1, "schema_revision": "9999"}\n',
            "made by a newer version",
        ),
    ],
)
def test_a_file_that_is_not_a_backup_is_refused(
    fresh_database: Database, tmp_path: Path, content: str, message: str
) -> None:
    file = tmp_path / "not-a-backup.jsonl"
    file.write_text(content)
    with pytest.raises(InputFileError, match=message):
        restore(fresh_database, file)


def test_a_truncated_backup_is_refused(
    clinic_records: Database, fresh_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "records.jsonl"
    backup(clinic_records, file, now=NOW)
    lines = file.read_text().splitlines(keepends=True)
    file.write_text("".join(lines[: len(lines) // 2]))
    with pytest.raises(InputFileError, match="truncated"):
        restore(Database(fresh_url), file)


def test_a_backup_taken_while_others_write_is_consistent(
    fresh_database: Database, fresh_url: str, tmp_path: Path
) -> None:
    world = make_world(fresh_database, tmp_path / "photos")
    for _ in range(20):
        world.patient()
    stop = threading.Event()
    writer_uow = UnitOfWork(fresh_database, PhotoFiles(tmp_path / "photos"))
    details = {"given_name": "W", "family_name": "Writer", "birth_date": "1980-01-01",
               "fitzpatrick": 3}  # fmt: skip
    written: list[int] = []

    def keep_writing() -> None:
        while not stop.is_set():
            written.append(
                patients.register_patient(writer_uow, world.front_desk, details, clock=world.clock)
            )

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        files = []
        for number in range(3):
            files.append(tmp_path / f"during-{number}.jsonl")
            backup(fresh_database, files[-1], now=NOW)
    finally:
        stop.set()
        writer.join(timeout=30)
    assert written, "the writer should have written during the backups"
    target = Database(fresh_url)
    for file in files:
        restore(target, file, force=True)
        assert verify_audit_log(target).intact
        with target.engine.connect() as connection:
            registered = connection.execute(
                select(func.count()).where(AuditEntry.action == "patient.register")
            ).scalar_one()
            stored = connection.execute(select(func.count()).select_from(Patient)).scalar_one()
        assert registered == stored
    target.dispose()


def test_the_db_commands_back_up_and_restore(
    clinic_records: Database,
    fresh_url: str,
    tmp_path: Path,
    records_env: Callable[[str], None],
) -> None:
    file = tmp_path / "cli.jsonl.gz"
    records_env(clinic_records.url.render_as_string(hide_password=False))
    result = runner.invoke(app, ["db", "backup", str(file), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total_rows"] > 100
    again = runner.invoke(app, ["db", "backup", str(file)])
    assert again.exit_code == 2
    assert "already exists" in again.stderr
    records_env(fresh_url)
    result = runner.invoke(app, ["db", "restore", str(file)])
    assert result.exit_code == 0, result.output
    assert "Restored" in result.stdout
    refused = runner.invoke(app, ["db", "restore", str(file)])
    assert refused.exit_code == 2
    assert refused.stderr.count("\n") == 1 and "--force" in refused.stderr
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello")
    bad = runner.invoke(app, ["db", "restore", str(text_file), "--force"])
    assert (bad.exit_code, bad.stderr.strip()) == (
        2,
        f"error: {text_file}: not a microneedling backup",
    )


def test_a_restored_database_starts_with_everyone_signed_out(
    fresh_database: Database, fresh_url: str, tmp_path: Path
) -> None:
    """Web sessions and API tokens are not in a backup: a session signed out after the backup
    must not come back with a restore."""
    world = make_world(fresh_database, tmp_path / "photos")
    with fresh_database.sessions() as session, session.begin():
        session.execute(
            update(StaffUser)
            .where(StaffUser.id == world.clinician.staff_user_id)
            .values(password_hash=hash_password("a long enough pass phrase"))
        )
        email = session.get(StaffUser, world.clinician.staff_user_id).email  # type: ignore[union-attr]
    uow = UnitOfWork(fresh_database, PhotoFiles(tmp_path / "photos"))
    sign_in.sign_in_for_token(
        uow, email, "a long enough pass phrase", client="10.0.0.1", clock=world.clock
    )
    web_sessions.open_session(
        uow, world.clinician, user_agent="Firefox", client="10.0.0.1", clock=world.clock
    )
    file = tmp_path / "signed-in.jsonl"
    summary = backup(fresh_database, file, now=NOW)
    assert summary.rows["web_session"] == 0 and summary.rows["access_token"] == 0
    target = Database(fresh_url)
    restore(target, file)
    with target.sessions() as session:
        assert session.execute(select(func.count()).select_from(WebSession)).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(AccessToken)).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(StaffUser)).scalar_one() > 0
    target.dispose()
    if fresh_database.backend == "sqlite":  # a copy of the SQLite file leaves them out too
        copy = tmp_path / "signed-in.sqlite"
        assert backup(fresh_database, copy, now=NOW).rows["web_session"] == 0
        with closing(sqlite3.connect(copy)) as connection:
            for table in ("web_session", "access_token"):
                assert connection.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)

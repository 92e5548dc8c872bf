"""The records commands as a newcomer meets them, as real processes: a database that is not there
yet, a backup file name that is not a backup's, the audit log's paging, a port already in use."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TODAY = "2026-12-08"
OWNER = "owner@demo.example"


def run(folder: Path, *args: str, database: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``microneedling ARGS`` in ``folder``, on the SQLite file ``database`` (default: a file in
    ``folder/var`` that does not exist)."""
    target = database if database is not None else folder / "var" / "records.db"
    environment = {
        **os.environ,
        "MICRONEEDLING_DATABASE_URL": f"sqlite:///{target}",
        "MICRONEEDLING_PHOTO_DIR": str(folder / "photos"),
    }
    return subprocess.run(
        [sys.executable, "-m", "microneedling", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=folder,
        env=environment,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo clinics with one patient (the smallest demo), built for a fixed day."""
    folder = tmp_path_factory.mktemp("demo")
    database = folder / "demo.db"
    built = run(folder, "demo", "--patients", "1", "--today", TODAY, "--json", database=database)
    assert built.returncode == 0, built.stderr
    yield database


# -- a database that is not there ---------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["audit", "verify"],
        ["audit", "log", "--as", OWNER],
        ["patient", "find", "Sara", "--as", OWNER],
        ["patient", "show", "1", "--as", OWNER],
        ["recall", "LOT-1", "--as", OWNER, "--reason", "test"],
        ["calendar", "show", "--as", OWNER],
        ["db", "backup", "records.jsonl"],
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_a_command_on_a_missing_database_says_so_and_creates_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    result = run(tmp_path, *command)
    assert_one_line_error(result, "there is no database at", "microneedling db upgrade")
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_db_current_on_a_missing_database_answers_without_creating_it(tmp_path: Path) -> None:
    result = run(tmp_path, "db", "current")
    assert result.returncode == 0, result.stderr
    assert "there is no database at" in result.stdout
    assert "microneedling db upgrade" in result.stdout
    as_json = run(tmp_path, "db", "current", "--json")
    assert '"revision": null' in as_json.stdout
    assert list(tmp_path.iterdir()) == []


def test_db_upgrade_still_creates_the_database(tmp_path: Path) -> None:
    result = run(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "records.db").is_file()


# -- db backup's file name ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["x.txt", "backup", "records.gz", "records.json", ".jsonl"])
def test_db_backup_refuses_a_file_name_that_is_not_a_backups(
    demo_database: Path, tmp_path: Path, name: str
) -> None:
    result = run(tmp_path, "db", "backup", name, database=demo_database)
    assert_one_line_error(result, "is not a backup file name", "FILE.jsonl", "FILE.sqlite")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["records.jsonl", "records.JSONL.gz", "copy.sqlite", "copy.db"])
def test_db_backup_takes_the_names_it_writes(
    demo_database: Path, tmp_path: Path, name: str
) -> None:
    result = run(tmp_path, "db", "backup", name, database=demo_database)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / name).is_file()
    assert f"to {name}" in result.stdout


# -- the audit log --------------------------------------------------------------------------------


def test_audit_log_says_how_many_more_entries_there_are_and_how_to_see_them(
    demo_database: Path, tmp_path: Path
) -> None:
    result = run(tmp_path, "audit", "log", "--as", OWNER, "--limit", "3", database=demo_database)
    assert result.returncode == 0, result.stderr
    hint = result.stdout.strip().splitlines()[-1]
    found = re.fullmatch(
        r"showing 3 of (\d+); older entries: --before (\d+) "
        r"\((\d+) more; up to 1000 at a time with --limit\)",
        hint,
    )
    assert found, hint
    total, more = int(found[1]), int(found[3])
    assert more == total - 3
    older = run(
        tmp_path, "audit", "log", "--as", OWNER, "--limit", "3", "--before", found[2],
        database=demo_database,
    )  # fmt: skip
    assert older.returncode == 0, older.stderr
    assert "newer entries: --after" in older.stdout.strip().splitlines()[-1]


def test_audit_log_names_who_acted_and_never_says_none(demo_database: Path, tmp_path: Path) -> None:
    result = run(tmp_path, "audit", "log", "--as", OWNER, "--limit", "1000", database=demo_database)
    assert result.returncode == 0, result.stderr
    assert "None" not in result.stdout
    assert "The system (demo loader) created the" in " ".join(result.stdout.split())
    assert "older entries" not in result.stdout


def test_audit_log_names_the_option_of_a_bad_entry_number(
    demo_database: Path, tmp_path: Path
) -> None:
    result = run(
        tmp_path, "audit", "log", "--as", OWNER, "--before", "999999", database=demo_database
    )
    assert_one_line_error(result, "--before:")


# -- a port already in use ------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["web", "--no-demo", "--today", TODAY], ["serve"]])
def test_a_port_in_use_is_refused_with_the_option_that_changes_it(
    demo_database: Path, tmp_path: Path, command: list[str]
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run(tmp_path, *command, "--port", str(port), database=demo_database)
    assert_one_line_error(result, f"port {port} is in use", "choose another with --port")
    assert "Open http" not in result.stdout
    assert "http://" not in result.stdout + result.stderr

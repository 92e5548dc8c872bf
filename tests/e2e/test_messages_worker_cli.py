"""`microneedling worker` as an installation runs it: a pass with --once --json on a migrated
SQLite database, a real SMTP server configured through the environment, and plain refusals of
malformed options."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

MICRONEEDLING = [sys.executable, "-m", "microneedling"]


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MICRONEEDLING, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={
            **os.environ,
            "MICRONEEDLING_DATABASE_URL": f"sqlite:///{tmp_path / 'records.db'}",
            **env,
        },
    )


@pytest.fixture
def migrated(tmp_path: Path) -> Path:
    result = run(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    return tmp_path


def test_one_pass_on_an_empty_outbox_prints_its_summary_as_json(migrated: Path) -> None:
    result = run(migrated, "worker", "--once", "--json", "--now", "2026-12-08T09:00:00+00:00")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "claimed": 0, "sent": 0, "retried": 0, "failed": 0, "withdrawn": 0, "lost_lease": 0,
        "sent_by_channel": {},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--once", "--now", "tomorrow"], "is not a date and time"),
        (["--once", "--now", "2026-12-08T09:00"], "give the time zone too"),
        (["--now", "2026-12-08T09:00:00+00:00"], "--now is for --once only"),
        (["--once", "--now", "9" * 5000], "is not a date and time"),
    ],
)
def test_malformed_options_are_refused_in_one_line(
    migrated: Path, args: list[str], said: str
) -> None:
    result = run(migrated, "worker", *args)
    assert result.returncode == 2
    assert said in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr) < 300


def test_a_bad_mail_server_setting_is_one_line(migrated: Path) -> None:
    result = run(migrated, "worker", "--once", MICRONEEDLING_SMTP_SECURITY="ssl-please")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "smtp_security" in result.stderr.lower()
    assert "ssl-please" not in result.stderr


def test_a_database_never_created_is_refused(tmp_path: Path) -> None:
    result = run(tmp_path, "worker", "--once")
    assert result.returncode == 2 and "Traceback" not in result.stderr

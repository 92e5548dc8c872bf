"""The attack checks of issue 14 (tools/attack_checks.py) run as whoever reruns them would, a
subprocess on an empty database, in its small configuration, on SQLite and PostgreSQL: every row
is there with attempts, nothing leaked, and the table adds up."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.conftest import PostgresDatabases, SqliteDatabases, databases_for

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "attack_checks.py"
CHECKS = ["roles × clinics", "CSRF", "forged addresses", "lockout race", "audit tamper"]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    factory: Iterator[SqliteDatabases | PostgresDatabases] = databases_for(
        request.param, tmp_path_factory, "attack-checks"
    )
    databases = next(factory)
    yield databases.new_url()
    next(factory, None)


def test_the_attack_checks_find_nothing_leaked(empty_url: str) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--small", "--json", "--database", empty_url],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {row["check"]: row for row in json.loads(result.stdout)}
    assert list(rows) == CHECKS
    for row in rows.values():
        assert row["attempts"] > 0 and row["leaked"] == 0, row
        assert row["refused"] <= row["attempts"]
    assert rows["lockout race"]["refused"] == 12 - 5  # 5 checks, the rest locked at once
    assert rows["forged addresses"]["refused"] == 22 - 20
    assert rows["audit tamper"]["refused"] == rows["audit tamper"]["attempts"] == 6
    assert rows["CSRF"]["refused"] == rows["CSRF"]["attempts"] == 12

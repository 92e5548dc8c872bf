"""`microneedling web --today`: a day that is not a date is refused at once, nothing started."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("day", ["tomorrow", "2026-13-01", "0", "99999-01-01", "2026-12-08T09:00"])
def test_a_today_that_is_not_a_date_is_refused_with_the_format_and_nothing_written(
    tmp_path: Path, day: str
) -> None:
    database = tmp_path / "records.db"
    result = subprocess.run(
        [sys.executable, "-m", "microneedling", "web", "--today", day, "--port", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MICRONEEDLING_DATABASE_URL": f"sqlite:///{database}"},
    )
    assert result.returncode == 2, result.stderr
    assert "--today: expected a date as YYYY-MM-DD" in result.stderr
    assert "Traceback" not in result.stderr
    assert not database.exists()

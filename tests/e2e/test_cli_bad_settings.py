"""A setting that cannot be read is one line on stderr and exit 2, whichever command reads it:
never a traceback, and never the value typed (it could be a key)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MICRONEEDLING = str(Path(sys.executable).with_name("microneedling"))

COMMANDS = [
    ["db", "current"],
    ["db", "upgrade"],
    ["demo", "--today", "2026-12-08"],
    ["audit", "verify"],
    ["check", "--no-https"],
    ["web", "--port", "1"],
    ["serve", "--port", "1"],
    ["staff", "list", "--as", "owner@example.org"],
    ["recall", "LOT-1", "--as", "owner@example.org", "--reason", "supplier notice"],
]

#: (variable, value, what the message says, whether the value may be quoted: a key never is)
BAD_SETTINGS = [
    ("MICRONEEDLING_TRUSTED_PROXIES", "everyone", "MICRONEEDLING_TRUSTED_PROXIES", True),
    ("MICRONEEDLING_SQLITE_BUSY_TIMEOUT_MS", "soon", "MICRONEEDLING_SQLITE_BUSY_TIMEOUT_MS", True),
    ("MICRONEEDLING_AUDIT_KEY", "Xyzzy-key", "at least 32 characters", False),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize(
    ("variable", "value", "said", "quoted"), BAD_SETTINGS, ids=lambda v: str(v)[:24]
)
def test_a_bad_setting_is_one_line_and_exit_two(
    tmp_path: Path, command: list[str], variable: str, value: str, said: str, quoted: bool
) -> None:
    environment = {
        **os.environ,
        "MICRONEEDLING_DATABASE_URL": f"sqlite:///{tmp_path / 'records.db'}",
        "MICRONEEDLING_PHOTO_DIR": str(tmp_path / "photos"),
        variable: value,
    }
    done = subprocess.run(
        [MICRONEEDLING, *command],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        input="",
        timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: the settings cannot be read: ")
    assert said in done.stderr
    if not quoted:
        assert value not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1

"""`microneedling messages …` as an owner runs it: settings shown and set (with --json), a
template set from a file, previewed and reset; bad input and other roles are refused in one
line, and nothing is saved."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from microneedling.services import clinics
from microneedling.services.clock import fixed_clock
from microneedling.store import Database, PhotoFiles, UnitOfWork

MICRONEEDLING = [sys.executable, "-m", "microneedling"]


def run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MICRONEEDLING, "messages", *args],
        capture_output=True, text=True, timeout=120, cwd=folder,
        env={**os.environ, "MICRONEEDLING_DATABASE_URL": f"sqlite:///{folder / 'records.db'}"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("messages-cli")
    url = f"sqlite:///{folder / 'records.db'}"
    upgraded = subprocess.run(
        [*MICRONEEDLING, "db", "upgrade"], capture_output=True, text=True, timeout=120,
        cwd=folder, env={**os.environ, "MICRONEEDLING_DATABASE_URL": url},
    )  # fmt: skip
    assert upgraded.returncode == 0, upgraded.stderr
    database = Database(url)
    uow = UnitOfWork(database, PhotoFiles(folder / "photos"))
    clock = fixed_clock(datetime(2026, 12, 1, 9, tzinfo=UTC))
    owner = clinics.create_clinic(
        uow, slug="cli", name="CLI Clinic", time_zone="Europe/Amsterdam",
        owner={"email": "owner@cli.example", "display_name": "Owner", "role": "owner"},
        clock=clock,
    )  # fmt: skip
    clinics.add_staff_member(
        uow, owner,
        {"email": "desk@cli.example", "display_name": "Desk", "role": "front_desk"},
        clock=clock,
    )  # fmt: skip
    database.dispose()
    return folder


def test_settings_are_shown_and_set(folder: Path) -> None:
    shown = run(folder, "settings", "--as", "owner@cli.example", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["quiet_hours"] == "21:00-08:00"
    changed = run(
        folder, "settings", "--as", "owner@cli.example", "--quiet-hours", "22:00-07:00",
        "--timing", "reminder_48h=24", "--timing", "reminder_2h=", "--json",
    )  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    found = json.loads(changed.stdout)
    assert found["quiet_hours"] == "22:00-07:00"
    assert found["timings"]["reminder_48h"] == 24 and found["timings"]["reminder_2h"] is None
    text = run(folder, "settings", "--as", "owner@cli.example").stdout
    assert "First reminder (reminder_48h): 24 hours before" in text
    assert "Second reminder (reminder_2h): off" in text


def test_a_template_is_set_from_a_file_previewed_and_reset(folder: Path, tmp_path: Path) -> None:
    body = tmp_path / "body.txt"
    body.write_text("We look forward to seeing you on {{ when }}, {{ given_name }}.")
    owner = ("--as", "owner@cli.example")
    saved = run(folder, "template", "reminder_48h", *owner, "--subject",
                "{{ clinic }}: see you {{ when }}", "--body-file", str(body), "--json")  # fmt: skip
    assert saved.returncode == 0, saved.stderr
    assert json.loads(saved.stdout)["own"] is True
    shown = run(folder, "preview", "reminder_48h", *owner)
    assert "We look forward to seeing you on Tuesday 9 March 2027 at 14:30, Nguyễn." in shown.stdout
    reset = run(folder, "template", "reminder_48h", *owner, "--reset", "--json")
    assert json.loads(reset.stdout)["own"] is False


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["settings", "--as", "owner@cli.example", "--quiet-hours", "late"], "21:00-08:00"),
        (["settings", "--as", "owner@cli.example", "--timing", "reminder_48h=0"], "from 1"),
        (["settings", "--as", "owner@cli.example", "--timing", "nonsense"], "KIND=NUMBER"),
        (["settings", "--as", "desk@cli.example", "--quiet-hours", ""], "front desk"),
        (["template", "nope", "--as", "owner@cli.example"], "no kind of message"),
        (["template", "recall", "--as", "owner@cli.example", "--subject", "Hi"], "--body-file"),
        (["preview", "recall", "--as", "owner@cli.example", "--subject", "acne"], "acne"),
        (
            [
                "template",
                "recall",
                "--as",
                "owner@cli.example",
                "--subject",
                "x",
                "--body-file",
                "/nonexistent/body.txt",
            ],
            "cannot be read",
        ),
    ],
)
def test_bad_input_and_other_roles_are_refused_in_one_line(
    folder: Path, args: list[str], said: str
) -> None:
    before = run(folder, "settings", "--as", "owner@cli.example", "--json").stdout
    result = run(folder, *args)
    assert result.returncode != 0
    assert said in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert run(folder, "settings", "--as", "owner@cli.example", "--json").stdout == before

"""`microneedling reports …` on both backends: each report as text, JSON (the same as the use
case gives) and CSV; a front-desk account and a malformed day end in one line and exit 2."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.integration.conftest import World
from tests.integration.test_billing_commands import email_of
from tests.integration.test_reports import FIRST, LAST, clinic_with_history, report
from typer.testing import CliRunner

from microneedling.cli.reports import reports_app
from microneedling.services.reports import REPORTS

runner = CliRunner()


@pytest.fixture
def history(world: World, records_env: Callable[[str], None]) -> World:
    records_env(world.database.url.render_as_string(hide_password=False))
    clinic_with_history(world)
    return world


def test_each_report_as_text_json_and_csv(history: World, tmp_path: Path) -> None:
    owner = email_of(history, history.owner)
    for name in REPORTS:
        said = runner.invoke(reports_app, [name, "--as", owner, "--first", FIRST, "--last", LAST])
        assert said.exit_code == 0, said.output
        assert said.stdout.startswith(f"{REPORTS[name][0]}, {FIRST} to {LAST}")
        given = runner.invoke(
            reports_app, [name, "--as", owner, "--first", FIRST, "--last", LAST, "--json"]
        )
        assert given.exit_code == 0, given.output
        assert json.loads(given.stdout) == report(history, name)
    sheet = tmp_path / "revenue.csv"
    written = runner.invoke(reports_app, ["revenue", "--as", owner, "--first", FIRST,
                                          "--last", LAST, "--csv", str(sheet)])  # fmt: skip
    assert written.exit_code == 0, written.output
    rows = list(csv.reader(sheet.read_text(encoding="utf-8").splitlines()))
    assert ["totals invoiced", "750.00"] in rows
    assert ["3 sessions face", "600.00"] in rows


def test_front_desk_and_malformed_days_are_refused_in_one_line(history: World) -> None:
    desk = email_of(history, history.front_desk)
    owner = email_of(history, history.owner)
    refused = runner.invoke(reports_app, ["revenue", "--as", desk, "--first", FIRST,
                                          "--last", LAST])  # fmt: skip
    assert refused.exit_code == 2 and "owners" in refused.stderr
    for first in ("2026-02-30", "yesterday", "2026-11-01T00:00"):
        bad = runner.invoke(reports_app, ["safety", "--as", owner, "--first", first,
                                          "--last", LAST])  # fmt: skip
        assert bad.exit_code == 2 and "Traceback" not in bad.output
        assert len(bad.stderr.strip().splitlines()) == 1

"""`microneedling simulate inflammation | response | compare` through the Typer app (in process)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from microneedling.cli.main import app


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["simulate", *args])


def run_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def write_plan(folder: Path, name: str, dates: list[str], depth: float = 1.5) -> Path:
    plan = {
        "series": [
            {
                "concerns": ["acne_scars"],
                "zones": [
                    {
                        "zone": "cheeks",
                        "concern": "acne_scars",
                        "depth_mm": {"min": 1.0, "max": 1.5, "start": depth},
                    }
                ],
                "sessions": len(dates),
                "interval_weeks": {"min": 4, "max": 6, "default": 4},
                "dates": dates,
            }
        ],
        "maintenance": {"every_months": 6, "first_date": "2027-09-01"},
    }
    path = folder / name
    path.write_text(json.dumps(plan))
    return path


FOUR_WEEKLY = ["2026-12-07", "2027-01-04", "2027-02-01", "2027-03-01"]
SIX_WEEKLY = ["2026-12-07", "2027-01-18", "2027-03-01", "2027-04-12"]


@pytest.mark.parametrize("reading", ["E", "N", "n"])
def test_inflammation_json_has_the_series_and_the_peaks(reading: str) -> None:
    data = run_json("inflammation", "--days", "14", "--reading", reading)
    for key in ("day", "neutrophils", "macrophages", "pathogen", "debris", "peaks"):
        assert key in data
    assert data["day"][0] == 0 and data["day"][-1] == 14
    assert len(data["neutrophils"]) == len(data["day"]) == 57  # every 0.25 day
    peaks = data["peaks"]
    assert 0.75 <= peaks["neutrophils"]["day"] <= 0.86
    assert 4.1 <= peaks["macrophages"]["day"] <= 4.4
    assert peaks["macrophages_below_10pct_day"] < 14
    assert data["reading"] == reading.upper()


def test_inflammation_writes_a_plot(tmp_path: Path) -> None:
    target = tmp_path / "inflammation.svg"
    result = run("inflammation", "--days", "10", "--plot", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_text().lstrip().startswith("<?xml")
    assert "neutrophils peak" in result.stdout


def test_response_json_projects_the_plan_from_its_first_session(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, "plan.json", FOUR_WEEKLY)
    data = run_json("response", str(plan))
    assert data["day"][0] == 0 and len(data["collagen_pct_change"]) == len(data["day"])
    assert data["horizon_days"] == 84 + 365
    assert data["collagen_pct_change"][data["peak_day"]] == data["peak_pct"] > 0
    assert [s["day"] for s in data["sessions"]] == [0, 28, 56, 84]
    assert [s["date"] for s in data["sessions"]] == FOUR_WEEKLY
    assert all(s["dose"] == 1.0 for s in data["sessions"])
    assert data["pct_at_6_months"] is not None and data["pct_at_12_months"] is not None
    assert any("(assumption)" in line for line in data["warnings"])


def test_response_accepts_a_horizon_and_writes_a_png(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, "plan.json", FOUR_WEEKLY, depth=1.0)
    target = tmp_path / "response.png"
    data = run_json("response", str(plan), "--days", "200", "--plot", str(target))
    assert data["horizon_days"] == 200 and data["pct_at_12_months"] is None
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_response_prints_a_table_without_json(tmp_path: Path) -> None:
    result = run("response", str(write_plan(tmp_path, "plan.json", FOUR_WEEKLY)))
    assert result.exit_code == 0, result.output
    assert "peak" in result.stdout and "2027-01-04" in result.stdout


def test_compare_reports_each_plan_side_by_side(tmp_path: Path) -> None:
    four = write_plan(tmp_path, "four.json", FOUR_WEEKLY)
    six = write_plan(tmp_path, "six.json", SIX_WEEKLY)
    target = tmp_path / "compare.svg"
    data = run_json("compare", str(four), str(six), "--plot", str(target))
    assert target.exists()
    labels = [row["label"] for row in data["plans"]]
    assert labels == ["four.json", "six.json"]
    for row in data["plans"]:
        assert len(row["collagen_pct_change"]) == len(data["day"])
        for key in ("peak_pct", "peak_day", "pct_at_6_months", "pct_at_12_months"):
            assert row[key] is not None
    four_row, six_row = data["plans"]
    assert four_row["peak_day"] < six_row["peak_day"]
    text = run("compare", str(four), str(six))
    assert text.exit_code == 0 and "four.json" in text.stdout


def _bad(tmp_path: Path) -> dict[str, list[str]]:
    plan = write_plan(tmp_path, "plan.json", FOUR_WEEKLY)
    not_json = tmp_path / "broken.json"
    not_json.write_text("{not json")
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (5 * 1024 * 1024 + 1))
    not_plan = tmp_path / "other.json"
    not_plan.write_text(json.dumps({"patient": "x"}))
    bad_date = write_plan(tmp_path, "bad_date.json", ["2026-13-01"])
    return {
        "missing file": ["response", str(tmp_path / "none.json")],
        "not json": ["response", str(not_json)],
        "oversized": ["response", str(big)],
        "not a plan": ["response", str(not_plan)],
        "bad date": ["response", str(bad_date)],
        "negative days": ["response", str(plan), "--days", "-5"],
        "too many days": ["response", str(plan), "--days", "4000"],
        "horizon before last session": ["response", str(plan), "--days", "30"],
        "bad plot suffix": ["response", str(plan), "--plot", str(tmp_path / "x.pdf")],
        "inflammation negative days": ["inflammation", "--days", "-1"],
        "inflammation zero days": ["inflammation", "--days", "0"],
        "inflammation too many days": ["inflammation", "--days", "3651"],
        "unknown reading": ["inflammation", "--reading", "X"],
        "compare one plan": ["compare", str(plan)],
        "compare with a broken plan": ["compare", str(plan), str(not_plan)],
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing file",
        "not json",
        "oversized",
        "not a plan",
        "bad date",
        "negative days",
        "too many days",
        "horizon before last session",
        "bad plot suffix",
        "inflammation negative days",
        "inflammation zero days",
        "inflammation too many days",
        "unknown reading",
        "compare one plan",
        "compare with a broken plan",
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(tmp_path: Path, case: str) -> None:
    result = run(*_bad(tmp_path)[case])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output

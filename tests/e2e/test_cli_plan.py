"""`microneedling plan` as a user runs it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import run_cli

PLAN_KEYS = {"series", "maintenance", "precare", "aftercare", "expected", "combinations",
             "warnings", "quote", "knowledge_base"}  # fmt: skip

EXAMPLE = {
    "on": "2026-12-01", "setting": "professional", "fitzpatrick": 3, "start": "2026-12-07",
    "treatments": [{"zone": "cheeks", "concern": "acne_scars", "subtype": "rolling"},
                   {"zone": "forehead", "concern": "fine_lines"}],
    "add_ons": ["prp"], "surgery_on": None, "screening": None, "acknowledged_caution": False,
}  # fmt: skip


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


def write(tmp_path: Path, data: Any, name: str = "request.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_the_issue_example_plans_with_the_contract_keys(tmp_path: Path) -> None:
    result = run("plan", write(tmp_path, EXAMPLE), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= PLAN_KEYS
    [series] = data["series"]
    assert set(series) == {"concerns", "zones", "sessions", "interval_weeks", "dates"}
    assert set(series["zones"][0]) >= {"zone", "concern", "depth_mm"}
    assert set(series["zones"][0]["depth_mm"]) == {"min", "max", "start"}
    assert set(data["maintenance"]) >= {"every_months", "first_date"}
    assert data["quote"] is None
    assert {"date", "instruction", "sources"} <= set(data["precare"][0])
    assert "day" in data["precare"][0]
    assert all(("day" in e) != ("hours" in e) for e in data["aftercare"])
    assert set(data["expected"][0]) >= {"event", "date_from", "date_to", "sources"}
    assert all(set(w) == {"code", "message", "sources"} for w in data["warnings"])


def test_quote_with_the_demo_price_list(tmp_path: Path) -> None:
    data = json.loads(
        run("plan", write(tmp_path, EXAMPLE), "--json", "--price-list", "demo").stdout
    )
    quote = data["quote"]
    assert quote["currency"] == "EUR"
    # (cheeks 220 + forehead 150 + PRP 250) x 4 sessions, less 10 %
    assert quote["total"] == "2232.00"


def test_readable_plan_and_demo() -> None:
    result = run("plan", "--demo")
    assert result.returncode == 0
    assert "Series 1" in result.stdout and "Maintenance" in result.stdout


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"setting": "home"}, "needs a professional"),
        ({"treatments": [{"zone": "cheeks", "concern": "alopecia"}]}, "applies to scalp only"),
        ({"screening": {"decision": "not_eligible"}}, "not_eligible"),
        ({"screening": {"decision": "caution", "earliest_date": "2026-12-01"}}, "acknowledge"),
        ({"treatments": []}, "treatments"),
        ({"fitzpatrick": 8}, "fitzpatrick"),
        ({"treatments": [{"zone": "elbow", "concern": "fine_lines"}]}, "unknown zone 'elbow'"),
        ({"treatments": [{"zone": "cheeks", "concern": "tattoo"}]}, "unknown concern 'tattoo'"),
        ({"start": "next week"}, "start"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_refusals_exit_two_with_one_line(
    tmp_path: Path, change: dict[str, Any], words: str
) -> None:
    result = run("plan", write(tmp_path, {**EXAMPLE, **change}), "--json")
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr


def test_a_bad_price_list_exits_two(tmp_path: Path) -> None:
    prices = write(tmp_path, {"currency": "euros", "per_session": {}, "zone_sizes": {}}, "p.json")
    result = run("plan", write(tmp_path, EXAMPLE), "--price-list", prices)
    assert result.returncode == 2 and "price_list.currency" in result.stderr


def test_a_plan_from_a_screening_result_file(tmp_path: Path) -> None:
    intake = {
        "on": "2026-12-01", "patient": {"birth_date": "1990-01-01", "fitzpatrick": 2},
        "zones": ["forehead"], "medications": [{"code": "topical_retinoid", "stopped_on": "2026-11-28"}],
    }  # fmt: skip
    screening = json.loads(run("screen", write(tmp_path, intake, "intake.json"), "--json").stdout)
    # Policy 2: the plan's Fitzpatrick type must be the screening's (2).
    request = {**EXAMPLE, "treatments": [{"zone": "forehead", "concern": "fine_lines"}],
               "fitzpatrick": 2, "start": "2026-12-01", "screening": screening}  # fmt: skip
    data = json.loads(run("plan", write(tmp_path, request), "--json").stdout)
    assert data["series"][0]["dates"][0] == "2026-12-05"


def test_science_adds_channels_absorption_and_collagen(tmp_path: Path) -> None:
    plot = tmp_path / "collagen.svg"
    result = run("plan", write(tmp_path, EXAMPLE), "--json", "--science", "--plot", str(plot))
    assert result.returncode == 0, result.stderr
    science = json.loads(result.stdout)["science"]
    cheeks = next(z for z in science["zones"] if z["zone"] == "cheeks")
    assert cheeks["punctures_per_cm2"] == 250 and cheeks["effective_depth_mm"] == 0.625
    assert cheeks["layer"] == "reticular_dermis"
    window = science["absorption_window"]
    assert window["not_occluded"]["safety_h"] >= 24  # ties to the product check's sterile-only 24 h
    collagen = science["collagen"]
    assert collagen["peak_pct"] > 0 and len(collagen["sessions"]) == 4
    assert len(collagen["day"]) == len(collagen["collagen_pct_change"])
    assert plot.read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_science_summary_is_readable() -> None:
    result = run("plan", "--demo", "--science")
    assert result.returncode == 0
    assert "Full effect (mature collagen" in result.stdout
    assert "Total collagen (types I and III; not the full effect)" in result.stdout
    assert "Topicals reach viable tissue" in result.stdout


def test_plot_must_be_svg_or_png(tmp_path: Path) -> None:
    result = run("plan", "--demo", "--plot", str(tmp_path / "plot.gif"))
    assert result.returncode == 2 and ".svg or .png" in result.stderr


def test_handout_and_plot_say_where_they_were_written(tmp_path: Path) -> None:
    handout, plot = tmp_path / "handout.html", tmp_path / "collagen.svg"
    result = run(
        "plan", "--demo", "--json", "--handout", str(handout), "--plot", str(plot),
        "--printed-on", "2026-11-25",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)  # the paths are said on stderr: stdout stays one JSON document
    assert f"Handout written to {handout.resolve()}" in result.stderr
    assert f"Plot written to {plot.resolve()}" in result.stderr
    assert handout.is_file() and plot.is_file()

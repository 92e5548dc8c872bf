"""From a treatment plan's JSON to Model 3's inputs, and the reports built from its result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from microneedling.errors import InputFileError, UserError
from microneedling.services.plan_response import (
    MAX_PLAN_BYTES,
    compare_report,
    default_horizon,
    plan_simulation_input,
    project_plan,
    project_plans,
    read_plan_file,
    response_report,
)
from microneedling.simulation.collagen import needle_dose
from microneedling.simulation.skin import layer_stack


def full_plan() -> dict[str, Any]:
    """The shape `microneedling plan --json` prints (keys this module ignores included)."""
    return {
        "plan_version": 1,
        "series": [
            {
                "concerns": ["acne_scars"],
                "zones": [
                    {
                        "zone": "cheeks",
                        "concern": "acne_scars",
                        "depth_mm": {"min": 1.0, "max": 1.5, "start": 1.25},
                    },
                    {
                        "zone": "forehead",
                        "concern": "fine_lines",
                        "depth_mm": {"min": 0.5, "max": 1.0, "start": 0.75},
                    },
                ],
                "sessions": 3,
                "interval_weeks": {"min": 4, "max": 6, "default": 4},
                "dates": ["2026-12-07", "2027-01-04", "2027-02-01"],
            },
            {
                "concerns": ["texture"],
                "zones": [{"zone": "neck", "depth_mm": {"min": 0.5, "max": 1.5, "start": 1.5}}],
                "sessions": 2,
                "dates": ["2027-01-04", "2027-03-01"],
            },
        ],
        "maintenance": {"every_months": 6, "first_date": "2027-09-01"},
        "care": ["ignored"],
    }


def test_sessions_merge_the_dates_of_every_series_with_day_0_at_the_first() -> None:
    plan_input = plan_simulation_input(full_plan())
    assert plan_input.first_date.isoformat() == "2026-12-07"
    assert plan_input.session_days == [0, 28, 56, 84]
    assert [s.date.isoformat() for s in plan_input.sessions] == [
        "2026-12-07",
        "2027-01-04",
        "2027-02-01",
        "2027-03-01",
    ]


def zone_dose(zone: str, depth_mm: float) -> float:
    stack = layer_stack(zone)
    return needle_dose(
        depth_mm,
        stratum_corneum_um=stack.stratum_corneum.point_um,
        viable_epidermis_um=stack.viable_epidermis.point_um,
    )


def test_each_session_takes_the_strongest_dose_among_its_zones_with_their_own_layers() -> None:
    sessions = plan_simulation_input(full_plan()).sessions
    assert [s.depth_mm for s in sessions] == [1.25, 1.5, 1.25, 1.5]
    assert sessions[0].dose == pytest.approx(zone_dose("cheeks", 1.25))
    # neck at 1.5 mm through the body epidermis (99.75 µm), thicker than the cheek's
    assert sessions[1].dose == pytest.approx(max(zone_dose("cheeks", 1.25), zone_dose("neck", 1.5)))
    assert sessions[1].dose < 1.0  # the reference is 1.5 mm through the cheek's epidermis
    assert sessions[1].zones == ("cheeks", "forehead", "neck")


def test_a_zone_the_layer_table_does_not_know_uses_the_reference_layers() -> None:
    plan = {"series": [{"dates": ["2026-01-05"], "zones": [{"zone": "elbow", "depth_mm": 1.5}]}]}
    assert plan_simulation_input(plan).sessions[0].dose == pytest.approx(1.0)


def test_a_minimal_plan_with_plain_depths_is_accepted() -> None:
    plan = {"series": [{"dates": ["2026-01-05", "2026-02-02"], "zones": [{"depth_mm": 1.0}]}]}
    plan_input = plan_simulation_input(plan)
    assert plan_input.session_days == [0, 28]
    assert plan_input.doses == [pytest.approx(needle_dose(1.0))] * 2


def test_a_depth_object_without_start_uses_its_maximum() -> None:
    plan = {"series": [{"dates": ["2026-01-05"], "zones": [{"depth_mm": {"min": 0.5, "max": 1}}]}]}
    assert plan_simulation_input(plan).sessions[0].depth_mm == 1.0


@pytest.mark.parametrize(
    ("plan", "field", "words"),
    [
        ([1, 2], "plan", "not a treatment plan"),
        ({"patient": "x"}, "series", "not a treatment plan"),
        ({"series": []}, "series", "non-empty"),
        ({"series": ["x"]}, "series[0]", "object"),
        ({"series": [{"dates": ["2026-01-05"]}]}, "series[0].zones", "zones"),
        ({"series": [{"dates": [], "zones": [{"depth_mm": 1}]}]}, "series[0].dates", "dates"),
        (
            {"series": [{"dates": ["05/01/2026"], "zones": [{"depth_mm": 1}]}]},
            "series[0].dates[0]",
            "YYYY-MM-DD",
        ),
        (
            {"series": [{"dates": ["2026-02-30"], "zones": [{"depth_mm": 1}]}]},
            "series[0].dates[0]",
            "calendar date",
        ),
        (
            {"series": [{"dates": ["2026-01-05"], "zones": [{"zone": "cheeks"}]}]},
            "series[0].zones[0].depth_mm",
            "missing",
        ),
        (
            {"series": [{"dates": ["2026-01-05"], "zones": [{"depth_mm": "deep"}]}]},
            "series[0].zones[0].depth_mm",
            "number",
        ),
        (
            {"series": [{"dates": ["2026-01-05"], "zones": [{"depth_mm": {"start": -1}}]}]},
            "series[0].zones[0].depth_mm.start",
            "outside",
        ),
        (
            {"series": [{"dates": ["2026-01-05"], "zones": [{"depth_mm": {"min": 1}}]}]},
            "series[0].zones[0].depth_mm",
            "start",
        ),
        (
            {"series": [{"dates": ["2010-01-05", "2026-01-05"], "zones": [{"depth_mm": 1}]}]},
            "series",
            "span",
        ),
    ],
)
def test_malformed_plans_name_the_field(plan: Any, field: str, words: str) -> None:
    with pytest.raises(UserError) as caught:
        plan_simulation_input(plan)
    assert caught.value.field == field
    assert words in str(caught.value)


def test_reading_a_plan_file_refuses_missing_oversized_and_non_json_files(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="does not exist"):
        read_plan_file(tmp_path / "none.json")
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (MAX_PLAN_BYTES + 1))
    with pytest.raises(InputFileError, match="5 MB"):
        read_plan_file(big)
    broken = tmp_path / "broken.json"
    broken.write_text("{series: [")
    with pytest.raises(InputFileError, match="not JSON"):
        read_plan_file(broken)
    good = tmp_path / "plan.json"
    good.write_text(json.dumps(full_plan()))
    assert read_plan_file(good)["series"][0]["sessions"] == 3


def test_default_horizon_is_a_year_after_the_last_session() -> None:
    plan_input = plan_simulation_input(full_plan())
    assert default_horizon(plan_input) == 84 + 365


def test_response_report_has_the_contract_keys() -> None:
    report = response_report(project_plan(full_plan()))
    assert report["day"][0] == 0 and report["day"][-1] == report["horizon_days"] == 449
    assert len(report["collagen_pct_change"]) == 450
    assert report["collagen_pct_change"][report["peak_day"]] == report["peak_pct"]
    assert report["peak_pct"] > 0 and report["pct_at_6_months"] > report["pct_at_12_months"] > 0
    assert [s["date"] for s in report["sessions"]][:2] == ["2026-12-07", "2027-01-04"]
    assert report["sessions"][1]["dose"] == round(zone_dose("neck", 1.5), 4)
    assert report["sessions"][1]["day"] == 28
    assert report["method"] == "fast"
    assert any(w.startswith("collagen.synthesis_gain") for w in report["warnings"])
    assert any("(assumption)" in w for w in report["warnings"])
    json.dumps(report)  # JSON-ready


def test_a_horizon_before_the_last_session_is_refused() -> None:
    with pytest.raises(UserError, match="after the horizon") as caught:
        project_plan(full_plan(), horizon_days=50)
    assert caught.value.field == "days"
    with pytest.raises(UserError, match="at most 3650"):
        project_plan(full_plan(), horizon_days=4000)


def test_compare_puts_plans_on_one_horizon_with_their_own_day_0() -> None:
    four = {
        "series": [
            {"dates": ["2026-01-05", "2026-02-02", "2026-03-02"], "zones": [{"depth_mm": 1.5}]}
        ]
    }
    six = {
        "series": [
            {"dates": ["2026-06-01", "2026-07-13", "2026-08-24"], "zones": [{"depth_mm": 1.5}]}
        ]
    }
    report = compare_report(project_plans([("four", four), ("six", six)]))
    assert report["horizon_days"] == 84 + 365
    rows = {row["label"]: row for row in report["plans"]}
    assert rows["four"]["session_days"] == [0, 28, 56]
    assert rows["six"]["session_days"] == [0, 42, 84]
    assert rows["four"]["peak_day"] < rows["six"]["peak_day"]
    for row in rows.values():
        assert len(row["collagen_pct_change"]) == report["horizon_days"] + 1
        assert row["pct_at_6_months"] is not None and row["pct_at_12_months"] is not None


def test_compare_names_the_plan_that_is_malformed() -> None:
    with pytest.raises(UserError, match=r"b\.json"):
        project_plans([("a.json", full_plan()), ("b.json", {"x": 1})])

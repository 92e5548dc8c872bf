"""REFERENCE.md A.3 as spec tests: the depth table by zone, the concern table, and the rules."""

from __future__ import annotations

from typing import Any

import pytest

from microneedling.clinical.planning import parse_plan_request, plan
from microneedling.errors import PlanRequestError
from microneedling.knowledge import shipped_knowledge_base

KB = shipped_knowledge_base()


def request(*treatments: tuple[str, str], **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "on": "2026-12-01",
        "setting": "professional",
        "fitzpatrick": 3,
        "start": "2026-12-07",
        "treatments": [{"zone": zone, "concern": concern} for zone, concern in treatments],
    }
    data.update(overrides)
    return data


def planned(*treatments: tuple[str, str], **overrides: Any) -> dict[str, Any]:
    return plan(parse_plan_request(request(*treatments, **overrides)), KB)


def zone_depth(result: dict[str, Any], zone: str) -> dict[str, float]:
    for series in result["series"]:
        for entry in series["zones"]:
            if entry["zone"] == zone:
                return dict(entry["depth_mm"])
    raise AssertionError(zone)


def warning_codes(result: dict[str, Any]) -> list[str]:
    return [w["code"] for w in result["warnings"]]


# Depth by zone: rejuvenation range (start = middle; low end for Fitzpatrick 4-6) ------------

ZONE_TABLE = [
    ("forehead", 0.25, 0.5), ("glabella", 0.25, 0.5), ("nose", 0.25, 0.5), ("perioral", 0.25, 0.5),
    ("periorbital", 0.25, 0.3),
    ("cheeks", 0.5, 1.0), ("chin", 0.5, 1.0), ("jawline", 0.5, 1.0),
    ("neck", 0.25, 0.5), ("decolletage", 0.25, 0.5), ("hands", 0.25, 0.5),
    ("arms", 0.5, 1.5), ("abdomen", 0.5, 1.5), ("back", 0.5, 1.5), ("buttocks", 0.5, 1.5),
    ("thighs", 0.5, 1.5),
]  # fmt: skip


@pytest.mark.parametrize(("zone", "low", "high"), ZONE_TABLE)
def test_rejuvenation_uses_the_zone_range_and_starts_in_the_middle(
    zone: str, low: float, high: float
) -> None:
    result = planned((zone, "fine_lines"))
    depth = zone_depth(result, zone)
    assert (depth["min"], depth["max"]) == (low, high)
    [entry] = [z for s in result["series"] for z in s["zones"] if z["zone"] == zone]
    assert entry["policy_start_mm"] == pytest.approx((low + high) / 2)
    # Policy 2: the start as the default pen (0.25 mm steps) makes it, rounded down.
    assert depth["start"] == pytest.approx(max(low, (low + high) / 2 // 0.25 * 0.25))


@pytest.mark.parametrize(("zone", "low", "high"), ZONE_TABLE)
def test_fitzpatrick_4_to_6_starts_at_the_low_end(zone: str, low: float, high: float) -> None:
    for fitzpatrick in (4, 5, 6):
        depth = zone_depth(planned((zone, "texture"), fitzpatrick=fitzpatrick), zone)
        assert depth["start"] == low


ZONE_CAPS = [
    ("forehead", 1.0), ("glabella", 1.0), ("nose", 1.0), ("perioral", 1.0), ("periorbital", 0.3),
    ("cheeks", 2.0), ("chin", 2.0), ("jawline", 2.0), ("neck", 1.0), ("decolletage", 1.0),
    ("hands", 1.0), ("arms", 2.5), ("abdomen", 2.5), ("back", 2.5), ("buttocks", 2.5),
    ("thighs", 2.5),
]  # fmt: skip


@pytest.mark.parametrize(("zone", "cap"), ZONE_CAPS)
def test_scar_ranges_are_capped_at_both_ends_by_the_zone_cap(zone: str, cap: float) -> None:
    depth = zone_depth(planned((zone, "burn_scars")), zone)  # concern range 1.5-2.0
    assert depth["min"] == min(1.5, cap)
    assert depth["max"] == min(2.0, cap)
    if cap < 2.0:
        assert "depth_capped" in warning_codes(planned((zone, "burn_scars")))


def test_scalp_cap_bounds_alopecia() -> None:
    depth = zone_depth(planned(("scalp", "alopecia")), "scalp")
    assert (depth["min"], depth["max"]) == (0.5, 1.5)


# The concern table -------------------------------------------------------------------------

CONCERN_TABLE = [
    # concern, zone, depth min, max, sessions, interval (min, max, default)
    ("fine_lines", "cheeks", 0.5, 1.0, 4, (4, 6, 4)),
    ("wrinkles", "cheeks", 0.5, 1.0, 4, (4, 6, 4)),
    ("texture", "cheeks", 0.5, 1.0, 4, (4, 6, 4)),
    ("enlarged_pores", "nose", 0.25, 0.5, 4, (4, 6, 4)),
    ("uneven_tone", "forehead", 0.25, 0.5, 4, (4, 6, 4)),
    ("skin_laxity", "neck", 0.25, 0.5, 4, (4, 6, 4)),
    ("hyperpigmentation", "cheeks", 0.5, 1.5, 3, (4, 4, 4)),
    ("hyperpigmentation", "forehead", 0.25, 0.5, 3, (4, 4, 4)),
    ("acne_scars", "cheeks", 1.0, 1.5, 3, (4, 6, 4)),
    ("surgical_scars", "abdomen", 1.0, 1.5, 3, (4, 6, 4)),
    ("burn_scars", "arms", 1.5, 2.0, 4, (4, 8, 6)),
    ("stretch_marks", "thighs", 1.5, 2.0, 5, (4, 6, 4)),
    ("alopecia", "scalp", 0.5, 1.5, 6, (1, 2, 2)),
]


@pytest.mark.parametrize(("concern", "zone", "low", "high", "sessions", "interval"), CONCERN_TABLE)
def test_concern_table_row(
    concern: str, zone: str, low: float, high: float, sessions: int, interval: tuple[int, int, int]
) -> None:
    result = planned((zone, concern), surgery_on="2026-01-01")
    [series] = result["series"]
    depth = zone_depth(result, zone)
    assert (depth["min"], depth["max"]) == (low, high)
    assert series["sessions"] == sessions
    assert series["interval_weeks"] == dict(zip(("min", "max", "default"), interval, strict=True))
    assert len(series["dates"]) == sessions


def test_alopecia_starts_at_0_6_or_0_5_for_fitzpatrick_4_to_6() -> None:
    # 0.6 mm is the policy's start; the default pen (0.25 mm steps) sets 0.5 (rounded down).
    result = planned(("scalp", "alopecia"))
    assert result["series"][0]["zones"][0]["policy_start_mm"] == 0.6
    assert zone_depth(result, "scalp")["start"] == 0.5
    assert zone_depth(planned(("scalp", "alopecia"), fitzpatrick=5), "scalp")["start"] == 0.5


def test_product_absorption_is_home_only_with_no_series() -> None:
    result = planned(("forehead", "product_absorption"), setting="home")
    [series] = result["series"]
    assert series["sessions"] is None and series["dates"] == []
    # The home roller has one fixed length (0.3 mm), inside the range 0.2-0.3.
    assert zone_depth(result, "forehead") == {"min": 0.2, "max": 0.3, "start": 0.3}
    assert result["series"][0]["zones"][0]["policy_start_mm"] == 0.25
    with pytest.raises(PlanRequestError, match="home use only"):
        planned(("forehead", "product_absorption"))


# Rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "concern", "words"),
    [
        ("cheeks", "alopecia", "applies to scalp only"),
        ("scalp", "fine_lines", "takes only alopecia"),
        ("scalp", "acne_scars", "takes only alopecia"),
    ],
)
def test_where_a_concern_applies(zone: str, concern: str, words: str) -> None:
    with pytest.raises(PlanRequestError, match=words):
        planned((zone, concern))


@pytest.mark.parametrize(
    "concern", ["acne_scars", "surgical_scars", "burn_scars", "stretch_marks", "hyperpigmentation"]
)
def test_home_setting_refuses_concerns_that_need_a_professional(concern: str) -> None:
    with pytest.raises(PlanRequestError, match="needs a professional"):
        planned(("abdomen", concern), setting="home", surgery_on="2026-01-01")


def test_home_alopecia_needs_a_professional() -> None:
    with pytest.raises(PlanRequestError, match="needs a professional"):
        planned(("scalp", "alopecia"), setting="home")


@pytest.mark.parametrize(("zone", "low", "high"), ZONE_TABLE)
def test_home_rejuvenation_is_at_most_0_3_mm(zone: str, low: float, high: float) -> None:
    result = planned((zone, "fine_lines"), setting="home")
    depth = zone_depth(result, zone)
    assert depth["max"] <= 0.3 and depth["min"] <= depth["start"] <= depth["max"]
    assert depth["min"] == min(low, 0.3)


def test_face_depth_above_1_5_warns() -> None:
    result = planned(("cheeks", "burn_scars"))
    assert "face_depth_above_1_5" in warning_codes(result)
    assert "face_depth_above_1_5" not in warning_codes(planned(("cheeks", "acne_scars")))
    assert "face_depth_above_1_5" not in warning_codes(planned(("thighs", "burn_scars")))


def test_icepick_scars_warn_of_limited_response() -> None:
    data = request(("cheeks", "acne_scars"))
    data["treatments"][0]["subtype"] = "icepick"
    result = plan(parse_plan_request(data), KB)
    [warning] = [w for w in result["warnings"] if w["code"] == "icepick_limited_response"]
    assert warning["sources"] == ["S-LOTFI2013"]


def test_several_concerns_take_the_largest_default_and_the_overlap() -> None:
    # acne scars 3 (4-6, 4) + burn scars 4 (4-8, 6) -> 4 sessions, 4-6 weeks, default 6
    result = planned(("cheeks", "acne_scars"), ("arms", "burn_scars"))
    [series] = result["series"]
    assert series["sessions"] == 4
    assert series["interval_weeks"] == {"min": 4, "max": 6, "default": 6}
    assert series["dates"] == ["2026-12-07", "2027-01-18", "2027-03-01", "2027-04-12"]


def test_default_is_clamped_into_the_overlap() -> None:
    # hyperpigmentation 4-4 + burn scars default 6 -> default clamped to 4
    result = planned(("cheeks", "hyperpigmentation"), ("arms", "burn_scars"))
    [series] = result["series"]
    assert series["interval_weeks"] == {"min": 4, "max": 4, "default": 4}


def test_intervals_that_do_not_overlap_split_the_plan_into_series() -> None:
    result = planned(("scalp", "alopecia"), ("cheeks", "fine_lines"))
    assert [s["concerns"] for s in result["series"]] == [["alopecia"], ["fine_lines"]]
    assert "series_split" in warning_codes(result)
    alopecia, rejuvenation = result["series"]
    assert alopecia["dates"][:3] == ["2026-12-07", "2026-12-21", "2027-01-04"]
    assert rejuvenation["dates"][0] == "2026-12-07"


def test_sessions_follow_the_default_interval_from_the_start_date() -> None:
    [series] = planned(("forehead", "fine_lines"))["series"]
    assert series["dates"] == ["2026-12-07", "2027-01-04", "2027-02-01", "2027-03-01"]


def test_without_a_start_date_the_first_session_is_the_planning_date() -> None:
    [series] = planned(("forehead", "fine_lines"), start=None)["series"]
    assert series["dates"][0] == "2026-12-01"


def test_surgical_scars_start_no_earlier_than_six_weeks_after_surgery() -> None:
    result = planned(("abdomen", "surgical_scars"), surgery_on="2026-11-20")
    assert result["series"][0]["dates"][0] == "2027-01-01"
    assert "start_moved" in warning_codes(result)
    later = planned(("abdomen", "surgical_scars"), surgery_on="2026-10-26")  # + 6 weeks = 12-07
    assert later["series"][0]["dates"][0] == "2026-12-07"
    assert "start_moved" not in warning_codes(later)


def test_surgical_scars_need_the_surgery_date() -> None:
    with pytest.raises(PlanRequestError, match="surgery_on"):
        planned(("abdomen", "surgical_scars"))


def test_stretch_marks_five_sessions_push_maintenance_past_twelve_months() -> None:
    result = planned(("thighs", "stretch_marks"))
    [series] = result["series"]
    assert len(series["dates"]) == 5
    # 5 sessions from 2026-12-07: the 6th may come 12 months after the first
    assert result["maintenance"]["first_date"] == "2027-12-07"
    assert "session_limit_per_12_months" in warning_codes(result)


def test_burn_scars_four_sessions_keep_maintenance_at_six_months() -> None:
    result = planned(("arms", "burn_scars"))
    last = result["series"][0]["dates"][-1]
    assert last == "2027-04-12"
    # 6 months after the last is within 12 months of the 1st, but only the 5th session: allowed
    assert result["maintenance"]["first_date"] == "2027-10-12"


def test_maintenance_every_six_months_after_the_series() -> None:
    result = planned(("forehead", "fine_lines"))
    assert result["maintenance"]["every_months"] == 6
    assert result["maintenance"]["first_date"] == "2027-09-01"


def test_expected_timeline_has_dates() -> None:
    result = planned(("forehead", "fine_lines"))
    events = {(e["event"], e["date_from"]): e for e in result["expected"]}
    assert events[("redness_and_swelling", "2026-12-07")]["date_to"] == "2026-12-10"
    assert events[("glow", "2026-12-07")]["date_to"] == "2026-12-21"
    assert events[("full_effect", "2027-04-12")]["date_to"] == "2027-04-26"  # 6-8 weeks after last
    assert events[("judge_results", "2027-06-01")]["sources"] == ["S-MINUTILLI2024"]


def test_combinations_with_dates() -> None:
    result = planned(("cheeks", "hyperpigmentation"), add_ons=["prp", "chemical_peel"])
    by_code = {c["code"]: c for c in result["combinations"]}
    assert by_code["prp"]["requested"] and by_code["prp"]["dates"][0] == "2026-12-07"
    # Policy 2: halfway between sessions 4 weeks apart (14 days each side), 21 days after the last.
    assert by_code["chemical_peel"]["dates"] == ["2026-12-21", "2027-01-18", "2027-02-22"]
    assert by_code["laser_or_injectables"]["avoid"][0] == {"from": "2026-11-24", "to": "2026-12-20"}
    assert by_code["tranexamic_acid"]["sources"] == ["S-BUDAMAKUNTLA2013"]
    assert "minoxidil" not in by_code
    assert by_code["prp"]["sources"] == ["S-KANG2022"]


def test_an_add_on_for_another_concern_warns() -> None:
    result = planned(("cheeks", "fine_lines"), add_ons=["minoxidil"])
    assert "add_on_not_indicated" in warning_codes(result)


def test_unknown_add_on_is_refused() -> None:
    with pytest.raises(PlanRequestError, match="unknown add-on 'botox'"):
        planned(("cheeks", "fine_lines"), add_ons=["botox"])


def test_zone_groups_expand() -> None:
    result = planned(("face", "fine_lines"))
    zones = [z["zone"] for z in result["series"][0]["zones"]]
    assert zones == list(KB.group_members["face"])


# Screening in a plan ------------------------------------------------------------------------


def screening(decision: str, earliest: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "decision": decision,
        "earliest_date": earliest,
        "findings": [],
        "precautions": [],
        "zones": ["face", "neck"],
        "fitzpatrick": 3,
        "on": "2026-12-01",
        **extra,
    }


def test_defer_moves_the_first_date_to_the_earliest_date() -> None:
    result = planned(("forehead", "fine_lines"), screening=screening("defer", "2026-12-20"))
    assert result["series"][0]["dates"][0] == "2026-12-20"
    assert "start_moved" in warning_codes(result)


def test_defer_without_a_date_is_refused() -> None:
    with pytest.raises(PlanRequestError, match="no known date"):
        planned(("forehead", "fine_lines"), screening=screening("defer"))


def test_not_eligible_is_refused() -> None:
    with pytest.raises(PlanRequestError, match="not_eligible"):
        planned(("forehead", "fine_lines"), screening=screening("not_eligible"))


def test_caution_needs_acknowledgement_and_carries_precautions() -> None:
    caution = screening(
        "caution",
        "2026-12-01",
        findings=[{"code": "herpes_labialis_history", "severity": "relative"}],
        precautions=[
            {
                "code": "herpes_labialis_history",
                "instruction": "Antiviral.",
                "sources": ["S-MINUTILLI2024"],
            }
        ],
    )
    with pytest.raises(PlanRequestError, match="acknowledge"):
        planned(("forehead", "fine_lines"), screening=caution)
    result = planned(("forehead", "fine_lines"), screening=caution, acknowledged_caution=True)
    assert [p["code"] for p in result["precautions"]] == ["herpes_labialis_history"]
    antiviral = [e for e in result["precare"] if "antiviral" in e["instruction"]]
    assert len(antiviral) == 4 and antiviral[0]["date"] == "2026-11-30"
    assert "conditional" not in antiviral[0]


def test_start_before_the_planning_date_is_refused() -> None:
    with pytest.raises(PlanRequestError, match="before the planning date"):
        planned(("forehead", "fine_lines"), start="2026-11-01")


def test_plan_records_knowledge_base_and_sources() -> None:
    result = planned(("cheeks", "acne_scars"))
    assert result["knowledge_base"] == KB.stamp()
    assert "S-HARRIS2015" in result["sources"]
    assert set(result["sources"]) <= set(KB.sources)

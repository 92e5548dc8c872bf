"""Policy version 2 planning as spec tests from tables (REFERENCE.md A.2 "Zones", A.3, A.4)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from microneedling.clinical.planning import Device, halfway_dates, parse_plan_request, plan
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
    devices = overrides.pop("clinic_devices", ())
    return plan(parse_plan_request(request(*treatments, **overrides)), KB, devices=devices)


def screening(zones: list[str] | None, fitzpatrick: int = 3, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "decision": "eligible",
        "earliest_date": None,
        "findings": [],
        "precautions": [],
        "on": "2026-12-01",
        "fitzpatrick": fitzpatrick,
        **extra,
    }
    if zones is not None:
        data["zones"] = zones
    return data


def zone_entry(result: dict[str, Any], zone: str) -> dict[str, Any]:
    for series in result["series"]:
        for entry in series["zones"]:
            if entry["zone"] == zone:
                return dict(entry)
    raise AssertionError(zone)


def codes(result: dict[str, Any]) -> list[str]:
    return [w["code"] for w in result["warnings"]]


# A.2 "Zones": screened zones and the Fitzpatrick type -----------------------------------------

ZONE_REFUSALS = [
    # screened zones, planned (zone, concern), words of the refusal
    (["neck"], ("cheeks", "acne_scars"), "cheeks were not screened: screen again including them"),
    (["forehead"], ("neck", "skin_laxity"), "neck was not screened: screen again including it"),
    (["neck"], ("face", "fine_lines"), "were not screened: screen again including them"),
    (["cheeks"], ("thighs", "stretch_marks"), "thighs were not screened"),
]


@pytest.mark.parametrize(("zones", "treatment", "words"), ZONE_REFUSALS)
def test_a_zone_the_screening_did_not_cover_is_refused(
    zones: list[str], treatment: tuple[str, str], words: str
) -> None:
    with pytest.raises(PlanRequestError, match=words) as caught:
        planned(treatment, screening=screening(zones))
    assert caught.value.field == "treatments[0].zone"


@pytest.mark.parametrize(
    ("zones", "treatment"),
    [
        (["neck"], ("neck", "skin_laxity")),
        (["face"], ("cheeks", "acne_scars")),  # a group screened covers its members
        (["face", "neck"], ("face", "fine_lines")),
        (["abdomen", "thighs"], ("thighs", "stretch_marks")),
    ],
)
def test_screened_zones_are_planned(zones: list[str], treatment: tuple[str, str]) -> None:
    result = planned(treatment, screening=screening(zones))
    assert "not_screened" not in codes(result)
    assert result["screening"]["zones"] == zones


@pytest.mark.parametrize(("screened", "planned_type"), [(2, 3), (4, 3), (6, 1), (3, 4)])
def test_a_fitzpatrick_type_other_than_the_screenings_is_refused(
    screened: int, planned_type: int
) -> None:
    with pytest.raises(PlanRequestError, match="differs from the screening") as caught:
        planned(
            ("neck", "skin_laxity"),
            fitzpatrick=planned_type,
            screening=screening(["neck"], fitzpatrick=screened),
        )
    assert caught.value.field == "fitzpatrick"


def test_a_policy_1_screening_without_zones_is_refused_screen_again() -> None:
    with pytest.raises(PlanRequestError, match="screen again") as caught:
        planned(("neck", "skin_laxity"), screening=screening(None))
    assert caught.value.field == "screening.zones"


def test_no_screening_warns_not_screened() -> None:
    assert "not_screened" in codes(planned(("neck", "skin_laxity")))


@pytest.mark.parametrize(
    ("assessed", "outdated"),
    [("2026-12-01", False), ("2026-09-08", False), ("2026-09-07", True), ("2025-01-01", True)],
)
def test_a_screening_more_than_90_days_before_the_first_session_is_outdated(
    assessed: str, outdated: bool
) -> None:
    # First session 2026-12-07: 90 days before is 2026-09-08.
    result = planned(("neck", "skin_laxity"), screening=screening(["neck"], on=assessed))
    assert ("screening_outdated" in codes(result)) is outdated


def test_a_clinics_screening_validity_applies() -> None:
    data = request(("neck", "skin_laxity"), screening=screening(["neck"], on="2026-11-01"))
    result = plan(parse_plan_request(data), KB, screening_valid_days=7)
    assert "screening_outdated" in codes(result)


# A.3 device profiles -------------------------------------------------------------------------

DEFAULT_PEN = Device("Default pen", 0.25, 2.5, 0.25)
FINE_PEN = Device("Fine pen", 0.2, 3.0, 0.1)

DEVICE_ROUNDING = [
    # device, start, range low, range high, setting (None: depth_not_settable)
    (DEFAULT_PEN, 0.375, 0.25, 0.5, 0.25),  # forehead middle: rounded down
    (DEFAULT_PEN, 0.75, 0.5, 1.0, 0.75),
    (DEFAULT_PEN, 1.25, 1.0, 1.5, 1.25),
    (DEFAULT_PEN, 1.75, 1.5, 2.0, 1.75),
    (DEFAULT_PEN, 0.275, 0.25, 0.3, 0.25),  # periorbital
    (DEFAULT_PEN, 0.6, 0.5, 1.5, 0.5),  # alopecia 0.6
    (DEFAULT_PEN, 0.3, 0.3, 0.3, None),  # no 0.3 on a 0.25 mm pen
    (DEFAULT_PEN, 0.2, 0.2, 0.2, None),
    (DEFAULT_PEN, 2.25, 2.0, 2.5, 2.25),
    (DEFAULT_PEN, 2.75, 2.5, 3.0, 2.5),  # above the pen's highest: its highest, in range
    (DEFAULT_PEN, 2.9, 2.8, 3.0, None),  # beyond the pen
    (FINE_PEN, 0.375, 0.25, 0.5, 0.3),
    (FINE_PEN, 0.275, 0.25, 0.3, 0.3),  # 0.2 is below the low end: low end rounded up
    (FINE_PEN, 0.75, 0.5, 1.0, 0.7),
    (FINE_PEN, 1.25, 1.0, 1.5, 1.2),
    (FINE_PEN, 1.5, 1.5, 2.0, 1.5),
    (FINE_PEN, 0.6, 0.5, 1.5, 0.6),
    (FINE_PEN, 0.25, 0.2, 0.3, 0.2),
    (FINE_PEN, 0.15, 0.1, 0.15, None),  # below the pen's lowest
    (FINE_PEN, 3.0, 2.9, 3.0, 3.0),
]


@pytest.mark.parametrize(("device", "start", "low", "high", "setting"), DEVICE_ROUNDING)
def test_device_rounding(
    device: Device, start: float, low: float, high: float, setting: float | None
) -> None:
    found = device.setting_for(start, low, high)
    if setting is None:
        assert found is None
    else:
        assert found == pytest.approx(setting)


FINE_PROFILE = {"name": "Fine pen", "lowest_mm": 0.2, "highest_mm": 3.0, "step_mm": 0.1}


@pytest.mark.parametrize(
    ("zone", "concern", "default_pen", "fine_pen"),
    [
        ("forehead", "fine_lines", 0.25, 0.3),
        ("periorbital", "fine_lines", 0.25, 0.3),
        ("cheeks", "fine_lines", 0.75, 0.7),
        ("cheeks", "acne_scars", 1.25, 1.2),
        ("arms", "burn_scars", 1.75, 1.7),
        ("scalp", "alopecia", 0.5, 0.6),
    ],
)
def test_plans_for_the_default_pen_and_a_0_1_mm_device(
    zone: str, concern: str, default_pen: float, fine_pen: float
) -> None:
    shipped = zone_entry(planned((zone, concern)), zone)
    assert shipped["depth_mm"]["start"] == pytest.approx(default_pen)
    assert shipped["device_setting_mm"] == pytest.approx(default_pen)
    fine = planned((zone, concern), device="Fine pen", clinic_devices=[FINE_PROFILE])
    assert zone_entry(fine, zone)["depth_mm"]["start"] == pytest.approx(fine_pen)
    assert fine["device"]["name"] == "Fine pen" and fine["device"]["step_mm"] == 0.1
    # The range is shown as it is, whatever the device.
    assert zone_entry(fine, zone)["depth_mm"]["min"] == shipped["depth_mm"]["min"]


def test_a_device_given_in_the_request_is_used() -> None:
    result = planned(("cheeks", "acne_scars"), device="Fine pen", devices=[FINE_PROFILE])
    assert zone_entry(result, "cheeks")["depth_mm"]["start"] == pytest.approx(1.2)


def test_the_default_pen_is_the_shipped_default() -> None:
    device = planned(("neck", "skin_laxity"))["device"]
    assert device == {
        "name": "Default pen",
        "lowest_mm": 0.25,
        "highest_mm": 2.5,
        "step_mm": 0.25,
        "fixed": False,
    }


def test_a_depth_the_device_cannot_make_warns_depth_not_settable() -> None:
    coarse = {"name": "Coarse pen", "lowest_mm": 0.5, "highest_mm": 3.0, "step_mm": 0.5}
    result = planned(("periorbital", "fine_lines"), device="Coarse pen", devices=[coarse])
    [warning] = [w for w in result["warnings"] if w["code"] == "depth_not_settable"]
    assert warning["zone"] == "periorbital" and "0.25–0.3 mm" in warning["message"]
    entry = zone_entry(result, "periorbital")
    assert entry["device_setting_mm"] is None and entry["depth_mm"]["start"] == 0.275


def test_an_unknown_device_is_refused() -> None:
    with pytest.raises(PlanRequestError, match="unknown device profile 'Nope'") as caught:
        planned(("neck", "skin_laxity"), device="Nope")
    assert caught.value.field == "device"


@pytest.mark.parametrize(
    "profile",
    [
        {"name": "x", "lowest_mm": 0.05, "highest_mm": 2.0, "step_mm": 0.1},
        {"name": "x", "lowest_mm": 0.2, "highest_mm": 3.5, "step_mm": 0.1},
        {"name": "x", "lowest_mm": 0.2, "highest_mm": 2.0, "step_mm": 0.01},
        {"name": "", "lowest_mm": 0.2, "highest_mm": 2.0, "step_mm": 0.1},
        {"name": "x", "lowest_mm": "a", "highest_mm": 2.0, "step_mm": 0.1},
        {"name": "x" * 500, "lowest_mm": 0.2, "highest_mm": 2.0, "step_mm": 0.1},
    ],
)
def test_a_malformed_device_in_the_request_is_refused(profile: dict[str, Any]) -> None:
    with pytest.raises(PlanRequestError):
        planned(("neck", "skin_laxity"), devices=[profile])


def test_too_many_devices_are_refused() -> None:
    many = [dict(FINE_PROFILE, name=f"pen {i}") for i in range(21)]
    with pytest.raises(PlanRequestError, match="at most 20"):
        planned(("neck", "skin_laxity"), devices=many)


def test_the_home_roller_has_one_fixed_length() -> None:
    result = planned(("forehead", "product_absorption"), setting="home")
    assert result["device"]["fixed"] is True and result["device"]["lowest_mm"] == 0.3
    assert zone_entry(result, "forehead")["depth_mm"]["start"] == 0.3


# A.3 facial start cap and low-end starts ---------------------------------------------------


@pytest.mark.parametrize("zone", ["cheeks", "chin", "jawline"])
def test_facial_burn_scars_start_at_most_1_5(zone: str) -> None:
    result = planned((zone, "burn_scars"))
    entry = zone_entry(result, zone)
    assert (entry["depth_mm"]["min"], entry["depth_mm"]["max"]) == (1.5, 2.0)
    assert entry["depth_mm"]["start"] == 1.5 and entry["policy_start_mm"] == 1.5
    assert "face_depth_above_1_5" in codes(result)


@pytest.mark.parametrize("zone", ["arms", "abdomen", "thighs"])
def test_body_burn_scars_start_in_the_middle(zone: str) -> None:
    assert zone_entry(planned((zone, "burn_scars")), zone)["depth_mm"]["start"] == 1.75


@pytest.mark.parametrize(
    ("zone", "concern", "low"),
    [
        ("cheeks", "acne_scars", 1.0),
        ("forehead", "fine_lines", 0.25),
        ("arms", "stretch_marks", 1.5),
    ],
)
def test_a_pih_history_finding_starts_at_the_low_end(zone: str, concern: str, low: float) -> None:
    findings = [{"code": "pih_history", "severity": "precaution"}]
    result = planned((zone, concern), screening=screening([zone], findings=findings))
    assert zone_entry(result, zone)["depth_mm"]["start"] == low


def test_alopecia_with_pih_history_starts_at_0_5() -> None:
    findings = [{"code": "pih_history", "severity": "precaution"}]
    result = planned(("scalp", "alopecia"), screening=screening(["scalp"], findings=findings))
    assert zone_entry(result, "scalp")["policy_start_mm"] == 0.5


# A.3 technique ------------------------------------------------------------------------------

TECHNIQUE = [
    ("cheeks", "fine_lines", "even_erythema", 2, 4),
    ("cheeks", "hyperpigmentation", "even_erythema", 2, 4),
    ("scalp", "alopecia", "even_erythema", 2, 4),
    ("cheeks", "acne_scars", "pinpoint_bleeding", 3, 6),
    ("abdomen", "surgical_scars", "pinpoint_bleeding", 3, 6),
    ("arms", "burn_scars", "pinpoint_bleeding", 3, 6),
    ("thighs", "stretch_marks", "pinpoint_bleeding", 3, 6),
]


@pytest.mark.parametrize(("zone", "concern", "endpoint", "low", "high"), TECHNIQUE)
def test_technique_per_zone(zone: str, concern: str, endpoint: str, low: int, high: int) -> None:
    extra = {"surgery_on": "2026-01-01"} if concern == "surgical_scars" else {}
    result = planned((zone, concern), **extra)
    technique = zone_entry(result, zone)["technique"]
    assert technique["endpoint"] == endpoint
    assert technique["passes"] == {"min": low, "max": high}
    assert technique["directions"] == "crossing"
    assert "hyaluronic acid gel" in technique["glide_medium"]
    assert "S-ALSTER2018" in result["sources"]
    assert "unless the clinic approved it" in result["glide_medium"]["note"]


def test_a_clinics_passes_apply() -> None:
    data = request(("cheeks", "acne_scars"))
    result = plan(parse_plan_request(data), KB, passes={"acne_scars": {"min": 2, "max": 3}})
    assert zone_entry(result, "cheeks")["technique"]["passes"] == {"min": 2, "max": 3}


def test_home_product_absorption_has_no_technique() -> None:
    result = planned(("forehead", "product_absorption"), setting="home")
    assert zone_entry(result, "forehead")["technique"] is None


# A.3 treated area and A.4 numbing -----------------------------------------------------------

AREAS = [
    ("forehead", 80), ("glabella", 10), ("periorbital", 20), ("nose", 20), ("cheeks", 200),
    ("perioral", 40), ("chin", 30), ("jawline", 60), ("neck", 200), ("decolletage", 300),
    ("hands", 300), ("arms", 1200), ("abdomen", 1000), ("back", 1500), ("buttocks", 1000),
    ("thighs", 2000),
]  # fmt: skip


@pytest.mark.parametrize(("zone", "area"), AREAS)
def test_zone_area(zone: str, area: int) -> None:
    result = planned((zone, "texture"))
    assert zone_entry(result, zone)["area_cm2"] == area
    assert result["treated_area"]["total_cm2"] == area
    assert f"{area} cm²" in result["numbing"]["instruction"]
    assert ("large_anesthetic_area" in codes(result)) is (area > 400)


def test_scalp_area() -> None:
    assert planned(("scalp", "alopecia"))["treated_area"]["total_cm2"] == 300


def test_the_total_counts_each_zone_once() -> None:
    result = planned(("cheeks", "acne_scars"), ("cheeks", "hyperpigmentation"), ("nose", "texture"))
    assert result["treated_area"]["total_cm2"] == 220


@pytest.mark.parametrize(
    ("zones", "total", "large"),
    [
        (["cheeks", "forehead", "neck"], 480, True),
        (["cheeks", "neck"], 400, False),  # 400 is not above 400
        (["abdomen", "thighs"], 3000, True),
    ],
)
def test_large_anesthetic_area_above_400(zones: list[str], total: int, large: bool) -> None:
    result = planned(*[(z, "texture") for z in zones])
    assert result["treated_area"]["total_cm2"] == total
    assert ("large_anesthetic_area" in codes(result)) is large
    day_0 = [e for e in result["precare"] if e["day"] == 0]
    assert all(f"{total} cm²" in e["instruction"] for e in day_0)
    if large:
        [warning] = [w for w in result["warnings"] if w["code"] == "large_anesthetic_area"]
        assert warning["sources"] == ["S-FDA-ANESTHETIC-2007", "S-EMLA"]
        assert "do not wrap or occlude" in warning["message"]


@pytest.mark.parametrize(
    "finding", ["topical_anesthetic", "methemoglobinemia", "liver_disease_severe", "antiarrhythmic"]
)
def test_a_finding_that_excludes_numbing(finding: str) -> None:
    findings = [{"code": finding, "severity": "relative"}]
    result = planned(
        ("abdomen", "stretch_marks"),
        screening=screening(["abdomen"], findings=findings, decision="caution"),
        acknowledged_caution=True,
    )
    assert result["numbing"]["topical_anaesthetic"] is False
    assert result["numbing"]["excluded_by"] == [finding]
    day_0 = [e for e in result["precare"] if e["day"] == 0]
    assert day_0 and all("no topical anaesthetic" in e["instruction"] for e in day_0)
    assert all("1000 cm²" in e["instruction"] for e in day_0)
    # Nothing is numbed, so the large-area warning does not apply.
    assert "large_anesthetic_area" not in codes(result)


def test_numbing_names_each_sessions_own_zones_in_split_series() -> None:
    result = planned(("scalp", "alopecia"), ("cheeks", "acne_scars"))
    day_0 = {e["date"]: e["instruction"] for e in result["precare"] if e["day"] == 0}
    assert "500 cm²" in day_0["2026-12-07"]  # both series start that day
    assert "300 cm²" in day_0["2026-12-21"]  # the scalp alone


# A.3 peel placement ------------------------------------------------------------------------

PEEL = [
    # interval weeks, peel days after the first session
    (4, [14, 42, 70, 105]),
    (6, [21, 63, 105, 147]),
    (2, [63]),  # 14-day gaps leave 7 days each side: only after the last
]


@pytest.mark.parametrize(("weeks", "days"), PEEL)
def test_peel_halfway_with_14_days_each_side(weeks: int, days: list[int]) -> None:
    first = date(2026, 12, 7)
    sessions = [date.fromordinal(first.toordinal() + 7 * weeks * k) for k in range(4)]
    found = halfway_dates(sessions, min_days_each_side=14, days_after_last=21)
    assert [(d - first).days for d in found] == days


@pytest.mark.parametrize(
    ("zone", "concern", "interval", "peels"),
    [
        ("cheeks", "fine_lines", 4, ["2026-12-21", "2027-01-18", "2027-02-15", "2027-03-22"]),
        ("arms", "burn_scars", 6, ["2026-12-28", "2027-02-08", "2027-03-22", "2027-05-03"]),
    ],
)
def test_peel_dates_in_a_plan(zone: str, concern: str, interval: int, peels: list[str]) -> None:
    result = planned((zone, concern), add_ons=["chemical_peel"])
    assert result["series"][0]["interval_weeks"]["default"] == interval
    [peel] = [c for c in result["combinations"] if c["code"] == "chemical_peel"]
    assert peel["timing"] == "between_sessions" and peel["dates"] == peels
    sessions = {date.fromisoformat(d) for d in result["series"][0]["dates"]}
    for day in map(date.fromisoformat, peel["dates"]):
        assert all(abs((day - s).days) >= 14 for s in sessions)


def test_tranexamic_acid_only_as_a_clinic_approved_sterile_product() -> None:
    result = planned(("cheeks", "hyperpigmentation"))
    [tranexamic] = [c for c in result["combinations"] if c["code"] == "tranexamic_acid"]
    assert "sterile product the clinic has approved for in-session use" in tranexamic["note"]


# A.4 aftercare --------------------------------------------------------------------------------

AFTERCARE = [
    # hours/days window, kind, words
    ({"hours": {"from": 0, "to": 24}}, "instruction", "Only sterile products"),
    ({"hours": {"from": 24, "to": 192}}, "instruction", "Mineral sunscreen SPF 30+"),
    ({"hours": {"from": 0, "to": 48}}, "instruction", "No make-up for 48 hours"),
    ({"hours": {"from": 0, "to": 72}}, "instruction", "No strenuous exercise"),
    ({"day": {"from": 0, "to": 7}}, "instruction", "No retinoids, AHA/BHA acids"),
    ({"day": {"from": 0, "to": 7}}, "instruction", "Gentle cleanser"),
    ({"day": {"from": 0, "to": 3}}, "expected", "mild sunburn"),
    ({"day": {"from": 2, "to": 5}}, "expected", "Flaking"),
    ({"day": {"from": 0, "to": None}}, "contact_clinic", "Call the clinic"),
]


@pytest.mark.parametrize(("window", "kind", "words"), AFTERCARE)
def test_aftercare_table(window: dict[str, Any], kind: str, words: str) -> None:
    result = planned(("cheeks", "fine_lines"))
    first = [e for e in result["aftercare"] if e["session"] == 1]
    matches = [e for e in first if words in e["instruction"] and e["kind"] == kind]
    assert matches, words
    [(key, value)] = window.items()
    assert matches[0][key] == value


def test_exactly_one_make_up_window_of_48_hours() -> None:
    result = planned(("cheeks", "fine_lines"))
    first = [e for e in result["aftercare"] if e["session"] == 1]
    make_up = [e for e in first if "make-up" in e["instruction"].lower() and "hours" in e]
    assert [e["hours"]["to"] for e in make_up if e["hours"]["from"] == 0] == [24, 48]
    [window] = [e for e in make_up if e["hours"]["to"] == 48]
    assert window["date"] == "2026-12-07" and window["date_to"] == "2026-12-09"


# The patient handout ------------------------------------------------------------------------


def test_the_handout_names_the_treated_areas_and_the_numbing() -> None:
    from microneedling.documents.handout import handout_context, render_html, render_pdf

    result = planned(("abdomen", "stretch_marks"), ("thighs", "stretch_marks"))
    context = handout_context(result, today=date(2026, 12, 1), clinic="Clinic")
    assert context["treatment"]["total"] == "3000 cm²"
    assert [z["zone"] for z in context["treatment"]["zones"]] == ["Abdomen", "Thighs"]
    assert "numbed with a cream" in context["treatment"]["numbing"]
    html = render_html(context)
    assert "Your treatment" in html and "3000 cm²" in html
    assert render_pdf(context).startswith(b"%PDF")


def test_a_policy_1_plan_prints_without_the_treatment_section() -> None:
    from microneedling.documents.handout import handout_context

    result = planned(("cheeks", "fine_lines"))
    del result["treated_area"]
    assert handout_context(result, today=date(2026, 12, 1))["treatment"] is None


@pytest.mark.parametrize(
    "change",
    [
        {"zones": "neck"},  # not a list
        {"zones": ["neck"] * 101},  # oversized
        {"zones": [""]},
        {"zones": [7]},
        {"fitzpatrick": 9},
        {"fitzpatrick": "three"},
        {"on": "2026-02-30"},
        {"on": "yesterday"},
    ],
)
def test_a_malformed_screening_is_refused_with_its_field(change: dict[str, Any]) -> None:
    with pytest.raises(PlanRequestError) as caught:
        planned(("neck", "skin_laxity"), screening={**screening(["neck"]), **change})
    assert (caught.value.field or "").startswith("screening.")


def test_an_unknown_zone_in_the_screening_vouches_for_nothing() -> None:
    with pytest.raises(PlanRequestError, match="neck was not screened"):
        planned(("neck", "skin_laxity"), screening=screening(["<script>", "nowhere"]))

"""A.2 combinations and boundaries: several findings, zone scoping, groups, boundary days."""

from __future__ import annotations

from tests.conftest import screened


def test_several_temporary_findings_the_latest_until_wins() -> None:
    result = screened(
        medications=[{"code": "topical_retinoid", "stopped_on": "2026-11-28"}],  # until 12-05
        procedures=[{"code": "dermal_filler", "on": "2026-11-25"}],  # until 12-09
        conditions=[{"code": "sunburn", "on": "2026-11-30"}],  # until 12-07
    )
    assert result.decision == "defer"
    assert result.earliest_date is not None
    assert result.earliest_date.isoformat() == "2026-12-09"
    assert len(result.findings) == 3


def test_absolute_beside_temporary_is_not_eligible_with_no_earliest_date() -> None:
    result = screened(
        conditions=[{"code": "bleeding_disorder"}],
        medications=[{"code": "topical_retinoid", "stopped_on": "2026-11-28"}],
    )
    assert result.decision == "not_eligible"
    assert result.earliest_date is None
    assert [f.severity for f in result.findings] == ["absolute", "temporary"]


def test_a_wait_with_a_date_beside_one_without_gives_no_earliest_date() -> None:
    result = screened(
        medications=[{"code": "topical_retinoid", "stopped_on": "2026-11-28"}],
        conditions=[{"code": "pregnancy"}],
    )
    assert result.decision == "defer"
    assert result.earliest_date is None


def test_temporary_beats_relative_and_precaution() -> None:
    result = screened(
        fitzpatrick=5,
        conditions=[{"code": "keloid_tendency"}, {"code": "acne_active"}],
    )
    assert result.decision == "defer"
    assert [f.code for f in result.findings] == [
        "acne_active",
        "keloid_tendency",
        "fitzpatrick_4_6",
    ]
    # precautions still join the plan whatever the decision
    assert [p.code for p in result.precautions] == ["fitzpatrick_4_6"]


def test_relative_beats_precaution() -> None:
    result = screened(fitzpatrick=4, medications=[{"code": "anticoagulant"}])
    assert result.decision == "caution"
    assert result.earliest_date is not None and result.earliest_date.isoformat() == "2026-12-01"


def test_no_finding_is_eligible_on_the_assessment_date() -> None:
    result = screened()
    assert result.decision == "eligible"
    assert result.findings == ()
    assert result.earliest_date is not None and result.earliest_date.isoformat() == "2026-12-01"


# Zone scoping ----------------------------------------------------------------------------


def test_local_finding_outside_the_requested_zones_does_not_count() -> None:
    result = screened(zones=["forehead"], conditions=[{"code": "acne_active", "zones": ["back"]}])
    assert result.decision == "eligible"


def test_local_finding_in_one_of_the_requested_zones_counts_and_names_it() -> None:
    result = screened(
        zones=["forehead", "cheeks"],
        conditions=[{"code": "acne_active", "zones": ["cheeks", "back"]}],
    )
    assert result.decision == "defer"
    assert "cheeks" in result.findings[0].message
    assert "forehead" not in result.findings[0].message


def test_local_finding_without_zones_is_in_the_treatment_area() -> None:
    result = screened(zones=["thighs"], conditions=[{"code": "open_wound"}])
    assert result.decision == "defer"


def test_local_procedure_elsewhere_does_not_defer() -> None:
    result = screened(
        zones=["cheeks", "forehead"],
        procedures=[{"code": "botulinum_toxin", "on": "2026-11-24", "zones": ["glabella"]}],
    )
    assert result.decision == "eligible"


def test_active_cold_sore_without_zones_is_on_the_face() -> None:
    assert screened(zones=["cheeks"], conditions=[{"code": "herpes_labialis_active"}]).decision == (
        "defer"
    )
    assert screened(zones=["thighs"], conditions=[{"code": "herpes_labialis_active"}]).decision == (
        "eligible"
    )


def test_face_scoped_findings_do_not_count_with_body_only_zones() -> None:
    result = screened(
        zones=["abdomen", "thighs", "neck"],
        conditions=[{"code": "herpes_labialis_history"}],
        procedures=[{"code": "facial_surgery", "on": "2026-10-01"}],
    )
    assert result.decision == "eligible"
    assert result.findings == ()


def test_face_scoped_finding_counts_with_any_face_zone() -> None:
    result = screened(zones=["thighs", "chin"], conditions=[{"code": "herpes_labialis_history"}])
    assert result.decision == "caution"
    assert [p.code for p in result.precautions] == ["herpes_labialis_history"]


def test_group_names_expand_to_their_members() -> None:
    # requested "face" includes cheeks; acne on "cheeks" counts
    assert screened(
        zones=["face"], conditions=[{"code": "acne_active", "zones": ["cheeks"]}]
    ).decision == ("defer")
    # acne on the "body" group does not touch a face-only request
    assert screened(
        zones=["face"], conditions=[{"code": "acne_active", "zones": ["body"]}]
    ).decision == ("eligible")
    # acne on the "face" group touches a cheeks request
    result = screened(zones=["cheeks"], conditions=[{"code": "acne_active", "zones": ["face"]}])
    assert result.decision == "defer"
    assert "cheeks" in result.findings[0].message


def test_zones_in_no_group_are_neither_face_nor_body() -> None:
    result = screened(
        zones=["neck"], conditions=[{"code": "acne_active", "zones": ["face", "body"]}]
    )
    assert result.decision == "eligible"


def test_systemic_findings_count_whatever_their_zones() -> None:
    result = screened(
        zones=["thighs"], conditions=[{"code": "keloid_tendency", "zones": ["cheeks"]}]
    )
    assert result.decision == "caution"


# Boundary days ---------------------------------------------------------------------------


def test_retinoid_stopped_exactly_seven_days_ago_no_longer_counts() -> None:
    assert screened(
        medications=[{"code": "topical_retinoid", "stopped_on": "2026-11-24"}]
    ).decision == ("eligible")


def test_retinoid_stopped_six_days_ago_defers_by_one_day() -> None:
    result = screened(medications=[{"code": "topical_retinoid", "stopped_on": "2026-11-25"}])
    assert result.earliest_date is not None and result.earliest_date.isoformat() == "2026-12-02"


def test_retinoid_stopped_three_days_ago_defers_by_four_days() -> None:
    result = screened(medications=[{"code": "topical_retinoid", "stopped_on": "2026-11-28"}])
    assert result.earliest_date is not None and result.earliest_date.isoformat() == "2026-12-05"


def test_procedure_exactly_fourteen_days_ago_no_longer_counts() -> None:
    assert (
        screened(procedures=[{"code": "chemical_peel", "on": "2026-11-17"}]).decision == "eligible"
    )


def test_sunburn_exactly_seven_days_ago_no_longer_counts() -> None:
    assert screened(conditions=[{"code": "sunburn", "on": "2026-11-24"}]).decision == "eligible"


def test_isotretinoin_months_clamp_to_month_end() -> None:
    # 2026-08-31 + 6 months = 2027-02-28 (no 31 February)
    result = screened(
        on="2026-12-01", medications=[{"code": "isotretinoin", "stopped_on": "2026-08-31"}]
    )
    assert result.findings[0].until is not None
    assert result.findings[0].until.isoformat() == "2027-02-28"


def test_isotretinoin_months_clamp_to_leap_day() -> None:
    result = screened(
        on="2027-12-01", medications=[{"code": "isotretinoin", "stopped_on": "2027-08-31"}]
    )
    assert result.findings[0].until is not None
    assert result.findings[0].until.isoformat() == "2028-02-29"


def test_isotretinoin_stopped_exactly_six_months_ago_no_longer_counts() -> None:
    result = screened(
        on="2027-02-28", medications=[{"code": "isotretinoin", "stopped_on": "2026-08-31"}]
    )
    assert result.decision == "eligible"


def test_isotretinoin_stopped_today_is_relative() -> None:
    result = screened(medications=[{"code": "isotretinoin", "stopped_on": "2026-12-01"}])
    assert result.decision == "caution"
    assert result.findings[0].until is not None
    assert result.findings[0].until.isoformat() == "2027-06-01"


def test_facial_surgery_window_ends_after_six_calendar_months() -> None:
    inside = screened(zones=["cheeks"], procedures=[{"code": "facial_surgery", "on": "2026-06-02"}])
    assert inside.decision == "caution"
    assert inside.findings[0].until is None  # the window is a condition, not a shown date
    outside = screened(
        zones=["cheeks"], procedures=[{"code": "facial_surgery", "on": "2026-06-01"}]
    )
    assert outside.decision == "eligible"


def test_eighteenth_birthday_is_eligible_and_the_day_before_is_not() -> None:
    assert screened(birth_date="2008-12-01").decision == "eligible"
    before = screened(birth_date="2008-12-02")
    assert before.decision == "not_eligible"
    assert "17" in before.findings[0].message


def test_leap_day_birthday_turns_eighteen_on_the_first_of_march() -> None:
    assert screened(on="2026-02-28", birth_date="2008-02-29").decision == "not_eligible"
    assert screened(on="2026-03-01", birth_date="2008-02-29").decision == "eligible"


def test_fitzpatrick_three_has_no_precaution() -> None:
    assert screened(fitzpatrick=3).findings == ()


# Dated findings without their date --------------------------------------------------------


def test_sunburn_without_a_date_is_temporary_with_unknown_end() -> None:
    result = screened(conditions=[{"code": "sunburn"}])
    assert result.decision == "defer"
    assert result.earliest_date is None
    assert result.findings[0].until is None
    assert "date was not given" in result.findings[0].message


def test_procedure_without_a_date_is_temporary_with_unknown_end() -> None:
    result = screened(procedures=[{"code": "botulinum_toxin"}])
    assert (result.decision, result.earliest_date) == ("defer", None)


def test_facial_surgery_without_a_date_defers_until_the_date_is_known() -> None:
    result = screened(zones=["cheeks"], procedures=[{"code": "facial_surgery"}])
    assert result.findings[0].severity == "temporary"
    assert result.earliest_date is None


def test_result_records_assessment_date_and_knowledge_base(kb: object) -> None:
    data = screened().to_dict()
    assert list(data) == [
        "decision",
        "earliest_date",
        "findings",
        "precautions",
        "on",
        "zones",
        "fitzpatrick",
        "knowledge_base",
    ]
    assert data["on"] == "2026-12-01"
    assert data["knowledge_base"]["version"] == kb.version  # type: ignore[attr-defined]
    assert data["knowledge_base"]["hash"].startswith("sha256:")

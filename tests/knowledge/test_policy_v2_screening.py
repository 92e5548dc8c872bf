"""Policy version 2 screening (A.1, A.2), walked from tables.

Each case: the intake items, the finding code expected, its severity, its `until`, the decision,
`earliest_date` and the sources. The assessment date is 2026-12-01 throughout and the patient an
adult of type 2 asking for the cheeks, unless the case says otherwise.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import intake_data, screened

from microneedling.clinical.intake import IntakeError, parse_intake
from microneedling.clinical.screening import screen
from microneedling.knowledge import shipped_knowledge_base

ON = "2026-12-01"
GREY = ["CLINIC-PRACTICE"]
NO_LIDOCAINE = ["S-EMLA", "S-DERMAPEN4"]

# (id, intake overrides, code, severity, until, decision, earliest_date, sources)
V2_ROWS: list[tuple[str, dict[str, Any], str, str, str | None, str, str | None, list[str]]] = [
    ("vitiligo_active", {"conditions": [{"code": "vitiligo_active"}]},
     "vitiligo_active", "temporary", None, "defer", None, ["S-KOEBNER"]),
    ("lichen_planus_active", {"conditions": [{"code": "lichen_planus_active"}]},
     "lichen_planus_active", "temporary", None, "defer", None, ["S-KOEBNER"]),
    ("rosacea_active", {"conditions": [{"code": "rosacea_active", "zones": ["cheeks"]}]},
     "rosacea_active", "temporary", None, "defer", None, ["S-DERMAPEN4"]),
    ("pigmented_lesion_unassessed", {"conditions": [{"code": "pigmented_lesion_unassessed"}]},
     "pigmented_lesion_unassessed", "temporary", None, "defer", None, GREY),
    ("radiotherapy_six_months_ago", {"procedures": [{"code": "radiotherapy", "on": "2026-06-01"}]},
     "radiotherapy", "temporary", "2027-06-01", "defer", "2027-06-01", GREY),
    ("radiotherapy_a_day_short_of_a_year",
     {"procedures": [{"code": "radiotherapy", "on": "2025-12-02"}]},
     "radiotherapy", "temporary", "2026-12-02", "defer", "2026-12-02", GREY),
    ("radiotherapy_exactly_a_year_ago",
     {"procedures": [{"code": "radiotherapy", "on": "2025-12-01"}]},
     "radiotherapy", "relative", None, "caution", ON, GREY),
    ("radiotherapy_two_years_ago", {"procedures": [{"code": "radiotherapy", "on": "2024-11-01"}]},
     "radiotherapy", "relative", None, "caution", ON, GREY),
    ("radiotherapy_without_date", {"procedures": [{"code": "radiotherapy"}]},
     "radiotherapy", "temporary", None, "defer", None, GREY),
    ("laser_or_light_ten_days_ago", {"procedures": [{"code": "laser_or_light", "on": "2026-11-21"}]},
     "laser_or_light", "temporary", "2026-12-05", "defer", "2026-12-05", ["S-CARRUTHERS2016"]),
    ("ablative_resurfacing_month_end",
     {"procedures": [{"code": "ablative_resurfacing", "on": "2026-11-30"}]},
     "ablative_resurfacing", "temporary", "2027-02-28", "defer", "2027-02-28",
     ["CLINIC-PRACTICE", "S-ISOTRETINOIN-PI"]),
    ("tanning_five_days_ago", {"procedures": [{"code": "tanning", "on": "2026-11-26"}]},
     "tanning", "temporary", "2026-12-10", "defer", "2026-12-10", GREY),
    ("hair_removal_yesterday", {"procedures": [{"code": "hair_removal", "on": "2026-11-30"}]},
     "hair_removal", "temporary", "2026-12-03", "defer", "2026-12-03", GREY),
    ("hypertrophic_scar_history", {"conditions": [{"code": "hypertrophic_scar_history"}]},
     "hypertrophic_scar_history", "relative", None, "caution", ON, ["S-MINUTILLI2024"]),
    ("methemoglobinemia", {"conditions": [{"code": "methemoglobinemia"}]},
     "methemoglobinemia", "relative", None, "caution", ON, NO_LIDOCAINE),
    ("liver_disease_severe", {"conditions": [{"code": "liver_disease_severe"}]},
     "liver_disease_severe", "relative", None, "caution", ON, NO_LIDOCAINE),
    ("antiarrhythmic", {"medications": [{"code": "antiarrhythmic"}]},
     "antiarrhythmic", "relative", None, "caution", ON, NO_LIDOCAINE),
    ("nickel_allergy", {"allergies": [{"code": "nickel_allergy"}]},
     "nickel_allergy", "relative", None, "caution", ON, ["S-CHU2021"]),
    ("permanent_implant", {"procedures": [{"code": "permanent_implant", "zones": ["cheeks"]}]},
     "permanent_implant", "relative", None, "caution", ON, GREY),
    ("skin_cancer_active_outside", {"conditions": [{"code": "skin_cancer_active", "zones": ["back"]}]},
     "skin_cancer_active", "relative", None, "caution", ON, ["POLICY"]),
    ("pih_history", {"conditions": [{"code": "pih_history"}]},
     "pih_history", "precaution", None, "eligible", ON, ["S-COHEN2016"]),
    ("photosensitising_drug", {"medications": [{"code": "photosensitising_drug"}]},
     "photosensitising_drug", "precaution", None, "eligible", ON, GREY),
    ("bloodborne_infection", {"conditions": [{"code": "bloodborne_infection"}]},
     "bloodborne_infection", "precaution", None, "eligible", ON, GREY),
    ("tattoo", {"conditions": [{"code": "tattoo"}]},
     "tattoo", "precaution", None, "eligible", ON, GREY),
]  # fmt: skip

# The precaution each relative or precaution row adds to the plan (a phrase of it).
V2_PRECAUTIONS = {
    "radiotherapy": "test a small area first",
    "methemoglobinemia": "No lidocaine or prilocaine cream",
    "liver_disease_severe": "No lidocaine or prilocaine cream",
    "antiarrhythmic": "No lidocaine or prilocaine cream",
    "nickel_allergy": "nickel-free",
    "permanent_implant": "Stay superficial over the implant",
    "skin_cancer_active": "clearance from the treating physician",
    "pih_history": "start at the low end of each depth range",
    "photosensitising_drug": "strict photoprotection",
    "bloodborne_infection": "standard precautions",
    "tattoo": "Do not needle over the tattoo",
}


@pytest.mark.parametrize(
    ("overrides", "code", "severity", "until", "decision", "earliest", "sources"),
    [row[1:] for row in V2_ROWS],
    ids=[row[0] for row in V2_ROWS],
)
def test_each_v2_row_gives_its_finding_severity_until_and_decision(
    overrides: dict[str, Any],
    code: str,
    severity: str,
    until: str | None,
    decision: str,
    earliest: str | None,
    sources: list[str],
) -> None:
    result = screened(**overrides).to_dict()
    assert [f["code"] for f in result["findings"]] == [code]
    finding = result["findings"][0]
    assert finding["severity"] == severity
    assert finding["until"] == until
    assert finding["sources"] == sources
    assert finding["message"] and "?" not in finding["message"]
    assert result["decision"] == decision
    assert result["earliest_date"] == earliest
    precautions = {p["code"]: p["instruction"] for p in result["precautions"]}
    if severity in ("relative", "precaution") and code in V2_PRECAUTIONS:
        assert V2_PRECAUTIONS[code] in precautions[code]
    if severity in ("absolute", "temporary"):
        assert precautions == {}


@pytest.mark.parametrize(
    ("code", "on", "counts"),
    [
        ("laser_or_light", "2026-11-17", False),  # 14 days ago: the wait has passed
        ("tanning", "2026-11-17", False),
        ("hair_removal", "2026-11-28", False),  # 3 days ago
        ("ablative_resurfacing", "2026-09-01", False),  # 3 calendar months ago
        ("ablative_resurfacing", "2026-09-02", True),
    ],
)
def test_a_wait_that_has_passed_no_longer_counts(code: str, on: str, counts: bool) -> None:
    result = screened(procedures=[{"code": code, "on": on}])
    assert bool(result.findings) is counts


def test_local_v2_findings_outside_the_requested_zones_do_not_count() -> None:
    for item in (
        {"code": "rosacea_active", "zones": ["neck"]},
        {"code": "pigmented_lesion_unassessed", "zones": ["back"]},
        {"code": "tattoo", "zones": ["arms"]},
    ):
        result = screened(conditions=[item])
        assert result.findings == (), item


@pytest.mark.parametrize(
    ("conditions", "severity", "decision"),
    [
        ([{"code": "skin_cancer_active"}], "absolute", "not_eligible"),
        ([{"code": "skin_cancer_active", "zones": ["cheeks"]}], "absolute", "not_eligible"),
        ([{"code": "skin_cancer_active", "zones": ["face"]}], "absolute", "not_eligible"),
        ([{"code": "skin_cancer_active", "zones": ["cheeks", "back"]}], "absolute", "not_eligible"),
        ([{"code": "skin_cancer_active", "zones": ["back"]}], "relative", "caution"),
        ([{"code": "skin_cancer_active", "zones": ["body"]}], "relative", "caution"),
    ],
    ids=["no_zones", "in_zone", "in_group", "in_and_out", "outside", "outside_group"],
)
def test_active_skin_cancer_in_and_outside_the_treated_zones(
    conditions: list[dict[str, Any]], severity: str, decision: str
) -> None:
    result = screened(conditions=conditions)
    assert [(f.code, f.severity) for f in result.findings] == [("skin_cancer_active", severity)]
    assert result.decision == decision
    if severity == "relative":
        assert "elsewhere" in result.findings[0].message
        assert "back" in result.findings[0].message
        assert [p.instruction for p in result.precautions] == [
            "Active skin cancer elsewhere: obtain clearance from the treating physician."
        ]


def test_isotretinoin_stopped_two_months_ago_names_its_real_sources() -> None:
    result = screened(medications=[{"code": "isotretinoin", "stopped_on": "2026-10-01"}])
    assert result.decision == "caution"
    assert result.earliest_date is not None and result.earliest_date.isoformat() == ON
    (finding,) = result.findings
    assert finding.severity == "relative"
    assert finding.until is not None and finding.until.isoformat() == "2027-04-01"
    message = finding.message
    assert "prescribing information" in message
    assert "2027-04-01" in message
    assert "two 2017 consensus reviews" in message
    assert "clinician decides" in message
    assert "device label" not in message
    assert finding.sources == ("S-ISOTRETINOIN-PI", "S-SPRING2017", "S-WALDMAN2017")


def test_isotretinoin_in_use_is_refused_on_the_device_labeling() -> None:
    (finding,) = screened(medications=[{"code": "isotretinoin"}]).findings
    assert finding.severity == "absolute"
    assert finding.sources == ("S-SKINPEN",)


def test_keloid_plus_four_relative_findings_lists_all_with_their_precautions() -> None:
    result = screened(
        conditions=[
            {"code": "keloid_tendency"},
            {"code": "methemoglobinemia"},
            {"code": "herpes_labialis_history"},
        ],
        medications=[{"code": "anticoagulant"}],
        allergies=[{"code": "nickel_allergy"}],
    )
    assert result.decision == "caution"
    assert {f.code for f in result.findings} == {
        "keloid_tendency",
        "methemoglobinemia",
        "herpes_labialis_history",
        "anticoagulant",
        "nickel_allergy",
    }
    assert all(f.severity == "relative" for f in result.findings)
    assert [p.code for p in result.precautions] == [
        f.code for f in result.findings if f.code != "keloid_tendency"
    ]


def test_a_planned_isotretinoin_start_is_an_input_error() -> None:
    data = intake_data(medications=[{"code": "isotretinoin", "started_on": "2026-12-15"}])
    with pytest.raises(IntakeError) as caught:
        screen(parse_intake(data), shipped_knowledge_base())
    text = str(caught.value)
    assert "medications[0].started_on" in text
    assert "a medication not yet started is recorded when it starts" in text


def test_the_result_carries_its_zones_in_vocabulary_order_and_the_fitzpatrick_type() -> None:
    result = screened(zones=["neck", "chin", "forehead", "chin"], fitzpatrick=5)
    assert result.zones == ("forehead", "chin", "neck")
    assert result.fitzpatrick == 5
    data = result.to_dict()
    assert data["zones"] == ["forehead", "chin", "neck"]
    assert data["fitzpatrick"] == 5
    assert data["knowledge_base"]["overrides_hash"] is None


def test_groups_expand_in_the_result() -> None:
    result = screened(zones=["face"])
    assert result.zones == (
        "forehead",
        "glabella",
        "periorbital",
        "nose",
        "cheeks",
        "perioral",
        "chin",
        "jawline",
    )


def test_the_overrides_hash_is_recorded_when_given() -> None:
    kb = shipped_knowledge_base()
    result = screen(parse_intake(intake_data()), kb, overrides_hash="sha256:abc")
    assert result.to_dict()["knowledge_base"] == {
        "version": kb.version,
        "hash": kb.hash,
        "overrides_hash": "sha256:abc",
    }


def test_pih_history_is_exposed_for_the_plan() -> None:
    result = screened(conditions=[{"code": "pih_history"}])
    assert "pih_history" in {f.code for f in result.findings}
    assert result.decision == "eligible"


@pytest.mark.parametrize(
    "item",
    [
        {"code": "radiotherapy", "on": "2026-12-02"},  # after the assessment date
        {"code": "laser_or_light", "zones": ["elbow"]},  # unknown zone
        {"code": "tanning", "on": "yesterday"},
        {"code": "hair_removal", "on": "2026-02-30"},
        {"code": "laser_or_lights"},  # unknown code
        {"code": "x" * 10_000},
    ],
)
def test_malformed_v2_items_are_input_errors(item: dict[str, Any]) -> None:
    with pytest.raises(IntakeError):
        screen(parse_intake(intake_data(procedures=[item])), shipped_knowledge_base())


def test_a_v2_code_in_the_wrong_list_is_an_input_error() -> None:
    with pytest.raises(IntakeError):
        screen(
            parse_intake(intake_data(conditions=[{"code": "radiotherapy", "on": "2026-01-01"}])),
            shipped_knowledge_base(),
        )


def test_findings_that_ask_the_same_precaution_give_it_once_naming_them_all() -> None:
    result = screened(
        conditions=[{"code": "methemoglobinemia"}, {"code": "liver_disease_severe"}],
        medications=[{"code": "antiarrhythmic"}],
    )
    no_lidocaine = [p for p in result.precautions if "lidocaine" in p.instruction]
    assert len(no_lidocaine) == 1
    (merged,) = no_lidocaine
    assert set(merged.codes) == {"methemoglobinemia", "liver_disease_severe", "antiarrhythmic"}
    assert merged.code == merged.codes[0]
    assert list(merged.sources) == NO_LIDOCAINE
    assert merged.to_dict()["codes"] == list(merged.codes)
    assert len(result.findings) == 3  # each finding is still listed with its own message


def test_a_precaution_of_one_finding_names_that_finding_alone() -> None:
    result = screened(allergies=[{"code": "nickel_allergy"}])
    (precaution,) = result.precautions
    assert precaution.to_dict()["codes"] == ["nickel_allergy"]

"""Every row of REFERENCE.md A.2, walked from a table.

Each case: the intake items, the finding code expected, its severity, its `until`, the decision and
`earliest_date`. The assessment date is 2026-12-01 throughout and the patient an adult of type 2
asking for the cheeks, unless the case says otherwise.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import screened

ON = "2026-12-01"

# (id, intake overrides, code, severity, until, decision, earliest_date, sources)
ROWS: list[tuple[str, dict[str, Any], str, str, str | None, str, str | None, list[str]]] = [
    ("under_18", {"birth_date": "2009-12-02"}, "under_18", "absolute", None, "not_eligible",
     None, ["POLICY", "S-SKINPEN"]),
    ("skin_cancer_active", {"conditions": [{"code": "skin_cancer_active"}]},
     "skin_cancer_active", "absolute", None, "not_eligible", None, ["A1", "S-SKINPEN"]),
    ("isotretinoin_in_use", {"medications": [{"code": "isotretinoin"}]},
     "isotretinoin", "absolute", None, "not_eligible", None, ["S-SKINPEN"]),
    ("isotretinoin_planned_stop_after_assessment",
     {"medications": [{"code": "isotretinoin", "stopped_on": "2026-12-10"}]},
     "isotretinoin", "absolute", None, "not_eligible", None, ["S-SKINPEN"]),
    ("isotretinoin_stopped_two_months_ago",
     {"medications": [{"code": "isotretinoin", "stopped_on": "2026-10-01"}]},
     "isotretinoin", "relative", "2027-04-01", "caution", ON,
     ["S-ISOTRETINOIN-PI", "S-SPRING2017", "S-WALDMAN2017"]),
    ("bleeding_disorder", {"conditions": [{"code": "bleeding_disorder"}]},
     "bleeding_disorder", "absolute", None, "not_eligible", None, ["S-SKINPEN"]),
    ("collagen_vascular_disease", {"conditions": [{"code": "collagen_vascular_disease"}]},
     "collagen_vascular_disease", "absolute", None, "not_eligible", None, ["A2", "S-SKINPEN"]),
    ("immunosuppression", {"conditions": [{"code": "immunosuppression"}]},
     "immunosuppression", "absolute", None, "not_eligible", None, ["A2", "S-MINUTILLI2024"]),
    ("stainless_steel", {"allergies": [{"code": "stainless_steel"}]},
     "stainless_steel", "absolute", None, "not_eligible", None, ["S-SKINPEN", "S-CHU2021"]),
    ("pregnancy", {"conditions": [{"code": "pregnancy"}]},
     "pregnancy", "temporary", None, "defer", None, ["A2", "A3", "S-SKINPEN"]),
    ("breastfeeding", {"conditions": [{"code": "breastfeeding"}]},
     "breastfeeding", "temporary", None, "defer", None, ["S-SKINPEN"]),
    ("skin_infection_active", {"conditions": [{"code": "skin_infection_active"}]},
     "skin_infection_active", "temporary", None, "defer", None, ["A3", "S-SKINPEN", "S-CHU2021"]),
    ("herpes_labialis_active", {"conditions": [{"code": "herpes_labialis_active"}]},
     "herpes_labialis_active", "temporary", None, "defer", None, ["A2"]),
    ("open_wound", {"conditions": [{"code": "open_wound"}]},
     "open_wound", "temporary", None, "defer", None, ["A3", "S-SKINPEN"]),
    ("acne_active", {"conditions": [{"code": "acne_active", "zones": ["cheeks"]}]},
     "acne_active", "temporary", None, "defer", None, ["A1", "A2", "A3", "A5"]),
    ("eczema_active", {"conditions": [{"code": "eczema_active"}]},
     "eczema_active", "temporary", None, "defer", None, ["A3"]),
    ("psoriasis_active", {"conditions": [{"code": "psoriasis_active"}]},
     "psoriasis_active", "temporary", None, "defer", None, ["A3"]),
    ("diabetes_uncontrolled", {"conditions": [{"code": "diabetes_uncontrolled"}]},
     "diabetes_uncontrolled", "temporary", None, "defer", None, ["CLINIC-PRACTICE"]),
    ("sunburn_three_days_ago", {"conditions": [{"code": "sunburn", "on": "2026-11-28"}]},
     "sunburn", "temporary", "2026-12-05", "defer", "2026-12-05", ["A1", "POLICY"]),
    ("topical_retinoid_stopped_three_days_ago",
     {"medications": [{"code": "topical_retinoid", "stopped_on": "2026-11-28"}]},
     "topical_retinoid", "temporary", "2026-12-05", "defer", "2026-12-05", ["A1"]),
    ("topical_retinoid_in_use_stops_today", {"medications": [{"code": "topical_retinoid"}]},
     "topical_retinoid", "temporary", "2026-12-08", "defer", "2026-12-08", ["A1"]),
    ("topical_retinoid_planned_stop",
     {"medications": [{"code": "topical_retinoid", "stopped_on": "2026-12-04"}]},
     "topical_retinoid", "temporary", "2026-12-11", "defer", "2026-12-11", ["A1"]),
    ("topical_exfoliant_stopped_yesterday",
     {"medications": [{"code": "topical_exfoliant", "stopped_on": "2026-11-30"}]},
     "topical_exfoliant", "temporary", "2026-12-07", "defer", "2026-12-07", ["A1"]),
    ("botulinum_toxin_ten_days_ago", {"procedures": [{"code": "botulinum_toxin", "on": "2026-11-21"}]},
     "botulinum_toxin", "temporary", "2026-12-05", "defer", "2026-12-05", ["S-CARRUTHERS2016"]),
    ("dermal_filler_today", {"procedures": [{"code": "dermal_filler", "on": ON}]},
     "dermal_filler", "temporary", "2026-12-15", "defer", "2026-12-15", ["S-CARRUTHERS2016"]),
    ("chemical_peel_thirteen_days_ago", {"procedures": [{"code": "chemical_peel", "on": "2026-11-18"}]},
     "chemical_peel", "temporary", "2026-12-02", "defer", "2026-12-02", ["S-CARRUTHERS2016"]),
    ("skin_cancer_history", {"conditions": [{"code": "skin_cancer_history"}]},
     "skin_cancer_history", "relative", None, "caution", ON, ["A1"]),
    ("keloid_tendency", {"conditions": [{"code": "keloid_tendency"}]},
     "keloid_tendency", "relative", None, "caution", ON, ["A2", "A5", "S-MINUTILLI2024"]),
    ("herpes_labialis_history_face", {"conditions": [{"code": "herpes_labialis_history"}]},
     "herpes_labialis_history", "relative", None, "caution", ON, ["S-MINUTILLI2024"]),
    ("koebner_disease_stable", {"conditions": [{"code": "koebner_disease_stable"}]},
     "koebner_disease_stable", "relative", None, "caution", ON, ["EVIDENCE-GAPS"]),
    ("anticoagulant", {"medications": [{"code": "anticoagulant"}]},
     "anticoagulant", "relative", None, "caution", ON, ["S-SKINPEN", "CLINIC-PRACTICE"]),
    ("topical_anesthetic_allergy", {"allergies": [{"code": "topical_anesthetic"}]},
     "topical_anesthetic", "relative", None, "caution", ON, ["S-SKINPEN"]),
    ("facial_surgery_three_months_ago", {"procedures": [{"code": "facial_surgery", "on": "2026-09-01"}]},
     "facial_surgery", "relative", None, "caution", ON, ["S-SKINPEN-TRIAL", "S-CLAYTOR2022"]),
    ("fitzpatrick_4", {"fitzpatrick": 4}, "fitzpatrick_4_6", "precaution", None, "eligible", ON,
     ["S-DOGRA2014", "S-CHU2021", "S-COHEN2016"]),
    ("fitzpatrick_6", {"fitzpatrick": 6}, "fitzpatrick_4_6", "precaution", None, "eligible", ON,
     ["S-DOGRA2014", "S-CHU2021", "S-COHEN2016"]),
    ("sensitive_skin", {"conditions": [{"code": "sensitive_skin"}]},
     "sensitive_skin", "precaution", None, "eligible", ON, ["A2"]),
    ("diabetes_controlled", {"conditions": [{"code": "diabetes_controlled"}]},
     "diabetes_controlled", "precaution", None, "eligible", ON, ["CLINIC-PRACTICE"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "code", "severity", "until", "decision", "earliest", "sources"),
    [row[1:] for row in ROWS],
    ids=[row[0] for row in ROWS],
)
def test_each_a2_row_gives_its_finding_severity_until_and_decision(
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


def test_every_finding_code_of_the_knowledge_base_has_a_row(kb: Any) -> None:
    from tests.knowledge.test_policy_v2_screening import V2_ROWS

    covered = {row[2] for row in ROWS} | {row[2] for row in V2_ROWS}
    assert covered == set(kb.findings)


PRECAUTIONS = {
    "herpes_labialis_history": "Antiviral prophylaxis",
    "anticoagulant": "physician",
    "topical_anesthetic": "No topical anaesthetic",
    "fitzpatrick_4_6": "start at the low end of each depth range",
    "sensitive_skin": "Sensitive skin",
    "diabetes_controlled": "Slower healing",
}


@pytest.mark.parametrize(
    "row", [r for r in ROWS if r[2] in PRECAUTIONS and r[0] != "fitzpatrick_6"], ids=lambda r: r[0]
)
def test_findings_with_a_precaution_carry_it_into_the_result(row: tuple[Any, ...]) -> None:
    result = screened(**row[1]).to_dict()
    code = row[2]
    assert [p["code"] for p in result["precautions"]] == [code]
    assert PRECAUTIONS[code] in result["precautions"][0]["instruction"]
    assert result["precautions"][0]["sources"] == row[7]


def test_relative_findings_without_precaution_text_add_no_precaution() -> None:
    result = screened(conditions=[{"code": "keloid_tendency"}])
    assert result.precautions == ()

"""A.1 input errors: each raises an IntakeError naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import intake_data

from microneedling.clinical.intake import parse_intake
from microneedling.clinical.screening import screen
from microneedling.errors import IntakeError, UserError
from microneedling.knowledge import KnowledgeBase


def _error(kb: KnowledgeBase, data: Any) -> IntakeError:
    with pytest.raises(IntakeError) as caught:
        screen(parse_intake(data), kb)
    assert isinstance(caught.value, UserError)
    return caught.value


CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("unknown condition code", intake_data(conditions=[{"code": "acne_rosacea"}]),
     "conditions[0].code", "unknown condition code 'acne_rosacea'"),
    ("code in the wrong list", intake_data(conditions=[{"code": "isotretinoin"}]),
     "conditions[0].code", "list it under 'medications'"),
    ("derived code given", intake_data(conditions=[{"code": "under_18"}]),
     "conditions[0].code", "unknown condition code"),
    ("unknown zone", intake_data(zones=["cheeks", "elbow"]), "zones[1]", "unknown zone 'elbow'"),
    ("unknown zone on an item", intake_data(conditions=[{"code": "acne_active", "zones": ["ear"]}]),
     "conditions[0].zones[0]", "unknown zone 'ear'"),
    ("no zones", intake_data(zones=[]), "zones", "at least one zone"),
    ("fitzpatrick 0", intake_data(fitzpatrick=0), "patient.fitzpatrick", "between 1 and 6"),
    ("fitzpatrick 7", intake_data(fitzpatrick=7), "patient.fitzpatrick", "between 1 and 6"),
    ("birth after assessment", intake_data(birth_date="2026-12-02"),
     "patient.birth_date", "after the assessment date"),
    ("event after assessment", intake_data(procedures=[{"code": "chemical_peel", "on": "2026-12-02"}]),
     "procedures[0].on", "after the assessment date"),
    ("started after stopped",
     intake_data(medications=[{"code": "topical_retinoid", "started_on": "2026-11-20",
                               "stopped_on": "2026-11-10"}]),
     "medications[0].started_on", "after stopped_on"),
    ("not a date", intake_data(on="01/12/2026"), "on", "YYYY-MM-DD"),
    ("impossible date", intake_data(on="2026-02-30"), "on", "not a real date"),
    ("fitzpatrick as text", {**intake_data(), "patient": {"birth_date": "1990-01-01",
                                                          "fitzpatrick": "3"}},
     "patient.fitzpatrick", "between 1 and 6"),
    ("unknown field", {**intake_data(), "medication": []}, "medication", "not a known field"),
    ("missing patient", {k: v for k, v in intake_data().items() if k != "patient"},
     "patient", "is required"),
    ("zones not a list", {**intake_data(), "zones": "cheeks"}, "zones", "Enter a list"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "field", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_intake_raises_a_user_error_naming_the_field(
    kb: KnowledgeBase, data: dict[str, Any], field: str, words: str
) -> None:
    error = _error(kb, data)
    assert error.field == field
    assert words in error.message


def test_stopped_on_after_the_assessment_date_is_valid(kb: KnowledgeBase) -> None:
    data = intake_data(medications=[{"code": "topical_retinoid", "stopped_on": "2027-01-01"}])
    assert screen(parse_intake(data), kb).decision == "defer"


def test_every_problem_is_listed_in_fields(kb: KnowledgeBase) -> None:
    data = intake_data(zones=["elbow"], conditions=[{"code": "nope"}], birth_date="2030-01-01")
    error = _error(kb, data)
    assert {field for field, _ in error.fields} == {
        "zones[0]",
        "conditions[0].code",
        "patient.birth_date",
    }
    assert "(and 2 more problems)" in error.message


def test_not_an_object_is_refused() -> None:
    with pytest.raises(IntakeError, match="JSON object"):
        parse_intake(["on", "2026-12-01"])


def test_datetime_is_not_a_date() -> None:
    with pytest.raises(IntakeError) as caught:
        parse_intake(intake_data(on="2026-12-01T10:00:00"))
    assert caught.value.field == "on"


def test_oversized_lists_are_refused_before_screening() -> None:
    with pytest.raises(IntakeError) as caught:
        parse_intake(intake_data(conditions=[{"code": "acne_active"}] * 1000))
    assert caught.value.field == "conditions"


def test_hostile_strings_are_reported_not_executed(kb: KnowledgeBase) -> None:
    error = _error(kb, intake_data(conditions=[{"code": "x'; DROP TABLE patients;--"}]))
    assert error.field == "conditions[0].code"
    error = _error(kb, intake_data(zones=["\u202echeeks\u0000"]))
    assert error.field == "zones[0]"

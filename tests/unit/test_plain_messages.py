"""Validation problems in the receptionist's words, from one translation: the same message in
the API's ``fields``, the use cases' UserErrors, the web forms and the command line. Numbers are
written with thousands separators and never with an exponent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import pytest
import typer
from pydantic import BaseModel, Field, ValidationError

from microneedling.cli.common import describe, user_errors
from microneedling.errors import UserError, plain_message, plain_number
from microneedling.services.inputs import Day, Input, Moment, parse
from microneedling.web.forms import Form


class Consent(Input):
    text: str = Field(min_length=1, max_length=100_000)
    signed_by_name: str = Field(min_length=1, max_length=200)
    fitzpatrick: int = Field(ge=1, le=6)
    price: float = Field(ge=0, le=1_000_000)
    on: Day
    at: Moment | None = None


def problems_of(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(UserError) as caught:
        parse(Consent, data, what="consent")
    return dict(caught.value.fields)


GOOD: dict[str, Any] = {
    "text": "I consent.",
    "signed_by_name": "Ada",
    "fitzpatrick": 2,
    "price": 100,
    "on": "2026-12-01",
}


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (100_000, "100,000"),
        (1_000_000.0, "1,000,000"),
        (1e6, "1,000,000"),
        (0.05, "0.05"),
        (1234.5, "1,234.5"),
        (1e-7, "0.0000001"),
        (Decimal("2.50"), "2.5"),
        (2**31 - 1, "2,147,483,647"),
    ],
)
def test_numbers_are_written_with_separators_and_never_an_exponent(
    value: Any, written: str
) -> None:
    assert plain_number(value) == written


def test_a_text_over_its_limit_says_at_most_100000_characters_in_plain_words() -> None:
    problems = problems_of({**GOOD, "text": "x" * 100_001})
    assert problems == {"text": "is too long: at most 100,000 characters"}


def test_every_problem_of_an_input_is_reported_at_once_in_plain_words() -> None:
    problems = problems_of(
        {"text": "", "fitzpatrick": 9, "price": 2e6, "on": "14/03/1988", "at": 0, "extra": 1}
    )
    assert problems == {
        "text": "is required",
        "signed_by_name": "is required",
        "fitzpatrick": "Choose a Fitzpatrick type between 1 and 6",
        "price": "must be at most 1,000,000",
        "on": "Enter a date like 1988-03-14 (YYYY-MM-DD)",
        "at": "Enter a date and time with its time zone, like 2026-12-07T10:30:00+01:00",
        "extra": "is not a known field",
    }
    for message in problems.values():
        assert "should" not in message and "e+" not in message and "Input" not in message


@pytest.mark.parametrize("value", [0, 1, 1e9, "0", "1e9", True, date(1988, 3, 14).toordinal()])
def test_a_number_is_never_taken_as_a_day(value: Any) -> None:
    assert problems_of({**GOOD, "on": value}) == {"on": "Enter a date like 1988-03-14 (YYYY-MM-DD)"}


def test_a_day_and_moment_as_iso_text_are_taken() -> None:
    consent = parse(Consent, {**GOOD, "at": "2026-12-01T10:30:00+01:00"}, what="consent")
    assert consent.on == date(2026, 12, 1)
    assert consent.at is not None and consent.at.utcoffset() is not None


def test_pydantics_own_wording_never_reaches_a_person() -> None:
    class Limits(BaseModel):
        items: Annotated[list[int], Field(max_length=3)]
        ratio: float
        flag: bool
        kind: Annotated[str, Field(pattern=r"^[a-z]+$")]

    with pytest.raises(ValidationError) as caught:
        Limits.model_validate(
            {"items": [1, 2, 3, 4], "ratio": "lots", "flag": "perhaps", "kind": "ABC"}
        )
    messages = [plain_message(item) for item in caught.value.errors()]
    assert messages == [
        "has too many: at most 3",
        "Enter a number such as 1.25",
        "Enter true or false",
        "is not in the expected form",
    ]


def test_a_form_checks_the_use_cases_model_in_the_same_pass_as_its_own_fields() -> None:
    form = Form.blank({"text": "Text", "signed_by_name": "Signed by", "on": "Day"})
    form.data = {"text": ["x" * 150_000], "signed_by_name": [""], "on": ["0"]}
    values = {
        "text": form.text("text", required=True, max_length=200_000, multiline=True),
        "signed_by_name": form.text("signed_by_name", required=True),
        "on": form.day("on", required=True),
        "fitzpatrick": 2,
        "price": 1,
    }
    form.check(Consent, values)
    assert form.errors == {
        "signed_by_name": "is required",
        "on": "Enter a date like 14/03/1988",
        "text": "is too long: at most 100,000 characters",
    }
    assert form.get("text") == "x" * 150_000  # kept as typed


def test_a_forms_number_range_is_written_plainly() -> None:
    form = Form.blank({}, price="2000000", count="99999", other="abc")
    form.decimal("price", low=0, high=1_000_000)
    form.integer("count", high=1000)
    form.decimal("other")
    assert form.errors == {
        "price": "Enter a number from 0 to 1,000,000",
        "count": "Enter a whole number of at most 1,000",
        "other": "Enter a number such as 1.25",
    }


def test_a_form_date_takes_the_pickers_iso_and_a_typed_day_first_date() -> None:
    form = Form.blank({}, a="1988-03-14", b="14/03/1988", c="14.3.1988", d="1e9")
    assert form.day("a") == form.day("b") == form.day("c") == date(1988, 3, 14)
    assert form.day("d") is None
    assert form.errors == {"d": "Enter a date like 14/03/1988"}


def test_a_form_date_after_its_limit_is_refused() -> None:
    form = Form.blank({}, born="2026-12-02")
    assert form.day("born", not_after=date(2026, 12, 1)) is None
    assert form.errors == {"born": "cannot be in the future"}


def test_the_command_line_prints_every_field_problem_on_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(typer.Exit), user_errors():
        parse(Consent, {**GOOD, "fitzpatrick": 0, "price": 1e7}, what="consent")
    line = capsys.readouterr().err.strip()
    assert line == (
        "error: fitzpatrick: Choose a Fitzpatrick type between 1 and 6; "
        "price: must be at most 1,000,000"
    )


def test_one_problem_is_described_as_field_and_message() -> None:
    assert describe(UserError("is required", field="name")) == "name: is required"

"""Whole-day date arithmetic."""

from __future__ import annotations

from datetime import date

import pytest

from microneedling.clinical.dates import add_days, add_months, age_in_years


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 6, 15), 6, date(2026, 12, 15)),
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 7, 31), 12, date(2027, 7, 31)),
    ],
)
def test_add_months_clamps_to_the_last_day_of_the_month(
    start: date, months: int, expected: date
) -> None:
    assert add_months(start, months) == expected


def test_add_days_crosses_year_end() -> None:
    assert add_days(date(2026, 12, 28), 7) == date(2027, 1, 4)


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(2008, 12, 1), date(2026, 12, 1), 18),
        (date(2008, 12, 2), date(2026, 12, 1), 17),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        (date(2026, 12, 1), date(2026, 12, 1), 0),
    ],
)
def test_age_in_whole_years(birth: date, on: date, age: int) -> None:
    assert age_in_years(birth, on) == age

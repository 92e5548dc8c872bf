"""Whole-day date arithmetic used by the policy (REFERENCE.md A.2)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def add_days(start: date, days: int) -> date:
    """``start`` plus ``days`` whole days."""
    return start + timedelta(days=days)


def add_months(start: date, months: int) -> date:
    """``start`` plus calendar months, clamped to the last day of the target month.

    2026-08-31 + 6 months is 2027-02-28; 2027-08-31 + 6 months is 2028-02-29.
    """
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))


def age_in_years(birth_date: date, on: date) -> int:
    """Whole years of age on ``on`` (a 29 February birthday counts from 1 March in common years)."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years

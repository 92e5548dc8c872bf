"""Whole-day date arithmetic used by the policy (REFERENCE.md A.2), and reading dates from input.

Dates and moments in input are ISO strings (or ``date``/``datetime`` objects from code), never
numbers: Pydantic's lax mode would read ``0`` or ``"0"`` as 1970-01-01. :data:`IsoDate` and
:data:`IsoMoment` are the one definition every input model uses (the intake, plan requests, the
use cases' inputs and the API's bodies and queries); both also refuse years outside
:data:`FIRST_YEAR` to :data:`LAST_YEAR`, which are typing mistakes (and overflow date sums).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator

from microneedling.errors import ENTER_A_DATE, ENTER_A_MOMENT

#: Days and moments outside these years are typing mistakes (and out of range for date sums).
FIRST_YEAR, LAST_YEAR = 1900, 2999
#: The message for a year outside them.
YEAR_RANGE = f"Enter a year from {FIRST_YEAR} to {LAST_YEAR}"

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|z|[+-]\d{2}(:?\d{2})?)?$"
)


def _in_range(value: date) -> None:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(YEAR_RANGE)


def parse_iso_date(value: Any) -> date:
    """A day from a ``YYYY-MM-DD`` string or a ``date`` (not a datetime, nor a number), in a
    plausible year; ``ValueError`` with the words to show otherwise."""
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value.strip()} is not a real date") from None
    else:
        raise ValueError(ENTER_A_DATE)
    _in_range(day)
    return day


def parse_iso_moment(value: Any) -> datetime:
    """A moment from an ISO date-and-time string or a ``datetime`` (not a number, nor a bare
    date), in a plausible year; ``ValueError`` with the words to show otherwise. The time zone is
    checked where it is required."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and _ISO_MOMENT.match(value.strip()):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value.strip()} is not a real date and time") from None
    else:
        raise ValueError(ENTER_A_MOMENT)
    _in_range(moment)
    return moment


#: A day as input gives it: ``YYYY-MM-DD`` (never a number), in a plausible year.
IsoDate = Annotated[date, BeforeValidator(parse_iso_date)]
#: A moment as input gives it: ISO date and time (never a number), in a plausible year.
IsoMoment = Annotated[datetime, BeforeValidator(parse_iso_moment)]


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

"""Dates as a person gives them: "3 weeks ago", "last month", "March 2026", "14/11/2026",
"14 November 2026", "yesterday", "2026-11-14".

A month without a day is taken as its last day (or today, in this month): for a wait counted
from it, the later day is the careful one; "N months ago" counts back from today. Numeric dates
are day first (14/11/2026). A date after today is refused ("that is in the future").
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from microneedling.errors import UserError

MONTHS = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
}
MONTHS["sept"] = 9
_UNITS = {"day": 1, "week": 7}
_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
          "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}  # fmt: skip
EXAMPLES = "for example 3 weeks ago, March 2026 or 14/11/2026"
MAX_CHARS = 40


def _months_back(today: date, months: int) -> date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    month += 1
    return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


def _month_end(year: int, month: int, today: date) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return min(last, today) if (year, month) == (today.year, today.month) else last


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def parse_plain_date(text: str, today: date, *, field: str) -> date | None:
    """The date ``text`` means (None when empty), or a clear refusal."""
    given = " ".join((text or "").strip().lower().replace(",", " ").split())
    if not given:
        return None
    if len(given) > MAX_CHARS:
        raise UserError(f"that is too long for a date; {EXAMPLES}", field=field)
    found = _parse(given, today)
    if found is None:
        raise UserError(f"we could not read that date; {EXAMPLES}", field=field)
    if found > today:
        raise UserError("that is in the future; give the date it happened", field=field)
    if found.year < 1900:
        raise UserError(f"we could not read that date; {EXAMPLES}", field=field)
    return found


def _parse(given: str, today: date) -> date | None:
    if given == "today":
        return today
    if given == "yesterday":
        return today - timedelta(days=1)
    if given == "last week":
        return today - timedelta(days=7)
    if given == "last month":
        return _months_back(today, 1)
    if given == "last year":
        return _months_back(today, 12)
    match = re.fullmatch(r"(\d+|[a-z]+) (day|week|month|year)s? ago", given)
    if match:
        count_text, unit = match.groups()
        count = int(count_text) if count_text.isdigit() else _WORDS.get(count_text)
        if count is None or count > 1200:
            return None
        if unit in _UNITS:
            return today - timedelta(days=count * _UNITS[unit])
        return _months_back(today, count * (12 if unit == "year" else 1))
    try:
        match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", given)
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
        match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})", given)
        if match:
            return date(_year(match[3]), int(match[2]), int(match[1]))
        match = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)? ([a-z]+) (\d{4})", given)
        if match and match[2] in MONTHS:
            return date(int(match[3]), MONTHS[match[2]], int(match[1]))
        match = re.fullmatch(r"([a-z]+) (\d{1,2})(?:st|nd|rd|th)? (\d{4})", given)
        if match and match[1] in MONTHS:
            return date(int(match[3]), MONTHS[match[1]], int(match[2]))
        match = re.fullmatch(r"([a-z]+) (\d{4})", given)
        if match and match[1] in MONTHS:
            return _month_end(int(match[2]), MONTHS[match[1]], today)
        match = re.fullmatch(r"(\d{1,2})[/.-](\d{4})", given)
        if match:
            return _month_end(int(match[2]), int(match[1]), today)
        if given in MONTHS:  # "march": the last one that has begun
            month = MONTHS[given]
            year = today.year if month <= today.month else today.year - 1
            return _month_end(year, month, today)
    except ValueError:  # 31/02/2026
        return None
    return None

"""Dates as a person gives them, read against a fixed today (never the wall clock)."""

from __future__ import annotations

from datetime import date

import pytest

from microneedling.errors import UserError
from microneedling.services.portal.plain_dates import parse_plain_date

TODAY = date(2026, 12, 8)


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("today", date(2026, 12, 8)),
        ("Yesterday", date(2026, 12, 7)),
        ("3 weeks ago", date(2026, 11, 17)),
        ("two days ago", date(2026, 12, 6)),
        ("a month ago", date(2026, 11, 8)),
        ("6 months ago", date(2026, 6, 8)),
        ("last month", date(2026, 11, 8)),
        ("1 year ago", date(2025, 12, 8)),
        ("14/11/2026", date(2026, 11, 14)),
        ("14-11-26", date(2026, 11, 14)),
        ("2026-11-14", date(2026, 11, 14)),
        ("14 November 2026", date(2026, 11, 14)),
        ("14th Nov 2026", date(2026, 11, 14)),
        ("November 14, 2026", date(2026, 11, 14)),
        ("March 2026", date(2026, 3, 31)),
        ("december 2026", date(2026, 12, 8)),
        ("11/2026", date(2026, 11, 30)),
        ("march", date(2026, 3, 31)),
        ("  ", None),
    ],
)
def test_a_date_as_people_say_it(given: str, meant: date | None) -> None:
    assert parse_plain_date(given, TODAY, field="on") == meant


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("next week", "could not read"),
        ("31/02/2026", "could not read"),
        ("1 January 2030", "in the future"),
        ("tomorrow", "could not read"),
        ("x" * 41, "too long"),
        ("99999 days ago", "could not read"),
        ("<script>", "could not read"),
        ("14/11/1850", "could not read"),
    ],
)
def test_a_date_that_cannot_be_read_gets_a_clear_message(given: str, words: str) -> None:
    with pytest.raises(UserError) as refused:
        parse_plain_date(given, TODAY, field="on")
    assert words in refused.value.message and refused.value.field == "on"

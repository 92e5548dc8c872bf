"""The companion's pure computations: the pre-care countdown and the aftercare now, from a plan's
care timelines (no clock: dates and moments are given), across a change to summer time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from microneedling.clinical.care import care_timelines
from microneedling.knowledge import shipped_knowledge_base
from microneedling.services.portal.companion import (
    Session,
    aftercare_now,
    hours_since,
    last_session,
    precare_countdown,
    product_answer,
    when_words,
)

ZONE = "Europe/Amsterdam"
AMS = ZoneInfo(ZONE)


def timelines(*days: date) -> tuple[list[dict], list[dict]]:  # type: ignore[type-arg]
    return care_timelines(list(days), shipped_knowledge_base())


def test_the_countdown_is_to_the_next_session_and_its_steps() -> None:
    precare, _ = timelines(date(2026, 12, 8), date(2027, 1, 12))
    sessions = [Session(1, date(2026, 12, 8)), Session(2, date(2027, 1, 12))]
    found = precare_countdown(precare, sessions, date(2026, 11, 28))
    assert found is not None and found["session"] == 1 and found["days_to_go"] == 10
    steps = [(s["weekday"], s["countdown"], s["started"]) for s in found["steps"]]
    assert steps == [
        ("Tuesday 24 November", "4 days ago", True),
        ("Tuesday", "in 3 days", False),
        ("Tuesday 8 December", "in 10 days", False),
    ]
    # On the day of session 1 it is still the next; the day after, session 2's steps.
    assert precare_countdown(precare, sessions, date(2026, 12, 8))["session"] == 1  # type: ignore[index]
    after = precare_countdown(precare, sessions, date(2026, 12, 9))
    assert after is not None and after["session"] == 2
    assert after["steps"][0]["long_date"] == "Tuesday 29 December 2026"
    assert precare_countdown(precare, sessions, date(2027, 1, 13)) is None


def test_aftercare_now_by_the_hour_on_day_0_then_by_the_day() -> None:
    _, aftercare = timelines(date(2026, 12, 8))
    ends = datetime(2026, 12, 8, 10, 30, tzinfo=AMS)
    session = Session(1, date(2026, 12, 8), ends - timedelta(minutes=55), ends)
    two_hours = aftercare_now(aftercare, session, ends + timedelta(hours=2), ZONE)
    assert two_hours["day"] == 0 and two_hours["hours_whole"] == 2
    do = {s["text"]: s["until"] for s in two_hours["groups"]["do"]}
    assert do["No make-up for 2 days."] == "Thursday at 10:30"
    assert do["No strenuous exercise or sweating."] == "Friday at 10:30"
    assert two_hours["next"][0]["text"].startswith("Mineral sunscreen SPF 30+")
    assert two_hours["next"][0]["from"] == "tomorrow at 10:30"
    day_3 = aftercare_now(aftercare, session, ends + timedelta(days=3, hours=1), ZONE)
    assert day_3["day"] == 3
    assert not any("make-up" in s["text"] for s in day_3["groups"]["do"])
    assert [s["text"] for s in day_3["groups"]["normal"]] == [
        "Redness like a mild sunburn for 1–3 days.",
        "Flaking on days 2–5.",
    ]
    assert day_3["groups"]["call"] and day_3["timeline"][3]["is_today"]
    # Day 0 of the timeline lists the make-up window with the hour it ends.
    assert any(s["until"] == "Thursday at 10:30" for s in two_hours["timeline"][0]["steps"])


def test_hours_are_real_hours_across_the_change_to_summer_time() -> None:
    ends = datetime(2027, 3, 27, 16, 0, tzinfo=AMS)  # Saturday before the clocks go forward
    session = Session(1, date(2027, 3, 27), ends - timedelta(hours=1), ends)
    now = datetime(2027, 3, 28, 16, 0, tzinfo=AMS)  # the same wall time: 23 real hours later
    assert hours_since(session, now, ZONE) == 23
    assert last_session([session], now, ZONE) == session
    assert last_session([session], ends - timedelta(minutes=1), ZONE) is None
    _, aftercare = timelines(date(2027, 3, 27))
    now_after = aftercare_now(aftercare, session, ends + timedelta(hours=1), ZONE)
    make_up = next(s for s in now_after["groups"]["do"] if "make-up for" in s["text"])
    assert make_up["until"] == "Monday at 17:00"  # 48 real hours: summer time began meanwhile


def test_words_and_a_product_answer_in_plain_words() -> None:
    assert [when_words(date(2026, 12, d), date(2026, 12, 8)) for d in (6, 7, 8, 9, 11)] == [
        "2 days ago", "yesterday", "today", "tomorrow", "in 3 days"]  # fmt: skip
    result = {
        "verdict": "blocked",
        "hours_since_session": 30,
        "classes_found": [{"class": "retinoid", "ingredients": ["Retinol"]}],
        "unknown_ingredients": [],
        "allowed_from_hours": 168,
        "reasons": [{"code": "retinoid", "message": "Retinoid (Retinol): not before 168 h"}],
        "warnings": [],
        "sources": ["CLINIC-PRACTICE"],
        "product": {},
    }
    ends = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
    answer = product_answer(result, session_end=ends, zone=ZONE, today=date(2026, 12, 9))
    assert answer["answer"] == "not_yet"
    assert answer["headline"] == "Not yet: you can use it from Tuesday 15 December at 11:00."
    assert answer["contains"][0]["what"].startswith("a retinoid")

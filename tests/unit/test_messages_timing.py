"""When messages about an appointment go: reminders, pre-care and aftercare in the clinic's time
zone, across daylight-saving changes, out of quiet hours. Pure: every ``now`` is passed in."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from microneedling.services.messages.timing import (
    QuietHours,
    appointment_schedule,
    immediate,
    out_of_quiet,
)

AMSTERDAM = "Europe/Amsterdam"
QUIET = QuietHours(time(21, 0), time(8, 0))


def amsterdam(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(AMSTERDAM))


def schedule(start: str, *, now: str, quiet: QuietHours | None = QUIET) -> dict[str, datetime]:
    starts = amsterdam(start)
    planned = appointment_schedule(
        starts, starts + timedelta(hours=1), now=amsterdam(now), time_zone=AMSTERDAM, quiet=quiet
    )
    return {kind: moment.astimezone(ZoneInfo(AMSTERDAM)) for kind, moment in planned}


def test_a_session_booked_weeks_ahead_gets_pre_care_reminders_and_aftercare_at_local_times() -> (
    None
):
    got = schedule("2026-11-18T14:00", now="2026-10-01T12:00")
    assert {kind: moment.strftime("%Y-%m-%d %H:%M") for kind, moment in got.items()} == {
        "precare_7d": "2026-11-11 10:00",
        "precare_1d": "2026-11-17 10:00",
        "reminder_48h": "2026-11-16 14:00",
        "reminder_2h": "2026-11-18 12:00",
        "aftercare_0d": "2026-11-18 16:00",
        "aftercare_1d": "2026-11-19 10:00",
        "aftercare_3d": "2026-11-21 10:00",
        "aftercare_7d": "2026-11-25 10:00",
    }
    assert all(moment.tzinfo is not None for moment in got.values())


def test_the_48_hour_reminder_across_the_autumn_change_is_48_real_hours_and_the_same_local_hour() -> (
    None
):
    # Clocks go back on Sunday 25 October 2026 at 03:00 CEST → 02:00 CET.
    got = schedule("2026-10-26T10:00", now="2026-10-01T12:00")
    start = amsterdam("2026-10-26T10:00")
    reminder = got["reminder_48h"]
    assert start.astimezone(UTC) - reminder.astimezone(UTC) == timedelta(hours=48)
    assert reminder.strftime("%Y-%m-%d %H:%M %Z") == "2026-10-24 11:00 CEST"
    # Pre-care goes at 10:00 on the wall clock on both sides of the change.
    assert got["precare_7d"].strftime("%Y-%m-%d %H:%M %Z") == "2026-10-19 10:00 CEST"
    assert got["precare_1d"].strftime("%Y-%m-%d %H:%M %Z") == "2026-10-25 10:00 CET"


def test_pre_care_across_the_spring_change_lands_at_ten_local_time() -> None:
    # Clocks go forward on Sunday 29 March 2026 at 02:00 CET → 03:00 CEST.
    got = schedule("2026-03-30T09:00", now="2026-03-01T12:00")
    assert got["precare_7d"].strftime("%d %H:%M %Z") == "23 10:00 CET"
    assert got["precare_1d"].strftime("%d %H:%M %Z") == "29 10:00 CEST"
    assert got["aftercare_1d"].strftime("%d %H:%M %Z") == "31 10:00 CEST"


def test_a_session_booked_tomorrow_gets_no_pre_care_of_the_past() -> None:
    got = schedule("2026-11-18T14:00", now="2026-11-17T12:00")
    assert "precare_7d" not in got and "precare_1d" not in got and "reminder_48h" not in got
    assert "reminder_2h" in got and "aftercare_0d" in got


def test_an_early_reminder_in_quiet_hours_is_brought_forward_to_the_evening_before() -> None:
    got = schedule("2026-11-18T09:00", now="2026-10-01T12:00")
    # 07:00 is in the quiet hours: the reminder goes at 20:59 the evening before.
    assert got["reminder_2h"].strftime("%Y-%m-%d %H:%M") == "2026-11-17 20:59"


def test_a_late_aftercare_message_in_quiet_hours_waits_for_the_morning() -> None:
    got = schedule("2026-11-18T20:00", now="2026-10-01T12:00")
    # The session ends at 21:00; day-0 aftercare would go at 22:00, held until 08:00.
    assert got["aftercare_0d"].strftime("%Y-%m-%d %H:%M") == "2026-11-19 08:00"


def test_a_notice_made_at_night_goes_when_the_quiet_hours_end() -> None:
    made = amsterdam("2026-11-17T23:30")
    assert immediate(made, "cancelled", QUIET, AMSTERDAM) == amsterdam("2026-11-18T08:00")
    after_midnight = amsterdam("2026-11-18T02:00")
    assert immediate(after_midnight, "moved", QUIET, AMSTERDAM) == amsterdam("2026-11-18T08:00")
    daytime = amsterdam("2026-11-18T12:00")
    assert immediate(daytime, "confirmation", QUIET, AMSTERDAM) == daytime.astimezone(UTC)


def test_quiet_hours_ending_on_the_night_of_the_spring_change_end_at_local_eight() -> None:
    made = amsterdam("2026-03-28T23:00")
    held = out_of_quiet(made, "confirmation", QUIET, AMSTERDAM)
    assert held.astimezone(ZoneInfo(AMSTERDAM)).strftime("%d %H:%M %Z") == "29 08:00 CEST"
    assert held - made.astimezone(UTC) == timedelta(hours=8)


def test_no_quiet_hours_sends_at_the_exact_times() -> None:
    got = schedule("2026-11-18T09:00", now="2026-10-01T12:00", quiet=None)
    assert got["reminder_2h"].strftime("%H:%M") == "07:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21:00-08:00", QuietHours(time(21), time(8))),
        (" 22:30 - 07:15 ", QuietHours(time(22, 30), time(7, 15))),
        ("none", None),
        ("", None),
    ],
)
def test_quiet_hours_are_read_from_settings_text(text: str, expected: QuietHours | None) -> None:
    assert QuietHours.parse(text) == expected


@pytest.mark.parametrize("text", ["21h-08h", "25:00-08:00", "21:00", "a-b", "21:00-08:00-09:00"])
def test_malformed_quiet_hours_are_refused_in_plain_words(text: str) -> None:
    with pytest.raises(ValueError, match="not two times like 21:00-08:00"):
        QuietHours.parse(text)


def test_a_daytime_quiet_window_is_honoured() -> None:
    lunch = QuietHours(time(12, 0), time(13, 0))
    assert lunch.contains(time(12, 30)) and not lunch.contains(time(13, 0))
    assert not QuietHours(time(9), time(9)).contains(time(9))

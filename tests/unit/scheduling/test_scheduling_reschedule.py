"""Moving or cancelling one session: the later ones follow inside their windows, or are flagged."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tests.unit.scheduling.conftest import at, clinic, days_between, local, series

from microneedling.errors import SchedulingError
from microneedling.scheduling.clinic_calendar import (
    Booking,
    ClinicCalendar,
    Period,
)
from microneedling.scheduling.series import Appointment, SeriesProposal, reschedule

SESSION_DAYS = [date(2026, 12, 8), date(2027, 1, 5), date(2027, 2, 2), date(2027, 3, 2)]


def booked(calendar: ClinicCalendar, days: list[date] = SESSION_DAYS) -> list[Appointment]:
    """A booked 4-session series at 08:00 with Anna, references r1..r4."""
    length = calendar.lengths.length(("cheeks", "forehead"))
    result = []
    for number, day in enumerate(days, start=1):
        start = at(calendar, day, "08:00")
        result.append(
            Appointment(
                "s-1",
                number,
                len(days),
                start,
                start + timedelta(minutes=length.patient_minutes),
                start + timedelta(minutes=length.blocked_minutes),
                "anna",
                "room-1",
                "pen-1",
                reference=f"r{number}",
            )
        )
    return result


def move(
    calendar: ClinicCalendar,
    session: int,
    day: date | None,
    *,
    today: date = date(2026, 12, 10),
    appointments: list[Appointment] | None = None,
    others: list[Booking] = [],  # noqa: B006
    hhmm: str = "08:00",
) -> SeriesProposal:
    appointments = appointments if appointments is not None else booked(calendar)
    bookings = [a.booking() for a in appointments] + others
    return reschedule(
        series(),
        appointments,
        calendar,
        bookings,
        session=session,
        to=at(calendar, day, hhmm) if day else None,
        today=today,
    )


def days(proposal: SeriesProposal, calendar: ClinicCalendar) -> list[date]:
    return [calendar.local_day(a.start) for a in proposal.appointments]


def test_moving_session_two_a_week_later_moves_three_and_four_with_it() -> None:
    calendar = clinic()
    result = move(calendar, 2, date(2027, 1, 12))
    assert [s.status for s in result.sessions] == ["kept", "moved", "moved", "moved"]
    assert days(result, calendar) == [
        date(2026, 12, 8),
        date(2027, 1, 12),
        date(2027, 2, 9),
        date(2027, 3, 9),
    ]
    assert days_between(result.appointments, calendar) == [35, 28, 28]
    assert not result.flagged
    assert result.sessions[2].note == "was 2027-02-02, 3 weeks after session 2; re-proposed"
    assert [a.reference for a in result.appointments] == ["r1", "r2", "r3", "r4"]


def test_later_sessions_still_inside_their_windows_stay_where_they_are() -> None:
    calendar = clinic()
    spread = [date(2026, 12, 8), date(2027, 1, 5), date(2027, 2, 16), date(2027, 3, 16)]
    result = move(calendar, 2, date(2027, 1, 12), appointments=booked(calendar, spread))
    assert [s.status for s in result.sessions] == ["kept", "moved", "kept", "kept"]
    assert days(result, calendar)[2:] == spread[2:]


def test_moving_a_session_within_its_day_keeps_every_other_session() -> None:
    calendar = clinic()
    result = move(calendar, 3, date(2027, 2, 2), hhmm="14:00")
    assert [s.status for s in result.sessions] == ["kept", "kept", "moved", "kept"]
    assert local(calendar, result.appointments[2].start) == (date(2027, 2, 2), "14:00")


def test_moving_a_session_to_exactly_the_maximum_is_not_flagged() -> None:
    calendar = clinic()
    result = move(calendar, 2, date(2027, 1, 19))
    assert result.sessions[1].status == "moved"
    assert not result.flagged
    assert days_between(result.appointments, calendar) == [42, 28, 28]


def test_moving_a_session_past_its_window_flags_it_and_the_rest_follow() -> None:
    calendar = clinic()
    result = move(calendar, 2, date(2027, 1, 26))
    second = result.sessions[1]
    assert second.status == "outside_window"
    assert second.reasons == (
        "7 weeks after session 1: outside its window of 4–6 weeks (2027-01-05 to 2027-01-19)",
    )
    assert [s.flagged for s in result.sessions] == [False, True, False, False]
    assert days(result, calendar)[2:] == [date(2027, 2, 23), date(2027, 3, 23)]


def test_moving_a_session_under_the_minimum_is_refused() -> None:
    calendar = clinic()
    with pytest.raises(SchedulingError) as caught:
        move(calendar, 2, date(2027, 1, 4))
    assert caught.value.field == "to"
    assert "at least 4 weeks after session 1 (2026-12-08), so on 2027-01-05 or later" in str(
        caught.value
    )


def test_moving_to_a_time_when_the_clinic_is_closed_is_refused() -> None:
    calendar = clinic()
    with pytest.raises(SchedulingError, match="not open on sundays"):
        move(calendar, 2, date(2027, 1, 10))


def test_a_move_takes_other_resources_when_its_own_are_busy_at_the_new_time() -> None:
    calendar = clinic()
    day = date(2027, 1, 12)
    anna_busy = Booking(at(calendar, day, "10:00"), at(calendar, day, "12:00"), "anna", None)
    result = move(calendar, 2, day, hhmm="10:00", others=[anna_busy])
    assert result.appointments[1].practitioner_id == "ben"


def test_a_later_session_that_can_no_longer_keep_its_window_is_flagged_with_the_reason() -> None:
    holiday = Period.days(date(2027, 2, 9), date(2027, 2, 23), "staff holiday")
    calendar = clinic(closures=[holiday])
    result = move(calendar, 2, date(2027, 1, 12))
    third = result.sessions[2]
    assert third.status == "outside_window"
    assert "4–6 weeks after session 2 (2027-01-12): 2027-02-09 to 2027-02-23" in third.reasons[0]
    assert "the clinic is closed (staff holiday)" in third.reasons[0]
    assert days(result, calendar)[2] == date(2027, 2, 24)
    assert days_between(result.appointments, calendar)[2] == 28  # session 4 follows session 3


def test_cancelling_a_session_re_proposes_it_from_the_next_day_and_cascades() -> None:
    calendar = clinic()
    result = move(calendar, 2, None, today=date(2027, 1, 5))
    assert result.sessions[1].note == "cancelled; re-proposed"
    assert days(result, calendar) == [
        date(2026, 12, 8),
        date(2027, 1, 6),
        date(2027, 2, 3),
        date(2027, 3, 3),
    ]
    assert not result.flagged


def test_cancelling_after_the_window_has_ended_flags_the_session() -> None:
    calendar = clinic()
    result = move(calendar, 2, None, today=date(2027, 1, 25))
    second = result.sessions[1]
    assert second.status == "outside_window"
    assert "its window ended on 2027-01-19" in second.reasons[0]
    assert days(result, calendar)[1] == date(2027, 1, 26)


def test_moving_the_first_session_closer_than_the_precare_lead_is_flagged() -> None:
    calendar = clinic()
    result = move(calendar, 1, date(2026, 12, 7), today=date(2026, 12, 3))
    first = result.sessions[0]
    assert first.status == "moved"
    assert "day −7 pre-care" in first.reasons[0]


def test_a_session_without_an_appointment_cannot_be_moved() -> None:
    calendar = clinic()
    with pytest.raises(SchedulingError, match="no appointment to move"):
        move(calendar, 4, date(2027, 3, 9), appointments=booked(calendar)[:3])

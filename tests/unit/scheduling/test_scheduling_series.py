"""Proposing a series: interval windows at their edges, pre-care lead, holidays, absences,
preferences, daylight-saving weeks, plans as input."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from tests.unit.scheduling.conftest import (
    NEW_YORK,
    booking,
    clinic,
    days_between,
    local,
    series,
    single_chair,
)

from microneedling.clinical.planning import parse_plan_request, plan
from microneedling.errors import SchedulingError
from microneedling.knowledge import KnowledgeBase
from microneedling.scheduling.clinic_calendar import (
    ClinicCalendar,
    Period,
    TimeRange,
)
from microneedling.scheduling.series import (
    PatientPreferences,
    SeriesProposal,
    SeriesRequest,
    propose_series,
)
from microneedling.scheduling.slots import Occupancy

TODAY = date(2026, 12, 1)  # a Tuesday
FIRST = date(2026, 12, 8)  # TODAY + 7 days of pre-care


def propose(
    calendar: ClinicCalendar,
    request: SeriesRequest | None = None,
    *,
    first_allowed: date = TODAY,
    today: date = TODAY,
    bookings: list = [],  # noqa: B006
    preferences: PatientPreferences | None = None,
) -> SeriesProposal:
    return propose_series(
        request or series(),
        calendar,
        bookings,
        first_allowed_date=first_allowed,
        today=today,
        preferences=preferences,
        series_id="s-1",
    )


def session_days(proposal: SeriesProposal, calendar: ClinicCalendar) -> list[date]:
    return [calendar.local_day(a.start) for a in proposal.appointments]


def test_an_empty_clinic_gets_every_session_at_the_default_interval() -> None:
    calendar = clinic()
    proposal = propose(calendar)
    assert proposal.complete
    assert [s.status for s in proposal.sessions] == ["proposed"] * 4
    assert session_days(proposal, calendar)[0] == FIRST
    assert days_between(proposal.appointments, calendar) == [28, 28, 28]
    first = proposal.appointments[0]
    assert local(calendar, first.start) == (FIRST, "08:00")
    assert (first.practitioner_id, first.room_id, first.device_id) == ("anna", "room-1", "pen-1")
    assert first.end - first.start == timedelta(minutes=60)
    assert first.free_at - first.end == timedelta(minutes=10)


def test_the_first_session_waits_seven_days_of_precare_after_today() -> None:
    calendar = clinic()
    proposal = propose(calendar, first_allowed=date(2026, 12, 2))
    assert session_days(proposal, calendar)[0] == FIRST
    assert proposal.sessions[0].earliest == FIRST


def test_the_first_session_waits_for_the_first_allowed_date_when_that_is_later() -> None:
    calendar = clinic()
    proposal = propose(calendar, first_allowed=date(2026, 12, 20))  # a Sunday: closed
    assert session_days(proposal, calendar)[0] == date(2026, 12, 21)


def test_a_session_exactly_the_minimum_after_the_last_is_inside_the_window() -> None:
    closed = Period.days(FIRST + timedelta(days=29), FIRST + timedelta(days=42), "renovation")
    calendar = clinic(closures=[closed])
    proposal = propose(calendar, series(2, low=4, high=6, default=5))
    assert days_between(proposal.appointments, calendar) == [28]
    assert proposal.complete and not proposal.flagged


def test_a_session_exactly_the_maximum_after_the_last_is_inside_the_window() -> None:
    closed = Period.days(FIRST + timedelta(days=28), FIRST + timedelta(days=41), "renovation")
    calendar = clinic(closures=[closed])
    proposal = propose(calendar, series(2))
    assert days_between(proposal.appointments, calendar) == [42]
    assert proposal.sessions[1].status == "proposed"
    assert proposal.sessions[1].latest == FIRST + timedelta(days=42)
    assert proposal.complete


def test_rather_than_go_over_the_maximum_the_first_session_moves_a_day() -> None:
    closed = Period.days(FIRST + timedelta(days=28), FIRST + timedelta(days=42), "renovation")
    calendar = clinic(closures=[closed])
    proposal = propose(calendar, series(2))
    assert session_days(proposal, calendar)[0] == FIRST + timedelta(days=1)
    assert days_between(proposal.appointments, calendar) == [42]
    assert proposal.complete


def test_one_day_over_the_maximum_is_flagged_with_the_reason() -> None:
    closed = Period.days(FIRST + timedelta(days=28), FIRST + timedelta(days=42), "renovation")
    calendar = clinic(closures=[closed])
    proposal = propose_series(
        series(2), calendar, first_allowed_date=TODAY, today=TODAY, search_days=1
    )  # the first session can only be on FIRST
    assert days_between(proposal.appointments, calendar) == [43]
    second = proposal.sessions[1]
    assert second.status == "outside_window"
    assert second.flagged and not proposal.complete
    (reason,) = second.reasons
    assert "4–6 weeks after session 1 (2026-12-08): 2027-01-05 to 2027-01-19" in reason
    assert "the clinic is closed (renovation)" in reason
    assert "proposed 2027-01-20, 6 weeks 1 day after session 1" in reason


def test_a_session_that_cannot_be_placed_at_all_leaves_the_rest_unplaced() -> None:
    closed = Period.days(FIRST + timedelta(days=20), FIRST + timedelta(days=200), "flood")
    calendar = clinic(closures=[closed])
    proposal = propose(calendar)
    assert [s.status for s in proposal.sessions] == ["proposed", "unplaced", "unplaced", "unplaced"]
    assert "flood" in proposal.sessions[1].reasons[0]
    assert proposal.sessions[2].reasons == ("session 2 could not be placed",)
    assert len(proposal.appointments) == 1


def test_a_holiday_on_the_target_day_moves_the_session_later_never_under_the_minimum() -> None:
    holiday = Period.days(FIRST + timedelta(days=28), reason="New Year")
    calendar = clinic(closures=[holiday])
    proposal = propose(calendar)
    assert days_between(proposal.appointments, calendar)[0] == 29
    assert proposal.complete


def test_absent_practitioners_push_the_session_to_the_next_day_in_its_window() -> None:
    target = FIRST + timedelta(days=28)
    away = [Period.days(target, reason="conference")]
    calendar = clinic(anna_absences=away, ben_absences=away)
    proposal = propose(calendar)
    assert session_days(proposal, calendar)[1] == target + timedelta(days=1)


def test_a_fully_booked_window_makes_the_earlier_session_move_instead() -> None:
    """Exact 4-week interval; the day four weeks after the first free day is fully booked."""
    calendar = single_chair()
    blocked_day = FIRST + timedelta(days=28)
    busy = [booking(calendar, blocked_day, "09:00", "17:00", "solo", "room")]
    proposal = propose(calendar, series(2, low=4, high=4, default=4), bookings=busy)
    assert proposal.complete
    assert session_days(proposal, calendar) == [
        FIRST + timedelta(days=1),
        blocked_day + timedelta(days=1),
    ]


def test_preferred_weekdays_are_kept_for_every_session() -> None:
    calendar = clinic()
    thursdays = PatientPreferences(weekdays=frozenset({3}))
    proposal = propose(calendar, preferences=thursdays)
    assert [d.weekday() for d in session_days(proposal, calendar)] == [3, 3, 3, 3]
    assert session_days(proposal, calendar)[0] == date(2026, 12, 10)
    assert proposal.penalty == 2  # two days' delay of the first session


def test_preferred_times_hold_the_whole_visit() -> None:
    calendar = clinic()
    afternoons = PatientPreferences(times=(TimeRange.parse("14:00-18:00"),))
    proposal = propose(calendar, preferences=afternoons)
    for appointment in proposal.appointments:
        assert local(calendar, appointment.start)[1] >= "14:00"
        assert local(calendar, appointment.end)[1] <= "18:00"
    assert proposal.penalty == 0


def test_a_preferred_practitioner_is_worth_a_day_off_the_default() -> None:
    target = FIRST + timedelta(days=28)  # a Tuesday
    calendar = clinic(ben_absences=[Period.days(target, reason="course")])
    proposal = propose(calendar, preferences=PatientPreferences(practitioner_id="ben"))
    assert {a.practitioner_id for a in proposal.appointments} == {"ben"}
    assert session_days(proposal, calendar)[1] == target + timedelta(days=1)


def test_without_a_preference_the_same_practitioner_is_kept() -> None:
    calendar = clinic()
    busy = [booking(calendar, FIRST, "08:00", "16:30", "anna", "room-2")]
    proposal = propose(calendar, bookings=busy)
    first = proposal.appointments[0]
    assert (first.practitioner_id, local(calendar, first.start)[1]) == ("ben", "10:00")
    # Anna is listed first and free at 08:00 later on, but Ben keeps the series.
    assert {a.practitioner_id for a in proposal.appointments} == {"ben"}


def test_an_unknown_preferred_practitioner_is_refused() -> None:
    with pytest.raises(SchedulingError, match="unknown practitioner"):
        propose(clinic(), preferences=PatientPreferences(practitioner_id="zoe"))


def test_a_berlin_series_across_the_spring_change_keeps_its_local_time() -> None:
    calendar = clinic()
    proposal = propose(calendar, first_allowed=date(2027, 3, 2), today=date(2027, 2, 1))
    first, second = proposal.appointments[:2]
    assert local(calendar, first.start) == (date(2027, 3, 2), "08:00")
    assert local(calendar, second.start) == (date(2027, 3, 30), "08:00")
    assert (first.start.hour, second.start.hour) == (7, 6)  # UTC+1, then UTC+2


def test_a_weekly_series_through_the_berlin_change_week_keeps_its_local_time() -> None:
    calendar = clinic()
    weekly = series(3, low=1, high=2, default=1)
    proposal = propose(calendar, weekly, first_allowed=date(2027, 3, 26), today=date(2027, 3, 1))
    assert [local(calendar, a.start) for a in proposal.appointments] == [
        (date(2027, 3, 26), "08:00"),
        (date(2027, 4, 2), "08:00"),
        (date(2027, 4, 9), "08:00"),
    ]
    assert days_between(proposal.appointments, calendar) == [7, 7]


def test_a_berlin_series_across_the_autumn_change_keeps_its_local_time() -> None:
    calendar = clinic()
    proposal = propose(calendar, first_allowed=date(2026, 10, 20), today=date(2026, 10, 1))
    first, second = proposal.appointments[:2]
    assert local(calendar, first.start) == (date(2026, 10, 20), "08:00")
    assert local(calendar, second.start) == (date(2026, 11, 17), "08:00")
    assert second.start - first.start == timedelta(days=28, hours=1)


@pytest.mark.parametrize(
    ("first_allowed", "change"),
    [(date(2027, 3, 9), date(2027, 3, 14)), (date(2026, 10, 27), date(2026, 11, 1))],
)
def test_a_new_york_weekly_series_through_a_change_keeps_its_local_time(
    first_allowed: date, change: date
) -> None:
    calendar = clinic(time_zone=NEW_YORK)
    weekly = series(3, low=1, high=2, default=1)
    proposal = propose(
        calendar, weekly, first_allowed=first_allowed, today=first_allowed - timedelta(days=30)
    )
    times = [local(calendar, a.start) for a in proposal.appointments]
    assert [t for _, t in times] == ["08:00", "08:00", "08:00"]
    assert times[0][0] < change < times[1][0]
    offsets = {a.start.astimezone(calendar.zone).utcoffset() for a in proposal.appointments}
    assert offsets == {timedelta(hours=-5), timedelta(hours=-4)}


def test_a_prebuilt_occupancy_is_not_changed_by_a_proposal() -> None:
    calendar = clinic()
    occupancy = Occupancy(calendar)
    length = calendar.lengths.length(("cheeks", "forehead"))
    before = occupancy.free_slots(FIRST, length)
    proposal = propose_series(series(), calendar, occupancy, first_allowed_date=TODAY, today=TODAY)
    assert proposal.complete
    assert occupancy.free_slots(FIRST, length) == before


def test_a_plans_series_is_the_request(kb: KnowledgeBase) -> None:
    request = parse_plan_request(
        json.loads(
            '{"on": "2026-12-01", "fitzpatrick": 3, "start": "2026-12-07", "treatments": '
            '[{"zone": "cheeks", "concern": "acne_scars"}, {"zone": "forehead", "concern": "fine_lines"}]}'
        )
    )
    result = plan(request, kb)
    series_request = SeriesRequest.from_plan(result["series"][0])
    assert series_request.sessions == 4
    assert (series_request.interval.min, series_request.interval.max) == (4, 6)
    assert series_request.zones == ("cheeks", "forehead")
    calendar = clinic()
    first_allowed = date.fromisoformat(result["series"][0]["dates"][0])
    proposal = propose_series(
        series_request, calendar, first_allowed_date=first_allowed, today=TODAY
    )
    assert proposal.complete


def test_a_home_use_series_has_nothing_to_book() -> None:
    home = {
        "concerns": ["product_absorption"],
        "zones": [{"zone": "cheeks"}],
        "sessions": None,
        "interval_weeks": None,
        "dates": [],
    }
    with pytest.raises(SchedulingError, match="no sessions to book"):
        SeriesRequest.from_plan(home)


def test_the_proposal_as_json_gives_local_times_with_offsets_and_is_deterministic() -> None:
    calendar = clinic()
    first = propose(calendar).to_dict(calendar)
    again = propose(calendar).to_dict(calendar)
    assert json.dumps(first) == json.dumps(again)
    session = first["sessions"][0]
    assert session["start"] == "2026-12-08T08:00:00+01:00"
    assert session["start_utc"] == "2026-12-08T07:00:00Z"
    assert session["window"] == {"earliest": "2026-12-08", "latest": None, "target": "2026-12-08"}
    assert first["sessions"][1]["window"]["latest"] == "2027-01-19"

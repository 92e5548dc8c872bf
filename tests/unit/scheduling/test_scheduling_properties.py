"""Scheduling invariants over generated clinics, bookings and series (Hypothesis).

Whatever the calendar (time zone with or without daylight saving, hours, closures, absences,
devices limited to rooms) and the existing bookings: no proposal has a gap under the minimum,
none double-books a practitioner, room or device, and every appointment lies inside the opening
and working hours.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from itertools import pairwise

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from tests.unit.scheduling.conftest import overlapping

from microneedling.scheduling.clinic_calendar import (
    WEEKDAYS,
    Booking,
    ClinicCalendar,
    Device,
    Period,
    Practitioner,
    Room,
    TimeRange,
    WeeklyHours,
)
from microneedling.scheduling.optimise import PendingSeries, assign_greedy, assign_optimised
from microneedling.scheduling.series import (
    Appointment,
    IntervalWeeks,
    PatientPreferences,
    SeriesProposal,
    SeriesRequest,
    propose_series,
    reschedule,
)
from microneedling.scheduling.slots import Occupancy, Slot

ZONES = ["forehead", "cheeks", "neck", "hands", "abdomen", "thighs", "chin"]
DAY0 = date(2026, 9, 1)


def _hours(draw: st.DrawFn, days: list[int], earliest: int, latest: int) -> WeeklyHours:
    week: list[tuple[TimeRange, ...]] = [() for _ in WEEKDAYS]
    for day in days:
        start = draw(st.integers(earliest, earliest + 4)) * 60
        end = draw(st.integers(max(latest - 5, start // 60 + 2), latest)) * 60
        ranges = [(start, end)]
        if draw(st.booleans()) and end - start >= 240:
            lunch = start + 180
            ranges = [(start, lunch), (lunch + 30, end)]
        week[day] = tuple(
            TimeRange(time(a // 60, a % 60), time(b // 60 % 24, b % 60)) for a, b in ranges
        )
    return WeeklyHours(tuple(week))


@st.composite
def clinics(draw: st.DrawFn) -> ClinicCalendar:
    zone = draw(st.sampled_from(["Europe/Berlin", "America/New_York", "UTC"]))
    open_days = draw(st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True))
    opening = _hours(draw, open_days, 7, 20)
    practitioners = []
    for number in range(draw(st.integers(1, 3))):
        days = draw(st.lists(st.sampled_from(open_days), min_size=1, unique=True))
        absences = tuple(
            Period.days(
                DAY0 + timedelta(days=a), DAY0 + timedelta(days=a + draw(st.integers(0, 9)))
            )
            for a in draw(st.lists(st.integers(0, 250), max_size=2))
        )
        practitioners.append(Practitioner(f"p{number}", _hours(draw, days, 6, 21), absences))
    rooms = tuple(Room(f"r{n}") for n in range(draw(st.integers(1, 2))))
    devices = tuple(
        Device(f"d{n}", rooms=frozenset({rooms[-1].id}) if draw(st.booleans()) else None)
        for n in range(draw(st.integers(0, 2)))
    )
    closures = tuple(
        Period.days(
            DAY0 + timedelta(days=c), DAY0 + timedelta(days=c + draw(st.integers(0, 12))), "closed"
        )
        for c in draw(st.lists(st.integers(0, 250), max_size=3))
    )
    return ClinicCalendar(
        time_zone=zone,
        opening_hours=opening,
        practitioners=tuple(practitioners),
        rooms=rooms,
        devices=devices,
        closures=closures,
        slot_minutes=draw(st.sampled_from([10, 15, 30])),
    )


@st.composite
def bookings_for(draw: st.DrawFn, calendar: ClinicCalendar) -> list[Booking]:
    result = []
    for _ in range(draw(st.integers(0, 80))):
        day = DAY0 + timedelta(days=draw(st.integers(0, 150)))
        start = calendar.local_to_utc(
            day, time(draw(st.integers(7, 19)), draw(st.sampled_from([0, 5, 30])))
        )
        minutes = draw(st.integers(20, 180))
        result.append(
            Booking(
                start,
                start + timedelta(minutes=minutes),
                draw(st.sampled_from([None, *[p.id for p in calendar.practitioners]])),
                draw(st.sampled_from([None, *[r.id for r in calendar.rooms]])),
                draw(st.sampled_from([None, *[d.id for d in calendar.devices]])),
            )
        )
    return result


@st.composite
def requests(draw: st.DrawFn) -> SeriesRequest:
    low = draw(st.integers(1, 4))
    high = draw(st.integers(low, low + 3))
    return SeriesRequest(
        sessions=draw(st.integers(1, 5)),
        interval=IntervalWeeks(low, high, draw(st.integers(low, high))),
        zones=tuple(draw(st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True))),
        anaesthetic=draw(st.booleans()),
    )


@st.composite
def preferences_for(draw: st.DrawFn, calendar: ClinicCalendar) -> PatientPreferences:
    return PatientPreferences(
        weekdays=frozenset(draw(st.lists(st.integers(0, 6), max_size=3))),
        times=(
            TimeRange.parse(draw(st.sampled_from(["08:00-12:00", "12:00-16:00", "15:00-20:00"]))),
        )
        if draw(st.booleans())
        else (),
        practitioner_id=draw(st.sampled_from([None, *[p.id for p in calendar.practitioners]])),
    )


def _slot(appointment: Appointment) -> Slot:
    return Slot(
        appointment.start,
        appointment.end,
        appointment.free_at,
        appointment.practitioner_id,
        appointment.room_id,
        appointment.device_id,
    )


def _assert_bookable(
    calendar: ClinicCalendar,
    bookings: list[Booking],
    appointments: tuple[Appointment, ...] | list[Appointment],
) -> None:
    occupancy = Occupancy(calendar, bookings)
    for appointment in appointments:
        # Free in the clinic's occupancy: inside opening and working hours, not on a closure or
        # an absence, and no practitioner, room or device booked at the same time.
        assert occupancy.is_free(_slot(appointment)), appointment
        if appointment.device_id is not None:
            device = next(d for d in calendar.devices if d.id == appointment.device_id)
            assert device.usable(appointment.practitioner_id, appointment.room_id)
    for key in ("practitioner_id", "room_id", "device_id"):
        assert not overlapping((getattr(a, key), a.start, a.free_at) for a in appointments)


def _assert_gaps(
    proposal: SeriesProposal, request: SeriesRequest, calendar: ClinicCalendar
) -> None:
    placed = [s for s in proposal.sessions if s.appointment is not None]
    for before, after in pairwise(placed):
        assert before.appointment is not None and after.appointment is not None
        gap = (
            calendar.local_day(after.appointment.start)
            - calendar.local_day(before.appointment.start)
        ).days
        assert gap >= 7 * request.interval.min
        if not after.flagged:
            assert gap <= 7 * request.interval.max


@st.composite
def scenarios(
    draw: st.DrawFn,
) -> tuple[ClinicCalendar, list[Booking], SeriesRequest, PatientPreferences, date, date]:
    calendar = draw(clinics())
    today = DAY0 + timedelta(days=draw(st.integers(0, 60)))
    first_allowed = today + timedelta(days=draw(st.integers(0, 20)))
    return (
        calendar,
        draw(bookings_for(calendar)),
        draw(requests()),
        draw(preferences_for(calendar)),
        today,
        first_allowed,
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_a_proposal_never_has_a_gap_under_the_minimum_nor_double_books(
    scenario: tuple[ClinicCalendar, list[Booking], SeriesRequest, PatientPreferences, date, date],
) -> None:
    calendar, bookings, request, preferences, today, first_allowed = scenario
    proposal = propose_series(
        request, calendar, bookings, first_allowed_date=first_allowed, today=today,
        preferences=preferences, series_id="s",
    )  # fmt: skip
    assert len(proposal.sessions) == request.sessions
    event(
        f"{len(proposal.appointments)} of {request.sessions} placed, {len(proposal.flagged)} flagged"
    )
    _assert_gaps(proposal, request, calendar)
    _assert_bookable(calendar, bookings, proposal.appointments)
    if proposal.appointments:
        first_day = calendar.local_day(proposal.appointments[0].start)
        assert first_day >= max(first_allowed, today + timedelta(days=7))
    for session in proposal.sessions:
        assert (session.appointment is None) == (session.status == "unplaced")
        assert session.flagged == (session.status in ("outside_window", "unplaced"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.data())
def test_cancelling_a_session_never_breaks_the_minimum_nor_double_books(
    scenario: tuple[ClinicCalendar, list[Booking], SeriesRequest, PatientPreferences, date, date],
    data: st.DataObject,
) -> None:
    calendar, bookings, request, preferences, today, first_allowed = scenario
    proposal = propose_series(
        request, calendar, bookings, first_allowed_date=first_allowed, today=today,
        preferences=preferences, series_id="s",
    )  # fmt: skip
    booked = [
        Appointment(a.series_id, a.session, a.sessions, a.start, a.end, a.free_at,
                    a.practitioner_id, a.room_id, a.device_id, reference=f"a{a.session}")
        for a in proposal.appointments
    ]  # fmt: skip
    if not booked:
        return
    session = data.draw(st.integers(1, len(booked)), label="session")
    cancelled_on = calendar.local_day(booked[session - 1].start)
    result = reschedule(
        request, booked, calendar, bookings + [a.booking() for a in booked], session=session,
        to=None, today=cancelled_on, first_allowed_date=first_allowed, preferences=preferences,
    )  # fmt: skip
    assert [s.appointment for s in result.sessions[: session - 1]] == booked[: session - 1]
    _assert_gaps(result, request, calendar)
    _assert_bookable(calendar, bookings, result.appointments)
    for moved in result.appointments[session - 1 :]:
        assert calendar.local_day(moved.start) > cancelled_on


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clinics(), st.data())
def test_clinic_wide_assignments_never_double_book_nor_leave_their_windows(
    calendar: ClinicCalendar, data: st.DataObject
) -> None:
    today = DAY0
    until = today + timedelta(days=70)
    bookings = data.draw(bookings_for(calendar), label="bookings")
    pending = [
        PendingSeries(
            f"s{n}", data.draw(requests(), label="request"),
            first_allowed=today + timedelta(days=data.draw(st.integers(0, 30), label="first")),
        )
        for n in range(data.draw(st.integers(1, 12), label="count"))
    ]  # fmt: skip
    for result in (
        assign_greedy(pending, calendar, bookings, today=today, until=until),
        assign_optimised(pending, calendar, bookings, today=today, until=until, use_solver=False),
    ):
        _assert_bookable(calendar, bookings, result.appointments)
        by_series: dict[str, list[Appointment]] = {}
        for appointment in result.appointments:
            by_series.setdefault(appointment.series_id, []).append(appointment)
        for item in pending:
            placed = sorted(by_series.get(item.series_id, []), key=lambda a: a.session)
            assert [a.session for a in placed] == list(range(1, len(placed) + 1))
            days = [calendar.local_day(a.start) for a in placed]
            for before, after in pairwise(days):
                assert (
                    7 * item.request.interval.min
                    <= (after - before).days
                    <= 7 * item.request.interval.max
                )
            assert all(day <= until for day in days)

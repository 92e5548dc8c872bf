"""Clinic-wide assignment on small instances: CP-SAT against greedy, and every assignment
feasible (no double booking, inside opening and working hours, inside the windows)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from tests.unit.scheduling.conftest import booking, clinic, overlapping, series, single_chair

from microneedling.errors import SchedulingError
from microneedling.scheduling.clinic_calendar import (
    ClinicCalendar,
    Period,
    TimeRange,
)
from microneedling.scheduling.optimise import (
    Assignment,
    PendingSeries,
    Progress,
    assign_greedy,
    assign_optimised,
)
from microneedling.scheduling.series import PatientPreferences
from microneedling.scheduling.slots import Occupancy, Slot

TODAY = date(2027, 1, 4)  # a Monday


def check_feasible(
    result: Assignment,
    pending: list[PendingSeries],
    calendar: ClinicCalendar,
    *,
    until: date,
    first_session_days: int = 28,
) -> None:
    appointments = result.appointments
    assert not overlapping((a.practitioner_id, a.start, a.free_at) for a in appointments)
    assert not overlapping((a.room_id, a.start, a.free_at) for a in appointments)
    assert not overlapping((a.device_id, a.start, a.free_at) for a in appointments)
    empty = Occupancy(calendar)
    for a in appointments:  # inside opening hours, working hours, not on a closure
        slot = Slot(a.start, a.end, a.free_at, a.practitioner_id, a.room_id, a.device_id)
        assert empty.is_free(slot), a
        assert calendar.local_day(a.start) <= until
    by_series = {p.series_id: p for p in pending}
    placed: dict[str, list[date]] = {}
    for a in sorted(appointments, key=lambda a: (a.series_id, a.session)):
        placed.setdefault(a.series_id, []).append(calendar.local_day(a.start))
        assert a.session == by_series[a.series_id].done + len(placed[a.series_id])
    for series_id, days in placed.items():
        item = by_series[series_id]
        interval = item.request.interval
        anchor = item.last_session
        for day in days:
            if anchor is None:
                earliest = max(item.first_allowed, TODAY + timedelta(days=7))
                assert earliest <= day <= earliest + timedelta(days=first_session_days - 1)
            else:
                assert 7 * interval.min <= (day - anchor).days <= 7 * interval.max
            anchor = day
    assert result.in_window + len(result.unplaced) == result.sessions


def crowded(count: int, seed: int) -> tuple[ClinicCalendar, list[PendingSeries]]:
    """One chair open four hours a day (three appointments), more series than it can hold."""
    calendar = single_chair(hours="09:00-13:00")
    rng = random.Random(seed)
    intervals = [(1, 2, 1), (2, 3, 2), (2, 2, 2), (1, 3, 2)]
    pending = []
    for number in range(count):
        low, high, default = rng.choice(intervals)
        pending.append(
            PendingSeries(
                f"s{number:02d}",
                series(3, low, high, default, zones=rng.choice([("forehead",), ("cheeks",)])),
                first_allowed=TODAY + timedelta(days=rng.randrange(7, 28)),
                preferences=PatientPreferences(
                    weekdays=frozenset(rng.sample(range(5), 2))
                    if rng.random() < 0.3
                    else frozenset(),
                    times=(TimeRange.parse("09:00-11:00"),) if rng.random() < 0.3 else (),
                ),
            )
        )
    return calendar, pending


@pytest.mark.parametrize("seed", [1, 2])
def test_cp_sat_places_at_least_as_many_sessions_as_greedy_and_both_are_feasible(seed: int) -> None:
    calendar, pending = crowded(40, seed)
    until = TODAY + timedelta(days=55)
    greedy = assign_greedy(pending, calendar, today=TODAY, until=until)
    optimised = assign_optimised(
        pending, calendar, today=TODAY, until=until, time_limit_seconds=3, baseline=greedy
    )
    assert optimised.in_window >= greedy.in_window
    assert optimised.method == "cp-sat"  # the rolling horizon itself, not the greedy fallback
    assert greedy.in_window < greedy.sessions  # the instance is crowded
    check_feasible(greedy, pending, calendar, until=until)
    check_feasible(optimised, pending, calendar, until=until)
    assert 0 < optimised.utilisation <= 1


def test_the_optimiser_keeps_a_tight_series_that_greedy_crowds_out() -> None:
    """One appointment a day. A (1-2 weeks apart) starts a week before B (exactly 1 week apart).
    Greedy books A's second session on its default day, B's first day; CP-SAT moves it a day."""
    calendar = single_chair(hours="09:00-10:10")
    week_one = TODAY + timedelta(days=7)
    pending = [
        PendingSeries("a", series(2, 1, 2, 1), first_allowed=week_one),
        PendingSeries("b", series(2, 1, 1, 1), first_allowed=week_one + timedelta(days=7)),
    ]
    until = TODAY + timedelta(days=34)
    kwargs = {"today": TODAY, "until": until, "first_session_days": 1}
    greedy = assign_greedy(pending, calendar, **kwargs)  # type: ignore[arg-type]
    optimised = assign_optimised(pending, calendar, time_limit_seconds=2, **kwargs)  # type: ignore[arg-type]
    assert greedy.in_window == 2
    assert greedy.unplaced[0].reason.startswith("no free slot in its window")
    assert optimised.in_window == 4
    assert optimised.method == "cp-sat"
    check_feasible(optimised, pending, calendar, until=until, first_session_days=1)


def test_a_series_under_way_continues_from_its_last_session() -> None:
    calendar = clinic()
    last = TODAY - timedelta(days=20)
    pending = [
        PendingSeries(
            "s",
            series(4),
            first_allowed=last - timedelta(days=28),
            done=2,
            last_session=last,
            last_practitioner="ben",
        ),
    ]
    until = TODAY + timedelta(days=90)
    for result in (
        assign_greedy(pending, calendar, today=TODAY, until=until),
        assign_optimised(pending, calendar, today=TODAY, until=until, time_limit_seconds=1),
    ):
        assert [a.session for a in result.appointments] == [3, 4]
        assert {a.practitioner_id for a in result.appointments} == {"ben"}
        check_feasible(result, pending, calendar, until=until)


def test_sessions_that_cannot_be_placed_say_why() -> None:
    closed = Period.days(TODAY, TODAY + timedelta(days=60), "renovation")
    calendar = clinic(closures=[closed])
    pending = [PendingSeries("s", series(3), first_allowed=TODAY)]
    until = TODAY + timedelta(days=90)
    for result in (
        assign_greedy(pending, calendar, today=TODAY, until=until),
        assign_optimised(pending, calendar, today=TODAY, until=until, time_limit_seconds=1),
    ):
        assert result.in_window == 0
        first, *rest = result.unplaced
        assert first.session == 1 and "no free slot" in first.reason
        assert [u.reason for u in rest] == ["session 1 is unplaced", "session 2 is unplaced"]


def test_existing_bookings_are_respected_and_left_unchanged() -> None:
    calendar = single_chair(hours="09:00-13:00")
    monday = TODAY + timedelta(days=7)
    occupancy = Occupancy(calendar, [booking(calendar, monday, "09:00", "13:00", "solo", "room")])
    length = calendar.lengths.length(("cheeks", "forehead"))
    before = occupancy.free_slots(monday + timedelta(days=1), length)
    pending = [PendingSeries("s", series(2, 1, 2, 1), first_allowed=monday)]
    result = assign_optimised(
        pending,
        calendar,
        occupancy,
        today=TODAY,
        until=TODAY + timedelta(days=40),
        time_limit_seconds=1,
    )
    assert calendar.local_day(result.appointments[0].start) == monday + timedelta(days=1)
    assert occupancy.free_slots(monday + timedelta(days=1), length) == before


def test_progress_is_reported_step_by_step() -> None:
    calendar, pending = crowded(10, 3)
    until = TODAY + timedelta(days=27)
    seen: list[Progress] = []
    greedy = assign_greedy(pending, calendar, today=TODAY, until=until, progress=seen.append)
    assert seen[-1] == Progress("greedy", 10, 10, greedy.in_window)
    seen.clear()
    assign_optimised(
        pending,
        calendar,
        today=TODAY,
        until=until,
        time_limit_seconds=1,
        baseline=greedy,
        progress=seen.append,
    )
    assert [p.done for p in seen] == [1, 2, 3, 4]
    assert {p.method for p in seen} == {"cp-sat"} and all(p.total == 4 for p in seen)


def test_bad_input_is_refused() -> None:
    calendar = clinic()
    twice = [PendingSeries("s", series(), TODAY), PendingSeries("s", series(), TODAY)]
    with pytest.raises(SchedulingError, match="unique"):
        assign_greedy(twice, calendar, today=TODAY, until=TODAY + timedelta(days=10))
    with pytest.raises(SchedulingError, match="ends before"):
        assign_greedy([], calendar, today=TODAY, until=TODAY - timedelta(days=1))
    with pytest.raises(SchedulingError, match="done"):
        PendingSeries("s", series(2), TODAY, done=2, last_session=TODAY)
    with pytest.raises(SchedulingError, match="last one"):
        PendingSeries("s", series(3), TODAY, done=1)

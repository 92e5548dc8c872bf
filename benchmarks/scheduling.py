"""Scheduling benchmarks, each against a baseline measured in the same run.

1. Booking one 6-session series in a 20-practitioner clinic (Europe/Berlin, 14 rooms, 14 devices,
   public holidays) with a year of existing appointments (five a day per practitioner, about
   21,000), for a patient with narrow preferences (Tuesday/Thursday evenings, one practitioner):
   the proposal from a prebuilt occupancy index, and end to end (index from the bookings, then the
   proposal), against building the index alone; target under 50 ms. Median of 15 runs, each on a
   fresh index (no cached day masks).
   End to end through the database (SQLite, and PostgreSQL when one answers at 127.0.0.1:5432
   or MICRONEEDLING_TEST_POSTGRES): the same clinic and year of bookings stored as appointments
   with their bookings and reservations; one use case takes the calendar and the bookings the
   series can reach from the process's calendar index (kept between requests, brought up to date
   from the database), proposes, and books the 6 sessions in one transaction (appointments,
   bookings, reservations, audit entry, commit); also with the index built first, against
   loading everything from the database. Median of 15 bookings, each a new patient.
2. Clinic-wide optimisation: 2,000 pending series × 6 sessions (the protocols' interval ranges,
   preferences for weekdays, times and practitioners), 10 practitioners, 6 months (the March
   daylight-saving change, Easter and May holidays, a practitioner's two-week absence). Sessions
   placed inside their windows (of all, and of those reachable before the horizon ends), series
   started and broken off mid-way (a later session with no free slot in its window), practitioner
   utilisation, preference points per placed session, and wall time: CP-SAT (rolling horizon,
   40 s solver budget, greedy baseline included in its time) against the greedy first-fit
   baseline, and the rolling horizon without the solver, in the same run; target under 60 s and
   more sessions in window than greedy. One run each at full size (CP-SAT takes most of a minute).

The year of bookings is made once and used by both booking benchmarks; each step shows a progress
bar. ``--quick``: 21 days of bookings, 3 runs, 40 series with a 1 s solver budget (about ten
seconds; the figures are not the targets').

    .venv/bin/python benchmarks/scheduling.py [--series N] [--time-limit S] [--workers W]
        [--days D] [--repeats R] [--skip-booking] [--skip-database] [--skip-optimiser] [--quick]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from itertools import pairwise

from _common import median_seconds_bar, parse_arguments, print_table, step, tracked
from _scheduling_database import database_booking_benchmark
from microneedling.scheduling.clinic_calendar import (
    Booking,
    ClinicCalendar,
    Device,
    Period,
    Practitioner,
    Room,
    TimeRange,
    WeeklyHours,
)
from microneedling.scheduling.optimise import (
    Assignment,
    PendingSeries,
    assign_greedy,
    assign_optimised,
)
from microneedling.scheduling.series import (
    IntervalWeeks,
    PatientPreferences,
    SeriesRequest,
    propose_series,
)
from microneedling.scheduling.slots import Occupancy

BOOKING_TARGET_MS = 50
OPTIMISER_TARGET_S = 60
QUICK = {"series": 40, "time_limit": 1.0, "repeats": 3, "days": 21}
FIRST_DAY = date(2026, 7, 1)

FACE = ["forehead", "glabella", "periorbital", "nose", "cheeks", "perioral", "chin", "jawline"]
BODY = ["neck", "decolletage", "hands", "arms", "abdomen", "back", "thighs"]
HOLIDAYS_2026_2027 = [
    (date(2026, 10, 3), date(2026, 10, 3), "German Unity Day"),
    (date(2026, 12, 24), date(2027, 1, 1), "Christmas and New Year"),
    (date(2027, 3, 26), date(2027, 3, 29), "Easter"),
    (date(2027, 5, 1), date(2027, 5, 1), "Labour Day"),
    (date(2027, 5, 6), date(2027, 5, 6), "Ascension Day"),
    (date(2027, 5, 17), date(2027, 5, 17), "Whit Monday"),
]
EARLY = {"monday-friday": "08:00-12:30, 13:00-16:30"}
LATE = {"monday-friday": "11:30-15:30, 16:00-20:00"}
SATURDAY = {"tuesday-friday": "11:30-15:30, 16:00-20:00", "saturday": "09:00-15:00"}


def clinic(practitioners: int, rooms: int, devices: int) -> ClinicCalendar:
    """Berlin, open Monday-Friday 08:00-20:00 and Saturday 09:00-15:00, public holidays closed;
    early, late and Saturday shifts of 8 hours with a break; one practitioner away two weeks."""
    shifts = [EARLY, LATE, SATURDAY]
    people = []
    for number in range(practitioners):
        absences: tuple[Period, ...] = ()
        if number == 3:
            absences = (Period.days(date(2027, 2, 8), date(2027, 2, 19), "training"),)
        people.append(
            Practitioner(
                id=f"p{number:02d}",
                working_hours=WeeklyHours.parse(shifts[number % 3]),
                absences=absences,
            )
        )
    room_list = tuple(Room(f"room-{n:02d}") for n in range(rooms))
    device_list = []
    for n in range(devices):
        # A few devices are installed in one room; the rest move freely.
        fixed = frozenset([room_list[n].id]) if n < 2 and n < rooms else None
        device_list.append(Device(f"pen-{n:02d}", rooms=fixed))
    return ClinicCalendar(
        time_zone="Europe/Berlin",
        opening_hours=WeeklyHours.parse(
            {"monday-friday": "08:00-20:00", "saturday": "09:00-15:00"}
        ),
        practitioners=tuple(people),
        rooms=room_list,
        devices=tuple(device_list),
        closures=tuple(Period.days(a, b, why) for a, b, why in HOLIDAYS_2026_2027),
        slot_minutes=15,
        name="Benchmark clinic",
    )


def year_of_bookings(
    calendar: ClinicCalendar, first: date, days: int, *, seed: int = 11
) -> list[Booking]:
    """About five appointments a day per practitioner, on free grid times, rooms and devices."""
    rng = random.Random(seed)
    occupancy = Occupancy(calendar)
    length = calendar.lengths.length(["cheeks"])
    bookings = []
    for offset in tracked(range(days), "days of bookings"):
        day = first + timedelta(days=offset)
        slots = occupancy.free_slots(day, length)
        rng.shuffle(slots)
        per_practitioner: dict[str, int] = {}
        for slot in slots:
            taken = per_practitioner.get(slot.practitioner_id, 0)
            if taken >= 5:
                continue
            # The listed slot's room or device may have gone to another practitioner meanwhile.
            free = occupancy.slot_starting(
                slot.start, length, practitioners=frozenset([slot.practitioner_id])
            )
            if free is None:
                continue
            booked = free.booking(reference=f"b{len(bookings)}")
            occupancy.book(booked)
            bookings.append(booked)
            per_practitioner[slot.practitioner_id] = taken + 1
    return bookings


PROTOCOLS = [  # (share, interval min, max, default), REFERENCE.md A.3, all with 6 sessions here
    (0.40, 4, 6, 4),  # rejuvenation
    (0.25, 4, 6, 4),  # acne scars
    (0.10, 4, 6, 4),  # stretch marks
    (0.10, 4, 8, 6),  # burn scars
    (0.10, 4, 4, 4),  # hyperpigmentation
    (0.05, 1, 2, 2),  # alopecia
]


def pending_series(
    count: int, today: date, calendar: ClinicCalendar, *, seed: int = 5
) -> list[PendingSeries]:
    rng = random.Random(seed)
    result = []
    practitioner_ids = [p.id for p in calendar.practitioners]
    for number in range(count):
        low, high, default = rng.choices(
            [protocol[1:] for protocol in PROTOCOLS], weights=[p[0] for p in PROTOCOLS]
        )[0]
        zones = rng.sample(FACE, rng.randint(1, 2)) if rng.random() < 0.8 else rng.sample(BODY, 1)
        preferences = PatientPreferences(
            weekdays=frozenset(rng.sample(range(6), 3)) if rng.random() < 0.3 else frozenset(),
            times=(TimeRange.parse(rng.choice(["08:00-12:00", "12:00-16:00", "16:00-20:00"])),)
            if rng.random() < 0.3
            else (),
            practitioner_id=rng.choice(practitioner_ids) if rng.random() < 0.15 else None,
        )
        result.append(
            PendingSeries(
                series_id=f"series-{number:04d}",
                request=SeriesRequest(6, IntervalWeeks(low, high, default), tuple(zones)),
                first_allowed=today + timedelta(days=rng.randrange(0, 56)),
                preferences=preferences,
            )
        )
    return result


def booking_benchmark(
    calendar: ClinicCalendar, bookings: list[Booking], repeats: int
) -> list[list[str]]:
    request = SeriesRequest(6, IntervalWeeks(4, 6, 4), ("cheeks", "forehead"))
    preferences = PatientPreferences(
        weekdays=frozenset({1, 3}), times=(TimeRange.parse("16:00-20:00"),), practitioner_id="p04"
    )

    def propose(occupancy: Occupancy) -> None:
        proposal = propose_series(
            request,
            calendar,
            occupancy,
            first_allowed_date=date(2026, 11, 20),
            today=date(2026, 11, 16),
            preferences=preferences,
            series_id="bench",
        )
        assert proposal.complete, proposal

    build = median_seconds_bar(lambda: Occupancy(calendar, bookings), repeats, "index (baseline)")
    fresh = [Occupancy(calendar, bookings) for _ in range(repeats)]
    times = []
    for occupancy in tracked(fresh, "propose from the index"):
        started = time.perf_counter()
        propose(occupancy)
        times.append(time.perf_counter() - started)
    times.sort()
    proposal_only = times[len(times) // 2]
    end_to_end = median_seconds_bar(
        lambda: propose(Occupancy(calendar, bookings)), repeats, "index + propose"
    )
    ms = 1000
    return [
        [f"baseline: index {len(bookings):,} bookings (Occupancy)", f"{build * ms:.1f}", "", ""],
        [
            "propose 6 sessions from the index (cold day masks)",
            f"{proposal_only * ms:.1f}",
            f"< {BOOKING_TARGET_MS}",
            "PASS" if proposal_only * ms < BOOKING_TARGET_MS else "FAIL",
        ],
        [
            "end to end: index + propose",
            f"{end_to_end * ms:.1f}",
            f"< {BOOKING_TARGET_MS}",
            "PASS" if end_to_end * ms < BOOKING_TARGET_MS else "FAIL",
        ],
    ]


def optimiser_benchmark(count: int, time_limit: float, workers: int) -> list[list[str]]:
    calendar = clinic(10, 8, 8)
    today = date(2027, 1, 4)
    until = today + timedelta(days=181)
    pending = pending_series(count, today + timedelta(days=7), calendar)

    def timed(run: Callable[[], Assignment], what: str) -> tuple[Assignment, float]:
        with step(what):
            started = time.perf_counter()
            result = run()
            return result, time.perf_counter() - started

    greedy, greedy_seconds = timed(
        lambda: assign_greedy(pending, calendar, today=today, until=until), "greedy (baseline)"
    )
    heuristic, heuristic_seconds = timed(
        lambda: assign_optimised(
            pending, calendar, today=today, until=until, use_solver=False, baseline=greedy
        ),
        "rolling horizon, no solver",
    )
    # The full call, greedy baseline included (assign_optimised computes it itself).
    optimised, optimised_seconds = timed(
        lambda: assign_optimised(
            pending,
            calendar,
            today=today,
            until=until,
            time_limit_seconds=time_limit,
            workers=workers,
        ),
        f"rolling horizon + CP-SAT (budget {time_limit:g} s)",
    )
    for result in (greedy, heuristic, optimised):
        _check(result, pending, calendar, today)

    def row(name: str, result: Assignment, seconds: float, target: bool) -> list[str]:
        verdict = ""
        if target:
            better = result.in_window > greedy.in_window
            verdict = "PASS" if seconds < OPTIMISER_TARGET_S and better else "FAIL"
        started = len({a.series_id for a in result.appointments if a.session == 1})
        broken = sum(
            1 for u in result.unplaced if u.session > 1 and u.reason.startswith("no free slot in")
        )
        return [
            name,
            f"{result.in_window:,} / {result.sessions:,}",
            f"{result.share_in_window:.1%}",
            f"{result.share_of_reachable:.1%}",
            f"{started:,}",
            f"{broken:,}",
            f"{result.utilisation:.1%}",
            f"{result.penalty / max(result.in_window, 1):.1f}",
            f"{seconds:.1f}",
            verdict,
        ]

    return [
        row("baseline: greedy", greedy, greedy_seconds, False),
        row("rolling, no solver", heuristic, heuristic_seconds, False),
        row(
            "rolling + CP-SAT" if optimised.method == "cp-sat" else optimised.method,
            optimised,
            optimised_seconds,
            True,
        ),
    ]


def _check(
    result: Assignment, pending: list[PendingSeries], calendar: ClinicCalendar, today: date
) -> None:
    """No resource double-booked; every session inside its window after the one before."""
    by_resource: dict[str, list[tuple[datetime, datetime]]] = {}
    for appointment in result.appointments:
        for key in (appointment.practitioner_id, appointment.room_id, appointment.device_id):
            by_resource.setdefault(str(key), []).append((appointment.start, appointment.free_at))
    for spans in by_resource.values():
        spans.sort()
        for (_, end), (start, _) in pairwise(spans):
            assert start >= end, "double booking"
    by_id = {p.series_id: p for p in pending}
    last: dict[str, date] = {}
    for appointment in sorted(result.appointments, key=lambda a: (a.series_id, a.session)):
        item = by_id[appointment.series_id]
        day = calendar.local_day(appointment.start)
        if appointment.session == 1:
            earliest = max(item.first_allowed, today + timedelta(days=7))
            assert earliest <= day < earliest + timedelta(days=28)
        else:
            gap = (day - last[appointment.series_id]).days
            assert 7 * item.request.interval.min <= gap <= 7 * item.request.interval.max
        last[appointment.series_id] = day


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--series", type=int, default=2000)
    parser.add_argument("--time-limit", type=float, default=40.0, help="CP-SAT solver budget")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--days", type=int, default=365, help="Days of existing bookings")
    parser.add_argument("--skip-booking", action="store_true")
    parser.add_argument("--skip-database", action="store_true")
    parser.add_argument("--skip-optimiser", action="store_true")
    args = parse_arguments(parser, QUICK)
    calendar = clinic(20, 14, 14)
    span = "a year" if args.days == 365 else f"{args.days} days"
    bookings = (
        year_of_bookings(calendar, FIRST_DAY, args.days)
        if not (args.skip_booking and args.skip_database)
        else []
    )
    if not args.skip_booking:
        print_table(
            f"Booking one 6-session series: 20 practitioners, {span} of bookings "
            f"(median of {args.repeats})",
            ["run", "ms", "target", "result"],
            booking_benchmark(calendar, bookings, args.repeats),
        )
    if not args.skip_database:
        print_table(
            "Booking one 6-session series end to end through the database: 20 practitioners, "
            f"{span} of bookings (median of {args.repeats})",
            ["run", "ms", "vs baseline", "target", "result"],
            database_booking_benchmark(calendar, bookings, args.repeats),
        )
    if args.skip_optimiser:
        return
    print_table(
        f"Optimiser: {args.series:,} series × 6 sessions, 10 practitioners, 6 months "
        f"(CP-SAT budget {args.time_limit:.0f} s, {args.workers} workers; one run each)",
        [
            "method",
            "in window",
            "share",
            "of reach.",
            "started",
            "broken",
            "util.",
            "pts/sess",
            "s",
            "target",
        ],
        optimiser_benchmark(args.series, args.time_limit, args.workers),
    )


if __name__ == "__main__":
    main()

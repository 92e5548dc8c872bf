"""Builders for the scheduling tests: a small Berlin clinic, series, local times."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from microneedling.scheduling.clinic_calendar import (
    AppointmentLengths,
    Booking,
    ClinicCalendar,
    Device,
    Period,
    Practitioner,
    Room,
    WeeklyHours,
)
from microneedling.scheduling.series import Appointment, IntervalWeeks, SeriesRequest

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"

#: cheeks + forehead: 30 min anaesthetic + 30 min procedure (+ 10 min turnover).
FACE = ("cheeks", "forehead")


def clinic(
    *,
    time_zone: str = BERLIN,
    closures: Sequence[Period] = (),
    anna_absences: Sequence[Period] = (),
    ben_absences: Sequence[Period] = (),
    slot_minutes: int = 15,
) -> ClinicCalendar:
    """Open Monday to Friday 08:00-18:00 and Saturday 09:00-13:00; Anna works Monday to Friday
    with a lunch break, Ben Tuesday to Saturday; two rooms; pen-1 anywhere, pen-2 in room-2 only."""
    return ClinicCalendar(
        time_zone=time_zone,
        opening_hours=WeeklyHours.parse(
            {"monday-friday": "08:00-18:00", "saturday": "09:00-13:00"}
        ),
        practitioners=(
            Practitioner(
                "anna",
                WeeklyHours.parse({"monday-friday": "08:00-12:00, 12:30-16:30"}),
                tuple(anna_absences),
                name="Anna",
            ),
            Practitioner(
                "ben",
                WeeklyHours.parse({"tuesday-friday": "10:00-18:00", "saturday": "09:00-13:00"}),
                tuple(ben_absences),
                name="Ben",
            ),
        ),
        rooms=(Room("room-1"), Room("room-2")),
        devices=(Device("pen-1"), Device("pen-2", rooms=frozenset({"room-2"}))),
        closures=tuple(closures),
        slot_minutes=slot_minutes,
        name="Demo clinic",
    )


def single_chair(
    *,
    time_zone: str = BERLIN,
    hours: str = "09:00-17:00",
    days: str = "monday-friday",
    closures: Sequence[Period] = (),
    lengths: AppointmentLengths | None = None,
    slot_minutes: int = 15,
) -> ClinicCalendar:
    """One practitioner, one room, no devices: the simplest calendar."""
    weekly = WeeklyHours.parse({days: hours})
    return ClinicCalendar(
        time_zone=time_zone,
        opening_hours=weekly,
        practitioners=(Practitioner("solo", weekly),),
        rooms=(Room("room"),),
        closures=tuple(closures),
        lengths=lengths or AppointmentLengths(),
        slot_minutes=slot_minutes,
    )


def series(
    sessions: int = 4, low: int = 4, high: int = 6, default: int = 4, zones: Sequence[str] = FACE
) -> SeriesRequest:
    return SeriesRequest(sessions, IntervalWeeks(low, high, default), tuple(zones))


def at(calendar: ClinicCalendar, day: date, hhmm: str) -> datetime:
    """Local ``hhmm`` on ``day`` as a UTC instant."""
    hour, minute = map(int, hhmm.split(":"))
    return calendar.local_to_utc(day, time(hour, minute))


def local(calendar: ClinicCalendar, instant: datetime) -> tuple[date, str]:
    wall = instant.astimezone(ZoneInfo(calendar.time_zone))
    return wall.date(), f"{wall:%H:%M}"


def days_between(appointments: Sequence[Appointment], calendar: ClinicCalendar) -> list[int]:
    days = [calendar.local_day(a.start) for a in appointments]
    return [(b - a).days for a, b in pairwise(days)]


def overlapping(items: Iterable[tuple[str | None, datetime, datetime]]) -> list[str]:
    """Resources booked twice at once, from ``(resource, start, end)`` triples."""
    by_resource: dict[str, list[tuple[datetime, datetime]]] = {}
    for resource, start, end in items:
        if resource is not None:
            by_resource.setdefault(resource, []).append((start, end))
    problems = []
    for resource, spans in by_resource.items():
        spans.sort()
        for (_, end), (start, _) in pairwise(spans):
            if start < end:
                problems.append(f"{resource} at {start}")
    return problems


def booking(
    calendar: ClinicCalendar,
    day: date,
    start: str,
    end: str,
    practitioner: str | None,
    room: str | None,
    device: str | None = None,
) -> Booking:
    return Booking(at(calendar, day, start), at(calendar, day, end), practitioner, room, device)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())

"""Occupancy copies share their cached free time until one of them changes a day.

The oracle: after any sequence of copies, bookings, added and removed spans and look-ups, in any
order, every occupancy answers exactly as one built afresh from its own bookings does. A shared
day's cache computed by one occupancy must never leak a booking (or the lack of one) into another.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from tests.unit.scheduling.conftest import clinic

from microneedling.scheduling.clinic_calendar import AppointmentLength, Booking, ClinicCalendar
from microneedling.scheduling.slots import Occupancy, SlotRequest, Span, to_minute

START = date(2027, 3, 22)  # a Monday; Berlin's clocks change on the 28th
DAYS = 14


def local(calendar: ClinicCalendar, day: date, minute: int) -> datetime:
    return calendar.day_start(day) + timedelta(minutes=minute)


def random_booking(rng: random.Random, calendar: ClinicCalendar) -> Booking:
    day = START + timedelta(days=rng.randrange(DAYS))
    start = local(calendar, day, 8 * 60 + 15 * rng.randrange(36))
    return Booking(
        start,
        start + timedelta(minutes=rng.choice((30, 45, 70, 90))),
        rng.choice(("anna", "ben", None)),
        rng.choice(("room-1", "room-2", None)),
        rng.choice(("pen-1", "pen-2", None)),
    )


def span_of(booking: Booking) -> Span:
    return (
        to_minute(booking.start),
        -(-int(booking.end.timestamp()) // 60),
        booking.practitioner_id,
        booking.room_id,
        booking.device_id,
    )


class Tracked:
    """An occupancy and the bookings it should hold."""

    def __init__(self, occupancy: Occupancy, bookings: list[Booking]) -> None:
        self.occupancy = occupancy
        self.bookings = bookings

    def fresh(self, calendar: ClinicCalendar) -> Occupancy:
        return Occupancy(calendar, self.bookings)


LENGTH = AppointmentLength(anaesthetic_minutes=30, procedure_minutes=30, turnover_minutes=10)


def answers(occupancy: Occupancy, day: date) -> tuple[object, ...]:
    return (
        occupancy.free_minutes(day),
        [(slot.start, slot.practitioner_id) for slot in occupancy.free_slots(day, LENGTH)],
        occupancy.best_slot(day, SlotRequest(LENGTH, preferred_practitioner="ben")),
    )


@pytest.mark.parametrize("seed", range(12))
def test_copies_answer_as_occupancies_built_from_their_own_bookings(seed: int) -> None:
    rng = random.Random(seed)
    calendar = clinic()
    initial = [random_booking(rng, calendar) for _ in range(25)]
    tracked = [Tracked(Occupancy(calendar, initial), list(initial))]
    for _ in range(120):
        item = rng.choice(tracked)
        action = rng.random()
        if action < 0.15 and len(tracked) < 8:
            tracked.append(Tracked(item.occupancy.copy(), list(item.bookings)))
        elif action < 0.35:
            booking = random_booking(rng, calendar)
            item.occupancy.book(booking)
            item.bookings.append(booking)
        elif action < 0.45:
            booking = random_booking(rng, calendar)
            item.occupancy.add_span(span_of(booking))
            item.bookings.append(booking)
        elif action < 0.55 and item.bookings:
            booking = item.bookings.pop(rng.randrange(len(item.bookings)))
            assert item.occupancy.remove_span(span_of(booking))
        else:
            day = START + timedelta(days=rng.randrange(DAYS))
            assert answers(item.occupancy, day) == answers(item.fresh(calendar), day)
    for item in tracked:
        expected = item.fresh(calendar)
        for offset in range(DAYS):
            day = START + timedelta(days=offset)
            assert answers(item.occupancy, day) == answers(expected, day)

"""Free slots: opening and working hours, closures, absences, busy resources, DST days."""

from __future__ import annotations

from datetime import date, timedelta

from tests.unit.scheduling.conftest import (
    BERLIN,
    FACE,
    NEW_YORK,
    at,
    booking,
    clinic,
    local,
    single_chair,
)

from microneedling.scheduling.clinic_calendar import AppointmentLengths, Period, TimeRange
from microneedling.scheduling.slots import Occupancy, SlotRequest, run_starts

TUESDAY = date(2026, 12, 8)
LENGTH = clinic().lengths.length(FACE)  # 60 minutes with the patient, 70 blocked


def starts(calendar_slots: list, calendar, practitioner: str | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        local(calendar, s.start)[1]
        for s in calendar_slots
        if practitioner is None or s.practitioner_id == practitioner
    ]


def test_run_starts_finds_every_start_of_a_long_enough_run() -> None:
    assert run_starts(0b0111_1110, 3) == 0b0001_1110
    assert run_starts(0b1, 2) == 0
    assert run_starts((1 << 100) - 1, 100) == 1


def test_slots_lie_within_working_hours_and_respect_the_lunch_break() -> None:
    calendar = clinic()
    slots = Occupancy(calendar).free_slots(TUESDAY, LENGTH, practitioner_id="anna")
    times = starts(slots, calendar)
    assert times[0] == "08:00"
    assert "10:45" in times  # 10:45 + 70 minutes ends at 11:55, before lunch
    assert "11:00" not in times  # would run into the 12:00-12:30 break
    assert times[-1] == "15:15"  # 15:15 + 70 minutes = 16:25, before 16:30


def test_slots_start_on_the_clinic_grid() -> None:
    calendar = clinic(slot_minutes=30)
    times = starts(Occupancy(calendar).free_slots(TUESDAY, LENGTH), calendar)
    assert all(t.endswith((":00", ":30")) for t in times)


def test_nothing_is_free_on_a_holiday_or_a_closed_weekday() -> None:
    calendar = clinic(closures=[Period.days(date(2026, 12, 24), date(2026, 12, 26), "Christmas")])
    occupancy = Occupancy(calendar)
    assert occupancy.free_slots(date(2026, 12, 24), LENGTH) == []
    request = SlotRequest(LENGTH)
    assert occupancy.why_no_slot(date(2026, 12, 24), request) == "the clinic is closed (Christmas)"
    assert occupancy.why_no_slot(date(2026, 12, 27), request) == "the clinic is not open on sundays"
    assert occupancy.free_slots(date(2026, 12, 23), LENGTH)


def test_a_closure_of_a_few_hours_removes_only_those_hours() -> None:
    calendar = clinic()
    meeting = Period(at(calendar, TUESDAY, "08:00"), at(calendar, TUESDAY, "12:00"), "team meeting")
    calendar = clinic(closures=[meeting])
    times = starts(
        Occupancy(calendar).free_slots(TUESDAY, LENGTH, practitioner_id="anna"), calendar
    )
    assert times[0] == "12:30"


def test_an_absent_practitioner_has_no_slots_and_the_reason_names_them() -> None:
    calendar = clinic(
        anna_absences=[Period.days(TUESDAY, reason="course")],
        ben_absences=[Period.days(TUESDAY, reason="ill")],
    )
    occupancy = Occupancy(calendar)
    assert occupancy.free_slots(TUESDAY, LENGTH) == []
    assert "absent: anna, ben" in occupancy.why_no_slot(TUESDAY, SlotRequest(LENGTH))


def test_a_booked_practitioner_is_not_offered_while_busy() -> None:
    calendar = clinic()
    occupancy = Occupancy(
        calendar, [booking(calendar, TUESDAY, "08:00", "10:00", "anna", "room-2")]
    )
    times = starts(occupancy.free_slots(TUESDAY, LENGTH, practitioner_id="anna"), calendar)
    assert times[0] == "10:00"


def test_when_every_room_is_busy_no_practitioner_is_offered() -> None:
    calendar = clinic()
    busy = [
        booking(calendar, TUESDAY, "10:00", "18:00", None, "room-1"),
        booking(calendar, TUESDAY, "10:00", "18:00", None, "room-2"),
    ]
    occupancy = Occupancy(calendar, busy)
    times = starts(occupancy.free_slots(TUESDAY, LENGTH), calendar)
    assert times and max(times) <= "08:45"  # 08:45 + 70 min = 09:55


def test_a_device_installed_in_one_room_is_only_booked_there() -> None:
    calendar = clinic()
    # pen-1 is taken all day: only pen-2, which lives in room-2, is left.
    occupancy = Occupancy(
        calendar, [booking(calendar, TUESDAY, "08:00", "18:00", None, None, "pen-1")]
    )
    slots = occupancy.free_slots(TUESDAY, LENGTH)
    assert slots
    assert {(s.room_id, s.device_id) for s in slots} == {("room-2", "pen-2")}


def test_booking_a_slot_takes_it_from_the_working_copy_only() -> None:
    calendar = clinic()
    original = Occupancy(calendar)
    before = len(original.free_slots(TUESDAY, LENGTH))
    copy = original.copy()
    found = copy.best_slot(TUESDAY, SlotRequest(LENGTH))
    assert found is not None
    copy.book(found[1])
    assert not copy.is_free(found[1])
    assert original.is_free(found[1])
    assert len(original.free_slots(TUESDAY, LENGTH)) == before
    assert len(copy.free_slots(TUESDAY, LENGTH)) < before


def test_the_best_slot_honours_preferred_times_and_practitioner() -> None:
    calendar = clinic()
    occupancy = Occupancy(calendar)
    request = SlotRequest(
        LENGTH, preferred_times=(TimeRange.parse("14:00-18:00"),), preferred_practitioner="ben"
    )
    found = occupancy.best_slot(TUESDAY, request)
    assert found is not None
    penalty, slot = found
    assert penalty == 0
    assert slot.practitioner_id == "ben"
    assert local(calendar, slot.start)[1] == "14:00"


def test_a_slot_can_start_off_the_grid_when_staff_choose_it() -> None:
    calendar = clinic()
    slot = Occupancy(calendar).slot_starting(at(calendar, TUESDAY, "09:05"), LENGTH)
    assert slot is not None
    assert local(calendar, slot.start)[1] == "09:05"
    assert Occupancy(calendar).slot_starting(at(calendar, TUESDAY, "07:00"), LENGTH) is None


def _night_clinic(zone: str):  # type: ignore[no-untyped-def]
    """Open every Sunday 00:00-06:00 with 30-minute appointments: to see the change itself."""
    lengths = AppointmentLengths(
        anaesthetic_minutes=0,
        procedure_minutes={"small": 20, "medium": 20, "large": 20},
        max_procedure_minutes=20,
    )
    return single_chair(
        time_zone=zone, days="sunday", hours="00:00-06:00", lengths=lengths, slot_minutes=30
    )


def test_the_spring_forward_night_has_no_half_past_two_in_berlin() -> None:
    calendar = _night_clinic(BERLIN)
    length = calendar.lengths.length(["cheeks"])
    times = starts(Occupancy(calendar).free_slots(date(2027, 3, 28), length), calendar)
    assert times == [
        "00:00",
        "00:30",
        "01:00",
        "01:30",
        "03:00",
        "03:30",
        "04:00",
        "04:30",
        "05:00",
        "05:30",
    ]
    normal = starts(Occupancy(calendar).free_slots(date(2027, 3, 21), length), calendar)
    assert len(normal) == 12


def test_the_fall_back_night_offers_the_repeated_hour_twice_in_new_york() -> None:
    calendar = _night_clinic(NEW_YORK)
    length = calendar.lengths.length(["cheeks"])
    slots = Occupancy(calendar).free_slots(date(2026, 11, 1), length)
    times = starts(slots, calendar)
    assert len(times) == 14  # seven real hours
    assert times.count("01:00") == 2 and times.count("01:30") == 2
    offsets = [
        s.start.astimezone(calendar.zone).utcoffset()
        for s in slots
        if local(calendar, s.start)[1] == "01:30"
    ]
    assert offsets == [timedelta(hours=-4), timedelta(hours=-5)]


def test_nine_o_clock_opening_stays_nine_o_clock_local_on_both_sides_of_a_change() -> None:
    calendar = single_chair(time_zone=BERLIN, days="monday-sunday")
    for day in (date(2027, 3, 27), date(2027, 3, 28), date(2027, 3, 29), date(2026, 10, 25)):
        slots = Occupancy(calendar).free_slots(day, LENGTH)
        assert local(calendar, slots[0].start) == (day, "09:00")
        assert local(calendar, slots[-1].start) == (day, "15:45")  # + 70 min = 16:55

"""The clinic calendar model: validation, hours, periods, lengths, local ↔ UTC across DST."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from tests.unit.scheduling.conftest import BERLIN, NEW_YORK, clinic, single_chair, utc

from microneedling.errors import SchedulingError
from microneedling.scheduling.clinic_calendar import (
    AppointmentLengths,
    Booking,
    ClinicCalendar,
    Device,
    Period,
    Practitioner,
    Room,
    TimeRange,
    WeeklyHours,
    parse_calendar,
)


def test_an_unknown_time_zone_is_refused_naming_the_field() -> None:
    with pytest.raises(SchedulingError) as caught:
        single_chair(time_zone="Europe/Atlantis")
    assert caught.value.field == "time_zone"
    assert "Europe/Atlantis" in caught.value.message


def test_weekly_hours_accept_runs_of_weekdays_and_several_ranges_a_day() -> None:
    hours = WeeklyHours.parse(
        {"monday-wednesday": "08:00-12:00, 13:00-17:00", "sat": ["09:00-13:00"]}
    )
    assert [str(r) for r in hours.on(0)] == ["08:00-12:00", "13:00-17:00"]
    assert [str(r) for r in hours.on(2)] == ["08:00-12:00", "13:00-17:00"]
    assert hours.on(3) == ()
    assert [str(r) for r in hours.on(5)] == ["09:00-13:00"]


def test_touching_ranges_merge_and_overlapping_ranges_are_refused() -> None:
    merged = WeeklyHours.parse({"monday": "08:00-12:00, 12:00-14:00"})
    assert [str(r) for r in merged.on(0)] == ["08:00-14:00"]
    with pytest.raises(SchedulingError, match="overlapping hours on monday"):
        WeeklyHours.parse({"monday": "08:00-12:00, 11:00-14:00"})


@pytest.mark.parametrize("text", ["9-17", "09:00", "17:00-09:00", "25:00-26:00", "09:00-09:00"])
def test_a_malformed_time_range_is_refused(text: str) -> None:
    with pytest.raises(SchedulingError):
        TimeRange.parse(text)


def test_a_range_may_end_at_midnight() -> None:
    late = TimeRange.parse("18:00-24:00")
    assert late.end_minute == 24 * 60
    assert str(late) == "18:00-24:00"


def test_a_weekday_given_twice_is_refused() -> None:
    with pytest.raises(SchedulingError, match="given twice"):
        WeeklyHours.parse({"monday-friday": "08:00-12:00", "friday": "13:00-14:00"})


def test_a_period_is_whole_days_or_aware_datetimes_never_a_mix() -> None:
    assert Period.days(date(2026, 12, 24), date(2026, 12, 26), "Christmas").whole_days
    with pytest.raises(SchedulingError, match="not a mix"):
        Period(date(2026, 12, 24), utc(2026, 12, 26, 0, 0))
    with pytest.raises(SchedulingError, match="time zone"):
        Period(datetime(2026, 12, 24, 8), datetime(2026, 12, 24, 12))
    with pytest.raises(SchedulingError, match="before its first"):
        Period.days(date(2026, 12, 26), date(2026, 12, 24))


def test_an_appointment_takes_anaesthetic_procedure_by_area_and_turnover() -> None:
    lengths = AppointmentLengths()
    forehead = lengths.length(["forehead"])
    assert (forehead.anaesthetic_minutes, forehead.procedure_minutes) == (30, 20)
    assert forehead.patient_minutes == 50 and forehead.blocked_minutes == 60
    assert lengths.length(["thighs"]).procedure_minutes == 30
    # The largest area, plus 5 minutes per further zone, at most 60 minutes.
    assert lengths.length(["cheeks", "forehead"]).procedure_minutes == 30
    face = ["forehead", "glabella", "periorbital", "nose", "cheeks", "perioral", "chin", "jawline"]
    assert lengths.length(face).procedure_minutes == 60


def test_no_anaesthetic_time_for_a_patient_who_cannot_have_it() -> None:
    length = AppointmentLengths().length(["cheeks"], anaesthetic=False)
    assert length.anaesthetic_minutes == 0
    assert length.blocked_minutes == 25 + 10


def test_appointment_lengths_are_configurable() -> None:
    lengths = AppointmentLengths(
        anaesthetic_minutes=45,
        procedure_minutes={"small": 15, "medium": 20, "large": 40},
        turnover_minutes=15,
    )
    assert lengths.length(["abdomen"]).blocked_minutes == 45 + 40 + 15
    with pytest.raises(SchedulingError) as caught:
        AppointmentLengths(turnover_minutes=-5)
    assert caught.value.field == "turnover_minutes"


def test_a_booking_is_normalised_to_utc_and_must_be_aware() -> None:
    calendar = clinic()
    start = calendar.to_local(utc(2026, 12, 7, 8, 0))
    booked = Booking(start, start + timedelta(hours=1), "anna", "room-1")
    assert booked.start == utc(2026, 12, 7, 8, 0)
    assert booked.start.tzinfo is not None and booked.start.utcoffset() == timedelta(0)
    with pytest.raises(SchedulingError):
        Booking(datetime(2026, 12, 7, 9), datetime(2026, 12, 7, 10), "anna", "room-1")


def test_ids_must_be_unique_and_devices_name_known_rooms() -> None:
    hours = WeeklyHours.parse({"monday": "09:00-17:00"})
    with pytest.raises(SchedulingError) as caught:
        ClinicCalendar(BERLIN, hours, (Practitioner("a", hours), Practitioner("a", hours)), ())
    assert caught.value.field == "practitioners[1].id"
    with pytest.raises(SchedulingError) as caught:
        ClinicCalendar(
            BERLIN,
            hours,
            (Practitioner("a", hours),),
            (Room("r"),),
            devices=(Device("pen", rooms=frozenset({"nowhere"})),),
        )
    assert caught.value.field == "devices[0].rooms"


def test_local_to_utc_keeps_nine_o_clock_local_across_the_berlin_change() -> None:
    calendar = single_chair(time_zone=BERLIN)
    before = calendar.local_to_utc(date(2027, 3, 26), time(9))
    after = calendar.local_to_utc(date(2027, 3, 29), time(9))
    assert before == utc(2027, 3, 26, 8, 0)  # CET, UTC+1
    assert after == utc(2027, 3, 29, 7, 0)  # CEST, UTC+2
    assert calendar.to_local(after).hour == 9


def test_a_nonexistent_local_time_is_read_with_the_offset_before_the_gap() -> None:
    calendar = single_chair(time_zone=BERLIN)
    instant = calendar.local_to_utc(date(2027, 3, 28), time(2, 30))
    assert instant == utc(2027, 3, 28, 1, 30)
    assert f"{calendar.to_local(instant):%H:%M}" == "03:30"


def test_an_ambiguous_local_time_means_its_first_occurrence() -> None:
    calendar = single_chair(time_zone=NEW_YORK)
    instant = calendar.local_to_utc(date(2026, 11, 1), time(1, 30))
    assert instant == utc(2026, 11, 1, 5, 30)  # EDT, the first 01:30


@pytest.mark.parametrize(
    ("zone", "spring", "autumn"),
    [
        (BERLIN, date(2027, 3, 28), date(2026, 10, 25)),
        (NEW_YORK, date(2027, 3, 14), date(2026, 11, 1)),
    ],
)
def test_change_days_have_23_and_25_hours(zone: str, spring: date, autumn: date) -> None:
    calendar = single_chair(time_zone=zone)
    assert calendar.day_length(spring) == timedelta(hours=23)
    assert calendar.day_length(autumn) == timedelta(hours=25)
    assert calendar.day_length(spring + timedelta(days=1)) == timedelta(hours=24)


def test_a_calendar_parses_from_settings_data() -> None:
    calendar = parse_calendar(
        {
            "time_zone": "Europe/Berlin",
            "opening_hours": {"monday-friday": "08:00-19:00"},
            "closures": [
                {"from": "2026-12-24", "to": "2026-12-26", "reason": "Christmas"},
                {"from": "2027-01-05T08:00:00+01:00", "to": "2027-01-05T12:00:00+01:00"},
            ],
            "practitioners": [
                {
                    "id": "anna",
                    "hours": {"monday-thursday": "08:00-16:30"},
                    "absences": [{"from": "2027-02-01", "to": "2027-02-05"}],
                }
            ],
            "rooms": [{"id": "room-1"}],
            "devices": [{"id": "pen-1", "rooms": ["room-1"]}],
            "lengths": {"anaesthetic_minutes": 20},
            "slot_minutes": 10,
        }
    )
    assert calendar.closures[0].reason == "Christmas"
    assert not calendar.closures[1].whole_days
    assert calendar.practitioner("anna").absences[0].end == date(2027, 2, 5)
    assert calendar.devices[0].rooms == frozenset({"room-1"})
    assert calendar.lengths.anaesthetic_minutes == 20
    assert calendar.slot_minutes == 10


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"time_zone": "Europe/Berlin"}, "opening_hours"),
        ({"time_zone": "Mars/Olympus", "opening_hours": {}}, "time_zone"),
        (
            {"time_zone": "Europe/Berlin", "opening_hours": {"funday": "09:00-17:00"}},
            "opening_hours.funday",
        ),
        (
            {"time_zone": "Europe/Berlin", "opening_hours": {}, "practitioners": [{"id": "x"}]},
            "practitioners[0].hours",
        ),
        ({"time_zone": "Europe/Berlin", "opening_hours": {}, "rooms": "room"}, "rooms"),
        ({"time_zone": "Europe/Berlin", "opening_hours": {}, "colour": "blue"}, "colour"),
        (
            {
                "time_zone": "Europe/Berlin",
                "opening_hours": {},
                "lengths": {"turnover_minutes": "10"},
            },
            "lengths.turnover_minutes",
        ),
        (
            {"time_zone": "Europe/Berlin", "opening_hours": {}, "lengths": {"break": 5}},
            "lengths.break",
        ),
        ({"time_zone": "Europe/Berlin", "opening_hours": {}, "slot_minutes": "15"}, "slot_minutes"),
        ({"time_zone": "Europe/Berlin", "opening_hours": {}, "slot_minutes": 7}, "slot_minutes"),
        (
            {
                "time_zone": "Europe/Berlin",
                "opening_hours": {},
                "closures": [{"from": "24.12.2026"}],
            },
            "closures[0].from",
        ),
    ],
)
def test_a_bad_calendar_names_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(SchedulingError) as caught:
        parse_calendar(data)
    assert caught.value.field == field

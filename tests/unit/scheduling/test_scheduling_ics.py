"""``.ics`` export parsed back with the icalendar library and checked event by event."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from icalendar import Calendar
from tests.unit.scheduling.conftest import at, clinic, series, utc

from microneedling.clinical.planning import parse_plan_request, plan
from microneedling.errors import SchedulingError
from microneedling.knowledge import KnowledgeBase
from microneedling.scheduling.clinic_calendar import ClinicCalendar
from microneedling.scheduling.ics import (
    DEFAULT_REMINDERS,
    Reminder,
    practitioner_feed_ics,
    reminders_from_plan,
    series_ics,
)
from microneedling.scheduling.series import (
    Appointment,
    PatientPreferences,
    propose_series,
    reschedule,
)

STAMP = utc(2026, 12, 1, 9, 0)
TODAY = date(2026, 12, 1)


def proposed(
    calendar: ClinicCalendar, series_id: str = "s-1", **kwargs: object
) -> list[Appointment]:
    proposal = propose_series(
        series(),
        calendar,
        first_allowed_date=TODAY,
        today=TODAY,
        series_id=series_id,
        **kwargs,  # type: ignore[arg-type]
    )
    return list(proposal.appointments)


def events(data: bytes) -> list:  # type: ignore[type-arg]
    return list(Calendar.from_ical(data).walk("VEVENT"))


def test_a_series_exports_one_event_per_session_with_stable_unique_uids() -> None:
    calendar = clinic()
    appointments = proposed(calendar)
    data = series_ics(appointments, calendar, dtstamp=STAMP)
    assert isinstance(data, bytes)
    parsed = Calendar.from_ical(data)
    assert str(parsed["VERSION"]) == "2.0"
    assert str(parsed["PRODID"]) == "-//microneedling//scheduling//EN"
    found = events(data)
    assert len(found) == 4
    uids = [str(e["UID"]) for e in found]
    assert uids == [f"s-1-session-{n}@microneedling.invalid" for n in range(1, 5)]
    assert len(set(uids)) == 4


def test_each_event_carries_its_times_in_utc_and_no_clinical_detail() -> None:
    calendar = clinic()
    appointments = proposed(calendar)
    for event, appointment in zip(
        events(series_ics(appointments, calendar, dtstamp=STAMP)), appointments, strict=True
    ):
        assert event.decoded("DTSTART") == appointment.start
        assert event.decoded("DTEND") == appointment.end  # the visit, without turnover
        assert event.decoded("DTSTART").utcoffset() == timedelta(0)
        assert event.decoded("DTSTAMP") == STAMP
        assert str(event["SUMMARY"]) == f"Microneedling session {appointment.session} of 4"
        assert str(event["STATUS"]) == "TENTATIVE"
        assert str(event["LOCATION"]) == "Demo clinic"
        description = str(event["DESCRIPTION"])
        assert "cheeks" not in description and "acne" not in description


def test_each_event_has_the_precare_reminder_seven_days_before() -> None:
    calendar = clinic()
    appointments = proposed(calendar)
    for event, appointment in zip(
        events(series_ics(appointments, calendar, dtstamp=STAMP)), appointments, strict=True
    ):
        (alarm,) = event.walk("VALARM")
        assert str(alarm["ACTION"]) == "DISPLAY"
        assert alarm.decoded("TRIGGER") == timedelta(days=-7)
        assert "Stop retinoids and exfoliating products; avoid sun and tanning." in str(
            alarm["DESCRIPTION"]
        )
        day = calendar.local_day(appointment.start)
        assert f"Pre-care from {day - timedelta(days=7)} (7 days before)" in str(
            event["DESCRIPTION"]
        )


def test_reminders_come_from_the_plans_precare_steps(kb: KnowledgeBase) -> None:
    request = parse_plan_request(
        json.loads(
            '{"on": "2026-12-01", "fitzpatrick": 3, "start": "2026-12-07", '
            '"treatments": [{"zone": "cheeks", "concern": "acne_scars"}]}'
        )
    )
    reminders = reminders_from_plan(plan(request, kb)["precare"])
    assert [r.days_before for r in reminders] == [14, 7, 7]
    assert reminders[0].instruction.startswith("No botulinum toxin")
    calendar = clinic()
    (event, *_) = events(
        series_ics(proposed(calendar), calendar, dtstamp=STAMP, reminders=reminders)
    )
    triggers = sorted(a.decoded("TRIGGER") for a in event.walk("VALARM"))
    assert triggers == [timedelta(days=-14), timedelta(days=-7), timedelta(days=-7)]


def test_patient_names_appear_only_when_passed() -> None:
    calendar = clinic()
    appointments = proposed(calendar)
    anonymous = series_ics(appointments, calendar, dtstamp=STAMP)
    assert b"Jane" not in anonymous
    named = events(series_ics(appointments, calendar, dtstamp=STAMP, patient_name="Jane Doe"))
    assert str(named[0]["SUMMARY"]) == "Microneedling session 1 of 4 – Jane Doe"


def test_a_rescheduled_session_keeps_its_uid_and_a_booked_one_is_confirmed() -> None:
    calendar = clinic()
    appointments = [
        Appointment(
            a.series_id,
            a.session,
            a.sessions,
            a.start,
            a.end,
            a.free_at,
            a.practitioner_id,
            a.room_id,
            a.device_id,
            reference=f"r{a.session}",
        )
        for a in proposed(calendar)
    ]
    moved = reschedule(
        series(),
        appointments,
        calendar,
        [a.booking() for a in appointments],
        session=2,
        to=at(calendar, date(2027, 1, 12), "08:00"),
        today=date(2026, 12, 10),
    )
    before = {
        str(e["UID"]): e.decoded("DTSTART")
        for e in events(series_ics(appointments, calendar, dtstamp=STAMP))
    }
    after_events = events(series_ics(moved.appointments, calendar, dtstamp=STAMP))
    after = {str(e["UID"]): e.decoded("DTSTART") for e in after_events}
    assert before.keys() == after.keys()
    assert after["s-1-session-2@microneedling.invalid"] == at(calendar, date(2027, 1, 12), "08:00")
    assert {str(e["STATUS"]) for e in after_events} == {"CONFIRMED"}


def test_a_practitioners_feed_holds_only_their_sessions_across_series() -> None:
    calendar = clinic()
    first = proposed(calendar, "s-1")
    bookings = [a.booking() for a in first]
    second = list(
        propose_series(
            series(),
            calendar,
            bookings,
            first_allowed_date=TODAY,
            today=TODAY,
            series_id="s-2",
            preferences=PatientPreferences(practitioner_id="ben"),
        ).appointments
    )
    everything = first + second
    for practitioner in ("anna", "ben"):
        mine = [a for a in everything if a.practitioner_id == practitioner]
        assert len(mine) == 4
        data = practitioner_feed_ics(
            everything,
            calendar,
            practitioner_id=practitioner,
            dtstamp=STAMP,
            patient_names={"s-1": "Jane Doe"},
        )
        found = events(data)
        assert len(found) == len(mine)
        assert len({str(e["UID"]) for e in found}) == len(found)
        assert [e.decoded("DTSTART") for e in found] == sorted(a.start for a in mine)
        for event in found:
            assert event.walk("VALARM") == []  # the alarms are the patient's
            assert "Pre-care from" in str(event["DESCRIPTION"])
            assert "Room room-" in str(event["DESCRIPTION"])
            uid = str(event["UID"])
            assert ("Jane Doe" in str(event["SUMMARY"])) == uid.startswith("s-1-")


def test_the_export_is_deterministic() -> None:
    calendar = clinic()
    appointments = proposed(calendar)
    assert series_ics(appointments, calendar, dtstamp=STAMP) == series_ics(
        list(reversed(appointments)), calendar, dtstamp=STAMP
    )


def test_the_export_needs_an_aware_stamp_and_a_series_id() -> None:
    calendar = clinic()
    with pytest.raises(SchedulingError, match="dtstamp"):
        series_ics(proposed(calendar), calendar, dtstamp=datetime(2026, 12, 1, 9))
    with pytest.raises(SchedulingError, match="series id"):
        series_ics(proposed(calendar, series_id=""), calendar, dtstamp=STAMP)


def test_a_reminder_needs_days_and_an_instruction() -> None:
    assert DEFAULT_REMINDERS[0].days_before == 7
    with pytest.raises(SchedulingError):
        Reminder(0, "Stop retinoids.")
    with pytest.raises(SchedulingError):
        Reminder(7, " ")


def test_names_that_could_reorder_the_text_around_them_are_isolated_in_the_feed() -> None:
    """A clinic or practitioner named with a RIGHT-TO-LEFT OVERRIDE cannot turn the rest of an
    event's line around (the override is dropped, the name isolated); plain ASCII names, such as
    the rooms here, are written as they are."""
    import dataclasses

    base = clinic()
    anna = dataclasses.replace(base.practitioners[0], name="Anna \u202eeilaD")
    calendar = dataclasses.replace(
        base, name="Skin \u202eCare", practitioners=(anna, *base.practitioners[1:])
    )
    appointments = proposed(calendar)
    feed = Calendar.from_ical(
        practitioner_feed_ics(appointments, calendar, practitioner_id="anna", dtstamp=STAMP)
    )
    assert str(feed["X-WR-CALNAME"]) == "Microneedling – \u2068Anna eilaD\u2069"
    for event in feed.walk("VEVENT"):
        assert str(event["LOCATION"]) == "\u2068Skin Care\u2069"
        assert "\u202e" not in str(event["DESCRIPTION"])
        assert "Room room-" in str(event["DESCRIPTION"])

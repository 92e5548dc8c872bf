"""`.ics` files parsed back with the icalendar library and checked event by event, and series
through the daylight-saving weeks (Europe/Berlin)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from tests.integration.scheduling_support import SchedulingWorld, local, make_scheduling_world

from microneedling.errors import NotFound
from microneedling.services import scheduling
from microneedling.store import Database

SCALP = [{"zone": "scalp", "concern": "alopecia"}]


@pytest.fixture
def clinic(database: Database, tmp_path: Path) -> SchedulingWorld:
    return make_scheduling_world(database, tmp_path / "photos")


def events(data: bytes) -> list[Any]:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def test_a_patients_series_exports_each_session_with_its_pre_care_reminders(
    clinic: SchedulingWorld,
) -> None:
    clinic.configure(patient_ics_includes_precare=True)  # the clinic's choice (off by default)
    patient_id, plan_id = clinic.patient_with_plan()
    booked = scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    series = booked["series"][0]
    data = scheduling.patient_calendar(clinic.uow, clinic.desk, patient_id, clock=clinic.clock)
    parsed = Calendar.from_ical(data)
    assert str(parsed["VERSION"]) == "2.0" and str(parsed["X-WR-TIMEZONE"]) == "Europe/Berlin"
    found = events(data)
    assert len(found) == len(series["sessions"]) == 3
    for event, session in zip(found, series["sessions"], strict=True):
        number = session["session"]
        assert str(event["UID"]) == (
            f"{clinic.slug}-series-{series['series_id']}-session-{number}@microneedling.invalid"
        )
        assert event.decoded("DTSTART") == utc(session["start_utc"])
        assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=55)
        assert str(event["SUMMARY"]) == f"Microneedling session {number} of 3"
        assert str(event["STATUS"]) == "CONFIRMED"
        assert event.decoded("DTSTAMP") == clinic.clock()
        description = str(event["DESCRIPTION"])
        session_day = date.fromisoformat(session["start"][:10])
        assert (
            f"Pre-care from {session_day - timedelta(days=7)} (7 days before): Stop retinoids"
            in description
        )
        assert "Lovelace" not in description and "acne" not in description.lower()
        triggers = sorted(alarm.decoded("TRIGGER") for alarm in event.walk("VALARM"))
        assert timedelta(days=-7) in triggers
        assert all(str(alarm["ACTION"]) == "DISPLAY" for alarm in event.walk("VALARM"))


def test_a_moved_session_keeps_its_uid_with_the_new_time(clinic: SchedulingWorld) -> None:
    patient_id, plan_id = clinic.patient_with_plan()
    booked = scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    last = booked["series"][0]["sessions"][-1]
    before = {str(e["UID"]): e.decoded("DTSTART") for e in events(
        scheduling.patient_calendar(clinic.uow, clinic.desk, patient_id, clock=clinic.clock))}  # fmt: skip
    target = local(last["start"][:10] + "T14:00") + timedelta(days=1)
    scheduling.move_session(
        clinic.uow, clinic.desk, last["appointment_id"], target, clock=clinic.clock
    )
    after = {str(e["UID"]): e.decoded("DTSTART") for e in events(
        scheduling.patient_calendar(clinic.uow, clinic.desk, patient_id, clock=clinic.clock))}  # fmt: skip
    assert set(before) == set(after)
    changed = [uid for uid in after if after[uid] != before[uid]]
    assert changed == [uid for uid in after if uid.endswith("-session-3@microneedling.invalid")]
    assert after[changed[0]] == target.astimezone(UTC)


def test_a_practitioners_feed_has_their_sessions_with_room_and_device_and_no_names(
    clinic: SchedulingWorld,
) -> None:
    _, first = clinic.patient_with_plan()
    _, second = clinic.patient_with_plan()
    scheduling.book_plan(
        clinic.uow,
        clinic.desk,
        first,
        preferences={"practitioner": clinic.anna},
        clock=clinic.clock,
    )
    scheduling.book_plan(
        clinic.uow,
        clinic.desk,
        second,
        preferences={"practitioner": clinic.ben},
        clock=clinic.clock,
    )
    feed = scheduling.practitioner_feed(clinic.uow, clinic.desk, clinic.anna, clock=clinic.clock)
    found = events(feed)
    assert len(found) == 3
    assert str(Calendar.from_ical(feed)["X-WR-CALNAME"]) == "Microneedling – Anna"
    for event in found:
        description = str(event["DESCRIPTION"])
        assert f"Room room-1, device {clinic.pen}." in description
        assert "Stop retinoids" in description
        assert list(event.walk("VALARM")) == []
        assert "Lovelace" not in str(event["SUMMARY"])
    named = scheduling.practitioner_feed(
        clinic.uow, clinic.owner, clinic.anna, with_names=True, clock=clinic.clock
    )
    assert all("Ada Lovelace" in str(e["SUMMARY"]) for e in events(named))
    with pytest.raises(NotFound):
        scheduling.practitioner_feed(
            clinic.uow, clinic.desk, "nobody@x.example", clock=clinic.clock
        )


def test_a_patient_without_a_booked_series_has_no_calendar(clinic: SchedulingWorld) -> None:
    patient_id, _ = clinic.patient_with_plan()
    with pytest.raises(NotFound, match="no booked series"):
        scheduling.patient_calendar(clinic.uow, clinic.desk, patient_id, clock=clinic.clock)


@pytest.mark.parametrize(
    ("now", "start", "change"),
    [
        (datetime(2027, 3, 5, 9, tzinfo=UTC), "2027-03-15", date(2027, 3, 28)),  # spring forward
        (datetime(2027, 10, 8, 9, tzinfo=UTC), "2027-10-18", date(2027, 10, 31)),  # fall back
    ],
)
def test_a_series_through_a_daylight_saving_week_keeps_its_wall_clock_times(
    database: Database, tmp_path: Path, now: datetime, start: str, change: date
) -> None:
    clinic = make_scheduling_world(database, tmp_path / "photos", now=now)
    patient_id, plan_id = clinic.patient_with_plan(start=start, treatments=SCALP, zones=["scalp"])
    booked = scheduling.book_plan(
        clinic.uow,
        clinic.desk,
        plan_id,
        preferences={"weekdays": ["monday"], "times": ["08:00-09:00"]},
        clock=clinic.clock,
    )
    sessions = booked["series"][0]["sessions"]
    assert len(sessions) == 6
    before = [s for s in sessions if date.fromisoformat(s["start"][:10]) < change]
    after = [s for s in sessions if date.fromisoformat(s["start"][:10]) > change]
    assert before and after
    # 08:00 on the wall clock on both sides; UTC 07:00 in winter, 06:00 in summer.
    assert {s["start"][11:16] for s in sessions} == {"08:00"}
    winter, summer = ("+01:00", "+02:00") if change.month == 3 else ("+02:00", "+01:00")
    assert {s["start"][-6:] for s in before} == {winter}
    assert {s["start"][-6:] for s in after} == {summer}
    # The Monday right after the change is in the series (every two weeks from the 15th/18th).
    assert any(s["start"][:10] == (change + timedelta(days=1)).isoformat() for s in sessions)
    ics = {e.decoded("DTSTART") for e in events(
        scheduling.patient_calendar(clinic.uow, clinic.desk, patient_id, clock=clinic.clock))}  # fmt: skip
    assert ics == {utc(s["start_utc"]) for s in sessions}


def test_a_session_moved_into_the_spring_forward_gap_lands_after_it(
    database: Database, tmp_path: Path
) -> None:
    clinic = make_scheduling_world(
        database, tmp_path / "photos", now=datetime(2027, 3, 1, 9, tzinfo=UTC)
    )
    # Open on the change night for the test: a Sunday shift from 01:00.
    clinic.configure(
        opening_hours={"monday-friday": "08:00-18:00", "sunday": "01:00-06:00"},
        practitioners=[{"id": clinic.anna, "hours": {"monday-friday": "08:00-16:00", "sunday": "01:00-06:00"}}],
    )  # fmt: skip
    _, plan_id = clinic.patient_with_plan(start="2027-03-08", treatments=SCALP, zones=["scalp"])
    booked = scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    sessions = booked["series"][0]["sessions"]
    second = sessions[1]
    # 02:30 does not exist on 28 March in Berlin: it is read as 03:30 summer time (RFC 5545).
    result = scheduling.move_session(
        clinic.uow, clinic.desk, second["appointment_id"], "2027-03-28T02:30", clock=clinic.clock
    )
    moved = {s["session"]: s for s in result["sessions"]}[2]
    assert moved["start"] == "2027-03-28T03:30:00+02:00"
    assert moved["start_utc"] == "2027-03-28T01:30:00Z"

"""Booking a plan's series through the clinic calendar: the proposal with every session's window,
the patient's wishes, staff's own changes, problems shown at the session they concern with what
was typed kept; the booked series on the patient's record with Move, Cancel and the .ics file."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar
from tests.web.web_helpers import (
    START,
    Clinic,
    as_data,
    error_summary,
    form_fields,
    new_patient,
    token,
    weekday_calendar,
)

from microneedling.services import calendar_settings, charts, plans, scheduling
from microneedling.services.clock import fixed_clock

ACNE = {"zone": "cheeks", "concern": "acne_scars", "subtype": "rolling"}


@pytest.fixture(scope="module", autouse=True)
def calendar(clinic: Clinic) -> dict[str, Any]:
    return weekday_calendar(clinic)


def _plan(clinic: Clinic, **details: Any) -> tuple[int, int]:
    patient_id = new_patient(clinic, **details)
    plan_id = plans.create_plan(
        clinic.uow(), clinic.clinician, patient_id, {"treatments": [ACNE]}, clock=clinic.clock
    )
    return patient_id, plan_id


def _booking_form(html: str, plan_id: int) -> list[tuple[str, str]]:
    return form_fields(html, f"/plans/{plan_id}/book", having="session")


def _value(fields: list[tuple[str, str]], name: str) -> str:
    return next(value for key, value in fields if key == name)


def _count(fields: list[tuple[str, str]]) -> int:
    return sum(1 for name, _ in fields if name == "session")


def _series(clinic: Clinic, patient_id: int) -> list[dict[str, Any]]:
    return scheduling.list_series(clinic.uow(), clinic.owner, patient_id, clock=clinic.clock)


def test_the_booking_page_proposes_every_session_with_its_window(clinic: Clinic) -> None:
    _, plan_id = _plan(clinic)
    client = clinic.signed_in("front_desk")
    page = client.get(f"/plans/{plan_id}/book")
    assert page.status_code == 200
    html = page.text
    sessions = _booking_form(html, plan_id)
    keys = [value for name, value in sessions if name == "session"]
    count = len(keys)
    assert count >= 3
    assert keys == [f"0-{number}" for number in range(1, count + 1)]
    for number in range(1, count + 1):
        assert f"Session {number} of {count}" in html
    assert html.count("Window:") == count
    assert "Proposed:" in html and "Dr Cleo Clinician" in html and "Room one" in html
    first = date.fromisoformat(_value(sessions, "day.0-1"))
    assert first >= START.date() + timedelta(days=7)  # a week of pre-care
    assert _value(sessions, "practitioner.0-1") == clinic.emails["clinician"]
    assert f"Book {count} sessions" in html
    assert 'name="weekdays"' in html and "Days that suit the patient" in html
    # Only the days the clinic opens are offered as wishes (it is closed on Sundays).
    assert 'value="saturday"' in html and 'value="sunday"' not in html


def test_front_desk_books_the_series_through_the_form_in_one_go(clinic: Clinic) -> None:
    patient_id, plan_id = _plan(clinic)
    client = clinic.signed_in("front_desk")
    fields = _booking_form(client.get(f"/plans/{plan_id}/book").text, plan_id)
    count = _count(fields)
    response = client.post(f"/plans/{plan_id}/book", data=as_data(fields))
    assert response.status_code == 200
    assert response.url.path == f"/patients/{patient_id}"
    assert f"Booked {count} sessions." in response.text
    assert 'id="booked-series"' in response.text
    assert "Download the sessions for the patient's calendar (.ics)" in response.text
    booked = _series(clinic, patient_id)
    assert [len(series["sessions"]) for series in booked] == [count]
    starts = [item["start"][:16] for item in booked[0]["sessions"]]
    assert starts == [f"{_value(fields, f'day.0-{n}')}T{_value(fields, f'time.0-{n}')}"
                      for n in range(1, count + 1)]  # fmt: skip
    # Front desk may not accept a plan: it stays proposed; the plan page no longer offers booking.
    assert plans.read_plan(clinic.uow(), clinic.owner, plan_id)["status"] == "proposed"
    owner = clinic.signed_in("owner")
    assert "Book the series" not in owner.get(f"/plans/{plan_id}").text


def test_a_clinician_books_and_the_plan_is_accepted(clinic: Clinic) -> None:
    _, plan_id = _plan(clinic)
    client = clinic.signed_in("clinician")
    fields = _booking_form(client.get(f"/plans/{plan_id}/book").text, plan_id)
    response = client.post(f"/plans/{plan_id}/book", data=as_data(fields))
    assert f"Booked {_count(fields)} sessions; the plan is accepted." in response.text
    assert plans.read_plan(clinic.uow(), clinic.owner, plan_id)["status"] == "accepted"
    assert 'id="booked-series"' in client.get(f"/plans/{plan_id}").text


def test_proposing_again_follows_the_patients_wishes(clinic: Clinic) -> None:
    _, plan_id = _plan(clinic)
    client = clinic.signed_in("front_desk")
    page = client.get(f"/plans/{plan_id}/book").text
    wishes = form_fields(page, f"/plans/{plan_id}/book", having="csrf_token")
    response = client.post(
        f"/plans/{plan_id}/book",
        data=as_data(wishes, action="propose", weekdays="thursday", times="00:00-12:00"),
    )
    assert response.status_code == 200
    fields = _booking_form(response.text, plan_id)
    for number in range(1, _count(fields) + 1):
        day = date.fromisoformat(_value(fields, f"day.0-{number}"))
        assert day.weekday() == 3, number  # Thursday
        assert _value(fields, f"time.0-{number}") < "12:00"
    # The wishes stay ticked, and go with the booking (stored with the series).
    assert 'value="thursday" checked' in response.text
    assert ("weekdays", "thursday") in fields


def test_a_time_outside_the_opening_hours_is_shown_at_its_session_with_what_was_typed(
    clinic: Clinic,
) -> None:
    patient_id, plan_id = _plan(clinic)
    client = clinic.signed_in("front_desk")
    fields = _booking_form(client.get(f"/plans/{plan_id}/book").text, plan_id)
    day_3 = _value(fields, "day.0-3")
    response = client.post(f"/plans/{plan_id}/book", data=as_data(fields, **{"time.0-2": "19:30"}))
    assert response.status_code == 422
    problems = error_summary(response.text)
    assert len(problems) == 1
    assert problems[0].startswith("Session 2: cannot be at")
    assert "outside" in problems[0] or "closed" in problems[0]
    kept = _booking_form(response.text, plan_id)
    assert _value(kept, "time.0-2") == "19:30"  # as typed
    assert _value(kept, "day.0-3") == day_3
    assert 'id="f-when-0-2-error"' in response.text  # beside the session's fields
    assert "Dr Cleo Clinician" in problems[0] or "clinician@" not in problems[0]
    assert _series(clinic, patient_id) == []  # nothing booked


def test_a_session_under_the_minimum_interval_is_refused_at_that_session(clinic: Clinic) -> None:
    patient_id, plan_id = _plan(clinic)
    client = clinic.signed_in("front_desk")
    fields = _booking_form(client.get(f"/plans/{plan_id}/book").text, plan_id)
    too_soon = date.fromisoformat(_value(fields, "day.0-1")) + timedelta(days=8)
    response = client.post(
        f"/plans/{plan_id}/book", data=as_data(fields, **{"day.0-2": too_soon.isoformat()})
    )
    assert response.status_code == 422
    problems = error_summary(response.text)
    assert any(item.startswith("Session 2: cannot be on") and "at least" in item
               for item in problems), problems  # fmt: skip
    assert _value(_booking_form(response.text, plan_id), "day.0-2") == too_soon.isoformat()
    assert _series(clinic, patient_id) == []


def test_a_time_taken_meanwhile_is_a_conflict_and_nothing_is_booked(clinic: Clinic) -> None:
    patient_id, plan_id = _plan(clinic)
    client = clinic.signed_in("front_desk")
    fields = _booking_form(client.get(f"/plans/{plan_id}/book").text, plan_id)
    # Meanwhile another patient is booked at this one's proposed first session.
    other_patient, other_plan = _plan(clinic, given_name="Grace", family_name="Hopper")
    first = f"{_value(fields, 'day.0-1')}T{_value(fields, 'time.0-1')}"
    proposal = scheduling.propose_plan(
        clinic.uow(), clinic.front_desk, other_plan, clock=clinic.clock
    )
    slots = scheduling.picked_slots(proposal)
    slots[0] = slots[0].model_copy(update={"start": first, "room": None, "device": None})
    scheduling.book_plan(
        clinic.uow(), clinic.front_desk, other_plan, slots=slots, clock=clinic.clock
    )
    response = client.post(f"/plans/{plan_id}/book", data=as_data(fields))
    assert response.status_code == 409
    problems = error_summary(response.text)
    assert any(item.startswith("Session 1: cannot be at") and "already booked" in item
               for item in problems), problems  # fmt: skip
    assert _series(clinic, patient_id) == []
    assert len(_series(clinic, other_patient)) == 1


def test_booking_without_the_csrf_token_is_refused_and_books_nothing(clinic: Clinic) -> None:
    patient_id, plan_id = _plan(clinic)
    client = clinic.signed_in("front_desk")
    fields = [
        (name, value)
        for name, value in _booking_form(client.get(f"/plans/{plan_id}/book").text, plan_id)
        if name != "csrf_token"
    ]
    response = client.post(f"/plans/{plan_id}/book", data=as_data(fields))
    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert _series(clinic, patient_id) == []


def test_front_desk_may_book_but_not_configure_the_calendar(clinic: Clinic) -> None:
    client = clinic.signed_in("front_desk")
    page = client.get("/admin/calendar")
    assert page.status_code == 200  # everyone may read the calendar
    assert "<textarea" not in page.text
    assert "Dr Cleo Clinician" in page.text
    before = calendar_settings.read_calendar(clinic.uow(), clinic.owner, clock=clinic.clock)
    refused = client.post(
        "/admin/calendar",
        data={"csrf_token": token(client), "calendar": "slot_minutes: 30\n"},
    )
    assert refused.status_code == 403
    assert "Not allowed for your role" in refused.text
    after = calendar_settings.read_calendar(clinic.uow(), clinic.owner, clock=clinic.clock)
    assert after == before


def _booked(clinic: Clinic) -> tuple[int, list[dict[str, Any]]]:
    patient_id, plan_id = _plan(clinic)
    scheduling.book_plan(clinic.uow(), clinic.front_desk, plan_id, clock=clinic.clock)
    return patient_id, _series(clinic, patient_id)[0]["sessions"]


def test_the_patients_calendar_file_has_one_event_per_session(clinic: Clinic) -> None:
    patient_id, sessions = _booked(clinic)
    client = clinic.signed_in("front_desk")
    record = client.get(f"/patients/{patient_id}").text
    assert f'href="/patients/{patient_id}/sessions.ics"' in record
    response = client.get(f"/patients/{patient_id}/sessions.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert "attachment" in response.headers["content-disposition"]
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == len(sessions) >= 3
    assert "Lovelace" not in response.text


def test_moving_a_session_re_proposes_the_later_ones_that_no_longer_fit(clinic: Clinic) -> None:
    patient_id, sessions = _booked(clinic)
    second = sessions[1]
    client = clinic.signed_in("front_desk")
    record = client.get(f"/patients/{patient_id}").text
    move = form_fields(record, f"/appointments/{second['appointment_id']}/move")
    later = datetime.fromisoformat(second["start"]) + timedelta(days=14)
    to = later.strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/appointments/{second['appointment_id']}/move", data=as_data(move, to=to)
    )
    assert response.status_code == 200
    assert response.url.path == f"/patients/{patient_id}"
    assert "Session 2 is now on" in response.text
    now = _series(clinic, patient_id)[0]["sessions"]
    assert now[1]["start"][:16] == to
    if now[2]["start"] != sessions[2]["start"]:
        assert "Re-proposed to keep them in their windows: session 3" in response.text
    else:
        assert "The later sessions stay where they were." in response.text


def test_a_move_under_the_minimum_interval_is_refused_with_the_typed_time_kept(
    clinic: Clinic,
) -> None:
    patient_id, sessions = _booked(clinic)
    first, second = sessions[0], sessions[1]
    client = clinic.signed_in("front_desk")
    too_soon = (datetime.fromisoformat(first["start"]) + timedelta(days=7)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    response = client.post(
        f"/appointments/{second['appointment_id']}/move",
        data={"csrf_token": token(client), "to": too_soon},
    )
    assert response.status_code == 422
    assert f'value="{too_soon}"' in response.text
    problems = error_summary(response.text)
    assert problems and problems[0].startswith("New day and time: session 2 cannot be on")
    assert _series(clinic, patient_id)[0]["sessions"][1]["start"] == second["start"]


def test_cancelling_a_session_asks_for_a_reason_and_leaves_the_slot_free(
    clinic: Clinic,
) -> None:
    patient_id, sessions = _booked(clinic)
    second = sessions[1]
    client = clinic.signed_in("front_desk")
    confirm = client.get(f"/appointments/{second['appointment_id']}/cancel")
    assert confirm.status_code == 200 and "Why is it cancelled?" in confirm.text
    without = client.post(
        f"/appointments/{second['appointment_id']}/cancel", data={"csrf_token": token(client)}
    )
    assert without.status_code == 422
    assert error_summary(without.text) == [
        "Why is it cancelled?: is required: say why the session is cancelled"
    ]
    assert len(_series(clinic, patient_id)[0]["sessions"]) == len(sessions)
    response = client.post(
        f"/appointments/{second['appointment_id']}/cancel",
        data={"csrf_token": token(client), "reason": "Patient is ill"},
    )
    assert response.status_code == 200
    assert "is cancelled; its time is free again." in response.text
    now = _series(clinic, patient_id)[0]["sessions"]
    assert [s["appointment_id"] for s in now] == [
        s["appointment_id"] for s in sessions if s is not second
    ]


def test_a_whole_series_is_stopped_with_one_reason_from_the_record(clinic: Clinic) -> None:
    patient_id, sessions = _booked(clinic)
    client = clinic.signed_in("front_desk")
    record = client.get(f"/patients/{patient_id}").text
    series_id = _series(clinic, patient_id)[0]["series_id"]
    stop = f"/patients/{patient_id}/series/{series_id}/stop"
    assert f'href="{stop}"' in record
    assert "Why is it cancelled?" in client.get(stop).text
    response = client.post(stop, data={"csrf_token": token(client), "reason": "Moving abroad"})
    assert response.status_code == 200
    assert f"The series is stopped: {len(sessions)} session(s) cancelled" in response.text
    assert _series(clinic, patient_id)[0]["sessions"] == []


def test_the_booking_pages_label_every_field_and_have_one_heading(clinic: Clinic) -> None:
    from tests.web.test_web_pages import _unlabelled

    patient_id, sessions = _booked(clinic)
    _, plan_id = _plan(clinic)
    client = clinic.signed_in("owner")
    for path in (
        f"/plans/{plan_id}/book",
        f"/patients/{patient_id}",
        f"/appointments/{sessions[1]['appointment_id']}/move",
        "/admin/calendar",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.text.count("<h1") == 1, path
        assert _unlabelled(response.text) == [], path


def test_front_desk_sees_who_is_due_for_maintenance_after_a_finished_series(
    clinic: Clinic,
) -> None:
    patient_id = new_patient(clinic, given_name="Maya", family_name="Maintained")
    plan_id = plans.create_plan(
        clinic.uow(), clinic.clinician, patient_id, {"treatments": [ACNE]}, clock=clinic.clock
    )
    from microneedling.services import appointments

    appointment_id = appointments.book_appointment(
        clinic.uow(),
        clinic.front_desk,
        patient_id,
        starts_at=clinic.clock() - timedelta(hours=1),
        practitioner_id=clinic.clinician.staff_user_id,
        plan_id=plan_id,
        clock=fixed_clock(clinic.clock() - timedelta(days=1)),  # booked the day before
    )
    charts.chart_session(
        clinic.uow(),
        clinic.clinician,
        appointment_id,
        {"device_id": clinic.device_id, "cartridge_lot": clinic.good_lot, "needle_count": 12,
         "zones": [{"zone": "cheeks", "depth_mm": 1.0, "passes": 2}],
         "clinical_endpoint": "uniform erythema", "duration_minutes": 30},
        clock=clinic.clock,
    )  # fmt: skip
    for status in ("accepted", "completed"):
        plans.set_plan_status(clinic.uow(), clinic.clinician, plan_id, status, clock=clinic.clock)
    clinic.clock.now = START + timedelta(days=175)
    client = clinic.signed_in("front_desk")
    today = client.get("/").text
    due = today[today.index('id="due-heading"') :]
    assert "Maya Maintained" in due


def test_a_wish_for_someone_who_is_not_a_practitioner_is_refused_at_that_field(
    clinic: Clinic,
) -> None:
    _, plan_id = _plan(clinic)
    client = clinic.signed_in("front_desk")
    page = client.get(f"/plans/{plan_id}/book").text
    wishes = form_fields(page, f"/plans/{plan_id}/book", having="csrf_token")
    response = client.post(
        f"/plans/{plan_id}/book",
        data=as_data(wishes, action="propose", prefer_practitioner=clinic.emails["front_desk"]),
    )
    assert response.status_code == 422
    assert error_summary(response.text) == [
        "Practitioner the patient prefers: choose one of the practitioners in the calendar"
    ]
    fields = _booking_form(response.text, plan_id)  # still a whole proposal to book
    assert all(_value(fields, f"day.0-{n}") for n in range(1, _count(fields) + 1))

"""The calendar page: a day or a week per practitioner or per room, booked sessions as blocks
that open the session, free time within the opening and practitioner hours, closures and
absences shown closed, every staff role, and bad addresses refused with a page that says why."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from tests.web.web_helpers import Clinic, new_patient

from microneedling.errors import PermissionDenied, UserError
from microneedling.services import appointments, calendar_settings, calendar_view, plans, scheduling
from microneedling.services.access import Actor, Role
from microneedling.store.models import AuditEntry

#: A free stretch as the grid labels it.
FREE = re.compile(r"Free \d\d:\d\d–\d\d:\d\d")
#: A Thursday: 10:00 in Amsterdam is 09:00 UTC.
THURSDAY = date(2026, 12, 3)


@pytest.fixture(scope="module", autouse=True)
def calendar(clinic: Clinic) -> dict[str, Any]:
    """Open Monday to Friday 09:00-18:00 and Saturday 09:00-13:00, closed for Christmas; the
    clinician treats Monday to Friday 09:00-17:00 (away for training on 10 and 11 December), the
    owner on Friday mornings; two rooms; the pen."""
    return calendar_settings.configure_calendar(
        clinic.uow(),
        clinic.owner,
        {
            "opening_hours": {"monday-friday": "09:00-18:00", "saturday": "09:00-13:00"},
            "closures": [{"from": "2026-12-24", "to": "2026-12-26", "reason": "Christmas"}],
            "lengths": {"anaesthetic_minutes": 30, "turnover_minutes": 10},
            "slot_minutes": 15,
            "practitioners": [
                {
                    "id": clinic.emails["clinician"],
                    "hours": {"monday-friday": "09:00-17:00"},
                    "absences": [{"from": "2026-12-10", "to": "2026-12-11", "reason": "training"}],
                },
                {"id": clinic.emails["owner"], "hours": {"friday": "09:00-13:00"}},
            ],
            "rooms": [{"id": "room-1", "name": "Room one"}, {"id": "room-2", "name": "Room two"}],
            "devices": [{"id": "SN-1"}],
        },
        clock=clinic.clock,
    )


@pytest.fixture(scope="module")
def grace(clinic: Clinic) -> dict[str, int]:
    """Grace Hopper, booked with the clinician on Thursday 3 December at 10:00 for 55 minutes."""
    patient_id = new_patient(clinic, given_name="Grace", family_name="Hopper")
    appointment_id = appointments.book_appointment(
        clinic.uow(),
        clinic.front_desk,
        patient_id,
        starts_at=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
        duration_minutes=55,
        practitioner_id=clinic.clinician.staff_user_id,
        clock=clinic.clock,
    )
    return {"patient": patient_id, "appointment": appointment_id}


def _column(html: str, name: str) -> str:
    """The HTML of the calendar column whose heading starts with ``name``."""
    start = html.index(f'<div class="cal-head"><bdi>{name}')
    end = html.find('<div class="cal-col', start)
    return html[start : end if end > 0 else len(html)]


def _section(html: str, name: str) -> str:
    """The HTML of the week view's section of practitioner (or room) ``name``."""
    start = html.index(f">{name}</bdi></h2>")
    end = html.find("</section>", start)
    return html[start:end]


def test_the_day_grid_shows_a_booked_session_as_a_block_that_opens_it(
    clinic: Clinic, grace: dict[str, int]
) -> None:
    client = clinic.signed_in("front_desk")
    page = client.get(f"/calendar?day={THURSDAY}")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Calendar, Thu 3 Dec 2026</h1>" in html
    column = _column(html, "Dr Cleo Clinician")
    assert f'href="/appointments/{grace["appointment"]}"' in column
    assert "Grace Hopper" in column and "10:00–10:55" in column
    assert "Appointment" in column and "Scheduled" in column
    # Placed by classes, 5-minute rows from 09:00: 10:00 is row 13, 55 minutes are 11 rows.
    assert re.search(r'class="cal-item cal-at-13 cal-span-11 cal-lane-1"', column)
    assert "style=" not in html
    # The session page opens for front desk too.
    assert client.get(f"/appointments/{grace['appointment']}").status_code == 200


def test_free_time_lies_within_the_opening_and_the_practitioners_hours(
    clinic: Clinic, grace: dict[str, int]
) -> None:
    html = clinic.signed_in("owner").get(f"/calendar?day={THURSDAY}").text
    clinician = _column(html, "Dr Cleo Clinician")
    assert "Free 09:00–10:00" in clinician
    # Free again once the visit is over (with its turnover, where plain appointments hold one).
    assert re.search(r"Free (10:55|11:05)–17:00", clinician)
    assert "Not working 17:00–18:00" in clinician
    assert "1 booked" in clinician
    # The owner treats on Fridays only.
    owner = _column(html, "Olga Owner")
    assert not FREE.search(owner) and "Not working" in owner
    # A Friday: the owner's morning is free, the clinic open until 18:00.
    friday = _column(clinic.signed_in("owner").get("/calendar?day=2026-12-04").text, "Olga Owner")
    assert "Free 09:00–13:00" in friday


def test_a_closure_day_shows_every_column_closed_with_its_reason(clinic: Clinic) -> None:
    client = clinic.signed_in("front_desk")
    html = client.get("/calendar?day=2026-12-24").text
    assert not FREE.search(html)
    for name in ("Dr Cleo Clinician", "Olga Owner"):
        assert "Closed: Christmas" in _column(html, name)
    rooms = client.get("/calendar?day=2026-12-24&by=room").text
    assert "Closed: Christmas" in _column(rooms, "Room one")
    # The week of Christmas: Monday to Wednesday open, Thursday to Saturday closed.
    week = client.get("/calendar?day=2026-12-24&view=week").text
    assert "<h1>Calendar, week of Mon 21 Dec 2026</h1>" in week
    section = _section(week, "Dr Cleo Clinician")
    assert section.count('<div class="cal-col') == 7
    assert section.count('"cal-label">Closed: Christmas</span>') == 3  # whole days: no times
    assert section.count("Free 09:00–17:00") == 3


def test_an_absence_is_shown_as_closed_with_its_reason(clinic: Clinic) -> None:
    html = clinic.signed_in("clinician").get("/calendar?day=2026-12-10").text
    clinician = _column(html, "Dr Cleo Clinician")
    assert "Absent: training" in clinician and not FREE.search(clinician)
    assert "cal-shut" in html


def test_a_booked_series_session_shows_its_number_zones_and_room(clinic: Clinic) -> None:
    patient_id = new_patient(clinic, given_name="Hedy", family_name="Lamarr")
    plan_id = plans.create_plan(
        clinic.uow(),
        clinic.clinician,
        patient_id,
        {"treatments": [{"zone": "cheeks", "concern": "acne_scars", "subtype": "rolling"}]},
        clock=clinic.clock,
    )
    scheduling.book_plan(clinic.uow(), clinic.front_desk, plan_id, clock=clinic.clock)
    series = scheduling.list_series(clinic.uow(), clinic.owner, patient_id, clock=clinic.clock)
    first = series[0]["sessions"][0]
    day = first["start"][:10]
    count = len(series[0]["sessions"])
    client = clinic.signed_in("front_desk")
    html = client.get(f"/calendar?day={day}").text
    column = _column(html, "Dr Cleo Clinician")
    assert "Hedy Lamarr" in column
    assert f"Session 1 of {count}: Cheeks" in column
    assert f'href="/appointments/{first["appointment_id"]}"' in column
    by_room = client.get(f"/calendar?day={day}&by=room").text
    assert "Hedy Lamarr" in by_room and "Dr Cleo Clinician" in by_room
    assert "Room one" in by_room and "Room two" in by_room
    # The whole week per practitioner: one column per day, the session on its day.
    week = client.get(f"/calendar?day={day}&view=week").text
    assert week.count('<div class="cal-col') == 7 * 2
    assert "Hedy Lamarr" in _section(week, "Dr Cleo Clinician")


def test_every_staff_role_reaches_the_calendar_from_the_main_navigation(clinic: Clinic) -> None:
    for role in ("owner", "clinician", "front_desk"):
        client = clinic.signed_in(role)
        assert '<a href="/calendar" >Calendar</a>' in client.get("/").text.replace("  ", " ")
        page = client.get("/calendar")
        assert page.status_code == 200, role
        assert '<a href="/calendar" aria-current="page">Calendar</a>' in page.text


def test_today_is_the_applications_today_not_the_wall_clocks(clinic: Clinic) -> None:
    clinic.clock.now = datetime(2027, 1, 4, 23, 30, tzinfo=UTC)  # Tuesday 00:30 in Amsterdam
    html = clinic.signed_in("front_desk").get("/calendar").text
    assert "<h1>Calendar, Tue 5 Jan 2027</h1>" in html
    assert 'href="/calendar?day=2027-01-04&amp;view=day&amp;by=practitioner"' in html
    assert 'href="/calendar?day=2027-01-06&amp;view=day&amp;by=practitioner"' in html
    assert 'value="2027-01-05"' in html


def test_signed_out_visitors_are_sent_to_sign_in(clinic: Clinic) -> None:
    page = clinic.client().get("/calendar?day=2026-12-03")
    assert page.url.path == "/sign-in"
    assert "Grace Hopper" not in page.text


def test_another_clinic_sees_none_of_these_appointments(
    clinic: Clinic, grace: dict[str, int]
) -> None:
    html = clinic.signed_in("other_owner").get(f"/calendar?day={THURSDAY}").text
    assert "Grace Hopper" not in html and "Dr Cleo Clinician" not in html
    assert "The clinic calendar is not set up yet" in html


def test_reading_the_calendar_checks_the_account_and_is_audited_without_names(
    clinic: Clinic, grace: dict[str, int]
) -> None:
    pretender = Actor(clinic.front_desk.staff_user_id, clinic.front_desk.clinic_id, Role.OWNER)
    with pytest.raises(PermissionDenied):
        calendar_view.calendar_grid(clinic.uow(), pretender, THURSDAY, clock=clinic.clock)
    grid = calendar_view.calendar_grid(
        clinic.uow(), clinic.front_desk, THURSDAY, clock=clinic.clock
    )
    assert grid["count"] >= 1
    with clinic.uow() as uow:
        entry = uow.session.execute(
            select(AuditEntry).order_by(AuditEntry.sequence.desc()).limit(1)
        ).scalar_one()
        action, actor_id, patient_id = entry.action, entry.actor_id, entry.patient_id
        details = entry.details
    assert action == "appointment.read" and actor_id == clinic.front_desk.staff_user_id
    assert json.loads(details) == {"listed": "calendar", "days": 1, "results": grid["count"]}
    assert patient_id is None and "Hopper" not in details


@pytest.mark.parametrize(
    "query",
    ["day=2026-13-45", "day=yesterday", "day=2026-1-1", "day=20261203", "day=2026-12-03%00"],
)
def test_a_malformed_date_is_a_page_saying_what_was_expected(clinic: Clinic, query: str) -> None:
    page = clinic.signed_in("front_desk").get(f"/calendar?{query}")
    assert page.status_code == 400
    assert "expected a date as YYYY-MM-DD" in page.text
    assert "<h1>That cannot be done</h1>" in page.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("day=9999-12-31&view=week", "from 1900 to 2999"),
        ("day=0001-01-01", "from 1900 to 2999"),
        ("day=2999-12-31", "within ten years of today"),
        ("view=month", "expected one of: day, week"),
        ("by=device", "expected one of: practitioner, room"),
    ],
)
def test_a_far_away_day_or_an_unknown_view_is_refused(
    clinic: Clinic, query: str, message: str
) -> None:
    page = clinic.signed_in("front_desk").get(f"/calendar?{query}")
    assert page.status_code == 400
    assert message in page.text


def test_more_than_a_week_at_once_is_refused(clinic: Clinic) -> None:
    with pytest.raises(UserError, match="at most 7 days"):
        calendar_view.calendar_grid(
            clinic.uow(),
            clinic.front_desk,
            THURSDAY,
            THURSDAY + timedelta(days=365),
            clock=clinic.clock,
        )
    with pytest.raises(UserError, match="before the first"):
        calendar_view.calendar_grid(
            clinic.uow(), clinic.front_desk, THURSDAY, THURSDAY - timedelta(days=1)
        )


def test_every_class_the_grid_places_blocks_with_is_in_the_stylesheet(
    clinic: Clinic, grace: dict[str, int]
) -> None:
    client = clinic.signed_in("owner")
    css = client.get("/static/css/app.css").text
    defined = set(re.findall(r"\.(cal-[a-z0-9-]+)", css))
    for query in (f"day={THURSDAY}", f"day={THURSDAY}&view=week&by=room", "day=2026-12-24"):
        used = {
            name
            for attribute in re.findall(r'class="([^"]*)"', client.get(f"/calendar?{query}").text)
            for name in attribute.split()
            if re.fullmatch(r"cal-(at|span|lane|lanes)-\d+", name)
        }
        assert used and used <= defined, sorted(used - defined)
    # A whole day of 5-minute rows can be placed.
    assert {"cal-at-1", "cal-at-288", "cal-span-288"} <= defined

"""Admin → Calendar: before it is set up, booking says so (and who sets it up); an owner sets it
up as a YAML document, shown back readably; malformed, oversized or hostile text is refused with
the problem at the text box, the text kept as typed, and nothing saved."""

from __future__ import annotations

from typing import Any

import pytest
from tests.web.web_helpers import Clinic, error_summary, form_fields, new_patient, token

from microneedling.errors import NotFound
from microneedling.services import calendar_settings, plans

ACNE = {"zone": "cheeks", "concern": "acne_scars", "subtype": "rolling"}


def _settings(clinic: Clinic) -> dict[str, Any] | None:
    try:
        return calendar_settings.read_calendar(clinic.uow(), clinic.owner, clock=clinic.clock)
    except NotFound:
        return None


def _post(clinic: Clinic, text: str, role: str = "owner") -> Any:
    client = clinic.signed_in(role)
    return client.post(
        "/admin/calendar", data={"csrf_token": token(client, "/admin/calendar"), "calendar": text}
    )


@pytest.fixture(scope="module")
def plan_id(clinic: Clinic) -> int:
    patient_id = new_patient(clinic)
    return plans.create_plan(
        clinic.uow(), clinic.clinician, patient_id, {"treatments": [ACNE]}, clock=clinic.clock
    )


def test_booking_before_the_calendar_is_set_up_says_who_sets_it_up(
    clinic: Clinic, plan_id: int
) -> None:
    assert _settings(clinic) is None
    desk = clinic.signed_in("front_desk").get(f"/plans/{plan_id}/book")
    assert desk.status_code == 200
    assert "The clinic calendar is not set up yet" in desk.text
    assert (
        "Ask the clinic's owner to set it up under <strong>Admin → Calendar</strong>" in desk.text
    )
    assert "Book " not in desk.text.split("</h1>", 1)[1].split("sessions")[0]
    owner = clinic.signed_in("owner").get(f"/plans/{plan_id}/book")
    assert 'href="/admin/calendar">Set up the calendar' in owner.text


def test_malformed_yaml_is_refused_with_its_line_and_the_text_kept(clinic: Clinic) -> None:
    text = "opening_hours:\n  monday-friday: [09:00-18:00\nrooms: []\n"
    response = _post(clinic, text)
    assert response.status_code == 422
    problems = error_summary(response.text)
    assert len(problems) == 1
    assert problems[0].startswith("Calendar settings (YAML): line ")
    assert "not valid YAML" in problems[0]
    assert form_fields(response.text, "/admin/calendar")[-1] == ("calendar", text)
    assert _settings(clinic) is None


def test_oversized_text_is_refused_before_it_is_read(clinic: Clinic) -> None:
    text = "# padding\n" * 10_001 + "slot_minutes: 15\n"
    response = _post(clinic, text)
    assert response.status_code == 422
    assert "is too long: at most 100,000 characters" in error_summary(response.text)[0]
    assert _settings(clinic) is None


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('a: &a ["x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b]\n',
         "anchors and aliases"),
        # Tags are never acted on: a tagged list is a list, a tagged name is refused.
        ("!!python/object/apply:os.system ['echo pwned']\n", "must be settings by name"),
        ("opening_hours: !!python/name:os.system\n", "not valid YAML"),
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
        ("- monday\n- tuesday\n", "must be settings by name"),
        ("slot_minutes: 15\nslot_minutes: 30\n", "duplicate key"),
        ("opening_hours: {monday: '09:00-18:00'}\nroot_password: x\n", "root_password"),
    ],
)  # fmt: skip
def test_hostile_text_is_refused_clearly_and_nothing_is_saved(
    clinic: Clinic, text: str, said: str
) -> None:
    response = _post(clinic, text)
    assert response.status_code == 422
    problems = error_summary(response.text)
    assert len(problems) == 1 and said in problems[0], problems
    assert _settings(clinic) is None


def test_a_rule_the_settings_break_is_named_by_its_path(clinic: Clinic) -> None:
    text = (
        "opening_hours: {monday-friday: '09:00-18:00'}\n"
        f"practitioners:\n  - id: {clinic.emails['front_desk']}\n"
        "    hours: {monday: '09:00-17:00'}\n"
        "rooms: [{id: room-1}]\n"
    )
    response = _post(clinic, text)
    assert response.status_code == 422
    problems = error_summary(response.text)
    assert problems == [
        f"Calendar settings (YAML): at practitioners[0].id: {clinic.emails['front_desk']} is "
        "front desk; practitioners are clinicians or owners"
    ]
    assert _settings(clinic) is None


def test_a_clinician_reads_the_calendar_but_may_not_change_it(clinic: Clinic) -> None:
    page = clinic.signed_in("clinician").get("/admin/calendar")
    assert page.status_code == 200
    assert "The calendar is not set up yet" in page.text
    assert "<textarea" not in page.text
    refused = _post(clinic, "slot_minutes: 15\n", role="clinician")
    assert refused.status_code == 403
    assert _settings(clinic) is None


def test_an_owner_sets_up_the_calendar_from_the_starting_point_and_sees_it(
    clinic: Clinic, plan_id: int
) -> None:
    client = clinic.signed_in("owner")
    page = client.get("/admin/calendar")
    assert 'aria-current="page">Calendar</a>' in page.text
    assert '<label for="f-calendar">Calendar settings (YAML)' in page.text
    fields = form_fields(page.text, "/admin/calendar")
    text = dict(fields)["calendar"]
    assert clinic.emails["clinician"] in text and "SN-1" in text  # the clinic's own
    saved = client.post("/admin/calendar", data=dict(fields))
    assert saved.status_code == 200
    assert saved.url.path == "/admin/calendar"
    assert "Calendar saved: 1 practitioner(s), 1 room(s), 1 device(s)." in saved.text
    assert "<dt>Monday</dt><dd>09:00–18:00</dd>" in saved.text
    assert "<dt>Sunday</dt><dd>closed</dd>" in saved.text
    assert "Dr Cleo Clinician" in saved.text
    # What is shown in the box is what was saved: sent back unchanged, it saves again.
    again = form_fields(saved.text, "/admin/calendar")
    assert client.post("/admin/calendar", data=dict(again)).status_code == 200
    settings = _settings(clinic)
    assert settings is not None and settings["slot_minutes"] == 15
    # And now a series can be booked.
    booking = clinic.signed_in("front_desk").get(f"/plans/{plan_id}/book")
    assert "Proposed:" in booking.text


def test_past_closures_are_not_listed_but_kept(clinic: Clinic) -> None:
    text = (
        "opening_hours: {monday-friday: '09:00-18:00'}\n"
        "closures:\n"
        "  - {from: '2025-12-24', to: '2025-12-26', reason: Christmas last year}\n"
        "  - {from: '2026-12-24', to: '2026-12-26', reason: Christmas this year}\n"
        "rooms: [{id: room-1}]\n"
        "devices: []\n"
        "practitioners: []\n"
    )
    assert _post(clinic, text).status_code == 200
    page = clinic.signed_in("clinician").get("/admin/calendar").text
    assert "Christmas this year" in page
    assert "Christmas last year" not in page and "1 past closure not shown." in page
    settings = _settings(clinic)
    assert settings is not None and len(settings["closures"]) == 2

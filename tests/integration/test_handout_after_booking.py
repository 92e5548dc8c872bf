"""Once a plan's series is booked, its patient handout follows the booked sessions (days and
times), in the patient's words, with the clinic's address and phone."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from tests.integration.scheduling_support import SchedulingWorld, make_scheduling_world

from microneedling.documents.handout import handout_context, render_html, render_pdf
from microneedling.services import clinics, plans, scheduling
from microneedling.store import Database

#: Staff picked other days than the plan proposed (2026-12-08, 2027-01-05, 2027-02-02).
PICKS = [
    {"session": 1, "start": "2026-12-08T09:30"},
    {"session": 2, "start": "2027-01-12T14:15"},
    {"session": 3, "start": "2027-02-23T10:00"},
]
PRINTED = date(2026, 12, 1)


@pytest.fixture
def clinic(database: Database, tmp_path: Path) -> SchedulingWorld:
    return make_scheduling_world(database, tmp_path / "photos")


def booked_handout(clinic: SchedulingWorld, *, printed: date = PRINTED) -> dict[str, object]:
    _, plan_id = clinic.patient_with_plan()
    scheduling.book_plan(clinic.uow, clinic.desk, plan_id, slots=PICKS, clock=clinic.clock)
    found = plans.plan_handout(clinic.uow, clinic.clinician, plan_id, clock=clinic.clock)
    assert found["booked"] is True
    return handout_context(
        found["plan"],
        today=printed,
        patient=found["patient"],
        clinic=found["clinic"],
        booked=True,
    )


def test_the_handout_of_a_booked_plan_shows_the_booked_days_and_times(
    clinic: SchedulingWorld,
) -> None:
    context = booked_handout(clinic)
    assert [(s["date"], s["time"]) for s in context["sessions"]] == [
        ("Tuesday 8 December 2026", "09:30"),
        ("Tuesday 12 January 2027", "14:15"),
        ("Tuesday 23 February 2027", "10:00"),
    ]
    html = render_html(context)
    assert "Tuesday 8 December 2026, 09:30" in html
    assert "Tuesday 12 January 2027, 14:15" in html
    assert "Tuesday 5 January 2027</td></tr>" not in html  # the proposed second session


def test_pre_care_and_the_care_timeline_follow_the_booked_sessions_and_skip_passed_days(
    clinic: SchedulingWorld,
) -> None:
    context = booked_handout(clinic)
    precare = [(step["date"], step["session"]) for step in context["precare"]]
    # Printed on 1 December: the day −14 step of session 1 (24 November) has passed.
    assert ("Tuesday 24 November 2026", 1) not in precare
    assert precare[0] == ("Tuesday 1 December 2026", 1)
    # Session 2 was booked a week later than proposed: its pre-care moved with it.
    assert ("Tuesday 29 December 2026", 2) in precare
    assert ("Tuesday 5 January 2027", 2) in precare
    assert ("Tuesday 22 December 2026", 2) not in precare
    assert ("Tuesday 9 February 2027", 3) in precare
    assert ("Tuesday 19 January 2027", 3) not in precare
    expected = {(e["from"], e["label"]) for e in context["expected"]}
    assert ("Tuesday 23 February 2027", "A visible glow") in expected
    assert ("Tuesday 2 February 2027", "A visible glow") not in expected
    # The full effect counts from the booked last session (6 weeks after 23 February).
    assert ("Tuesday 6 April 2027", "Full effect") in expected
    assert context["maintenance"]["first_date"] == "Monday 23 August 2027"


def test_a_handout_printed_later_leaves_out_the_pre_care_already_past(
    clinic: SchedulingWorld,
) -> None:
    context = booked_handout(clinic, printed=date(2027, 1, 1))
    assert {step["session"] for step in context["precare"]} == {2, 3}
    assert context["aftercare_session"]["number"] == 2


def test_the_handout_is_in_the_patients_words_with_the_clinics_address_and_phone(
    clinic: SchedulingWorld,
) -> None:
    clinics.set_policy_overrides(
        clinic.uow,
        clinic.owner,
        {"contact": {"address": "Hauptstraße 1, 10115 Berlin", "phone": "+49 30 1234567"}},
        clock=clinic.clock,
    )
    context = booked_handout(clinic)
    html = render_html(context)
    text = re.sub(r"<[^>]+>", " ", html.split("</style>")[1])
    for internal in ("policy", "hours", "sources", "knowledge base", "acne_scars"):
        assert internal not in text.lower(), internal
    assert not re.search(r"\b(S-[A-Z]+\d*|A\d)\b", text), "a source code"
    assert "the first 2 days" in text and "from 1 to 8 days after the session" in text
    call = text.split("Call the clinic")[-1]
    assert "Hauptstraße 1, 10115 Berlin" in call and "+49 30 1234567" in call
    assert f"Clinic {clinic.slug}" in call
    pdf = pdfium.PdfDocument(render_pdf(context))
    printed = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "Tuesday 12 January 2027, 14:15" in printed
    assert "Hauptstraße 1, 10115 Berlin" in printed and "+49 30 1234567" in printed
    assert "hours" not in printed and "policy" not in printed.lower()

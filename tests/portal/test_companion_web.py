"""The care companion's pages as a signed-in patient: the pre-care countdown before a session,
today's aftercare after it (day 0 by the hour, then day by day, what is normal and what is not),
and "Can I use this?" with the hours since the session filled in (typed label or a product the
clinic approved); bad input gets a clear message."""

# ruff: noqa: F811 (the fixtures imported from tests/web and tests/integration)
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.testclient import TestClient
from tests.portal.portal_helpers import invited_patient, patient_browser
from tests.web.conftest import back_to_start, clinic, migrated_sqlite  # noqa: F401 (fixtures)
from tests.web.web_helpers import Clinic, csrf_of, weekday_calendar

from microneedling.errors import NotFound
from microneedling.services import calendar_settings, clinics, plans, scheduling

ACNE = {"zone": "cheeks", "concern": "acne_scars", "subtype": "rolling"}


def picks(first: str) -> list[dict[str, Any]]:
    """The three sessions: ``first`` (``2026-12-08T09:30``, Amsterdam), then five and eleven
    weeks later at the same time (each patient of a module gets a time of their own)."""
    start = datetime.fromisoformat(first)
    return [
        {"session": n, "start": (start + timedelta(weeks=weeks)).strftime("%Y-%m-%dT%H:%M")}
        for n, weeks in ((1, 0), (2, 5), (3, 11))
    ]


def booked_patient(
    clinic: Clinic, email: str, first: str | None, **details: Any
) -> tuple[int, int]:
    """A patient invited to the portal, screened, with an acne-scar plan whose sessions are
    booked from ``first`` (:func:`picks`; ``None``: not booked); returns (patient id, plan id)."""
    from microneedling.services import intakes

    try:
        calendar_settings.read_calendar(clinic.uow(), clinic.owner, clock=clinic.clock)
    except NotFound:
        weekday_calendar(clinic)
    patient_id = invited_patient(clinic, email, **details)
    intakes.record_intake(clinic.uow(), clinic.front_desk, patient_id, {"zones": ["cheeks"]},
                          clock=clinic.clock)  # fmt: skip
    plan_id = plans.create_plan(clinic.uow(), clinic.clinician, patient_id,
                                {"treatments": [ACNE]}, clock=clinic.clock)  # fmt: skip
    if first is not None:
        scheduling.book_plan(clinic.uow(), clinic.front_desk, plan_id, slots=picks(first),
                             clock=clinic.clock)  # fmt: skip
    return patient_id, plan_id


def text_of(html: str) -> str:
    """The page's words (tags dropped, spaces collapsed)."""
    body = html.split("<main", 1)[-1]
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def check(client: TestClient, **data: str) -> Any:
    page = client.get("/my/care/check")
    return client.post("/my/care/check", data={"csrf_token": csrf_of(page.text), **data})


def test_before_the_session_the_pre_care_counts_down_to_real_days(clinic: Clinic) -> None:
    booked_patient(clinic, "pre@example.com", "2026-12-08T09:30")
    clinic.clock.now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # Saturday 28 November
    client = patient_browser(clinic, "pre@example.com")
    page = client.get("/my/care")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Before your next session" in words
    assert "Tuesday 8 December 2026 — in 10 days" in words
    assert "From Tuesday (in 3 days): Stop retinoids and exfoliating products" in words
    assert "Since Tuesday 24 November: No botulinum toxin, filler or peel" in words
    assert "On the day, at the clinic:" in words
    # Plain words: no codes or source keys in the text; the sources are behind "Why?".
    outside_why = re.sub(r"<details class=\"small why\">.*?</details>", "", page.text, flags=re.S)
    assert not re.search(r"\b(S-[A-Z]+\d*|A\d|POLICY|acne_scars)\b", text_of(outside_why))
    assert "Why?" in words


def test_after_the_session_today_s_aftercare_what_is_normal_and_what_is_not(
    clinic: Clinic,
) -> None:
    booked_patient(clinic, "after@example.com",
                   "2026-12-08T11:00")  # fmt: skip
    clinic.clock.now = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)  # 10:00 the next day
    client = patient_browser(clinic, "after@example.com")
    words = text_of(client.get("/my/care").text)
    assert "Day 1 after your session" in words
    assert "Session of Tuesday 8 December 2026" in words
    assert "Only sterile products labelled for post-procedure use" in words
    assert "No make-up for 2 days." in words and "Until tomorrow at" in words
    assert "What is normal Redness like a mild sunburn for 1–3 days." in words
    assert "What is not normal Call the clinic for increasing pain" in words
    assert "Coming up From today at" in words and "Mineral sunscreen SPF 30+" in words
    assert "Day by day" in words and "(today)" in words
    # Day 8: the aftercare is over.
    clinic.clock.now = datetime(2026, 12, 17, 9, 0, tzinfo=UTC)
    client = patient_browser(clinic, "after@example.com")
    assert "its aftercare is over" in text_of(client.get("/my/care").text)


def test_can_i_use_this_fills_in_the_hours_since_the_session(clinic: Clinic) -> None:
    booked_patient(clinic, "check@example.com",
                   "2026-12-08T13:00")  # fmt: skip
    clinic.clock.now = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)  # 16:00 next day: ~24 h
    client = patient_browser(clinic, "check@example.com")
    retinol = text_of(check(client, ingredients="Aqua, Glycerin, Retinol").text)
    assert "Not yet: you can use it from Tuesday 15 December at" in retinol
    assert "a retinoid (vitamin A, such as retinol) (Retinol)" in retinol
    assert "hours after your session of Tuesday 8 December 2026" in retinol
    sunscreen = text_of(check(client, ingredients="Zinc Oxide, Titanium Dioxide, CI 77491, "
                                                  "Glycerin, Aqua").text)  # fmt: skip
    assert "Yes, you can use it now." in sunscreen and "not make-up" in sunscreen
    make_up = text_of(check(client, ingredients="Aqua, Talc, CI 77491, Glycerin").text)
    assert "Not yet: you can use it from tomorrow at" in make_up and "make-up" in make_up
    unknown = text_of(check(client, ingredients="Aqua, Frobnicatium Extract").text)
    assert "could not recognise" in unknown and "Frobnicatium Extract" in unknown


def test_a_product_the_clinic_approved_can_be_picked(clinic: Clinic) -> None:
    clinics.set_policy_overrides(
        clinic.uow(),
        clinic.owner,
        {"approved_products": [{
            "name": "Calm Serum", "ingredients": "Aqua, Sodium Hyaluronate, Retinol",
            "sterile": True, "from_hours": 12, "approved_by": "Dr Cleo",
            "approved_on": "2026-11-01"}]},
        clock=clinic.clock,
    )  # fmt: skip
    try:
        booked_patient(clinic, "approved@example.com",
                       "2026-12-08T14:30")  # fmt: skip
        clinic.clock.now = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
        client = patient_browser(clinic, "approved@example.com")
        form = client.get("/my/care/check").text
        assert '<option value="Calm Serum"' in form
        words = text_of(check(client, approved_name="Calm Serum").text)
        assert "Yes, you can use it now." in words and "The clinic approved Calm Serum" in words
        refused = check(client, approved_name="Not Approved")
        assert refused.status_code == 422 and "has not approved a product" in refused.text
    finally:
        clinics.set_policy_overrides(clinic.uow(), clinic.owner, {}, clock=clinic.clock)


def test_bad_input_gets_a_clear_message(clinic: Clinic) -> None:
    booked_patient(clinic, "bad@example.com", "2026-12-09T09:30")
    clinic.clock.now = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
    client = patient_browser(clinic, "bad@example.com")
    for data, message in [
        ({}, "type or paste the ingredients"),
        ({"ingredients": "   "}, "type or paste the ingredients"),
        ({"ingredients": "x" * 6000}, "longer than any label"),
        ({"ingredients": "Aqua", "approved_name": "Calm Serum"}, "not both"),
    ]:
        answer = check(client, **data)
        assert answer.status_code == 422, data
        assert message in answer.text, (data, text_of(answer.text)[:300])
    hostile = check(client, ingredients="<script>alert(1)</script>, Aqua")
    assert "<script>alert(1)" not in hostile.text


def test_before_any_session_the_check_says_why_it_cannot_count(clinic: Clinic) -> None:
    booked_patient(clinic, "early@example.com", "2026-12-10T09:30")
    client = patient_browser(clinic, "early@example.com")
    answer = check(client, ingredients="Aqua, Glycerin")
    assert answer.status_code == 422 and "not had a session yet" in answer.text


def test_htmx_gets_only_the_answer(clinic: Clinic) -> None:
    booked_patient(clinic, "htmx@example.com", "2026-12-09T11:00")
    clinic.clock.now = datetime(2026, 12, 12, 9, 0, tzinfo=UTC)
    client = patient_browser(clinic, "htmx@example.com")
    page = client.get("/my/care/check")
    answer = client.post("/my/care/check", data={"csrf_token": csrf_of(page.text),
                         "ingredients": "Aqua, Glycerin"}, headers={"HX-Request": "true"})  # fmt: skip
    assert answer.status_code == 200
    assert "<html" not in answer.text and "Yes, you can use it now." in answer.text

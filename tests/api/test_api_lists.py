"""Lists page and filter: patients by name, birth date and sessions to come; appointments by day
range, practitioner and status; charted sessions by day range, practitioner and cartridge lot;
the audit log by sequence."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.api.conftest import Clinic
from tests.integration.conftest import NOW

from microneedling.services import appointments, charts
from microneedling.services.clock import fixed_clock


def tag() -> str:
    return "Q" + uuid.uuid4().hex[:8]


def test_patients_come_in_pages_in_name_order(clinic: Clinic) -> None:
    family = tag()
    ids = [clinic.world.patient(family_name=f"{family}{letter}") for letter in "EDCBA"]
    first = clinic.get("/patients", params={"q": family, "limit": 2}, role="front_desk").json()
    assert [item["id"] for item in first["items"]] == [ids[4], ids[3]]
    assert (first["limit"], first["offset"], first["next_offset"]) == (2, 0, 2)
    last = clinic.get("/patients", params={"q": family, "limit": 2, "offset": 4}).json()
    assert [item["id"] for item in last["items"]] == [ids[0]]
    assert last["next_offset"] is None


def test_patients_are_found_by_the_start_of_either_name_whatever_the_case(clinic: Clinic) -> None:
    given = tag()
    wanted = clinic.world.patient(given_name=given, family_name="Shared")
    for text in (given.lower(), given[:5].upper()):
        found = clinic.get("/patients", params={"q": text}).json()["items"]
        assert [item["id"] for item in found] == [wanted]


def test_patients_are_found_by_birth_date(clinic: Clinic) -> None:
    wanted = clinic.world.patient(birth_date="1977-07-07")
    clinic.world.patient(birth_date="1977-07-08")
    found = clinic.get("/patients", params={"birth_date": "1977-07-07"}).json()["items"]
    assert [item["id"] for item in found] == [wanted]


def test_patients_are_found_by_whether_a_session_is_booked(clinic: Clinic) -> None:
    w = clinic.world
    coming = w.patient()
    w.appointment(coming, starts_at=NOW + timedelta(days=3))
    cancelled = w.patient()
    appointments.set_appointment_status(
        w.uow, w.front_desk, w.appointment(cancelled, starts_at=NOW + timedelta(days=3)),
        "cancelled", clock=w.clock,
    )  # fmt: skip
    past = w.patient()
    w.appointment(past, starts_at=NOW - timedelta(days=3))
    with_session = clinic.get("/patients", params={"has_upcoming_session": "true"}).json()
    assert [item["id"] for item in with_session["items"]] == [coming]
    without = clinic.get("/patients", params={"has_upcoming_session": "false"}).json()
    assert {item["id"] for item in without["items"]} == {cancelled, past}
    day = (NOW + timedelta(days=3)).date().isoformat()
    on_day = clinic.get("/patients", params={"session_on": day}).json()
    assert [item["id"] for item in on_day["items"]] == [coming]


def test_appointments_are_listed_by_day_range_practitioner_and_status(clinic: Clinic) -> None:
    w = clinic.world
    w.calendar()
    patient = w.patient()
    # 23:30 in Amsterdam on 3 December is 22:30 UTC: the clinic's day decides (20 minutes and
    # the turnover end at midnight).
    late = appointments.book_appointment(
        w.uow, w.front_desk, patient, starts_at=NOW.replace(hour=22, minute=30) + timedelta(days=2),
        duration_minutes=20, practitioner_id=w.clinician.staff_user_id, clock=w.clock,
    )  # fmt: skip
    next_day = appointments.book_appointment(
        w.uow, w.front_desk, patient, starts_at=NOW.replace(hour=23, minute=30) + timedelta(days=2),
        practitioner_id=w.clinician2.staff_user_id, clock=w.clock,
    )  # fmt: skip
    day = (NOW + timedelta(days=2)).date().isoformat()
    found = clinic.get("/appointments", params={"from": day, "to": day}).json()["items"]
    assert [item["id"] for item in found] == [late]
    mine = clinic.get(
        "/appointments", params={"practitioner_id": w.clinician2.staff_user_id}
    ).json()["items"]
    assert [item["id"] for item in mine] == [next_day]
    after_it = fixed_clock(NOW + timedelta(days=3))  # a no-show is marked after the start
    appointments.set_appointment_status(w.uow, w.front_desk, late, "no_show", clock=after_it)
    no_shows = clinic.get("/appointments", params={"status": "no_show"}).json()["items"]
    assert [item["id"] for item in no_shows] == [late]
    backwards = clinic.get("/appointments", params={"from": "2026-12-05", "to": "2026-12-01"})
    assert backwards.status_code == 422 and backwards.json()["fields"][0]["path"] == "to"


def test_charted_sessions_are_listed_by_day_range_practitioner_and_lot(clinic: Clinic) -> None:
    w = clinic.world
    first, second = w.ready_session(), w.ready_session()
    w.chart(first)
    w.chart(second, actor=w.clinician2)
    by_lot = clinic.get("/sessions", params={"lot": first.lot_number}, role="clinician").json()
    assert [item["appointment_id"] for item in by_lot["items"]] == [first.appointment_id]
    assert by_lot["items"][0]["cartridge_lot"] == first.lot_number
    by_practitioner = clinic.get(
        "/sessions", params={"practitioner_id": w.clinician2.staff_user_id}
    ).json()["items"]
    assert [item["appointment_id"] for item in by_practitioner] == [second.appointment_id]
    today = NOW.date().isoformat()
    both = clinic.get("/sessions", params={"from": today, "to": today, "limit": 1}).json()
    assert len(both["items"]) == 1 and both["next_offset"] == 1
    tomorrow = (NOW + timedelta(days=1)).date().isoformat()
    assert clinic.get("/sessions", params={"from": tomorrow}).json()["items"] == []


def test_a_session_whose_lot_was_corrected_is_listed_under_the_corrected_lot(
    clinic: Clinic,
) -> None:
    w = clinic.world
    session = w.ready_session()
    w.chart(session)
    corrected = w.lot()
    charts.amend_chart(
        w.uow, w.clinician, session.appointment_id, changes={"cartridge_lot": corrected},
        reason="wrong lot written", clock=w.clock,
    )  # fmt: skip
    old = clinic.get("/sessions", params={"lot": session.lot_number}).json()["items"]
    new = clinic.get("/sessions", params={"lot": corrected}).json()["items"]
    assert old == []
    assert [(item["appointment_id"], item["version"]) for item in new] == [
        (session.appointment_id, 2)
    ]


def test_the_audit_log_comes_in_pages_by_sequence(clinic: Clinic) -> None:
    for _ in range(3):
        clinic.world.patient()
    first = clinic.get("/audit", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_after"] == first["items"][-1]["sequence"]
    rest = clinic.get("/audit", params={"after": first["next_after"], "limit": 1000}).json()
    sequences = [item["sequence"] for item in first["items"] + rest["items"]]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    assert rest["next_after"] is None


def test_a_page_larger_than_the_limit_is_refused(clinic: Clinic) -> None:
    response = clinic.get("/patients", params={"limit": 201})
    assert response.status_code == 422
    assert response.json()["fields"][0]["path"] == "limit"


def test_a_lot_whose_number_holds_a_slash_is_recalled_through_the_api(clinic: Clinic) -> None:
    number = f"{tag()}/2026/07"
    received = clinic.post(
        "/lots",
        role="clinician",
        json={"manufacturer": "Acme", "product": "12-pin", "lot_number": number,
              "expires_on": "2027-06-30", "received_on": "2026-11-02", "quantity_received": 10},
    )  # fmt: skip
    assert received.status_code == 201, received.text
    for address in (number.replace("/", "%2F"), number):
        recalled = clinic.post(f"/lots/{address}/recall", role="clinician", json={"reason": "r"})
        assert recalled.status_code == 200, recalled.text
    lots = clinic.get("/lots", params={"recalled": "true"}, role="clinician").json()
    assert number in {lot["lot_number"] for lot in lots}

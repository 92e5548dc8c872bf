"""Issue 13 through the API: ``POST /appointments`` books a one-off session only where the
clinic calendar allows it, with the API's one error body: 409 for a clash, 422 for a time the
clinic is closed or that has passed, 409 ``refused`` while the clinic has no calendar."""

from __future__ import annotations

from tests.api.conftest import Clinic


def post(clinic: Clinic, patient_id: int, starts_at: str) -> tuple[int, dict[str, object]]:
    response = clinic.post(
        "/appointments",
        "front_desk",
        json={
            "patient_id": patient_id,
            "starts_at": starts_at,
            "practitioner_id": clinic.world.clinician.staff_user_id,
        },
    )
    return response.status_code, response.json()


def test_a_clash_is_409_and_says_who_is_booked_then(clinic: Clinic) -> None:
    clinic.world.calendar()
    first, second = clinic.world.patient(), clinic.world.patient(given_name="Bo")
    assert post(clinic, first, "2026-12-08T09:00:00+01:00")[0] == 201
    status, body = post(clinic, second, "2026-12-08T09:30:00+01:00")
    assert status == 409
    assert body["error"] == "conflict"
    # The clinician's display name in the test clinic is "clinician".
    assert (
        body["message"] == "clinician already has a session from 09:00 to 10:00 on Tue 8 Dec 2026"
    )
    assert body["fields"] == [{"path": "starts_at", "message": body["message"]}]


def test_a_closed_or_past_time_is_422_with_the_reason(clinic: Clinic) -> None:
    clinic.world.calendar()
    calendar = {**clinic.get("/scheduling/calendar").json()}
    calendar["opening_hours"] = {"monday-friday": "09:00-18:00"}
    assert clinic.call("PUT", "/scheduling/calendar", json=calendar).status_code == 200
    patient_id = clinic.world.patient()
    sunday = post(clinic, patient_id, "2026-12-06T03:00:00+01:00")
    assert sunday == (422, {**sunday[1], "error": "invalid",
                            "message": "The clinic is closed on Sundays"})  # fmt: skip
    past = post(clinic, patient_id, "2026-12-01T09:00:00+01:00")
    assert past[0] == 422
    assert past[1]["message"] == "That time has passed: choose a time after now"


def test_without_a_calendar_nothing_is_booked_and_the_owner_is_named(clinic: Clinic) -> None:
    status, body = post(clinic, clinic.world.patient(), "2026-12-08T09:00:00+01:00")
    assert status == 409
    assert body["error"] == "refused"
    assert str(body["message"]).startswith("the clinic calendar is not configured yet")

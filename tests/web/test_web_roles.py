"""The same role rules as the API: pages hide what a role may not do, and the use case refuses
it anyway with a clear page; another clinic's records are "not found"."""

from __future__ import annotations

from tests.web.web_helpers import Clinic, appointment_now, chart_form, new_patient, token


def test_front_desk_sees_no_clinical_links(clinic: Clinic) -> None:
    patient_id = new_patient(clinic)
    appointment_now(clinic, patient_id)
    client = clinic.signed_in("front_desk")
    today = client.get("/").text
    assert 'href="/inventory"' not in today
    assert 'href="/admin"' not in today
    record = client.get(f"/patients/{patient_id}").text
    assert "Plan treatment" not in record
    assert "Chart this session" not in record
    assert "New intake" in record
    assert "Book an appointment" in record


def test_front_desk_is_refused_charting_with_a_clear_page(clinic: Clinic) -> None:
    patient_id = new_patient(clinic)
    appointment_id = appointment_now(clinic, patient_id)
    client = clinic.signed_in("front_desk")
    page = client.get(f"/appointments/{appointment_id}/chart")
    assert page.status_code == 403
    assert "Not allowed for your role" in page.text
    assert "Your role (front desk) cannot chart sessions; that is for clinicians and owners" in (
        page.text
    )
    assert "chart.create" not in page.text
    assert "chart" in page.text
    posted = client.post(
        f"/appointments/{appointment_id}/chart", data=chart_form(clinic, client.get("/").text)
    )
    assert posted.status_code == 403


def test_front_desk_cannot_plan_or_read_outcomes_photos_or_inventory(clinic: Clinic) -> None:
    patient_id = new_patient(clinic)
    client = clinic.signed_in("front_desk")
    for path in (
        f"/patients/{patient_id}/plans/new",
        f"/patients/{patient_id}/outcomes",
        f"/patients/{patient_id}/photos",
        "/inventory",
        "/admin/staff",
    ):
        assert client.get(path).status_code == 403, path


def test_a_clinician_cannot_reach_admin_but_an_owner_can(clinic: Clinic) -> None:
    clinician = clinic.signed_in("clinician")
    for path in ("/admin/staff", "/admin/prices", "/admin/policy", "/admin/audit"):
        assert clinician.get(path).status_code == 403, path
    owner = clinic.signed_in("owner")
    for path in ("/admin/staff", "/admin/prices", "/admin/policy", "/admin/audit"):
        assert owner.get(path).status_code == 200, path
    response = clinician.post(
        "/admin/staff",
        data={"csrf_token": token(clinician), "email": "sneaky@web.example",
              "display_name": "Sneaky", "role": "owner", "password": "12345678"},
    )  # fmt: skip
    assert response.status_code == 403


def test_another_clinics_patient_is_not_found_like_a_missing_one(clinic: Clinic) -> None:
    patient_id = new_patient(clinic)
    other = clinic.client()
    from tests.web.web_helpers import sign_in

    sign_in(other, clinic.emails["other_owner"])
    theirs = other.get(f"/patients/{patient_id}")
    missing = other.get("/patients/99999999")
    assert theirs.status_code == missing.status_code == 404
    assert "Lovelace" not in theirs.text

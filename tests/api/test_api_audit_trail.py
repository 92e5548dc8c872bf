"""Every read and change of patient data through the API appends an audit entry: who, which
action, which patient, which record. A refused request appends nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from tests.api.conftest import Clinic
from tests.api.test_api_roles import tiny_jpeg

from microneedling.services import adverse_events, photos, plans
from microneedling.store.models import AuditEntry


def entries_after(clinic: Clinic, sequence: int) -> list[AuditEntry]:
    with clinic.world.database.sessions() as session:
        return list(
            session.execute(
                select(AuditEntry)
                .where(
                    AuditEntry.sequence > sequence,
                    AuditEntry.clinic_id == clinic.world.owner.clinic_id,
                )
                .order_by(AuditEntry.sequence)
            ).scalars()
        )


def head(clinic: Clinic) -> int:
    with clinic.world.database.sessions() as session:
        return max(session.execute(select(AuditEntry.sequence)).scalars(), default=0)


@pytest.fixture
def records(clinic: Clinic) -> dict[str, Any]:
    w = clinic.world
    session = w.ready_session()
    w.chart(session)
    patient = session.patient_id
    plan = plans.create_plan(
        w.uow, w.clinician, patient, {"treatments": [{"zone": "cheeks", "concern": "fine_lines"}]},
        clock=w.clock,
    )  # fmt: skip
    photo = photos.add_photo(w.uow, w.clinician, patient, tiny_jpeg(), view="front", clock=w.clock)
    event = adverse_events.record_adverse_event(
        w.uow, w.clinician, patient, {"kind": "oedema", "severity": "mild",
                                      "onset_on": "2026-11-30"}, clock=w.clock,
    )  # fmt: skip
    with w.uow:
        intake = w.uow.records(w.owner.clinic_id).latest_intake(patient)
        assert intake is not None
        intake_id = intake.id
    return {"patient": patient, "appointment": session.appointment_id, "plan": plan,
            "photo": photo, "event": event, "intake": intake_id}  # fmt: skip


#: (role, method, path, body) → the audit action it appends, about the patient.
READS_AND_CHANGES = [
    ("front_desk", "GET", "/patients/{patient}", None, "patient.read"),
    ("front_desk", "PATCH", "/patients/{patient}", {"email": "new@mail.example"}, "patient.update_contact"),
    ("clinician", "GET", "/patients/{patient}/record", None, "patient.read_record"),
    ("front_desk", "GET", "/patients/{patient}/intakes", None, "intake.read"),
    ("front_desk", "GET", "/patients/{patient}/screening", None, "intake.read"),
    ("front_desk", "GET", "/intakes/{intake}", None, "intake.read"),
    ("clinician", "GET", "/patients/{patient}/plans", None, "plan.read"),
    ("clinician", "GET", "/plans/{plan}", None, "plan.read"),
    ("clinician", "POST", "/plans/{plan}/status", {"status": "accepted"}, "plan.update_status"),
    ("front_desk", "GET", "/patients/{patient}/consents", None, "consent.read"),
    ("front_desk", "GET", "/appointments/{appointment}", None, "appointment.read"),
    ("clinician", "GET", "/appointments/{appointment}/chart", None, "chart.read"),
    ("clinician", "GET", "/patients/{patient}/adverse-events", None, "adverse_event.read"),
    ("clinician", "POST", "/adverse-events/{event}/resolve", {"resolved_on": "2026-12-01", "resolution": "settled"}, "adverse_event.resolve"),
    ("clinician", "GET", "/patients/{patient}/outcomes", None, "outcome.read"),
    ("clinician", "GET", "/patients/{patient}/photos", None, "photo.list"),
    ("clinician", "GET", "/photos/{photo}", None, "photo.read"),
    ("clinician", "GET", "/photos/{photo}/file", None, "photo.read"),
    ("front_desk", "POST", "/patients/{patient}/consents", {"kind": "marketing_photos", "signed_by_name": "p"}, "consent.sign"),
    ("clinician", "POST", "/patients/{patient}/outcomes", {"scale": "gais", "inputs": {"grade": 1}}, "outcome.record"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "action"), READS_AND_CHANGES, ids=lambda v: str(v)[:40]
)
def test_a_read_or_change_of_patient_data_appends_one_audit_entry(
    clinic: Clinic, records: dict[str, Any], role: str, method: str, path: str, body: Any,
    action: str,
) -> None:  # fmt: skip
    before = head(clinic)
    response = clinic.call(method, path.format(**records), role, json=body)
    assert response.status_code < 300, response.text
    (entry,) = entries_after(clinic, before)
    actor = getattr(clinic.world, role)
    assert (entry.action, entry.actor_id, entry.actor_role, entry.patient_id) == (
        action,
        actor.staff_user_id,
        role,
        records["patient"],
    )
    assert "Ada" not in entry.details and "Lovelace" not in entry.details


def test_recording_an_intake_audits_the_recording_and_the_reading_back(
    clinic: Clinic, records: dict[str, Any]
) -> None:
    before = head(clinic)
    response = clinic.post(
        f"/patients/{records['patient']}/intakes", "front_desk", json={"zones": ["cheeks"]}
    )
    assert response.status_code == 201
    assert response.json()["screening"]["decision"] == "eligible"
    assert [e.action for e in entries_after(clinic, before)] == ["intake.record", "intake.read"]


def test_a_search_is_audited_without_the_text_searched_for(clinic: Clinic) -> None:
    clinic.world.patient(family_name="Lovelace")
    before = head(clinic)
    clinic.get("/patients", "front_desk", params={"q": "Lovel", "birth_date": "1990-05-17"})
    (entry,) = entries_after(clinic, before)
    assert entry.action == "patient.search"
    assert "Lovel" not in entry.details and "1990" not in entry.details
    assert '"filters":["birth_date","q"]' in entry.details


def test_a_refused_or_failed_request_appends_nothing(
    clinic: Clinic, records: dict[str, Any]
) -> None:
    before = head(clinic)
    assert clinic.get(f"/patients/{records['patient']}/record", "front_desk").status_code == 403
    assert clinic.get("/patients/2000000000", "front_desk").status_code == 404
    assert clinic.get(f"/patients/{records['patient']}", None).status_code == 401
    assert entries_after(clinic, before) == []


def test_the_audit_log_read_through_the_api_verifies(
    clinic: Clinic, records: dict[str, Any]
) -> None:
    page = clinic.get("/audit", params={"patient_id": records["patient"], "limit": 1000}).json()
    actions = {item["action"] for item in page["items"]}
    assert {"patient.register", "intake.record", "chart.create", "photo.add"} <= actions
    report = clinic.get("/audit/verify").json()
    assert report["intact"] is True and report["problems"] == []

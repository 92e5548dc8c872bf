"""The FHIR resources added to the first ones: PractitionerRole, Location, AdverseEvent, Media,
AuditEvent, Questionnaire and QuestionnaireResponse; each validated with the R4B models, read
and searched with the JSON API's roles, another clinic's never found. Also ``_lastUpdated``,
``_include`` and an unexpected error answered as an OperationOutcome."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from fhir.resources.R4B.adverseevent import AdverseEvent
from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.media import Media
from fhir.resources.R4B.practitionerrole import PractitionerRole
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot
from PIL import Image
from tests.api.conftest import Clinic
from tests.api.test_fhir_read_search import FHIR, MODELS, fhir_get, outcome, valid

from microneedling.api.fhir import questionnaire, resources
from microneedling.api.fhir.codes import ADVERSE_EVENT_SYSTEM, INTAKE_QUESTIONNAIRE, ZONE_SYSTEM
from microneedling.services import adverse_events, photos
from microneedling.store import UnitOfWork
from microneedling.store.models import AuditEntry

MODELS.update(
    {
        "PractitionerRole": PractitionerRole,
        "Location": Location,
        "AdverseEvent": AdverseEvent,
        "Media": Media,
        "AuditEvent": AuditEvent,
        "Questionnaire": Questionnaire,
        "QuestionnaireResponse": QuestionnaireResponse,
        "Schedule": Schedule,
        "Slot": Slot,
    }
)


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (6, 4)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_staff_members_role_and_hours_are_a_practitioner_role_for_owners(
    clinic: Clinic,
) -> None:
    world = clinic.world
    world.calendar()
    staff_id = world.clinician.staff_user_id
    role = valid(fhir_get(clinic, f"/PractitionerRole/{staff_id}", "owner"))
    assert role["practitioner"]["reference"] == f"Practitioner/{staff_id}"
    assert role["code"][0]["coding"][0]["code"] == "clinician"
    assert role["availableTime"][0]["daysOfWeek"] == ["mon"]
    assert role["availableTime"][0]["availableEndTime"] == "23:59:59"
    by_role = {"role": "front_desk"}
    found = valid(
        clinic.client.get(
            f"{FHIR}/PractitionerRole", params=by_role, headers=clinic.headers("owner")
        )
    )
    assert [e["resource"]["id"] for e in found["entry"]] == [str(world.front_desk.staff_user_id)]
    assert "owner" in outcome(fhir_get(clinic, f"/PractitionerRole/{staff_id}", "clinician"), 403)
    boss = {"role": "boss"}
    assert outcome(
        clinic.client.get(f"{FHIR}/PractitionerRole", params=boss, headers=clinic.headers("owner")),
        400,
    )
    theirs = clinic.other.clinician.staff_user_id
    outcome(fhir_get(clinic, f"/PractitionerRole/{theirs}", "owner"), 404)


def test_the_clinics_rooms_are_locations(clinic: Clinic) -> None:
    clinic.world.calendar()
    clinic.other.calendar()
    found = valid(fhir_get(clinic, "/Location", "front_desk", name="room 2"))
    assert found["total"] == 1
    room = found["entry"][0]["resource"]
    assert room["name"] == "Room 2"
    assert room["physicalType"]["coding"][0]["code"] == "ro"
    assert (
        room["managingOrganization"]["reference"] == f"Organization/{clinic.world.owner.clinic_id}"
    )
    assert valid(fhir_get(clinic, "/Location", "front_desk"))["total"] == 4
    assert valid(fhir_get(clinic, "/Location", "owner", status="inactive"))["total"] == 0
    theirs = valid(fhir_get(clinic, "/Location", "other_owner", name="room 2"))["entry"][0]
    outcome(fhir_get(clinic, f"/Location/{theirs['resource']['id']}", "owner"), 404)


def test_an_adverse_event_names_the_sessions_cartridge_lot_as_the_suspect(
    clinic: Clinic,
) -> None:
    world = clinic.world
    session = world.ready_session(family_name="Reddened")
    world.chart(session)
    event_id = adverse_events.record_adverse_event(
        world.uow, world.clinician, session.patient_id,
        {"kind": "prolonged_erythema", "severity": "moderate", "onset_on": "2026-12-01",
         "appointment_id": session.appointment_id, "description": "redness for 5 days"},
        clock=world.clock,
    )  # fmt: skip
    event = valid(fhir_get(clinic, f"/AdverseEvent/{event_id}", "clinician"))
    assert event["event"]["coding"][0] == {
        "system": ADVERSE_EVENT_SYSTEM, "code": "prolonged_erythema",
        "display": "Prolonged erythema",
    }  # fmt: skip
    assert event["severity"]["coding"][0]["code"] == "moderate"
    assert event["outcome"]["coding"][0]["code"] == "ongoing"
    device = valid(fhir_get(clinic, "/" + event["suspectEntity"][0]["instance"]["reference"]))
    assert device["lotNumber"] == session.lot_number
    adverse_events.resolve_adverse_event(
        world.uow, world.clinician, event_id, resolved_on=date(2026, 12, 1),
        resolution="settled", clock=world.clock,
    )  # fmt: skip
    found = valid(
        fhir_get(clinic, "/AdverseEvent", "owner", subject=f"Patient/{session.patient_id}")
    )
    assert found["entry"][0]["resource"]["outcome"]["coding"][0]["code"] == "resolved"
    assert valid(fhir_get(clinic, "/AdverseEvent", "owner", date="gt2026-12-01"))["total"] == 0
    outcome(fhir_get(clinic, f"/AdverseEvent/{event_id}", "front_desk"), 403)
    outcome(fhir_get(clinic, f"/AdverseEvent/{event_id}", "other_owner"), 404)


def test_a_photo_is_media_whose_image_is_behind_the_same_token(clinic: Clinic) -> None:
    world = clinic.world
    patient_id = world.patient(family_name="Photographed")
    photo_id = photos.add_photo(
        world.uow, world.clinician, patient_id, _jpeg(), view="left_oblique", zone="cheeks",
        clock=world.clock,
    )  # fmt: skip
    media = valid(fhir_get(clinic, f"/Media/{photo_id}", "clinician"))
    assert media["subject"]["reference"] == f"Patient/{patient_id}"
    assert media["view"]["coding"][0]["code"] == "left_oblique"
    assert media["bodySite"]["coding"][0] == {
        "system": ZONE_SYSTEM, "code": "cheeks", "display": "Cheeks",
    }  # fmt: skip
    assert (media["width"], media["height"]) == (6, 4)
    url = media["content"]["url"]
    assert url == f"http://testserver/api/v1/photos/{photo_id}/file"
    image = clinic.client.get(url, headers=clinic.headers("clinician"))
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"
    assert clinic.client.get(url).status_code == 401
    assert clinic.client.get(url, headers=clinic.headers("front_desk")).status_code == 403
    assert clinic.client.get(url, headers=clinic.headers("other_owner")).status_code == 404
    found = valid(fhir_get(clinic, "/Media", "owner", patient=f"Patient/{patient_id}"))
    assert [e["resource"]["id"] for e in found["entry"]] == [str(photo_id)]
    assert "meta" in found["entry"][0]["resource"]
    outcome(fhir_get(clinic, f"/Media/{photo_id}", "front_desk"), 403)
    outcome(fhir_get(clinic, f"/Media/{photo_id}", "other_owner"), 404)


def test_the_audit_log_is_audit_events_for_owners_only(clinic: Clinic) -> None:
    world = clinic.world
    patient_id = world.patient(family_name="Logged")
    clinic.other.patient(family_name="Logged")
    found = valid(fhir_get(clinic, "/AuditEvent", "owner", patient=f"Patient/{patient_id}"))
    assert found["total"] >= 1
    first = found["entry"][0]["resource"]
    assert first["type"]["code"] == "patient.register"
    assert first["action"] == "C"
    assert first["agent"][0]["who"]["reference"] == f"Practitioner/{world.front_desk.staff_user_id}"
    assert {"what": {"reference": f"Patient/{patient_id}"}} in first["entity"]
    valid(fhir_get(clinic, f"/AuditEvent/{first['id']}", "owner"))
    everything = valid(fhir_get(clinic, "/AuditEvent", "owner", _count="100"))
    with UnitOfWork(world.database) as uow:
        theirs = {
            str(row.sequence)
            for row in uow.session.query(AuditEntry).filter(
                AuditEntry.clinic_id == clinic.other.owner.clinic_id
            )
        }
    assert theirs and not theirs & {e["resource"]["id"] for e in everything["entry"]}
    outcome(fhir_get(clinic, f"/AuditEvent/{min(theirs)}", "owner"), 404)
    outcome(fhir_get(clinic, "/AuditEvent", "clinician"), 403)
    outcome(fhir_get(clinic, f"/AuditEvent/{first['id']}", "front_desk"), 403)


def test_the_intake_questionnaire_and_a_recorded_intake_as_its_response(clinic: Clinic) -> None:
    form = valid(fhir_get(clinic, "/Questionnaire/intake", "front_desk"))
    assert form["url"] == INTAKE_QUESTIONNAIRE
    link_ids = [item["linkId"] for item in form["item"]]
    assert link_ids[:3] == ["on", "patient", "zones"]
    assert {"conditions", "medications", "procedures", "allergies"} <= set(link_ids)
    assert (
        valid(fhir_get(clinic, "/Questionnaire", "front_desk", url=INTAKE_QUESTIONNAIRE))["total"]
        == 1
    )
    outcome(fhir_get(clinic, "/Questionnaire/other", "front_desk"), 404)
    world = clinic.world
    patient_id = world.patient(family_name="Asked")
    intake_id = world.intake(
        patient_id,
        zones=["cheeks", "forehead"],
        medications=[{"code": "isotretinoin", "stopped_on": "2026-01-10"}],
    )
    response = valid(fhir_get(clinic, f"/QuestionnaireResponse/{intake_id}", "front_desk"))
    assert response["subject"]["reference"] == f"Patient/{patient_id}"
    assert response["questionnaire"].startswith(INTAKE_QUESTIONNAIRE + "|")
    with UnitOfWork(world.database) as uow:
        from microneedling.store.models import Intake

        stored = uow.session.get(Intake, intake_id)
        assert stored is not None
        assert questionnaire.intake_answers(response) == stored.answers
    found = valid(
        fhir_get(clinic, "/QuestionnaireResponse", "clinician", patient=f"Patient/{patient_id}")
    )
    assert found["total"] == 1
    outcome(fhir_get(clinic, f"/QuestionnaireResponse/{intake_id}", "other_owner"), 404)


def test_last_updated_is_given_and_searched_where_it_is_known(clinic: Clinic) -> None:
    world = clinic.world
    patient_id = world.patient(family_name="Changed")
    consent_id = world.consent(patient_id)
    consent = valid(fhir_get(clinic, f"/Consent/{consent_id}", "front_desk"))
    changed = consent["meta"]["lastUpdated"]
    mine = {"patient": f"Patient/{patient_id}"}
    assert valid(fhir_get(clinic, "/Consent", **mine, _lastUpdated=changed))["total"] == 1
    assert valid(fhir_get(clinic, "/Consent", **mine, _lastUpdated=f"gt{changed}"))["total"] == 0
    assert valid(fhir_get(clinic, "/Consent", **mine, _lastUpdated=changed[:10]))["total"] == 1
    assert (
        valid(fhir_get(clinic, "/Consent", **mine, _lastUpdated=f"lt{changed[:10]}"))["total"] == 0
    )
    # A patient's contact details change without a time being kept: not searched by it.
    assert "meta" not in valid(fhir_get(clinic, f"/Patient/{patient_id}"))
    assert "_lastUpdated" in outcome(fhir_get(clinic, "/Patient", _lastUpdated="2026-01-01"), 400)
    assert outcome(fhir_get(clinic, "/Consent", _lastUpdated="gt2026-13-01T00:00:00Z"), 400)


def test_include_adds_the_patients_of_the_matches_and_only_the_clinics_own(
    clinic: Clinic,
) -> None:
    world = clinic.world
    session = world.ready_session(family_name="Included")
    clinic.other.ready_session(family_name="Included")
    found = valid(
        fhir_get(
            clinic, "/Appointment", "front_desk", patient=f"Patient/{session.patient_id}",
            _include=["Appointment:patient", "Appointment:practitioner"],
        )
    )  # fmt: skip
    modes = [(e["search"]["mode"], e["resource"]["resourceType"]) for e in found["entry"]]
    assert modes == [("match", "Appointment"), ("include", "Patient"), ("include", "Practitioner")]
    assert found["total"] == 1
    assert "_include=Appointment%3Apatient" in found["link"][0]["url"]
    everyone = valid(
        fhir_get(clinic, "/Appointment", "owner", _count="100", _include="Appointment:patient")
    )
    clinic_id = world.owner.clinic_id
    for entry in everyone["entry"]:
        if entry["search"]["mode"] == "include":
            assert entry["resource"]["managingOrganization"]["reference"] == (
                f"Organization/{clinic_id}"
            )
    assert "known: Appointment:patient" in outcome(
        fhir_get(clinic, "/Appointment", _include="Appointment:location"), 400
    )
    assert outcome(fhir_get(clinic, "/Appointment", _include="Procedure:patient"), 400)
    # An included type the role may not read is refused, not silently left out.
    outcome(fhir_get(clinic, "/Media", "front_desk", _include="Media:patient"), 403)


def test_an_unexpected_error_is_an_operation_outcome(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient_id = clinic.world.patient()

    def broken(*args: Any) -> Any:
        raise RuntimeError("a bug with Ada Lovelace's name in it")

    monkeypatch.setattr(resources, "patient_resource", broken)
    answer = clinic.client.get(f"{FHIR}/Patient/{patient_id}", headers=clinic.headers("owner"))
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("application/fhir+json")
    body = answer.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "exception"
    assert "Lovelace" not in answer.text


def test_free_time_is_slots_of_each_practitioners_schedule(clinic: Clinic) -> None:
    world = clinic.world
    patient_id = world.patient(family_name="Booked")
    appointment_id = world.appointment(patient_id)
    booked = valid(fhir_get(clinic, f"/Appointment/{appointment_id}", "front_desk"))
    practitioner = booked["participant"][1]["actor"]["reference"]
    staff_id = practitioner.removeprefix("Practitioner/")
    schedule = valid(fhir_get(clinic, f"/Schedule/{staff_id}", "front_desk"))
    assert schedule["actor"][0]["reference"] == practitioner
    found = valid(fhir_get(clinic, "/Schedule", "front_desk", actor=practitioner))
    assert [e["resource"]["id"] for e in found["entry"]] == [staff_id]
    day = booked["start"][:10]
    free = valid(
        fhir_get(clinic, "/Slot", "front_desk", schedule=f"Schedule/{staff_id}",
                 start=[f"ge{day}", f"le{day}"])
    )  # fmt: skip
    slots = [e["resource"] for e in free["entry"]]
    assert slots and {s["schedule"]["reference"] for s in slots} == {f"Schedule/{staff_id}"}
    for slot in slots:
        assert slot["status"] == "free"
        # No free slot overlaps the booked session.
        assert slot["end"] <= booked["start"] or slot["start"] >= booked["end"]
    everyone = valid(fhir_get(clinic, "/Slot", "front_desk", start=f"eq{day}"))
    assert len({e["resource"]["schedule"]["reference"] for e in everyone["entry"]}) == 2
    assert "start:" in outcome(fhir_get(clinic, "/Slot", "front_desk"), 400)
    week = ["ge2026-12-01", "le2026-12-09"]
    assert "at most 7 days" in outcome(fhir_get(clinic, "/Slot", start=week), 400)
    assert outcome(fhir_get(clinic, "/Slot/1-20261201-0", "front_desk"), 404)
    clinic.other.calendar()
    theirs = clinic.other.clinician.staff_user_id
    outcome(fhir_get(clinic, f"/Schedule/{theirs}", "owner"), 404)
    mine_only = valid(fhir_get(clinic, "/Slot", schedule=f"Schedule/{theirs}", start=f"eq{day}"))
    assert mine_only["total"] == 0

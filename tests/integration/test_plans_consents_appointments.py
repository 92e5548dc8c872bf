"""Plans from the latest screening, consents that can be withdrawn, appointments' statuses."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from tests.integration.conftest import NOW, World

from microneedling.errors import NotFound, PlanRequestError, RuleViolation, UserError
from microneedling.services import appointments, clinics, consents, intakes, patients, plans
from microneedling.store.repositories import ClinicRecords

CHEEKS = {"treatments": [{"zone": "cheeks", "concern": "acne_scars", "subtype": "rolling"}]}
PRICES = {
    "currency": "EUR",
    "per_session": {"small": 150, "medium": 220, "large": 300},
    "zone_sizes": {"cheeks": "medium"},
}


def test_a_plan_is_made_on_the_latest_screening_and_priced_with_the_clinics_list(
    world: World,
) -> None:
    clinics.set_price_list(world.uow, world.owner, PRICES, clock=world.clock)
    patient_id = world.patient(fitzpatrick=5)
    intake_id = world.intake(patient_id)
    plan_id = plans.create_plan(world.uow, world.clinician, patient_id, CHEEKS, clock=world.clock)
    record = patients.open_patient_record(world.uow, world.clinician, patient_id, clock=world.clock)
    (plan,) = record["plans"]
    assert plan["id"] == plan_id
    assert plan["intake_id"] == intake_id
    assert plan["status"] == "proposed"
    assert plan["request"]["fitzpatrick"] == 5
    assert plan["plan"]["on"] == "2026-12-01"
    assert plan["plan"]["quote"]["currency"] == "EUR"
    assert plan["plan"]["knowledge_base"]["version"]


def test_a_plan_needs_a_screening(world: World) -> None:
    patient_id = world.patient()
    with pytest.raises(RuleViolation, match="record an intake first"):
        plans.create_plan(world.uow, world.clinician, patient_id, CHEEKS, clock=world.clock)


def test_no_plan_for_a_not_eligible_patient(world: World) -> None:
    patient_id = world.patient()
    world.intake(patient_id, conditions=[{"code": "bleeding_disorder"}])
    with pytest.raises(RuleViolation, match="not_eligible"):
        plans.create_plan(world.uow, world.clinician, patient_id, CHEEKS, clock=world.clock)


def test_a_caution_screening_needs_an_acknowledgement_before_a_plan(world: World) -> None:
    patient_id = world.patient()
    intake_id = world.intake(
        patient_id, medications=[{"code": "isotretinoin", "stopped_on": "2026-10-01"}]
    )
    with pytest.raises(RuleViolation, match="acknowledge"):
        plans.create_plan(world.uow, world.clinician, patient_id, CHEEKS, clock=world.clock)
    intakes.acknowledge_caution(world.uow, world.clinician, intake_id, note="ok", clock=world.clock)
    plan_id = plans.create_plan(world.uow, world.clinician, patient_id, CHEEKS, clock=world.clock)
    assert plan_id > 0


def test_a_deferred_plan_starts_on_the_earliest_date(world: World) -> None:
    patient_id = world.patient()
    world.intake(patient_id, medications=[{"code": "topical_retinoid", "stopped_on": "2026-11-28"}])
    plan_id = plans.create_plan(world.uow, world.clinician, patient_id, CHEEKS, clock=world.clock)
    record = patients.open_patient_record(world.uow, world.clinician, patient_id, clock=world.clock)
    assert record["plans"][0]["id"] == plan_id
    assert record["plans"][0]["plan"]["series"][0]["dates"][0] >= "2026-12-05"


def test_the_plan_request_may_not_set_what_comes_from_the_records(world: World) -> None:
    patient_id = world.patient()
    world.intake(patient_id)
    with pytest.raises(PlanRequestError) as caught:
        plans.create_plan(
            world.uow, world.clinician, patient_id, {**CHEEKS, "fitzpatrick": 1}, clock=world.clock
        )
    assert caught.value.field == "fitzpatrick"


def test_a_plans_status_moves_forward_only(world: World) -> None:
    patient_id = world.patient()
    world.intake(patient_id)
    plan_id = plans.create_plan(world.uow, world.clinician, patient_id, CHEEKS, clock=world.clock)
    plans.set_plan_status(world.uow, world.clinician, plan_id, "accepted", clock=world.clock)
    plans.set_plan_status(world.uow, world.owner, plan_id, "completed", clock=world.clock)
    with pytest.raises(RuleViolation, match="a completed plan cannot become cancelled"):
        plans.set_plan_status(world.uow, world.clinician, plan_id, "cancelled", clock=world.clock)


def test_a_withdrawn_consent_no_longer_counts(world: World) -> None:
    patient_id = world.patient()
    consent_id = world.consent(patient_id)
    with world.uow:
        records = ClinicRecords(world.uow.session, world.owner.clinic_id)
        assert records.signed_consent(patient_id, "treatment", NOW) is not None
    consents.withdraw_consent(world.uow, world.front_desk, consent_id, clock=world.clock)
    with world.uow:
        records = ClinicRecords(world.uow.session, world.owner.clinic_id)
        assert records.signed_consent(patient_id, "treatment", NOW) is None
    with pytest.raises(RuleViolation, match="already withdrawn"):
        consents.withdraw_consent(world.uow, world.front_desk, consent_id, clock=world.clock)


def test_a_marketing_photo_consent_keeps_the_marketing_text_with_its_hash_and_version(
    world: World,
) -> None:
    patient_id = world.patient()
    world.consent(patient_id, "treatment")
    world.consent(patient_id, "marketing_photos")
    record = patients.open_patient_record(world.uow, world.clinician, patient_id, clock=world.clock)
    treatment, marketing = record["consents"]
    photos_form = consents.consent_form("marketing_photos")
    assert marketing["kind"] == "marketing_photos"
    assert marketing["text"] == photos_form.text and "marketing" in marketing["text"]
    assert marketing["text"] != treatment["text"]
    assert marketing["form_version"] == photos_form.version
    assert marketing["text_sha256"] == hashlib.sha256(photos_form.text.encode()).hexdigest()
    listed = consents.list_consents(world.uow, world.front_desk, patient_id, clock=world.clock)
    assert [c["text"] for c in listed] == [treatment["text"], marketing["text"]]


def test_a_consent_sent_with_another_text_than_its_forms_is_refused_and_not_recorded(
    world: World,
) -> None:
    patient_id = world.patient()
    treatment_text = consents.consent_form("treatment").text
    with pytest.raises(UserError) as caught:
        consents.sign_consent(
            world.uow,
            world.front_desk,
            patient_id,
            {"kind": "marketing_photos", "form_version": "1", "text": treatment_text,
             "signed_by_name": "the patient"},
            clock=world.clock,
        )  # fmt: skip
    assert caught.value.field == "text"
    with pytest.raises(UserError) as caught:
        consents.sign_consent(
            world.uow,
            world.front_desk,
            patient_id,
            {"kind": "treatment", "form_version": "99", "signed_by_name": "the patient"},
            clock=world.clock,
        )
    assert caught.value.field == "form_version"
    assert consents.list_consents(world.uow, world.front_desk, patient_id, clock=world.clock) == []


def test_a_consent_signed_in_the_future_is_refused(world: World) -> None:
    patient_id = world.patient()
    with pytest.raises(UserError) as caught:
        consents.sign_consent(
            world.uow,
            world.front_desk,
            patient_id,
            {"kind": "treatment", "signed_by_name": "p",
             "signed_at": (NOW + timedelta(hours=1)).isoformat()},
            clock=world.clock,
        )  # fmt: skip
    assert caught.value.field == "signed_at"


def test_an_appointment_is_checked_in_and_cannot_come_back_from_a_no_show(world: World) -> None:
    patient_id = world.patient()
    appointment_id = world.appointment(patient_id)
    appointments.set_appointment_status(
        world.uow, world.front_desk, appointment_id, "checked_in", clock=world.clock
    )
    appointments.set_appointment_status(
        world.uow, world.front_desk, appointment_id, "no_show", clock=world.clock
    )
    with pytest.raises(RuleViolation):
        appointments.set_appointment_status(
            world.uow, world.front_desk, appointment_id, "checked_in", clock=world.clock
        )
    record = patients.open_patient_record(world.uow, world.clinician, patient_id, clock=world.clock)
    assert record["appointments"][0]["status"] == "no_show"


def test_completed_comes_only_from_charting(world: World) -> None:
    patient_id = world.patient()
    appointment_id = world.appointment(patient_id)
    with pytest.raises(UserError) as caught:
        appointments.set_appointment_status(
            world.uow, world.front_desk, appointment_id, "completed", clock=world.clock
        )
    assert caught.value.field == "status"


def test_an_appointment_time_needs_its_time_zone(world: World) -> None:
    patient_id = world.patient()
    with pytest.raises(UserError) as caught:
        appointments.book_appointment(
            world.uow, world.front_desk, patient_id, starts_at=NOW.replace(tzinfo=None)
        )
    assert caught.value.field == "starts_at"


def test_an_appointment_for_another_patients_plan_is_refused(world: World) -> None:
    first = world.patient()
    world.intake(first)
    plan_id = plans.create_plan(world.uow, world.clinician, first, CHEEKS, clock=world.clock)
    second = world.patient()
    with pytest.raises(NotFound) as caught:
        appointments.book_appointment(
            world.uow, world.front_desk, second, starts_at=NOW, plan_id=plan_id, clock=world.clock
        )
    assert caught.value.field == "plan_id"

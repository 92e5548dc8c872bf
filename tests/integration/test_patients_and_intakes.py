"""Registering patients, recording intakes (screened and stored), acknowledging caution."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.integration.conftest import NOW, TODAY, World

from microneedling.errors import IntakeError, NotFound, RuleViolation, UserError
from microneedling.knowledge import shipped_knowledge_base
from microneedling.services import intakes, patients
from microneedling.services.clock import fixed_clock


def test_a_registered_patient_appears_in_their_record_and_in_a_name_search(world: World) -> None:
    patient_id = world.patient(given_name="Grace", family_name="Hopper", email="G@Example.com")
    record = patients.open_patient_record(world.uow, world.clinician, patient_id, clock=world.clock)
    assert record["patient"]["given_name"] == "Grace"
    assert record["patient"]["email"] == "g@example.com"
    found = patients.find_patients(world.uow, world.front_desk, "hop", clock=world.clock)
    assert [item["id"] for item in found] == [patient_id]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"given_name": ""}, "given_name"),
        ({"fitzpatrick": 7}, "fitzpatrick"),
        ({"birth_date": "1990-02-30"}, "birth_date"),
        ({"email": "not-an-address"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
    ],
)
def test_registering_a_patient_with_bad_details_names_the_field(
    world: World, change: dict[str, object], field: str
) -> None:
    with pytest.raises(UserError) as caught:
        world.patient(**change)
    assert caught.value.field == field


def test_a_birth_date_after_today_is_refused(world: World) -> None:
    with pytest.raises(UserError, match="after today") as caught:
        world.patient(birth_date=(TODAY + timedelta(days=1)).isoformat())
    assert caught.value.field == "birth_date"


def test_an_intake_is_stored_as_submitted_with_its_screening_and_knowledge_base(
    world: World,
) -> None:
    patient_id = world.patient()
    world.intake(patient_id, medications=[{"code": "topical_retinoid", "stopped_on": "2026-11-28"}])
    record = patients.open_patient_record(world.uow, world.clinician, patient_id, clock=world.clock)
    (intake,) = record["intakes"]
    kb = shipped_knowledge_base()
    assert intake["assessed_on"] == TODAY.isoformat()
    assert intake["decision"] == "defer"
    assert intake["earliest_date"] == "2026-12-05"
    assert intake["answers"]["medications"] == [
        {"code": "topical_retinoid", "stopped_on": "2026-11-28"}
    ]
    assert intake["answers"]["patient"]["birth_date"] == "1990-05-17"
    stamp = dict(intake["knowledge_base"])
    assert stamp.pop("overrides_hash", None) is None
    assert stamp == kb.stamp()
    assert intake["screening"]["knowledge_base"] == {**kb.stamp(), "overrides_hash": None}
    assert intake["screening"]["findings"][0]["code"] == "topical_retinoid"


def test_an_intake_dated_after_the_clinics_today_is_refused(world: World) -> None:
    patient_id = world.patient()
    with pytest.raises(IntakeError) as caught:
        world.intake(patient_id, on=(TODAY + timedelta(days=1)).isoformat())
    assert caught.value.field == "on"


def test_the_clinics_today_is_its_local_date(world: World) -> None:
    # 23:30 UTC on 30 November is already 1 December in Amsterdam.
    late = fixed_clock(NOW.replace(day=30, month=11, hour=23, minute=30))
    patient_id = world.patient()
    intake_id = world.intake(patient_id, clock=late)
    record = patients.open_patient_record(world.uow, world.clinician, patient_id, clock=world.clock)
    assert record["intakes"][0]["id"] == intake_id
    assert record["intakes"][0]["assessed_on"] == "2026-12-01"


def test_an_intake_contradicting_the_patients_record_is_refused(world: World) -> None:
    patient_id = world.patient(fitzpatrick=2)
    with pytest.raises(IntakeError) as caught:
        world.intake(patient_id, patient={"birth_date": "1990-05-17", "fitzpatrick": 5})
    assert caught.value.field == "patient.fitzpatrick"


def test_an_intake_with_an_unknown_code_is_refused_naming_the_field(world: World) -> None:
    patient_id = world.patient()
    with pytest.raises(IntakeError) as caught:
        world.intake(patient_id, conditions=[{"code": "werewolf"}])
    assert caught.value.field == "conditions[0].code"


def test_an_intake_for_a_patient_that_does_not_exist_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.intake(999_999)


def caution_intake(world: World) -> tuple[int, int]:
    patient_id = world.patient()
    intake_id = world.intake(
        patient_id, medications=[{"code": "isotretinoin", "stopped_on": "2026-10-01"}]
    )
    return patient_id, intake_id


def test_a_clinician_acknowledges_a_caution_screening_once(world: World) -> None:
    patient_id, intake_id = caution_intake(world)
    intakes.acknowledge_caution(
        world.uow, world.clinician, intake_id, note="Discussed; proceed.", clock=world.clock
    )
    record = patients.open_patient_record(world.uow, world.clinician, patient_id, clock=world.clock)
    assert record["intakes"][0]["acknowledged"]["by"] == world.clinician.staff_user_id
    with pytest.raises(RuleViolation, match="already acknowledged"):
        intakes.acknowledge_caution(
            world.uow, world.clinician, intake_id, note="Again.", clock=world.clock
        )


def test_only_a_caution_screening_can_be_acknowledged(world: World) -> None:
    patient_id = world.patient()
    intake_id = world.intake(patient_id)
    with pytest.raises(RuleViolation, match="this one is eligible"):
        intakes.acknowledge_caution(
            world.uow, world.clinician, intake_id, note="n/a", clock=world.clock
        )


def test_an_acknowledgement_needs_a_note(world: World) -> None:
    _, intake_id = caution_intake(world)
    with pytest.raises(UserError) as caught:
        intakes.acknowledge_caution(world.uow, world.clinician, intake_id, note="  ")
    assert caught.value.field == "note"

"""Screenings stored under clinical policy version 1 (no zones, no Fitzpatrick type, no overrides
hash) still read back, showing the policy version they were computed under; new ones carry it
all."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from tests.integration.conftest import World

from microneedling.clinical.screening import policy_version, readable_screening
from microneedling.services import intakes
from microneedling.store.models import Intake

V1_SCREENING: dict[str, Any] = {
    "decision": "eligible",
    "earliest_date": "2026-12-01",
    "findings": [],
    "precautions": [],
    "on": "2026-12-01",
    "knowledge_base": {"version": "1.1.1", "hash": "sha256:" + "0" * 64},
}


def _store_as_v1(world: World, intake_id: int) -> None:
    with world.uow:
        world.uow.session.execute(
            update(Intake)
            .where(Intake.id == intake_id)
            .values(
                screening=V1_SCREENING,
                knowledge_base_version="1.1.1",
                knowledge_base_hash="sha256:" + "0" * 64,
            )
        )
        world.uow.commit()


def test_a_policy_1_screening_reads_back_with_empty_zones_and_no_type(world: World) -> None:
    patient_id = world.patient()
    intake_id = world.intake(patient_id)
    _store_as_v1(world, intake_id)
    for view in (
        intakes.read_intake(world.uow, world.clinician, intake_id, clock=world.clock),
        intakes.latest_screening(world.uow, world.clinician, patient_id, clock=world.clock),
        intakes.list_intakes(world.uow, world.clinician, patient_id, clock=world.clock)[0],
    ):
        screening = view["screening"]
        assert screening["zones"] == []
        assert screening["fitzpatrick"] is None
        assert screening["knowledge_base"]["overrides_hash"] is None
        assert screening["knowledge_base"]["version"] == "1.1.1"
        assert view["policy_version"] == 1
        assert view["knowledge_base"]["version"] == "1.1.1"


def test_a_policy_2_screening_reads_back_with_what_it_covered(world: World) -> None:
    patient_id = world.patient()
    intake_id = world.intake(patient_id, zones=["neck", "chin"])
    view = intakes.read_intake(world.uow, world.clinician, intake_id, clock=world.clock)
    assert view["screening"]["zones"] == ["chin", "neck"]
    assert view["screening"]["fitzpatrick"] == 2
    assert view["policy_version"] == 2


def test_readable_screening_tolerates_damaged_stored_results() -> None:
    assert readable_screening(None)["zones"] == []
    assert readable_screening({"zones": "cheeks"})["zones"] == []
    assert readable_screening({"knowledge_base": "x"})["knowledge_base"] == {"overrides_hash": None}
    assert readable_screening({"fitzpatrick": 4, "zones": ["neck"]})["zones"] == ["neck"]


def test_policy_version_of_a_knowledge_base_version() -> None:
    assert policy_version("1.1.1") == 1
    assert policy_version("2.0.0") == 2
    assert policy_version("") is None
    assert policy_version(None) is None
    assert policy_version("x.y") is None

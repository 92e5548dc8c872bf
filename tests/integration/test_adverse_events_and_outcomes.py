"""Adverse events linked to their session, and outcome assessments on the standard scales."""

from __future__ import annotations

from datetime import date

import pytest
from tests.integration.conftest import World

from microneedling.errors import NotFound, PermissionDenied, RuleViolation, UserError
from microneedling.services import adverse_events, outcomes, patients


def test_an_adverse_event_is_recorded_against_its_session_and_resolved(world: World) -> None:
    session = world.ready_session()
    world.chart(session)
    event_id = adverse_events.record_adverse_event(
        world.uow,
        world.clinician,
        session.patient_id,
        {"kind": "prolonged_erythema", "severity": "mild", "onset_on": "2026-12-01",
         "appointment_id": session.appointment_id, "description": "redness for 5 days"},
        clock=world.clock,
    )  # fmt: skip
    adverse_events.resolve_adverse_event(
        world.uow, world.clinician, event_id, resolved_on=date(2026, 12, 1),
        resolution="settled", clock=world.clock,
    )  # fmt: skip
    record = patients.open_patient_record(
        world.uow, world.clinician, session.patient_id, clock=world.clock
    )
    (event,) = record["adverse_events"]
    assert event["appointment_id"] == session.appointment_id
    assert (event["kind"], event["severity"], event["resolved_on"]) == (
        "prolonged_erythema",
        "mild",
        "2026-12-01",
    )
    with pytest.raises(RuleViolation, match="already resolved"):
        adverse_events.resolve_adverse_event(
            world.uow, world.clinician, event_id, resolved_on=date(2026, 12, 1), resolution="x"
        )


def test_an_adverse_event_cannot_point_at_another_patients_session(world: World) -> None:
    session = world.ready_session()
    someone_else = world.patient()
    with pytest.raises(NotFound) as caught:
        adverse_events.record_adverse_event(
            world.uow,
            world.clinician,
            someone_else,
            {"kind": "infection", "severity": "severe", "onset_on": "2026-12-01",
             "appointment_id": session.appointment_id},
            clock=world.clock,
        )  # fmt: skip
    assert caught.value.field == "appointment_id"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "werewolf_bite"}, "kind"),
        ({"severity": "catastrophic"}, "severity"),
        ({"onset_on": "2026-12-02"}, "onset_on"),
        ({"resolved_on": "2026-11-01"}, "resolved_on"),
    ],
)
def test_a_bad_adverse_event_is_refused_naming_the_field(
    world: World, change: dict[str, str], field: str
) -> None:
    patient_id = world.patient()
    event = {"kind": "oedema", "severity": "mild", "onset_on": "2026-11-20", **change}
    with pytest.raises(UserError) as caught:
        adverse_events.record_adverse_event(
            world.uow, world.clinician, patient_id, event, clock=world.clock
        )
    assert caught.value.field == field


def test_front_desk_cannot_record_an_adverse_event(world: World) -> None:
    patient_id = world.patient()
    with pytest.raises(PermissionDenied):
        adverse_events.record_adverse_event(
            world.uow, world.front_desk, patient_id,
            {"kind": "oedema", "severity": "mild", "onset_on": "2026-11-20"}, clock=world.clock,
        )  # fmt: skip


def test_an_outcome_is_scored_and_stored_with_its_rater_and_date(world: World) -> None:
    patient_id = world.patient()
    outcomes.record_outcome(
        world.uow,
        world.clinician,
        patient_id,
        scale="vss",
        inputs={"vascularity": 1, "pigmentation": 1, "pliability": 2, "height": 1},
        assessed_on=date(2026, 11, 30),
        clock=world.clock,
    )
    outcomes.record_outcome(
        world.uow, world.clinician, patient_id, scale="gais", inputs={"grade": 2},
        clock=world.clock,
    )  # fmt: skip
    record = patients.open_patient_record(world.uow, world.clinician, patient_id, clock=world.clock)
    vss, gais = record["outcomes"]
    assert (vss["scale"], vss["score"], vss["assessed_on"]) == ("vss", 5, "2026-11-30")
    assert vss["rater_id"] == world.clinician.staff_user_id
    assert vss["inputs"] == {"vascularity": 1, "pigmentation": 1, "pliability": 2, "height": 1}
    assert (gais["score"], gais["assessed_on"]) == (2, "2026-12-01")


def test_an_outcome_with_a_bad_input_is_refused(world: World) -> None:
    patient_id = world.patient()
    with pytest.raises(UserError):
        outcomes.record_outcome(
            world.uow, world.clinician, patient_id, scale="gais", inputs={"grade": 9}
        )


def test_an_outcome_in_the_future_is_refused(world: World) -> None:
    patient_id = world.patient()
    with pytest.raises(UserError) as caught:
        outcomes.record_outcome(
            world.uow, world.clinician, patient_id, scale="gais", inputs={"grade": 2},
            assessed_on=date(2026, 12, 2), clock=world.clock,
        )  # fmt: skip
    assert caught.value.field == "assessed_on"


def test_the_day_page_lists_the_oldest_open_adverse_events_and_counts_them_all(
    world: World,
) -> None:
    from microneedling.services import overview

    before = overview.open_adverse_events(world.uow, world.clinician, clock=world.clock)["total"]
    patient = world.patient()
    for onset in ("2026-11-20", "2026-11-10", "2026-11-30"):
        adverse_events.record_adverse_event(
            world.uow, world.clinician, patient,
            {"kind": "infection", "severity": "mild", "onset_on": onset}, clock=world.clock,
        )  # fmt: skip
    listed = overview.open_adverse_events(world.uow, world.clinician, limit=2, clock=world.clock)
    assert listed["total"] == before + 3
    assert len(listed["items"]) == 2
    onsets = [item["onset_on"] for item in listed["items"]]
    assert onsets == sorted(onsets)
    with pytest.raises(UserError):
        overview.open_adverse_events(world.uow, world.clinician, limit=0, clock=world.clock)

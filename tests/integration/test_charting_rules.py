"""The rules a clinic relies on when a session is charted, each both ways.

A session cannot be charted without a signed consent, with an expired or recalled cartridge lot,
or on a patient whose latest screening is not eligible, deferred past today, older than 90 days,
or caution without a clinician's acknowledgement.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Select, func, select
from tests.integration.conftest import NOW, TODAY, Session, World

from microneedling.errors import Conflict, NotFound, PermissionDenied, RuleViolation, UserError
from microneedling.services import appointments, charts, consents, intakes, inventory, patients
from microneedling.store.models import SessionChart


def refusal(world: World, session: Session) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        world.chart(session)
    return caught.value


def test_a_session_with_everything_in_order_is_charted_signed_and_completed(world: World) -> None:
    session = world.ready_session()
    chart_id = world.chart(session)
    record = patients.open_patient_record(
        world.uow, world.clinician, session.patient_id, clock=world.clock
    )
    (chart,) = record["charts"]
    current = chart["current"]
    assert current["id"] == chart_id
    assert current["version"] == 1
    assert current["signed_by"] == world.clinician.staff_user_id
    assert current["practitioner_id"] == world.clinician.staff_user_id
    assert current["cartridge_lot"] == session.lot_number
    assert current["zones"] == [
        {"zone": "cheeks", "depth_mm": 1.0, "passes": 3, "endpoint": None, "reason": None}
    ]
    assert current["products"][0]["lot_number"] == "HA-1"
    assert current["device"]["model"] == "Pen 1"
    assert current["performed_on"] == TODAY.isoformat()
    assert record["appointments"][0]["status"] == "completed"


# Consent -------------------------------------------------------------------------------------


def test_no_chart_without_a_signed_treatment_consent(world: World) -> None:
    patient_id = world.patient()
    world.intake(patient_id)
    world.consent(patient_id, "marketing_photos")  # the wrong kind does not count
    session = Session(patient_id, world.appointment(patient_id), world.device(), world.lot())
    error = refusal(world, session)
    assert error.field == "consent"


def test_no_chart_once_the_treatment_consent_is_withdrawn(world: World) -> None:
    patient_id = world.patient()
    world.intake(patient_id)
    consent_id = world.consent(patient_id)
    consents.withdraw_consent(world.uow, world.front_desk, consent_id, clock=world.clock)
    session = Session(patient_id, world.appointment(patient_id), world.device(), world.lot())
    assert refusal(world, session).field == "consent"


# Cartridge lot -------------------------------------------------------------------------------


def test_no_chart_with_a_lot_that_expired_yesterday(world: World) -> None:
    session = world.ready_session()
    expired = world.lot(expires_on=TODAY - timedelta(days=1))
    error = refusal(
        world, Session(session.patient_id, session.appointment_id, session.device_id, expired)
    )
    assert error.field == "cartridge_lot"
    assert "expired on 2026-11-30" in error.message


def test_a_lot_expiring_today_may_still_be_used_today(world: World) -> None:
    session = world.ready_session()
    today_lot = world.lot(expires_on=TODAY)
    world.chart(Session(session.patient_id, session.appointment_id, session.device_id, today_lot))


def test_no_chart_with_a_recalled_lot(world: World) -> None:
    session = world.ready_session()
    inventory.recall_cartridge_lot(
        world.uow, world.owner, session.lot_number, reason="sterility", clock=world.clock
    )
    error = refusal(world, session)
    assert error.field == "cartridge_lot"
    assert "recalled" in error.message


def test_a_lot_not_in_the_inventory_is_refused_naming_the_field(world: World) -> None:
    session = world.ready_session()
    with pytest.raises(UserError) as caught:
        world.chart(Session(session.patient_id, session.appointment_id, session.device_id, "NOPE"))
    assert caught.value.field == "cartridge_lot"


# Screening -----------------------------------------------------------------------------------


def session_with_screening(world: World, **answers: object) -> Session:
    patient_id = world.patient()
    if answers:
        world.intake(patient_id, **answers)
    world.consent(patient_id)
    return Session(patient_id, world.appointment(patient_id), world.device(), world.lot())


def test_no_chart_without_any_screening(world: World) -> None:
    error = refusal(world, session_with_screening(world))
    assert error.field == "screening"


def test_no_chart_when_the_latest_screening_is_not_eligible(world: World) -> None:
    session = session_with_screening(world, conditions=[{"code": "bleeding_disorder"}])
    assert "not_eligible" in refusal(world, session).message


def test_no_chart_while_the_screening_defers_past_today(world: World) -> None:
    session = session_with_screening(
        world, medications=[{"code": "topical_retinoid", "stopped_on": "2026-11-28"}]
    )
    assert "until 2026-12-05" in refusal(world, session).message


def test_a_deferral_that_ends_today_allows_charting_today(world: World) -> None:
    session = session_with_screening(
        world,
        on="2026-11-25",
        medications=[{"code": "topical_retinoid", "stopped_on": "2026-11-24"}],
    )
    world.chart(session)


def test_no_chart_when_the_deferral_has_no_known_end(world: World) -> None:
    session = session_with_screening(
        world, conditions=[{"code": "acne_active", "zones": ["cheeks"]}]
    )
    assert "no known date" in refusal(world, session).message


def test_no_chart_on_a_screening_91_days_old(world: World) -> None:
    session = session_with_screening(world, on=(TODAY - timedelta(days=91)).isoformat())
    assert "91 days old" in refusal(world, session).message


def test_a_screening_exactly_90_days_old_still_allows_charting(world: World) -> None:
    session = session_with_screening(world, on=(TODAY - timedelta(days=90)).isoformat())
    world.chart(session)


def test_no_chart_on_a_caution_screening_until_a_clinician_acknowledges_it(world: World) -> None:
    session = session_with_screening(
        world, medications=[{"code": "isotretinoin", "stopped_on": "2026-10-01"}]
    )
    assert "acknowledged" in refusal(world, session).message
    with world.uow:
        latest = world.uow.records(world.owner.clinic_id).latest_intake(session.patient_id)
        assert latest is not None
        intake_id = latest.id
    intakes.acknowledge_caution(world.uow, world.clinician, intake_id, note="ok", clock=world.clock)
    world.chart(session)


def test_the_latest_screening_decides_not_an_earlier_one(world: World) -> None:
    session = session_with_screening(world, on="2026-11-20")
    world.intake(session.patient_id, conditions=[{"code": "bleeding_disorder"}])
    assert "not_eligible" in refusal(world, session).message


def test_every_reason_to_refuse_is_listed(world: World) -> None:
    patient_id = world.patient()
    world.intake(patient_id, conditions=[{"code": "bleeding_disorder"}])
    expired = world.lot(expires_on=TODAY - timedelta(days=3))
    error = refusal(
        world, Session(patient_id, world.appointment(patient_id), world.device(), expired)
    )
    assert [field for field, _ in error.fields] == ["consent", "cartridge_lot", "screening"]
    assert "and 2 more reasons" in error.message


# The session itself --------------------------------------------------------------------------


def test_a_session_is_charted_once_then_only_amended(world: World) -> None:
    session = world.ready_session()
    world.chart(session)
    with pytest.raises(Conflict, match="already charted"):
        world.chart(session, actor=world.clinician2)


def test_a_cancelled_session_cannot_be_charted(world: World) -> None:
    session = world.ready_session()
    appointments.set_appointment_status(
        world.uow, world.front_desk, session.appointment_id, "cancelled", clock=world.clock
    )
    with pytest.raises(RuleViolation, match="cancelled"):
        world.chart(session)


def test_a_session_booked_for_tomorrow_cannot_be_charted_today(world: World) -> None:
    patient_id = world.patient()
    world.intake(patient_id)
    world.consent(patient_id)
    appointment_id = world.appointment(patient_id, starts_at=NOW + timedelta(days=1))
    session = Session(patient_id, appointment_id, world.device(), world.lot())
    with pytest.raises(RuleViolation, match="chart it on or after"):
        world.chart(session)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"zones": [{"zone": "elbow", "depth_mm": 1.0, "passes": 2}]}, "zones[0].zone"),
        ({"zones": [{"zone": "cheeks", "depth_mm": 4.0, "passes": 2}]}, "zones[0].depth_mm"),
        ({"zones": []}, "zones"),
        ({"needle_count": 0}, "needle_count"),
        ({"products": [{"product": "x", "purpose": "magic"}]}, "products[0].purpose"),
    ],
)
def test_a_chart_with_bad_entries_is_refused_naming_the_field(
    world: World, change: dict[str, object], field: str
) -> None:
    session = world.ready_session()
    with pytest.raises(UserError) as caught:
        world.chart(session, **change)
    assert caught.value.field == field


def test_front_desk_cannot_chart(world: World) -> None:
    session = world.ready_session()
    with pytest.raises(PermissionDenied):
        world.chart(session, actor=world.front_desk)


def test_charting_refused_leaves_no_trace(world: World) -> None:
    session = session_with_screening(world)
    with world.uow:
        before = world.uow.session.execute(_count_charts()).scalar_one()
    refusal(world, session)
    with world.uow:
        assert world.uow.session.execute(_count_charts()).scalar_one() == before
    record = patients.open_patient_record(
        world.uow, world.clinician, session.patient_id, clock=world.clock
    )
    assert record["appointments"][0]["status"] == "scheduled"


def _count_charts() -> Select[tuple[int]]:
    return select(func.count()).select_from(SessionChart)


def test_reading_a_chart_that_does_not_exist_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        charts.read_chart(world.uow, world.clinician, 987_654, clock=world.clock)

"""Charting under clinical policy version 2 (A.6), on SQLite and PostgreSQL.

Per zone: a depth above the zone's cap, or one the device used cannot be set to, is refused; a
zone the plan does not treat, or a depth outside the plan's range, needs the clinician's reason,
which the chart keeps flagged and the audit entry carries. The chart records the passes, the
endpoint reached, the glide medium and the numbed area.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from tests.integration.conftest import NOW, Session, World

from microneedling.errors import RuleViolation, UserError
from microneedling.services import appointments, charts, inventory, patients, plans
from microneedling.store.models import AuditEntry


def planned_session(world: World, device: dict[str, Any] | None = None) -> Session:
    """A ready patient whose appointment belongs to a plan: acne scars on the cheeks
    (1.0–1.5 mm, zone cap 2.0 mm)."""
    session = world.ready_session()
    plan_id = plans.create_plan(
        world.uow,
        world.clinician,
        session.patient_id,
        {"treatments": [{"zone": "cheeks", "concern": "acne_scars"}]},
        clock=world.clock,
    )
    plans.set_plan_status(world.uow, world.clinician, plan_id, "accepted", clock=world.clock)
    world.calendar()
    appointment_id = appointments.book_appointment(
        world.uow,
        world.front_desk,
        session.patient_id,
        starts_at=NOW - timedelta(hours=3),
        duration_minutes=50,
        plan_id=plan_id,
        clock=lambda: NOW - timedelta(days=1),
    )
    device_id = session.device_id
    if device is not None:
        device_id = inventory.register_device(
            world.uow,
            world.clinician,
            {"kind": "pen", "manufacturer": "Acme", "model": "Fine",
             "serial_number": world.unique("SN"), **device},
            clock=world.clock,
        )  # fmt: skip
    return Session(session.patient_id, appointment_id, device_id, session.lot_number)


def zones(*items: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"passes": 3, "endpoint": "pinpoint_bleeding", **item} for item in items]


def refused(world: World, session: Session, **overrides: Any) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        world.chart(session, **overrides)
    return caught.value


def current_chart(world: World, session: Session) -> dict[str, Any]:
    return charts.read_chart(world.uow, world.clinician, session.appointment_id, clock=world.clock)[
        "current"
    ]


def test_passes_endpoint_glide_and_numbed_area_are_recorded(world: World) -> None:
    session = planned_session(world)
    world.chart(
        session,
        zones=zones({"zone": "cheeks", "depth_mm": 1.25, "passes": 4}),
        glide_medium="sterile HA gel, lot G-7",
        numbed_area_cm2=200,
    )
    chart = current_chart(world, session)
    assert chart["zones"] == [
        {"zone": "cheeks", "depth_mm": 1.25, "passes": 4, "endpoint": "pinpoint_bleeding",
         "reason": None}
    ]  # fmt: skip
    assert chart["glide_medium"] == "sterile HA gel, lot G-7"
    assert chart["numbed_area_cm2"] == 200
    assert chart["outside_plan"] == {}
    assert chart["device"]["step_mm"] == 0.25
    record = patients.open_patient_record(
        world.uow, world.clinician, session.patient_id, clock=world.clock
    )
    assert record["charts"][0]["current"]["zones"][0]["endpoint"] == "pinpoint_bleeding"


def test_a_depth_above_the_zone_cap_is_refused(world: World) -> None:
    session = planned_session(world)
    error = refused(
        world, session, zones=zones({"zone": "cheeks", "depth_mm": 2.25, "reason": "deep scars"})
    )
    assert error.field == "zones[0].depth_mm"
    assert "above the zone's cap of 2 mm" in str(error)


def test_a_depth_the_default_pen_cannot_make_is_refused(world: World) -> None:
    session = planned_session(world)
    error = refused(world, session, zones=zones({"zone": "cheeks", "depth_mm": 1.1}))
    assert error.field == "zones[0].depth_mm"
    assert "cannot be set to 1.1 mm" in str(error)
    assert "0.25 mm steps (nearest settings 1 and 1.25 mm)" in str(error)


def test_a_fine_step_device_makes_what_the_default_pen_cannot(world: World) -> None:
    session = planned_session(world, {"lowest_mm": 0.2, "highest_mm": 3.0, "step_mm": 0.1})
    world.chart(session, zones=zones({"zone": "cheeks", "depth_mm": 1.1}))
    assert current_chart(world, session)["zones"][0]["depth_mm"] == 1.1


def test_a_depth_beyond_the_device_range_is_refused(world: World) -> None:
    session = planned_session(world, {"lowest_mm": 0.2, "highest_mm": 1.0, "step_mm": 0.1})
    error = refused(world, session, zones=zones({"zone": "cheeks", "depth_mm": 1.2}))
    assert "it is set from 0.2 to 1 mm" in str(error)


def test_a_depth_outside_the_plan_needs_a_reason(world: World) -> None:
    session = planned_session(world)
    error = refused(world, session, zones=zones({"zone": "cheeks", "depth_mm": 1.75}))
    assert error.field == "zones[0].reason"
    assert "outside the plan's 1–1.5 mm for the cheeks" in str(error)


def test_a_zone_the_plan_does_not_treat_needs_a_reason(world: World) -> None:
    session = planned_session(world)
    error = refused(
        world,
        session,
        zones=zones({"zone": "cheeks", "depth_mm": 1.0}, {"zone": "chin", "depth_mm": 1.0}),
    )
    assert error.field == "zones[1].reason"
    assert "the plan does not treat the chin" in str(error)


def test_with_a_reason_the_chart_is_flagged_and_the_audit_carries_it(world: World) -> None:
    session = planned_session(world)
    chart_id = world.chart(
        session,
        zones=zones(
            {"zone": "cheeks", "depth_mm": 1.75, "reason": "rolling scars needed it"},
            {"zone": "chin", "depth_mm": 1.0, "reason": "patient asked; scars there too"},
        ),
    )
    chart = current_chart(world, session)
    assert chart["outside_plan"] == {
        "cheeks": "1.75 mm is outside the plan's 1–1.5 mm for the cheeks",
        "chin": "the plan does not treat the chin",
    }
    assert chart["zones"][1]["reason"] == "patient asked; scars there too"
    with world.uow:
        details = world.uow.session.execute(
            select(AuditEntry.details).where(
                AuditEntry.action == "chart.create", AuditEntry.entity_id == chart_id
            )
        ).scalar_one()
    flagged = json.loads(details)["outside_plan"]
    assert [item["zone"] for item in flagged] == ["cheeks", "chin"]
    assert flagged[0]["reason"] == "rolling scars needed it"


def test_a_reason_inside_the_plan_is_not_kept(world: World) -> None:
    session = planned_session(world)
    world.chart(session, zones=zones({"zone": "cheeks", "depth_mm": 1.5, "reason": "why not"}))
    chart = current_chart(world, session)
    assert chart["zones"][0]["reason"] is None
    assert chart["outside_plan"] == {}


def test_without_a_plan_only_the_cap_and_the_device_apply(world: World) -> None:
    session = world.ready_session()
    world.chart(session, zones=zones({"zone": "chin", "depth_mm": 1.75}))
    with pytest.raises(RuleViolation):
        world.chart(world.ready_session(), zones=zones({"zone": "forehead", "depth_mm": 1.25}))


def test_an_amendment_is_held_to_the_same_zone_rules(world: World) -> None:
    session = planned_session(world)
    world.chart(session, zones=zones({"zone": "cheeks", "depth_mm": 1.0}))
    with pytest.raises(RuleViolation) as caught:
        charts.amend_chart(
            world.uow,
            world.clinician,
            session.appointment_id,
            changes={"zones": zones({"zone": "cheeks", "depth_mm": 1.75})},
            reason="typo",
            clock=world.clock,
        )
    assert caught.value.field == "zones[0].reason"
    charts.amend_chart(
        world.uow,
        world.clinician,
        session.appointment_id,
        changes={"zones": zones({"zone": "cheeks", "depth_mm": 1.75, "reason": "as done"})},
        reason="typo",
        clock=world.clock,
    )
    assert current_chart(world, session)["outside_plan"] == {
        "cheeks": "1.75 mm is outside the plan's 1–1.5 mm for the cheeks"
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"zones": [{"zone": "cheeks", "depth_mm": 1.0, "passes": 3, "endpoint": "glowing"}]},
         "zones.0.endpoint"),
        ({"numbed_area_cm2": -5}, "numbed_area_cm2"),
        ({"numbed_area_cm2": 10**9}, "numbed_area_cm2"),
        ({"numbed_area_cm2": "lots"}, "numbed_area_cm2"),
        ({"glide_medium": "x" * 5000}, "glide_medium"),
        ({"zones": [{"zone": "cheeks", "depth_mm": float("nan"), "passes": 3}]},
         "zones.0.depth_mm"),
    ],
)  # fmt: skip
def test_malformed_policy_v2_fields_are_refused_by_name(
    world: World, changes: dict[str, Any], field: str
) -> None:
    session = world.ready_session()
    with pytest.raises(UserError) as caught:
        world.chart(session, **changes)
    assert (caught.value.field or "").replace("[", ".").replace("]", "") == field


def test_screening_validity_is_a_parameter(world: World) -> None:
    session = world.ready_session()
    world.clock = lambda: NOW + timedelta(days=30)
    with pytest.raises(RuleViolation) as caught:
        charts.chart_session(
            world.uow,
            world.clinician,
            session.appointment_id,
            world.entry(session.device_id, session.lot_number),
            screening_valid_days=14,
            clock=world.clock,
        )
    assert "more than 14" in str(caught.value)
    with pytest.raises(ValueError):
        charts.chart_session(
            world.uow,
            world.clinician,
            session.appointment_id,
            world.entry(session.device_id, session.lot_number),
            screening_valid_days=365,
            clock=world.clock,
        )


@pytest.mark.parametrize(
    "settings",
    [
        {"lowest_mm": 0.05},
        {"highest_mm": 3.5},
        {"step_mm": 0.01},
        {"step_mm": 1.0},
        {"lowest_mm": 2.0, "highest_mm": 1.0},
        {"lowest_mm": 0.25, "highest_mm": 2.6, "step_mm": 0.25},
        {"step_mm": "fine"},
    ],
)
def test_device_settings_outside_the_bounds_are_refused(
    world: World, settings: dict[str, Any]
) -> None:
    with pytest.raises(UserError):
        inventory.register_device(
            world.uow,
            world.clinician,
            {"kind": "pen", "manufacturer": "Acme", "model": "X",
             "serial_number": world.unique("SN"), **settings},
            clock=world.clock,
        )  # fmt: skip

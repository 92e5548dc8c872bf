"""A signed chart is locked; a correction is an amendment that keeps the original."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from tests.integration.conftest import World

from microneedling.errors import Conflict, PermissionDenied, UserError
from microneedling.services import charts, inventory, patients


def test_an_amendment_keeps_the_original_and_shows_what_changed(world: World) -> None:
    session = world.ready_session()
    original_id = world.chart(session)
    charts.amend_chart(
        world.uow,
        world.clinician2,
        session.appointment_id,
        changes={"needle_count": 16, "notes": "stinging on the last pass"},
        reason="Wrong cartridge size charted",
        clock=world.clock,
    )
    view = charts.read_chart(world.uow, world.clinician, session.appointment_id, clock=world.clock)
    assert view["original"]["id"] == original_id
    assert view["original"]["needle_count"] == 12
    assert view["current"]["version"] == 2
    assert view["current"]["amends"] == original_id
    assert view["current"]["needle_count"] == 16
    assert view["current"]["zones"] == view["original"]["zones"]
    (amendment,) = view["amendments"]
    assert amendment["reason"] == "Wrong cartridge size charted"
    assert amendment["by"] == world.clinician2.staff_user_id
    assert amendment["at"] == "2026-12-01T10:00:00Z"
    assert amendment["changes"] == {
        "needle_count": {"from": 12, "to": 16},
        "notes": {"from": None, "to": "stinging on the last pass"},
    }


def test_amendments_chain_and_the_full_record_shows_the_history(world: World) -> None:
    session = world.ready_session()
    world.chart(session)
    for depth in (1.25, 1.5):
        charts.amend_chart(
            world.uow,
            world.clinician,
            session.appointment_id,
            changes={"zones": [{"zone": "cheeks", "depth_mm": depth, "passes": 3}]},
            reason=f"depth was {depth}",
            clock=world.clock,
        )
    record = patients.open_patient_record(
        world.uow, world.clinician, session.patient_id, clock=world.clock
    )
    (chart,) = record["charts"]
    assert chart["current"]["version"] == 3
    assert chart["current"]["zones"][0]["depth_mm"] == 1.5
    assert [a["changes"]["zones"]["to"][0]["depth_mm"] for a in chart["amendments"]] == [1.25, 1.5]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE session_chart SET needle_count = 99 WHERE appointment_id = :appointment",
        "DELETE FROM session_chart WHERE appointment_id = :appointment",
        "UPDATE chart_zone SET depth_mm = 2.5 WHERE chart_id IN "
        "(SELECT id FROM session_chart WHERE appointment_id = :appointment)",
        "DELETE FROM chart_product WHERE chart_id IN "
        "(SELECT id FROM session_chart WHERE appointment_id = :appointment)",
    ],
)
def test_the_database_refuses_to_change_a_signed_chart(world: World, statement: str) -> None:
    session = world.ready_session()
    world.chart(session)
    with world.database.engine.connect() as connection:
        with pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text(statement), {"appointment": session.appointment_id})
        connection.rollback()


def test_an_amendment_on_a_stale_version_is_a_conflict(world: World) -> None:
    session = world.ready_session()
    world.chart(session)
    charts.amend_chart(
        world.uow, world.clinician, session.appointment_id, changes={"notes": "a"},
        reason="first", expected_version=1, clock=world.clock,
    )  # fmt: skip
    with pytest.raises(Conflict, match="version 2, not 1"):
        charts.amend_chart(
            world.uow, world.clinician2, session.appointment_id, changes={"notes": "b"},
            reason="second", expected_version=1, clock=world.clock,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "reason", "field"),
    [
        ({"colour": "red"}, "why", "changes.colour"),
        ({}, "why", "changes"),
        ({"needle_count": 12}, "why", "changes"),
        ({"notes": "x"}, "   ", "reason"),
        ({"cartridge_lot": "UNKNOWN"}, "why", "cartridge_lot"),
    ],
)
def test_a_bad_amendment_is_refused_naming_the_field(
    world: World, changes: dict[str, object], reason: str, field: str
) -> None:
    session = world.ready_session()
    world.chart(session)
    with pytest.raises(UserError) as caught:
        charts.amend_chart(
            world.uow, world.clinician, session.appointment_id, changes=changes, reason=reason,
            clock=world.clock,
        )  # fmt: skip
    assert caught.value.field == field


def test_front_desk_cannot_amend_a_chart(world: World) -> None:
    session = world.ready_session()
    world.chart(session)
    with pytest.raises(PermissionDenied):
        charts.amend_chart(
            world.uow, world.front_desk, session.appointment_id, changes={"notes": "x"},
            reason="why", clock=world.clock,
        )  # fmt: skip


def test_a_lot_recall_follows_the_corrected_lot(world: World) -> None:
    session = world.ready_session()
    world.chart(session)
    corrected = world.lot()
    charts.amend_chart(
        world.uow, world.clinician, session.appointment_id,
        changes={"cartridge_lot": corrected}, reason="lot misread", clock=world.clock,
    )  # fmt: skip
    first = inventory.recall_cartridge_lot(
        world.uow, world.owner, session.lot_number, reason="r", clock=world.clock
    )
    second = inventory.recall_cartridge_lot(
        world.uow, world.owner, corrected, reason="r", clock=world.clock
    )
    assert first["patients"] == []
    assert [p["patient_id"] for p in second["patients"]] == [session.patient_id]

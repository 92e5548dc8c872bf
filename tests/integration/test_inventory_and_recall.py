"""Devices, cartridge lots, and recalling a lot: which patients got lot X, in one query."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from tests.integration.conftest import Session, World

from microneedling.errors import Conflict, NotFound, UserError
from microneedling.services import inventory
from microneedling.store import Database


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def test_a_recall_lists_everyone_who_got_the_lot_and_marks_it_recalled(world: World) -> None:
    first = world.ready_session(given_name="Ann", family_name="Zeta", phone="+31 6 1234 5678")
    world.chart(first)
    again = world.appointment(first.patient_id)
    world.chart(Session(first.patient_id, again, first.device_id, first.lot_number))
    second = world.ready_session(given_name="Bea", family_name="Alpha")
    world.chart(
        Session(second.patient_id, second.appointment_id, second.device_id, first.lot_number)
    )
    untouched = world.ready_session(given_name="Cy", family_name="Other")
    world.chart(untouched)

    report = inventory.recall_cartridge_lot(
        world.uow, world.owner, first.lot_number, reason="sterility not assured", clock=world.clock
    )
    assert report["newly_recalled"] is True
    assert report["lot"]["recall_reason"] == "sterility not assured"
    assert [(p["family_name"], p["sessions"]) for p in report["patients"]] == [
        ("Alpha", 1),
        ("Zeta", 2),
    ]
    assert report["patients"][1]["phone"] == "+31 6 1234 5678"
    assert report["patients"][1]["first_on"] == "2026-12-01"

    again_report = inventory.recall_cartridge_lot(
        world.uow, world.owner, first.lot_number, reason="reminder", clock=world.clock
    )
    assert again_report["newly_recalled"] is False
    assert again_report["lot"]["recall_reason"] == "sterility not assured"
    assert len(again_report["patients"]) == 2


def test_the_recall_list_is_one_query(world: World) -> None:
    session = world.ready_session()
    world.chart(session)
    with world.uow:
        records = world.uow.records(world.owner.clinic_id)
        world.uow.session.connection()  # begin first, so only the query is counted
        with statements(world.database) as seen:
            recipients = records.patients_given_lot(session.lot_number)
    assert [r.patient_id for r in recipients] == [session.patient_id]
    assert len(seen) == 1


def test_recalling_an_unknown_lot_is_not_found(world: World) -> None:
    with pytest.raises(NotFound) as caught:
        inventory.recall_cartridge_lot(world.uow, world.owner, "NOPE", reason="r")
    assert caught.value.field == "lot_number"


def test_a_recall_needs_a_reason(world: World) -> None:
    lot = world.lot()
    with pytest.raises(UserError) as caught:
        inventory.recall_cartridge_lot(world.uow, world.owner, lot, reason=" ")
    assert caught.value.field == "reason"


def test_a_lot_number_is_received_once(world: World) -> None:
    lot = world.lot()
    with pytest.raises(Conflict, match="already in the inventory"):
        world.lot(number=lot)


def test_a_device_serial_number_is_registered_once(world: World) -> None:
    device = {"kind": "pen", "manufacturer": "A", "model": "B", "serial_number": "SN-1"}
    inventory.register_device(world.uow, world.clinician, device, clock=world.clock)
    with pytest.raises(Conflict, match="already registered"):
        inventory.register_device(world.uow, world.clinician, device, clock=world.clock)


def test_the_same_lot_number_in_another_clinic_is_another_lot(
    world: World, other_world: World
) -> None:
    number = world.lot()
    other_world.lot(number=number)
    report = inventory.recall_cartridge_lot(
        other_world.uow, other_world.owner, number, reason="r", clock=other_world.clock
    )
    assert report["newly_recalled"] is True
    session = world.ready_session()
    world.chart(Session(session.patient_id, session.appointment_id, session.device_id, number))

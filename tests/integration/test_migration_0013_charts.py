"""Migration 0013 (policy v2 charting) on a database that already holds charts and devices: the
charts written before it keep their content and still display (no endpoint, glide medium or
numbed area), and the devices take the shipped default pen's settings."""

from __future__ import annotations

from sqlalchemy import inspect
from tests.integration.conftest import World

from microneedling.services import charts, inventory, patients
from microneedling.store.migrate import current_revision, downgrade, head_revision, upgrade


def test_upgrading_from_0012_keeps_existing_charts_readable(world: World) -> None:
    session = world.ready_session()
    world.chart(session)
    world.database.engine.dispose()
    downgrade(world.database, "0012")
    columns = {column["name"] for column in inspect(world.database.engine).get_columns("device")}
    assert "step_mm" not in columns
    zone_columns = {c["name"] for c in inspect(world.database.engine).get_columns("chart_zone")}
    assert "endpoint" not in zone_columns
    world.database.engine.dispose()
    upgrade(world.database)
    assert current_revision(world.database) == head_revision()

    chart = charts.read_chart(world.uow, world.clinician, session.appointment_id, clock=world.clock)
    current = chart["current"]
    assert current["zones"] == [
        {"zone": "cheeks", "depth_mm": 1.0, "passes": 3, "endpoint": None, "reason": None}
    ]
    assert current["glide_medium"] is None
    assert current["numbed_area_cm2"] is None
    assert current["outside_plan"] == {}
    assert current["clinical_endpoint"] == "uniform erythema"
    device = current["device"]
    assert (device["lowest_mm"], device["highest_mm"], device["step_mm"]) == (0.25, 2.5, 0.25)
    record = patients.open_patient_record(
        world.uow, world.clinician, session.patient_id, clock=world.clock
    )
    assert record["charts"][0]["current"]["cartridge_lot"] == session.lot_number
    listed = inventory.list_devices(world.uow, world.clinician, clock=world.clock)
    assert all(item["step_mm"] == 0.25 for item in listed)

"""Devices and cartridge lots, and recalling a lot: who received it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Response

from microneedling.api.context import Now, Uow
from microneedling.api.routing import ApiRouter
from microneedling.api.schemas import Created, DeviceOut, LotOut, RecallIn, RecallOut
from microneedling.api.security import CurrentActor
from microneedling.services import inventory
from microneedling.services.inventory import NewCartridgeLot, NewDevice

router = ApiRouter(tags=["devices and lots"])


@router.get("/devices", response_model=list[DeviceOut], summary="The clinic's devices")
def list_devices(actor: CurrentActor, uow: Uow, clock: Now) -> list[dict[str, Any]]:
    return inventory.list_devices(uow, actor, clock=clock)


@router.post("/devices", status_code=201, response_model=Created, summary="Register a device")
def register_device(
    body: NewDevice, actor: CurrentActor, uow: Uow, clock: Now, response: Response
) -> dict[str, Any]:
    device_id = inventory.register_device(uow, actor, body, clock=clock)
    response.headers["Location"] = "/api/v1/devices"
    return {"id": device_id}


@router.get("/lots", response_model=list[LotOut], summary="The clinic's cartridge lots")
def list_lots(
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
    recalled: Annotated[
        bool | None, Query(description="Only recalled lots (true) or only the others (false)")
    ] = None,
) -> list[dict[str, Any]]:
    """Soonest expiry first."""
    return inventory.list_lots(uow, actor, recalled=recalled, clock=clock)


@router.post("/lots", status_code=201, response_model=Created, summary="Receive a cartridge lot")
def receive_lot(
    body: NewCartridgeLot, actor: CurrentActor, uow: Uow, clock: Now, response: Response
) -> dict[str, Any]:
    lot_id = inventory.receive_cartridge_lot(uow, actor, body, clock=clock)
    response.headers["Location"] = "/api/v1/lots"
    return {"id": lot_id}


@router.post(
    "/lots/{lot_number:path}/recall",
    response_model=RecallOut,
    summary="Recall a lot and list every patient who received it",
    description="A lot number may contain `/` (manufacturers print them so): send it as is "
    "or as `%2F`.",
)
def recall_lot(
    lot_number: Annotated[str, Path(min_length=1, max_length=64)],
    body: RecallIn,
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
) -> dict[str, Any]:
    """From then on the lot cannot be charted. Recalling it again lists the patients again."""
    return inventory.recall_cartridge_lot(uow, actor, lot_number, reason=body.reason, clock=clock)

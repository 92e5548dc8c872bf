"""Devices and cartridge lots, and recalling a lot: "which patients got lot X", in one query."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from microneedling.errors import Conflict, NotFound, UserError
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.inputs import Day, Input, parse
from microneedling.services.views import device_view, lot_recipient_view, lot_view
from microneedling.store import UnitOfWork
from microneedling.store.models import CartridgeLot, Device

Short = Field(min_length=1, max_length=100)


class NewDevice(Input):
    """A device and its settings (policy A.3 "Device profiles"; bounds A.7). A roller or stamp
    has one fixed needle length: give the same lowest and highest setting."""

    kind: Literal["pen", "roller", "stamp"]
    manufacturer: str = Short
    model: str = Short
    serial_number: str = Short
    #: Default: the shipped pen, 0.25 to 2.5 mm in 0.25 mm steps.
    lowest_mm: float = Field(default=0.25, ge=0.1, le=3.0, allow_inf_nan=False)
    highest_mm: float = Field(default=2.5, ge=0.1, le=3.0, allow_inf_nan=False)
    step_mm: float = Field(default=0.25, ge=0.05, le=0.5, allow_inf_nan=False)

    @model_validator(mode="after")
    def _settings(self) -> NewDevice:
        if self.lowest_mm > self.highest_mm:
            raise ValueError("the lowest setting must not be above the highest setting")
        steps = (self.highest_mm - self.lowest_mm) / self.step_mm
        if abs(steps - round(steps)) > 1e-6:
            raise ValueError("the highest setting must be the lowest plus a whole number of steps")
        return self


class NewCartridgeLot(Input):
    manufacturer: str = Short
    product: str = Short
    lot_number: str = Field(min_length=1, max_length=64)
    needle_count: int | None = Field(default=None, ge=1, le=1000)
    expires_on: Day
    received_on: Day | None = None
    quantity_received: int = Field(ge=0, le=1_000_000)


def register_device(
    uow: UnitOfWork, actor: Actor, device: NewDevice | dict[str, Any], *, clock: Clock = utc_now
) -> int:
    new = parse(NewDevice, device, what="device")
    taken = f"a device with serial number {new.serial_number!r} is already registered"
    with Transaction(uow, actor, "inventory.register_device", clock) as tx:
        row = Device(
            kind=new.kind,
            manufacturer=new.manufacturer,
            model=new.model,
            serial_number=new.serial_number,
            lowest_mm=new.lowest_mm,
            highest_mm=new.highest_mm,
            step_mm=new.step_mm,
            in_service=True,
            registered_at=tx.now,
        )
        tx.records.add(row)
        tx.flush(taken)
        tx.done(
            entity=("device", row.id),
            details={
                "kind": new.kind,
                "settings_mm": [new.lowest_mm, new.highest_mm, new.step_mm],
            },
            conflict=taken,
        )
    return row.id


def receive_cartridge_lot(
    uow: UnitOfWork, actor: Actor, lot: NewCartridgeLot | dict[str, Any], *, clock: Clock = utc_now
) -> int:
    """Add a delivered lot of cartridges to the clinic's inventory."""
    new = parse(NewCartridgeLot, lot, what="cartridge lot")
    taken = f"lot {new.lot_number!r} is already in the inventory"
    with Transaction(uow, actor, "inventory.receive_lot", clock) as tx:
        if tx.records.lot_by_number(new.lot_number) is not None:
            raise Conflict(taken, field="lot_number")
        row = CartridgeLot(
            manufacturer=new.manufacturer,
            product=new.product,
            lot_number=new.lot_number,
            needle_count=new.needle_count,
            expires_on=new.expires_on,
            received_on=new.received_on or tx.today,
            quantity_received=new.quantity_received,
        )
        tx.records.add(row)
        tx.flush(taken)
        tx.done(
            entity=("cartridge_lot", row.id),
            details={"lot_number": new.lot_number, "expires_on": new.expires_on.isoformat()},
            conflict=taken,
        )
    return row.id


def recall_cartridge_lot(
    uow: UnitOfWork,
    actor: Actor,
    lot_number: str,
    *,
    reason: str,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Mark a lot recalled (it can no longer be charted) and list who received it.

    The patients come from one query over the current version of every chart (an amendment that
    corrected the lot counts). Recalling an already recalled lot lists them again.
    """
    reason = reason.strip()
    if not reason or len(reason) > 2000:
        raise UserError("give the reason for the recall (1 to 2000 characters)", field="reason")
    with Transaction(uow, actor, "lot.recall", clock) as tx:
        lot = tx.records.lot_by_number(lot_number.strip(), for_update=True)
        if lot is None:
            raise NotFound(f"no cartridge lot {lot_number!r} in this clinic", field="lot_number")
        newly = lot.recalled_at is None
        if newly:
            lot.recalled_at = tx.now
            lot.recall_reason = reason
            lot.recalled_by = actor.staff_user_id
        recipients = tx.records.patients_given_lot(lot.lot_number)
        report = {
            "lot": lot_view(lot),
            "newly_recalled": newly,
            "patients": [lot_recipient_view(item) for item in recipients],
        }
        tx.done(
            entity=("cartridge_lot", lot.id),
            details={
                "lot_number": lot.lot_number,
                "newly_recalled": newly,
                "patients": len(recipients),
            },
        )
    return report


def list_devices(uow: UnitOfWork, actor: Actor, *, clock: Clock = utc_now) -> list[dict[str, Any]]:
    with Transaction(uow, actor, "inventory.read", clock, reading=True) as tx:
        found = [device_view(row) for row in tx.records.devices()]
        tx.done(details={"listed": "devices", "results": len(found)})
    return found


def list_lots(
    uow: UnitOfWork, actor: Actor, *, recalled: bool | None = None, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """The clinic's cartridge lots, soonest expiry first (optionally only recalled ones, or
    only lots not recalled)."""
    with Transaction(uow, actor, "inventory.read", clock, reading=True) as tx:
        found = [lot_view(row) for row in tx.records.lots(recalled=recalled)]
        tx.done(details={"listed": "lots", "results": len(found)})
    return found

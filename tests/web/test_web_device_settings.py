"""Registering a device on the inventory page with its needle depth settings (policy A.3 "Device
profiles", bounds A.7): the form starts at the shipped pen's, takes a clinic's 0.1 mm pen and a
fixed-length roller, and refuses settings no device has, beside the field, saving nothing."""

from __future__ import annotations

import itertools

import pytest
from tests.web.web_helpers import Clinic, as_data, error_summary, form_fields

from microneedling.store.models import Device

ACTION = "/inventory/devices"
#: The module's clinic is shared by its tests: each registers its own serial number.
SERIALS = (f"SN-SETTINGS-{n}" for n in itertools.count(1))


def register(clinic: Clinic, **fields: str):  # type: ignore[no-untyped-def]
    serial = next(SERIALS)
    client = clinic.signed_in("clinician")
    page = client.get("/inventory")
    assert page.status_code == 200
    blank = form_fields(page.text, ACTION)
    data = as_data(blank, device_manufacturer="Acme", model="Pen 2", serial_number=serial, **fields)
    return blank, client.post(ACTION, data=data), serial


def settings(clinic: Clinic, serial: str) -> list[tuple[float, float, float]]:
    with clinic.uow() as uow:
        rows = uow.session.query(Device).filter(Device.serial_number == serial)
        return [(d.lowest_mm, d.highest_mm, d.step_mm) for d in rows]


def test_the_form_starts_at_the_shipped_pen_and_keeps_it(clinic: Clinic) -> None:
    blank, done, serial = register(clinic)
    assert ("lowest_mm", "0.25") in blank and ("highest_mm", "2.5") in blank
    assert ("step_mm", "0.25") in blank
    assert done.url.path == "/inventory", error_summary(done.text)
    assert "set 0.25–2.5 mm in 0.25 mm steps" in done.text
    assert settings(clinic, serial) == [(0.25, 2.5, 0.25)]


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"lowest_mm": "0.2", "highest_mm": "3.0", "step_mm": "0.1"}, "set 0.2–3 mm in 0.1 mm"),
        ({"kind": "roller", "lowest_mm": "0.5", "highest_mm": "0,5"}, "set 0.5–0.5 mm"),
    ],
    ids=["a 0.1 mm pen", "a fixed roller with a decimal comma"],
)
def test_a_clinics_own_settings_are_kept(
    clinic: Clinic, fields: dict[str, str], shown: str
) -> None:
    _, done, serial = register(clinic, **fields)
    assert done.url.path == "/inventory", error_summary(done.text)
    assert shown in done.text
    assert len(settings(clinic, serial)) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"lowest_mm": "0.05"}, "Lowest setting (mm)"),
        ({"highest_mm": "3.5"}, "Highest setting (mm)"),
        ({"step_mm": "0"}, "Step between settings (mm)"),
        ({"step_mm": ""}, "Step between settings (mm): is required"),
        ({"lowest_mm": "lots"}, "Lowest setting (mm)"),
        ({"highest_mm": "1e308"}, "Highest setting (mm)"),
        ({"lowest_mm": "2.0", "highest_mm": "1.0"}, "the lowest setting must not be above"),
        ({"highest_mm": "2.6"}, "a whole number of steps"),
        ({"lowest_mm": "9" * 5000}, "Lowest setting (mm)"),
    ],
    ids=[
        "below 0.1",
        "above 3",
        "no step",
        "missing step",
        "words",
        "huge",
        "upside down",
        "off the steps",
        "oversized",
    ],
)
def test_settings_no_device_has_are_refused_beside_the_field(
    clinic: Clinic, fields: dict[str, str], message: str
) -> None:
    _, refused, serial = register(clinic, **fields)
    assert refused.status_code == 422
    assert message in " ".join(error_summary(refused.text))
    assert f'value="{serial}"' in refused.text  # what was typed is kept
    assert settings(clinic, serial) == []

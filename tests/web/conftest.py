"""Web layer tests without a browser: the pages through Starlette's TestClient.

Each test module gets a fresh SQLite database (a copy of one the migrations built once) holding one clinic with
an owner, a clinician and a front-desk member, a device, a usable and an expired cartridge lot,
and a second clinic. The application runs on a clock the tests move (``clinic.clock``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from tests.integration.conftest import migrated_template
from tests.web.web_helpers import PASSWORD, START, Clinic, MovableClock

from microneedling.config import Settings
from microneedling.services import clinics, inventory
from microneedling.services.maintenance import open_database, unit_of_work
from microneedling.web import create_web_app
from microneedling.web.settings import WebSettings


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite file at the newest schema, migrated once per test session."""
    template = tmp_path_factory.mktemp("web-template") / "template.db"
    migrated_template(f"sqlite:///{template}")
    return template


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[Clinic]:
    folder: Path = tmp_path_factory.mktemp("web")
    shutil.copyfile(migrated_sqlite, folder / "records.db")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'records.db'}",
        photo_dir=folder / "photos",
        photo_max_bytes=2_000_000,
    )
    database = open_database(settings)
    clock = MovableClock(START)
    uow = unit_of_work(database, settings)
    emails = {
        "owner": "owner@web.example",
        "clinician": "clinician@web.example",
        "front_desk": "desk@web.example",
        "other_owner": "owner@other.example",
    }
    owner = clinics.create_clinic(
        uow,
        slug="web",
        name="Web Test Clinic",
        time_zone="Europe/Amsterdam",
        owner={"email": emails["owner"], "display_name": "Olga Owner", "role": "owner",
               "password": PASSWORD},
        price_list={
            "currency": "EUR",
            "per_session": {"small": "100.00", "medium": "200.00", "large": "300.00"},
            "zone_sizes": {"cheeks": "medium", "forehead": "small", "nose": "small"},
        },
        clock=clock,
    )  # fmt: skip
    clinician = clinics.add_staff_member(
        uow, owner,
        {"email": emails["clinician"], "display_name": "Dr Cleo Clinician", "role": "clinician",
         "password": PASSWORD},
        clock=clock,
    )  # fmt: skip
    front_desk = clinics.add_staff_member(
        uow, owner,
        {"email": emails["front_desk"], "display_name": "Dana Desk", "role": "front_desk",
         "password": PASSWORD},
        clock=clock,
    )  # fmt: skip
    other_owner = clinics.create_clinic(
        uow,
        slug="other",
        name="Other Clinic",
        time_zone="Europe/Amsterdam",
        owner={"email": emails["other_owner"], "display_name": "Otto Other", "role": "owner",
               "password": PASSWORD},
        clock=clock,
    )  # fmt: skip
    device_id = inventory.register_device(
        uow, clinician,
        {"kind": "pen", "manufacturer": "Acme", "model": "Pen", "serial_number": "SN-1"},
        clock=clock,
    )  # fmt: skip
    for number, expires in (("GOOD-1", date(2027, 6, 30)), ("OLD-1", date(2026, 11, 1))):
        inventory.receive_cartridge_lot(
            uow, clinician,
            {"manufacturer": "Acme", "product": "12-pin", "lot_number": number,
             "expires_on": expires.isoformat(), "received_on": "2026-01-05",
             "quantity_received": 50},
            clock=clock,
        )  # fmt: skip
    app = create_web_app(
        settings,
        web_settings=WebSettings(secret_key="k" * 40, session_idle_minutes=30),
        database=database,
        clock=clock,
    )
    yield Clinic(
        database=database,
        settings=settings,
        clock=clock,
        app=app,
        owner=owner,
        clinician=clinician,
        front_desk=front_desk,
        other_owner=other_owner,
        device_id=device_id,
        emails=emails,
    )
    database.dispose()


@pytest.fixture(autouse=True)
def back_to_start(clinic: Clinic) -> Iterator[None]:
    """Every test starts at the same moment (a test that moves the clock puts it back)."""
    clinic.clock.now = START
    yield
    clinic.clock.now = START

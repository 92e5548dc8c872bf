"""Patient data never appears in application logs, whatever the log level."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from tests.integration.conftest import World
from tests.integration.test_photos import phone_photo

from microneedling.errors import UserError
from microneedling.services import (
    adverse_events,
    charts,
    inventory,
    outcomes,
    patients,
    photos,
)

NAME, FAMILY = "Philippa", "Quixotic-Zanzibar"
EMAIL, PHONE = "philippa.q@private-mail.example", "+31 6 9876 5432"
BIRTH_DATE = "1983-07-29"


def test_no_name_e_mail_phone_or_birth_date_reaches_the_logs(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # everything: our loggers, drivers, Pillow...
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")  # ...and every SQL statement
    session = world.ready_session(
        given_name=NAME, family_name=FAMILY, email=EMAIL, phone=PHONE, birth_date=BIRTH_DATE
    )
    world.chart(session)
    charts.amend_chart(
        world.uow, world.clinician, session.appointment_id, changes={"notes": "n"},
        reason="r", clock=world.clock,
    )  # fmt: skip
    charts.read_chart(world.uow, world.clinician, session.appointment_id, clock=world.clock)
    adverse_events.record_adverse_event(
        world.uow, world.clinician, session.patient_id,
        {"kind": "oedema", "severity": "mild", "onset_on": "2026-12-01"}, clock=world.clock,
    )  # fmt: skip
    outcomes.record_outcome(
        world.uow, world.clinician, session.patient_id, scale="gais", inputs={"grade": 2},
        assessed_on=date(2026, 12, 1), clock=world.clock,
    )  # fmt: skip
    photos.add_photo(
        world.uow, world.clinician, session.patient_id, phone_photo(), view="front",
        clock=world.clock,
    )  # fmt: skip
    patients.find_patients(world.uow, world.front_desk, FAMILY[:6], clock=world.clock)
    patients.open_patient_record(world.uow, world.owner, session.patient_id, clock=world.clock)
    inventory.recall_cartridge_lot(
        world.uow, world.owner, session.lot_number, reason="recall", clock=world.clock
    )
    with pytest.raises(UserError):  # a refused action is logged too
        patients.open_patient_record(world.uow, world.front_desk, session.patient_id)

    logged = caplog.text
    assert "action=chart.create" in logged  # the services do log...
    assert "SELECT" in logged  # ...and so does SQLAlchemy, at this level
    # The photo's GPS position (52° 22′ 12.5″ N) is the patient's too.
    # (Bare fragments such as "12.5" would also match SQLAlchemy's "[cached since 12.5s ago]".)
    for secret in (NAME, FAMILY, EMAIL, PHONE, BIRTH_DATE, "9876 5432", "52.0, 22.0", "22.0, 12.5"):
        assert secret not in logged, f"{secret!r} appeared in the logs"

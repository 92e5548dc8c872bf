"""Opting out: the unsubscribe link in an e-mail stops that kind of message at once (queued ones
withdrawn, nothing more of that kind queued or sent), STOP by SMS stops every SMS, START restarts
them; forged, altered, malformed and oversized tokens and texts change nothing."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.integration.scheduling_support import ACNE, SchedulingWorld, make_scheduling_world

from microneedling.services import intakes, patients, plans, scheduling
from microneedling.services.messages.optout import read_token, unsubscribe_token
from microneedling.services.messages.preferences import sms_keyword, unsubscribe
from microneedling.store import Database
from microneedling.store.message_models import MessagePreference, OutboxMessage

KEY = b"a-signing-key-of-thirty-two-bytes!!"


@pytest.fixture
def clinic(database: Database, tmp_path: Path) -> SchedulingWorld:
    return make_scheduling_world(database, tmp_path / "photos")


def unique_phone() -> str:
    """A number no other test's patient has (the test database is shared)."""
    return "+31 6-" + str(uuid.uuid4().int)[:8]


def patient_with_plan(clinic: SchedulingWorld, phone: str = "+31 6-0000 0000") -> tuple[int, int]:
    patient_id = patients.register_patient(
        clinic.uow,
        clinic.desk,
        {"given_name": "Ada", "family_name": "Byron", "birth_date": "1990-05-17",
         "fitzpatrick": 2, "email": "ada@example.org", "phone": phone},
        clock=clinic.clock,
    )  # fmt: skip
    intakes.record_intake(
        clinic.uow, clinic.desk, patient_id, {"zones": ["cheeks"]}, clock=clinic.clock
    )
    plan_id = plans.create_plan(
        clinic.uow, clinic.clinician, patient_id, {"treatments": [ACNE]}, clock=clinic.clock
    )
    return patient_id, plan_id


def queued(clinic: SchedulingWorld, patient_id: int) -> list[tuple[str, str]]:
    with clinic.uow:
        return [
            (row.category, row.channel)
            for row in clinic.uow.session.execute(
                select(OutboxMessage).where(
                    OutboxMessage.patient_id == patient_id, OutboxMessage.status == "queued"
                )
            ).scalars()
        ]


def preferences(clinic: SchedulingWorld, patient_id: int) -> list[dict[str, Any]]:
    with clinic.uow:
        return [
            {"source": row.source, "sms": row.sms, "reminders": row.reminders}
            for row in clinic.uow.session.execute(
                select(MessagePreference)
                .where(MessagePreference.patient_id == patient_id)
                .order_by(MessagePreference.id)
            ).scalars()
        ]


def test_the_unsubscribe_link_stops_that_kind_at_once_and_for_later_bookings(
    clinic: SchedulingWorld,
) -> None:
    patient_id, plan_id = patient_with_plan(clinic)
    scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    assert ("reminders", "email") in queued(clinic, patient_id)
    token = unsubscribe_token(KEY, clinic.desk.clinic_id, patient_id, "reminders", "email")
    done = unsubscribe(clinic.uow, KEY, token, now=clinic.clock())
    assert done is not None and done.recorded == 1 and done.withdrawn > 0
    assert {category for category, _ in queued(clinic, patient_id)} == {"aftercare"}
    assert preferences(clinic, patient_id) == [
        {"source": "unsubscribe_link", "sms": True, "reminders": False}
    ]
    # Clicking twice records nothing new.
    again = unsubscribe(clinic.uow, KEY, token, now=clinic.clock())
    assert again is not None and again.recorded == 0 and again.withdrawn == 0


@pytest.mark.parametrize(
    "token",
    [
        "",
        "1.2.reminders.email",
        "1.2.reminders.email.AAAAAAAAAAAAAAAAAAAAAAAAAA",
        "x" * 10_000,
        "1.2.marketing.fax.abc",
        "../../etc/passwd",
        "1.2.reminders.email.abc.def",
    ],
)
def test_a_token_that_is_not_genuine_changes_nothing(clinic: SchedulingWorld, token: str) -> None:
    assert read_token(KEY, token) is None
    assert unsubscribe(clinic.uow, KEY, token, now=clinic.clock()) is None


def test_an_altered_token_cannot_stop_another_patients_messages(clinic: SchedulingWorld) -> None:
    genuine = unsubscribe_token(KEY, clinic.desk.clinic_id, 1, "reminders", "email")
    clinic_part, _, rest = genuine.partition(".")
    altered = f"{clinic_part}.2.{rest.partition('.')[2]}"
    assert read_token(KEY, altered) is None
    assert read_token(b"another key entirely, 32 bytes!!", genuine) is None


def test_stop_by_sms_stops_every_sms_and_start_restarts_them(clinic: SchedulingWorld) -> None:
    phone = unique_phone()
    patient_id, plan_id = patient_with_plan(clinic, phone)
    scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    done = sms_keyword(clinic.uow, phone, "  stop ", now=clinic.clock())
    assert done.recorded == 1 and done.withdrawn > 0
    assert {channel for _, channel in queued(clinic, patient_id)} == {"email"}
    assert sms_keyword(clinic.uow, phone, "START", now=clinic.clock()).recorded == 1
    assert [row["source"] for row in preferences(clinic, patient_id)] == ["sms_stop", "sms_start"]


@pytest.mark.parametrize(
    ("sender", "body"),
    [("+31612345678", "Thanks, see you then"), ("", "STOP"), ("+999999", "STOP"),
     ("+31612345678", "S" * 100_000), ("+31612345678", "")],
)  # fmt: skip
def test_other_texts_and_unknown_numbers_change_nothing(
    clinic: SchedulingWorld, sender: str, body: str
) -> None:
    patient_id, _ = patient_with_plan(clinic, "+31 6-1234 5678")
    assert sms_keyword(clinic.uow, sender, body, now=clinic.clock()).recorded == 0
    assert preferences(clinic, patient_id) == []

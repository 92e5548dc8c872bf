"""The SMS provider's webhooks through the real API application: a signed STOP stops every SMS
to that number (queued ones withdrawn), START restarts, HELP is answered; delivery reports mark
an SMS delivered or failed. Unsigned, forged, re-addressed and tampered requests get 403 and
change nothing; malformed, oversized and hostile forms are refused or ignored."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.integration.conftest import NOW
from tests.integration.scheduling_support import ACNE, SchedulingWorld, make_scheduling_world

from microneedling.api.app import create_app
from microneedling.config import Settings
from microneedling.services import intakes, patients, plans, scheduling
from microneedling.services.messages.webhooks import twilio_signature
from microneedling.store import Database
from microneedling.store.message_models import MessagePreference, OutboxMessage

TOKEN = "provider-auth-token-0123456789"
PUBLIC = "https://clinic.example"
INBOUND = "/api/v1/messages/sms/inbound"
STATUS = "/api/v1/messages/sms/status"


@pytest.fixture
def clinic(database: Database, tmp_path: Path) -> SchedulingWorld:
    return make_scheduling_world(database, tmp_path / "photos")


@pytest.fixture
def client(database: Database, tmp_path: Path) -> Iterator[TestClient]:
    config = Settings(
        database_url="sqlite://", photo_dir=tmp_path / "photos", sms_token=TOKEN,
        messages_public_url=PUBLIC, api_max_body_bytes=50_000,
    )  # fmt: skip
    app = create_app(config, database=database, clock=lambda: NOW)
    with TestClient(app) as client:
        yield client


def booked(clinic: SchedulingWorld) -> tuple[int, str]:
    phone = "+31 6 " + str(uuid.uuid4().int)[:8]
    patient_id = patients.register_patient(
        clinic.uow, clinic.desk,
        {"given_name": "Ada", "family_name": "Byron", "birth_date": "1990-05-17",
         "fitzpatrick": 2, "phone": phone},
        clock=clinic.clock,
    )  # fmt: skip
    intakes.record_intake(
        clinic.uow, clinic.desk, patient_id, {"zones": ["cheeks"]}, clock=clinic.clock
    )
    plan_id = plans.create_plan(
        clinic.uow, clinic.clinician, patient_id, {"treatments": [ACNE]}, clock=clinic.clock
    )
    scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    return patient_id, "+31 6" + phone.removeprefix("+31 6").replace(" ", "")


def post(
    client: TestClient, path: str, fields: dict[str, str], *, token: str = TOKEN,
    url: str | None = None, sign: bool = True, sent: dict[str, str] | None = None,
) -> object:  # fmt: skip
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if sign:
        headers["X-Twilio-Signature"] = twilio_signature(
            token, url or PUBLIC + path, sorted(fields.items())
        )
    return client.post(path, data=sent if sent is not None else fields, headers=headers)


def sms_rows(clinic: SchedulingWorld, patient_id: int, status: str = "queued") -> int:
    with clinic.uow:
        return len(
            clinic.uow.session.execute(
                select(OutboxMessage.id).where(
                    OutboxMessage.patient_id == patient_id,
                    OutboxMessage.channel == "sms",
                    OutboxMessage.status == status,
                )
            ).all()
        )


def choices(clinic: SchedulingWorld, patient_id: int) -> list[tuple[str, bool]]:
    with clinic.uow:
        return [
            (row.source, row.sms)
            for row in clinic.uow.session.execute(
                select(MessagePreference)
                .where(MessagePreference.patient_id == patient_id)
                .order_by(MessagePreference.id)
            ).scalars()
        ]


def test_a_signed_stop_stops_every_sms_and_start_restarts(
    clinic: SchedulingWorld, client: TestClient
) -> None:
    patient_id, number = booked(clinic)
    assert sms_rows(clinic, patient_id) > 0
    answer = post(client, INBOUND, {"From": number, "Body": " stop ", "MessageSid": "SM1"})
    assert answer.status_code == 200  # type: ignore[attr-defined]
    assert answer.headers["content-type"].startswith("application/xml")  # type: ignore[attr-defined]
    assert "<Response></Response>" in answer.text  # type: ignore[attr-defined]
    assert sms_rows(clinic, patient_id) == 0
    assert choices(clinic, patient_id) == [("sms_stop", False)]
    post(client, INBOUND, {"From": number, "Body": "START"})
    assert choices(clinic, patient_id) == [("sms_stop", False), ("sms_start", True)]


def test_help_is_answered_with_how_to_stop(client: TestClient) -> None:
    answer = post(client, INBOUND, {"From": "+31600000000", "Body": "help"})
    assert answer.status_code == 200  # type: ignore[attr-defined]
    assert "<Message>" in answer.text and "Reply STOP" in answer.text  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "how",
    ["unsigned", "wrong token", "another address", "tampered body", "garbage signature"],
)
def test_unsigned_and_forged_requests_are_refused_and_change_nothing(
    clinic: SchedulingWorld, client: TestClient, how: str
) -> None:
    patient_id, number = booked(clinic)
    before = sms_rows(clinic, patient_id)
    fields = {"From": number, "Body": "STOP"}
    if how == "unsigned":
        answer = post(client, INBOUND, fields, sign=False)
    elif how == "wrong token":
        answer = post(client, INBOUND, fields, token="not-the-token")
    elif how == "another address":
        answer = post(client, INBOUND, fields, url="https://evil.example" + INBOUND)
    elif how == "tampered body":
        answer = post(client, INBOUND, {"From": "+31600000000", "Body": "STOP"}, sent=fields)
    else:
        answer = client.post(INBOUND, data=fields, headers={"X-Twilio-Signature": "x" * 5000})
    assert answer.status_code == 403  # type: ignore[attr-defined]
    assert sms_rows(clinic, patient_id) == before
    assert choices(clinic, patient_id) == []


def sent_sms(clinic: SchedulingWorld, patient_id: int, sid: str) -> int:
    with clinic.uow:
        row = clinic.uow.session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.patient_id == patient_id, OutboxMessage.channel == "sms")
            .limit(1)
        ).scalar_one()
        row.status, row.provider_id, row.sent_at = "sent", sid, NOW
        clinic.uow.commit()
        return row.id


def row_of(clinic: SchedulingWorld, row_id: int) -> tuple[str, str | None, str | None]:
    with clinic.uow:
        row = clinic.uow.session.get(OutboxMessage, row_id)
        assert row is not None
        return row.status, row.delivery_status, row.last_error


def test_delivery_reports_mark_an_sms_delivered_or_failed(
    clinic: SchedulingWorld, client: TestClient
) -> None:
    patient_id, _number = booked(clinic)
    sid = "SM" + uuid.uuid4().hex
    row_id = sent_sms(clinic, patient_id, sid)
    answer = post(client, STATUS, {"MessageSid": sid, "MessageStatus": "delivered"})
    assert answer.status_code == 200  # type: ignore[attr-defined]
    assert row_of(clinic, row_id) == ("sent", "delivered", None)
    post(client, STATUS, {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"})
    status, delivery, error = row_of(clinic, row_id)
    assert (status, delivery) == ("failed", "undelivered")
    assert error is not None and "30003" in error


def test_a_forged_delivery_report_changes_nothing(
    clinic: SchedulingWorld, client: TestClient
) -> None:
    patient_id, _number = booked(clinic)
    sid = "SM" + uuid.uuid4().hex
    row_id = sent_sms(clinic, patient_id, sid)
    fields = {"MessageSid": sid, "MessageStatus": "failed"}
    assert post(client, STATUS, fields, token="guessed").status_code == 403  # type: ignore[attr-defined]
    assert post(client, STATUS, fields, sign=False).status_code == 403  # type: ignore[attr-defined]
    assert row_of(clinic, row_id) == ("sent", None, None)


@pytest.mark.parametrize(
    "fields",
    [
        {"MessageSid": "SM' OR 1=1 --", "MessageStatus": "failed"},
        {"MessageSid": "SM123", "MessageStatus": "exploded"},
        {"MessageSid": "", "MessageStatus": ""},
        {"MessageSid": "SMnope", "MessageStatus": "failed", "ErrorCode": "<script>"},
    ],
)
def test_hostile_delivery_reports_are_answered_and_change_nothing(
    clinic: SchedulingWorld, client: TestClient, fields: dict[str, str]
) -> None:
    patient_id, _number = booked(clinic)
    row_id = sent_sms(clinic, patient_id, "SM" + uuid.uuid4().hex)
    assert post(client, STATUS, fields).status_code == 200  # type: ignore[attr-defined]
    assert row_of(clinic, row_id)[:2] == ("sent", None)


def test_malformed_and_oversized_requests_are_refused(client: TestClient) -> None:
    signature = {"X-Twilio-Signature": twilio_signature(TOKEN, PUBLIC + INBOUND, [])}
    as_json = client.post(INBOUND, json={"From": "+1", "Body": "STOP"}, headers=signature)
    assert as_json.status_code == 415
    long_body = {"From": "+31600000000", "Body": "STOP" + "x" * 2000}
    assert post(client, INBOUND, long_body).status_code == 413  # type: ignore[attr-defined]
    many = {f"F{n}": "v" for n in range(100)}
    assert post(client, INBOUND, many).status_code == 422  # type: ignore[attr-defined]
    huge = {"From": "+31600000000", "Body": "y" * 60_000}
    assert post(client, INBOUND, huge).status_code == 413  # type: ignore[attr-defined]


def test_without_a_provider_token_the_webhooks_refuse_everything(
    database: Database, tmp_path: Path
) -> None:
    config = Settings(database_url="sqlite://", photo_dir=tmp_path / "photos")
    with TestClient(create_app(config, database=database, clock=lambda: NOW)) as client:
        fields = {"From": "+31600000000", "Body": "STOP"}
        assert post(client, INBOUND, fields).status_code == 403  # type: ignore[attr-defined]
        assert post(client, INBOUND, fields, token="").status_code == 403  # type: ignore[attr-defined]

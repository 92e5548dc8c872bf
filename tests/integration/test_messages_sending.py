"""The worker sends what is due through real channels: a real SMTP server on localhost (aiosmtpd)
receives the e-mail, a local HTTP server stands in for a Twilio-compatible SMS provider (with
failures injected), and the outbox records sent, retried and failed messages. ``now`` is passed."""

from __future__ import annotations

import email
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from tests.integration.scheduling_support import ACNE, SchedulingWorld, make_scheduling_world

from microneedling.services import intakes, patients, plans, scheduling
from microneedling.services.messages.templates import PRIVATE_WORDS, SUBJECTS, render
from microneedling.services.messages.transports import (
    SmsSettings,
    SmsTransport,
    SmtpSettings,
    SmtpTransport,
    Transport,
)
from microneedling.services.messages.worker import WorkerSettings, backoff, run_once
from microneedling.store import Database
from microneedling.store.message_models import MessagePreference, OutboxMessage
from microneedling.store.models import Appointment

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")
aiosmtpd_handlers = pytest.importorskip("aiosmtpd.handlers")


class _Inbox(aiosmtpd_handlers.Message):  # type: ignore[misc,name-defined]
    def __init__(self) -> None:
        super().__init__()
        self.received: list[Message] = []

    def handle_message(self, message: Message) -> None:
        self.received.append(message)


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class _Provider(BaseHTTPRequestHandler):
    """A Twilio-compatible Messages API; ``script`` says how to answer each request in turn."""

    script: list[Any]
    requests: list[dict[str, Any]]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        type(self).requests.append(
            {
                "path": self.path,
                "auth": self.headers.get("Authorization"),
                **{k: v[0] for k, v in form.items()},
            }
        )
        answer = type(self).script.pop(0) if type(self).script else 201
        if answer == "hang":
            time.sleep(1.5)
            return
        if isinstance(answer, tuple):
            status, retry_after = answer
            self.send_response(status)
            self.send_header("Retry-After", str(retry_after))
            self.end_headers()
            return
        self.send_response(answer)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        if answer == 201:
            self.wfile.write(json.dumps({"sid": f"SM{len(type(self).requests):032d}"}).encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def provider() -> Iterator[tuple[type[_Provider], str]]:
    handler = type("Provider", (_Provider,), {"script": [], "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def clinic(database: Database, tmp_path: Path) -> SchedulingWorld:
    world = make_scheduling_world(database, tmp_path / "photos")
    # The test database is shared: messages other tests left due are set aside, so that what
    # a worker sends here is this test's.
    with world.uow:
        world.uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status.in_(["queued", "sending"]))
            .values(status="withdrawn")
        )
        world.uow.commit()
    return world


def booked_patient(clinic: SchedulingWorld, **contact: str) -> tuple[int, list[dict[str, Any]]]:
    details: dict[str, Any] = {
        "given_name": "Nguyễn", "family_name": "王芳", "birth_date": "1990-05-17",
        "sex": "female", "fitzpatrick": 3, **contact,
    }  # fmt: skip
    patient_id = patients.register_patient(clinic.uow, clinic.desk, details, clock=clinic.clock)
    intakes.record_intake(
        clinic.uow, clinic.desk, patient_id, {"zones": ["cheeks"]}, clock=clinic.clock
    )
    plan_id = plans.create_plan(
        clinic.uow, clinic.clinician, patient_id, {"treatments": [ACNE]}, clock=clinic.clock
    )
    booked = scheduling.book_plan(clinic.uow, clinic.desk, plan_id, clock=clinic.clock)
    return patient_id, booked["series"][0]["sessions"]


def rows(clinic: SchedulingWorld, patient_id: int, **where: Any) -> list[OutboxMessage]:
    with clinic.uow:
        query = select(OutboxMessage).where(OutboxMessage.patient_id == patient_id)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        found = list(clinic.uow.session.execute(query.order_by(OutboxMessage.id)).scalars())
        clinic.uow.session.expunge_all()
    return found


def smtp_transport(port: int) -> SmtpTransport:
    return SmtpTransport(
        SmtpSettings(host="127.0.0.1", port=port, security="none", sender="desk@clinic.example")
    )


def sms_transport(url: str, timeout: float = 5.0) -> SmsTransport:
    return SmsTransport(
        SmsSettings(
            base_url=url, account="AC123", token="secret", sender="+4930999", timeout=timeout
        )
    )


def header(message: Message, name: str) -> str:
    return str(make_header(decode_header(str(message[name]))))


def test_the_confirmation_arrives_by_email_with_utf8_names_the_ics_and_a_private_subject(
    clinic: SchedulingWorld, smtp: tuple[_Inbox, int]
) -> None:
    inbox, port = smtp
    patient_id, sessions = booked_patient(clinic, email="ngoc@example.org")
    settings = WorkerSettings(
        public_url="https://clinic.example", signing_key=b"k" * 32, reply_to="desk@clinic.example"
    )
    summary = run_once(
        clinic.world.database,
        {"email": smtp_transport(port)},
        now=clinic.clock(),
        settings=settings,
    )
    assert summary.as_dict()["sent"] == 1 and summary.claimed == 1
    (received,) = inbox.received
    assert header(received, "To") == "Nguyễn 王芳 <ngoc@example.org>"
    subject = header(received, "Subject")
    assert subject.startswith(f"Clinic {clinic.slug}: your appointment on ")
    assert not any(word in subject.lower() for word in PRIVATE_WORDS)
    assert header(received, "Reply-To") == "desk@clinic.example"
    assert "https://clinic.example/unsubscribe/" in received["List-Unsubscribe"]
    parts = {part.get_content_type(): part for part in received.walk()}
    text = parts["text/plain"].get_payload(decode=True).decode()
    assert "Dear Nguyễn," in text and "Your sessions:" in text
    assert text.count("\n- ") == len(sessions)
    assert (
        '<a href="https://clinic.example">' in parts["text/html"].get_payload(decode=True).decode()
    )
    ics = parts["text/calendar"].get_payload(decode=True).decode()
    assert ics.count("BEGIN:VEVENT") == len(sessions)
    assert "王芳" not in ics and "Nguyễn" not in ics
    (row,) = rows(clinic, patient_id, status="sent")
    assert row.provider_id == received["Message-ID"] and row.sent_at == clinic.clock()
    assert row.subject == subject and row.body_text == text.replace("\r\n", "\n")
    # Sent once: a second pass at the same moment finds nothing due.
    again = run_once(clinic.world.database, {"email": smtp_transport(port)}, now=clinic.clock())
    assert again.claimed == 0 and len(inbox.received) == 1


def test_an_sms_goes_to_the_provider_with_nothing_clinical_and_reply_stop(
    clinic: SchedulingWorld, provider: tuple[type[_Provider], str]
) -> None:
    handler, url = provider
    patient_id, _ = booked_patient(clinic, phone="+49 30 1234567")
    summary = run_once(clinic.world.database, {"sms": sms_transport(url)}, now=clinic.clock())
    assert summary.sent == 1
    (request,) = handler.requests
    assert request["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert request["To"] == "+49 30 1234567" and request["From"] == "+4930999"
    assert request["auth"].startswith("Basic ")
    assert request["Body"].endswith("Reply STOP to stop.")
    assert not any(word in request["Body"].lower() for word in PRIVATE_WORDS)
    (row,) = rows(clinic, patient_id, status="sent")
    assert row.provider_id == "SM" + "1".rjust(32, "0")


def test_provider_failures_are_retried_with_backoff_then_the_message_fails(
    clinic: SchedulingWorld, provider: tuple[type[_Provider], str]
) -> None:
    handler, url = provider
    handler.script = [500, (429, 120), "hang", 503]
    patient_id, _ = booked_patient(clinic, phone="+49 30 1234567")
    settings = WorkerSettings(max_attempts=4)
    transports: dict[str, Transport] = {"sms": sms_transport(url, timeout=0.5)}
    now = clinic.clock()
    history = []
    for _ in range(4):
        summary = run_once(clinic.world.database, transports, now=now, settings=settings)
        assert summary.claimed == 1
        (row,) = rows(clinic, patient_id, kind="confirmation")
        history.append((row.status, row.attempts, row.last_error))
        if row.status == "queued":
            # Nothing is due before the backoff is over.
            assert (
                run_once(
                    clinic.world.database,
                    transports,
                    now=row.next_attempt_at - timedelta(seconds=1),
                    settings=settings,
                ).claimed
                == 0
            )
            if row.attempts == 2:
                # 429 with Retry-After: 120 s beats the 2-minute backoff only when longer.
                assert row.next_attempt_at - now == max(
                    backoff(2, settings), timedelta(seconds=120)
                )
            now = row.next_attempt_at
    assert [status for status, _, _ in history] == ["queued", "queued", "queued", "failed"]
    assert history[0][2] == "the SMS provider answered 500"
    assert history[1][2] == "the SMS provider answered 429"
    assert "did not answer in time" in history[2][2] or "could not reach" in history[2][2]
    assert history[3][2] == "the SMS provider answered 503 (gave up after 4 attempts)"
    assert len(handler.requests) == 4


def test_a_refused_number_fails_at_once(
    clinic: SchedulingWorld, provider: tuple[type[_Provider], str]
) -> None:
    handler, url = provider
    handler.script = [400]
    patient_id, _ = booked_patient(clinic, phone="+49 30 1234567")
    run_once(clinic.world.database, {"sms": sms_transport(url)}, now=clinic.clock())
    (row,) = rows(clinic, patient_id, kind="confirmation")
    assert row.status == "failed" and row.attempts == 1
    assert row.last_error == "the SMS provider refused the message (400)"


def test_a_killed_workers_claim_is_retried_only_after_its_lease(
    clinic: SchedulingWorld, smtp: tuple[_Inbox, int]
) -> None:
    inbox, port = smtp
    patient_id, _ = booked_patient(clinic, email="ngoc@example.org")
    from microneedling.services.messages.worker import claim

    settings = WorkerSettings(lease=timedelta(minutes=5))
    now = clinic.clock()
    (_claimed,) = claim(clinic.world.database, now, settings)  # ... and the worker dies here
    transports: dict[str, Transport] = {"email": smtp_transport(port)}
    assert (
        run_once(
            clinic.world.database, transports, now=now + timedelta(minutes=4), settings=settings
        ).claimed
        == 0
    )
    later = run_once(
        clinic.world.database, transports, now=now + timedelta(minutes=5), settings=settings
    )
    assert later.sent == 1 and len(inbox.received) == 1
    (row,) = rows(clinic, patient_id, kind="confirmation")
    assert row.status == "sent" and row.attempts == 2


def test_a_patient_who_opted_out_after_queueing_gets_nothing(
    clinic: SchedulingWorld, smtp: tuple[_Inbox, int]
) -> None:
    inbox, port = smtp
    patient_id, _ = booked_patient(clinic, email="ngoc@example.org")
    with clinic.uow:
        clinic.uow.session.add(
            MessagePreference(
                clinic_id=clinic.desk.clinic_id, patient_id=patient_id, email=False, sms=True,
                reminders=True, aftercare=True, recalls=True, marketing=False,
                recorded_at=clinic.clock(), source="unsubscribe_link", recorded_by=None,
            )
        )  # fmt: skip
        clinic.uow.commit()
    summary = run_once(clinic.world.database, {"email": smtp_transport(port)}, now=clinic.clock())
    assert summary.withdrawn == 1 and inbox.received == []
    (row,) = rows(clinic, patient_id, kind="confirmation")
    assert row.status == "withdrawn" and row.last_error == "the patient stopped these messages"


def test_aftercare_is_withdrawn_when_the_session_did_not_take_place(
    clinic: SchedulingWorld, smtp: tuple[_Inbox, int]
) -> None:
    inbox, port = smtp
    patient_id, sessions = booked_patient(clinic, email="ngoc@example.org")
    first = sessions[0]["appointment_id"]
    start = datetime.fromisoformat(sessions[0]["start"]).astimezone(UTC)
    with clinic.uow:
        clinic.uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.patient_id == patient_id, OutboxMessage.appointment_id != first)
            .values(status="withdrawn")
        )
        clinic.uow.session.execute(
            update(Appointment).where(Appointment.id == first).values(status="no_show")
        )
        clinic.uow.commit()
    day_after = start + timedelta(days=1, hours=12)
    transports: dict[str, Transport] = {"email": smtp_transport(port)}
    summary = run_once(clinic.world.database, transports, now=day_after)
    # The confirmation, the reminders and pre-care (the session changed) and the aftercare of
    # days 0 and 1 (it did not take place) are withdrawn; nothing arrives.
    assert summary.sent == 0 and inbox.received == []
    assert {r.kind for r in rows(clinic, patient_id, status="withdrawn", appointment_id=first)} >= {
        "aftercare_0d", "aftercare_1d", "reminder_2h",
    }  # fmt: skip


@pytest.mark.parametrize("kind", sorted(SUBJECTS))
def test_no_subject_or_sms_carries_a_clinical_word(kind: str) -> None:
    context = {
        "clinic": "Skin Clinic",
        "given_name": "Ada",
        "when": "Tuesday 8 December 2026 at 09:00",
        "time": "09:00",
        "link": "https://clinic.example",
    }
    for channel in ("email", "sms"):
        rendered = render(kind, channel, context)
        words = (rendered.subject + (" " + rendered.text if channel == "sms" else "")).lower()
        assert not any(word in words for word in PRIVATE_WORDS), (kind, channel)


def test_html_bodies_escape_what_they_carry() -> None:
    rendered = render(
        "moved",
        "email",
        {"clinic": "<script>x</script>", "given_name": "A&B", "when": "now", "time": "09:00"},
    )
    assert rendered.html is not None and "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html and "A&amp;B" in rendered.html


def test_an_unreachable_mail_server_is_a_temporary_failure(clinic: SchedulingWorld) -> None:
    patient_id, _ = booked_patient(clinic, email="ngoc@example.org")
    summary = run_once(clinic.world.database, {"email": smtp_transport(1)}, now=clinic.clock())
    assert summary.retried == 1
    (row,) = rows(clinic, patient_id, kind="confirmation")
    assert (
        row.status == "queued"
        and row.last_error == "could not reach the mail server: ConnectionRefusedError"
    )


def test_messages_whose_channel_has_no_provider_wait_untouched(
    clinic: SchedulingWorld, provider: tuple[type[_Provider], str]
) -> None:
    _, url = provider
    patient_id, _ = booked_patient(clinic, email="ngoc@example.org")
    for _ in range(10):
        assert run_once(clinic.world.database, {}, now=clinic.clock()).claimed == 0
        run_once(clinic.world.database, {"sms": sms_transport(url)}, now=clinic.clock())
    (row,) = rows(clinic, patient_id, kind="confirmation")
    assert row.status == "queued" and row.attempts == 0 and row.last_error is None


def test_a_parsed_email_round_trips(clinic: SchedulingWorld, smtp: tuple[_Inbox, int]) -> None:
    inbox, port = smtp
    patient_id, _ = booked_patient(clinic, email="ngoc@example.org")
    run_once(clinic.world.database, {"email": smtp_transport(port)}, now=clinic.clock())
    raw = inbox.received[0].as_bytes()
    parsed = email.message_from_bytes(raw)
    (row,) = rows(clinic, patient_id, kind="confirmation")
    # The Message-ID is the row's: the same message sent again is recognisably the same.
    assert parsed["Message-ID"].strip() == f"<outbox-{row.id}@clinic.example>"

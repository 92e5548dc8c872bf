"""The demo clinic's messages: what the outbox would look like after the worker had run until
the demo's "now" (08:00 on the demo's day, clinic time), without sending anything.

The bookings of the demo queued their messages as any booking does. Here the ones due before
"now" are marked as the worker would have left them: most ``sent`` (the provider's id
``demo-…``), one in :data:`FAILED_EVERY` ``failed`` with a provider's words; the newest sent ones
get the text they would have carried (rendered as the worker renders). Then every kind of
message to patients is made to show each of ``queued``, ``sent`` and ``failed`` (recalls,
invitations to book and the next session to book are added for a few patients), so the staff
pages show every kind and every state. Deterministic: ids and dates only, no random numbers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import TemplateError
from sqlalchemy import select, update

from microneedling.services.messages.worker import WorkerSettings, _prepare
from microneedling.store import UnitOfWork
from microneedling.store.message_models import MESSAGE_KINDS, URGENT_CATEGORIES, OutboxMessage
from microneedling.store.models import Clinic, Patient

FAILED_EVERY = 23
RENDERED = 150
ERRORS = {
    "email": "the mail server refused the address: 550",
    "sms": "the SMS provider answered 503 (gave up after 5 attempts)",
}


def seed_demo_messages(uow: UnitOfWork, today: date, slug: str = "demo") -> dict[str, int]:
    """Settle the demo clinic's outbox as of 08:00 on ``today``; how many rows of each status."""
    with uow:
        session = uow.session
        clinic = session.execute(select(Clinic).where(Clinic.slug == slug)).scalar_one()
        now = datetime.combine(today, time(8), ZoneInfo(clinic.time_zone)).astimezone(UTC)
        due = (
            OutboxMessage.clinic_id == clinic.id,
            OutboxMessage.status == "queued",
            OutboxMessage.next_attempt_at <= now,
        )
        for channel, error in ERRORS.items():
            session.execute(
                update(OutboxMessage)
                .where(*due, OutboxMessage.channel == channel, OutboxMessage.id % FAILED_EVERY == 0)
                .values(status="failed", attempts=5, last_error=error, status_changed_at=now)
                .execution_options(synchronize_session=False)
            )
        session.execute(
            update(OutboxMessage)
            .where(*due)
            .values(
                status="sent",
                attempts=1,
                sent_at=OutboxMessage.send_after,
                status_changed_at=OutboxMessage.send_after,
                provider_id="demo",
            )
            .execution_options(synchronize_session=False)
        )
        _every_kind_in_every_state(session, clinic.id, now)
        session.flush()
        _render_newest(uow, clinic.id, now)
        counts: dict[str, int] = {}
        for (status,) in session.execute(
            select(OutboxMessage.status).where(OutboxMessage.clinic_id == clinic.id)
        ):
            counts[status] = counts.get(status, 0) + 1
        uow.commit()
    return counts


def _every_kind_in_every_state(session: Any, clinic_id: int, now: datetime) -> None:
    present = set(
        session.execute(
            select(OutboxMessage.kind, OutboxMessage.status).where(
                OutboxMessage.clinic_id == clinic_id
            )
        ).all()
    )
    people = list(
        session.execute(
            select(Patient.id, Patient.email, Patient.phone)
            .where(Patient.clinic_id == clinic_id, Patient.email.is_not(None))
            .order_by(Patient.id)
            .limit(20)
        ).all()
    )
    if not people:
        return
    number = 0
    for kind, category in MESSAGE_KINDS.items():
        if category in URGENT_CATEGORIES:
            continue  # written by their own features (sign-in codes, invitations)
        for status in ("queued", "sent", "failed"):
            if (kind, status) in present:
                continue
            patient_id, email, phone = people[number % len(people)]
            number += 1
            channel = "sms" if phone and number % 3 == 0 else "email"
            when = (
                now + timedelta(days=2 + number % 5)
                if status == "queued"
                else (now - timedelta(days=1 + number % 20))
            )
            session.add(
                OutboxMessage(
                    clinic_id=clinic_id, patient_id=patient_id, appointment_id=None, kind=kind,
                    category=category, channel=channel,
                    recipient=(phone if channel == "sms" else email) or "",
                    send_after=when, next_attempt_at=when, status=status,
                    attempts=0 if status == "queued" else (1 if status == "sent" else 5),
                    created_at=min(when, now) - timedelta(days=1), status_changed_at=min(when, now),
                    sent_at=when if status == "sent" else None,
                    provider_id="demo" if status == "sent" else None,
                    last_error=ERRORS[channel] if status == "failed" else None,
                )
            )  # fmt: skip


def _render_newest(uow: UnitOfWork, clinic_id: int, now: datetime) -> None:
    """The newest sent messages carry what they said (as the worker would have stored it)."""
    rows = list(
        uow.session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.clinic_id == clinic_id, OutboxMessage.status == "sent")
            .order_by(OutboxMessage.send_after.desc())
            .limit(RENDERED)
        ).scalars()
    )
    settings = WorkerSettings(public_url="https://demo.invalid")
    for row in rows:
        moment = row.send_after - timedelta(minutes=1)
        try:
            prepared = _prepare(uow, row, moment, settings)
        except (KeyError, TemplateError):
            continue
        if prepared.withdraw is not None:
            row.status, row.last_error, row.sent_at = "withdrawn", prepared.withdraw, None
            row.subject = row.body_text = row.body_html = row.provider_id = None
        else:
            row.provider_id = f"demo-{row.id}"

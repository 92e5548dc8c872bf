"""Sending what is due: claim, render, send, record (:func:`run_once`).

- **Claim** (one short transaction): the due rows — ``queued`` with ``next_attempt_at <= now``,
  or ``sending`` whose lease ran out (their worker died) — are marked ``sending`` with a lease
  (``lease_until``) and their attempt counted, in one ``UPDATE … WHERE id IN (SELECT … LIMIT n)``.
  On PostgreSQL the inner select takes ``FOR UPDATE SKIP LOCKED``, so any number of workers share
  the outbox and never claim the same row; on SQLite the statement runs under the database's
  single writer lock, so it is atomic too (one worker per database file is the supported set-up).
- **Check** just before sending: a patient who has since opted out of the kind or channel, an
  appointment that moved or was cancelled since the message was queued, aftercare for a session
  that did not take place — the message is withdrawn, not sent.
- **Send** outside any transaction, then **record** (``sent``, the provider's id, what was sent)
  only if this worker still holds the row's lease (``lease_until`` unchanged): a row marked
  ``sent`` is never sent again. A worker killed between the provider's acceptance and the
  record leaves the row to be retried after its lease: the one case a message can go twice
  (e-mails then carry the same ``Message-ID``).
- **Retry**: a temporary failure queues the row again after ``backoff`` (doubling from
  ``retry_base``, at most ``retry_cap``; longer when the provider asked with ``Retry-After``);
  after ``max_attempts`` or a permanent failure the row is ``failed`` and shown to staff.

Bodies are never logged; log lines carry row ids, kinds and statuses only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import TemplateError
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from microneedling.services.messages.calendar_file import series_file, single_event_ics
from microneedling.services.messages.care_text import (
    AFTERCARE_DAYS,
    aftercare_context,
    previous_day,
)
from microneedling.services.messages.clinic_settings import clinic_messaging
from microneedling.services.messages.optout import unsubscribe_url
from microneedling.services.messages.outbox import preferences_of
from microneedling.services.messages.templates import render
from microneedling.services.messages.transports import (
    Attachment,
    Envelope,
    PermanentFailure,
    TemporaryFailure,
    Transport,
)
from microneedling.store import Database, UnitOfWork
from microneedling.store.message_models import URGENT_CATEGORIES, OutboxMessage
from microneedling.store.message_records import MessageRecords
from microneedling.store.models import Appointment, Clinic, Patient, TreatmentPlan
from microneedling.store.scheduling_models import AppointmentBooking

log = logging.getLogger(__name__)

#: Kinds that need the appointment still to come, at the time it was queued for.
_BEFORE_KINDS = ("confirmation", "moved", "reminder_48h", "reminder_2h", "precare_7d", "precare_1d")


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    batch: int = 50
    lease: timedelta = timedelta(minutes=5)
    max_attempts: int = 5
    retry_base: timedelta = timedelta(minutes=1)
    retry_cap: timedelta = timedelta(hours=6)
    #: The address patients' links start with (``https://clinic.example``); no links without.
    public_url: str | None = None
    reply_to: str | None = None
    #: Makes the unsubscribe links (:mod:`.optout`); no links without.
    signing_key: bytes | None = None


@dataclass
class Summary:
    """What one pass did (``--json`` prints it)."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    withdrawn: int = 0
    lost_lease: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "claimed": self.claimed,
            "sent": self.sent,
            "retried": self.retried,
            "failed": self.failed,
            "withdrawn": self.withdrawn,
            "lost_lease": self.lost_lease,
            "sent_by_channel": dict(sorted(self.by_channel.items())),
        }


def backoff(attempts: int, settings: WorkerSettings, retry_after: float | None = None) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    wait: timedelta = settings.retry_base * (2 ** max(0, attempts - 1))
    wait = min(wait, settings.retry_cap)
    if retry_after is not None:
        wait = max(wait, timedelta(seconds=retry_after))
    return wait


def claim(
    database: Database,
    now: datetime,
    settings: WorkerSettings,
    channels: tuple[str, ...] = ("email", "sms"),
) -> list[tuple[int, datetime]]:
    """Claim up to ``settings.batch`` due rows of ``channels``; their ids and the lease this
    worker holds. Messages of a channel without a provider are left queued (not failed)."""
    if not channels:
        return []
    lease_until = now + settings.lease
    due = and_(
        or_(
            and_(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now),
            and_(OutboxMessage.status == "sending", OutboxMessage.lease_until <= now),
        ),
        OutboxMessage.channel.in_(list(channels)),
    )
    inner = select(OutboxMessage.id).where(due).order_by(OutboxMessage.next_attempt_at)
    inner = inner.limit(settings.batch)
    if database.backend == "postgresql":
        inner = inner.with_for_update(skip_locked=True)
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(inner.scalar_subquery()), due)
        .values(
            status="sending",
            lease_until=lease_until,
            attempts=OutboxMessage.attempts + 1,
            status_changed_at=now,
        )
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    with UnitOfWork(database) as uow:
        ids = sorted(uow.session.execute(statement).scalars())
        uow.commit()
    return [(row_id, lease_until) for row_id in ids]


@dataclass(frozen=True, slots=True)
class _Prepared:
    envelope: Envelope | None
    withdraw: str | None
    channel: str


def _when(moment: datetime, time_zone: str) -> tuple[str, str]:
    local = moment.astimezone(ZoneInfo(time_zone))
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}", f"{local:%H:%M}"


def _prepared_urgent(session: Session, row: OutboxMessage, settings: WorkerSettings) -> _Prepared:
    """An urgent message goes as its caller wrote it (``queue_urgent``): no check, no link."""
    clinic = session.get(Clinic, row.clinic_id)
    patient = session.get(Patient, row.patient_id) if row.patient_id is not None else None
    assert clinic is not None
    name = f"{patient.given_name} {patient.family_name}" if patient is not None else ""
    envelope = Envelope(
        message_id=row.id,
        recipient=row.recipient,
        recipient_name=name,
        subject=row.subject or clinic.name,
        text=row.body_text or "",
        html=row.body_html,
        sender_name=clinic.name,
        reply_to=settings.reply_to,
        unsubscribe=None,
        attachments=(),
    )
    return _Prepared(envelope, None, row.channel)


def _prepare(
    uow: UnitOfWork, row: OutboxMessage, now: datetime, settings: WorkerSettings
) -> _Prepared:
    session = uow.session
    if row.category in URGENT_CATEGORIES:
        return _prepared_urgent(session, row, settings)
    records = MessageRecords(session, row.clinic_id)
    patient = session.get(Patient, row.patient_id)
    clinic = session.get(Clinic, row.clinic_id)
    assert patient is not None and clinic is not None
    preferences = preferences_of(records, patient.id)
    own = clinic_messaging(session, row.clinic_id)
    if not preferences.allows(row.category) or not getattr(preferences, row.channel):
        return _Prepared(None, "the patient stopped these messages", row.channel)
    appointment = session.get(Appointment, row.appointment_id) if row.appointment_id else None
    context: dict[str, Any] = {"clinic": clinic.name, "given_name": patient.given_name}
    attachments: tuple[Attachment, ...] = ()
    if appointment is not None:
        if row.kind in _BEFORE_KINDS:
            if (
                appointment.status != "scheduled"
                or appointment.starts_at != row.appointment_starts_at
            ):
                return _Prepared(None, "the appointment changed since", row.channel)
            if appointment.starts_at <= now:
                return _Prepared(None, "the appointment has begun", row.channel)
        if row.kind.startswith("aftercare") and appointment.status != "completed":
            return _Prepared(None, "the session did not take place", row.channel)
        when, at = _when(appointment.starts_at, clinic.time_zone)
        context.update(when=when, time=at)
        if row.kind in AFTERCARE_DAYS:
            plan = session.get(TreatmentPlan, appointment.plan_id) if appointment.plan_id else None
            days = {kind: own.timings.get(kind, day) or day for kind, day in AFTERCARE_DAYS.items()}
            day, since = days[row.kind], previous_day(row.kind, days)
            context.update(aftercare_context(plan.plan if plan else None, day, since))
        if row.kind == "confirmation":
            booking = session.get(AppointmentBooking, appointment.id)
            together = [appointment]
            if booking is not None and booking.series_id is not None:
                together = list(
                    session.execute(
                        select(Appointment)
                        .join(
                            AppointmentBooking, AppointmentBooking.appointment_id == Appointment.id
                        )
                        .where(
                            AppointmentBooking.series_id == booking.series_id,
                            Appointment.status == "scheduled",
                        )
                        .order_by(Appointment.starts_at)
                    ).scalars()
                )
            context["sessions"] = [_when(item.starts_at, clinic.time_zone)[0] for item in together]
            if row.channel == "email":
                data = None
                if booking is not None and booking.series_id is not None:
                    data = series_file(uow, row.clinic_id, booking.series_id, now)
                if data is None:
                    data = single_event_ics(together, clinic.name, now)
                attachments = (Attachment("appointments.ics", "text/calendar", data),)
    else:
        context.update(when="", time="")
    if settings.public_url:
        context["link"] = settings.public_url.rstrip("/")
    unsubscribe = None
    if settings.public_url and settings.signing_key:
        unsubscribe = unsubscribe_url(
            settings.public_url,
            settings.signing_key,
            row.clinic_id,
            patient.id,
            row.category,
            row.channel,
        )
    context["unsubscribe"] = unsubscribe if row.channel == "email" else None
    context["reply_to"] = settings.reply_to
    subject, body = own.templates.get(row.kind, (None, None))
    rendered = render(row.kind, row.channel, context, subject=subject, body=body)
    row.subject, row.body_text, row.body_html = rendered.subject, rendered.text, rendered.html
    envelope = Envelope(
        message_id=row.id,
        recipient=row.recipient,
        recipient_name=f"{patient.given_name} {patient.family_name}",
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        sender_name=clinic.name,
        reply_to=settings.reply_to,
        unsubscribe=context["unsubscribe"],
        attachments=attachments,
    )
    return _Prepared(envelope, None, row.channel)


def _finish(
    database: Database, row_id: int, lease_until: datetime, values: Mapping[str, Any]
) -> bool:
    """Record the outcome if this worker still holds the lease; whether it did."""
    with UnitOfWork(database) as uow:
        result = uow.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == row_id,
                OutboxMessage.status == "sending",
                OutboxMessage.lease_until == lease_until,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        uow.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _send_one(
    database: Database,
    row_id: int,
    lease_until: datetime,
    transports: Mapping[str, Transport],
    now: datetime,
    settings: WorkerSettings,
    summary: Summary,
) -> None:
    with UnitOfWork(database) as uow:
        row = uow.session.get(OutboxMessage, row_id)
        assert row is not None
        attempts = row.attempts
        try:
            prepared = _prepare(uow, row, now, settings)
        except (KeyError, TemplateError) as error:
            # A template that cannot be written will not be written on a later attempt either.
            uow.session.rollback()
            reason = f"the message could not be written ({type(error).__name__})"
            _finish(database, row_id, lease_until, {"status": "failed", "last_error": reason,
                    "status_changed_at": now, "lease_until": None})  # fmt: skip
            summary.failed += 1
            return
        rendered = (row.subject, row.body_text, row.body_html)
        uow.session.rollback()
    if prepared.withdraw is not None:
        done = _finish(
            database,
            row_id,
            lease_until,
            {
                "status": "withdrawn",
                "status_changed_at": now,
                "last_error": prepared.withdraw,
                "lease_until": None,
            },
        )
        summary.withdrawn += done
        return
    transport = transports.get(prepared.channel)
    assert prepared.envelope is not None
    try:
        if transport is None:
            raise TemporaryFailure(f"no {prepared.channel} provider is set up")
        provider_id = transport.send(prepared.envelope)
    except TemporaryFailure as error:
        if attempts >= settings.max_attempts:
            values: dict[str, Any] = {
                "status": "failed",
                "last_error": f"{error.reason} (gave up after {attempts} attempts)",
            }
            summary.failed += 1
        else:
            values = {
                "status": "queued",
                "next_attempt_at": now + backoff(attempts, settings, error.retry_after),
                "last_error": error.reason,
            }
            summary.retried += 1
        values.update(status_changed_at=now, lease_until=None)
        _finish(database, row_id, lease_until, values)
        log.info("message %s: %s (attempt %s)", row_id, values["status"], attempts)
        return
    except PermanentFailure as error:
        _finish(
            database,
            row_id,
            lease_until,
            {
                "status": "failed",
                "last_error": error.reason,
                "status_changed_at": now,
                "lease_until": None,
            },
        )
        summary.failed += 1
        log.info("message %s: failed (attempt %s)", row_id, attempts)
        return
    subject, text, html = rendered
    recorded = _finish(
        database,
        row_id,
        lease_until,
        {
            "status": "sent",
            "provider_id": provider_id,
            "sent_at": now,
            "status_changed_at": now,
            "lease_until": None,
            "last_error": None,
            "subject": subject,
            "body_text": text,
            "body_html": html,
        },
    )
    if recorded:
        summary.sent += 1
        summary.by_channel[prepared.channel] = summary.by_channel.get(prepared.channel, 0) + 1
    else:
        summary.lost_lease += 1
        log.warning("message %s was sent after its lease ran out", row_id)


def run_once(
    database: Database,
    transports: Mapping[str, Transport],
    *,
    now: datetime,
    settings: WorkerSettings | None = None,
) -> Summary:
    """One pass: claim what is due at ``now`` (one batch) and send it."""
    settings = settings or WorkerSettings()
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    summary = Summary()
    claimed = claim(database, now, settings, tuple(sorted(transports)))
    summary.claimed = len(claimed)
    try:
        for row_id, lease_until in claimed:
            _send_one(database, row_id, lease_until, transports, now, settings, summary)
    finally:
        if summary.claimed < settings.batch:
            # Nothing more is due now: the mail server's connection is not kept idle.
            for transport in transports.values():
                close = getattr(transport, "close", None)
                if close is not None:
                    close()
    return summary

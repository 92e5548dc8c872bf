"""Queueing messages to patients in the transaction of the change that causes them.

Called by the scheduling services inside their :class:`~microneedling.services.access.Transaction`
(so a booking that rolls back queues nothing, and one that commits loses nothing):

- :func:`appointment_booked`: a confirmation at once, and the reminders, pre-care and aftercare of
  :func:`~.timing.appointment_schedule`;
- :func:`appointment_moved`: every queued message of the appointment is withdrawn, a "moved"
  notice goes at once and the schedule is queued again for the new time;
- :func:`appointment_cancelled`: every queued message is withdrawn and a cancellation notice goes
  (when the appointment was still to come);
- :func:`queue_urgent`: a message of an urgent kind (category ``account``: a sign-in code, an
  invitation), written by its caller, that goes at once — never held by quiet hours, never
  stopped by a preference.

Each message goes by each channel the patient allows (:func:`preferences_of`) and has an address
for; a patient who stopped a kind of message gets none of it. Bodies are not rendered here: the
worker renders them when it sends (see :mod:`microneedling.store.message_models`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from microneedling.services.access import Transaction
from microneedling.services.messages.clinic_settings import clinic_messaging
from microneedling.services.messages.timing import QuietHours, appointment_schedule, immediate
from microneedling.store.message_models import (
    CHANNELS,
    MESSAGE_KINDS,
    URGENT_CATEGORIES,
    MessagePreference,
    OutboxMessage,
)
from microneedling.store.message_records import MessageRecords
from microneedling.store.models import Appointment, Patient

#: Nothing is sent between 21:00 and 08:00 in the clinic's time zone (until clinics set theirs).
DEFAULT_QUIET_HOURS = QuietHours(time(21, 0), time(8, 0))


@dataclass(frozen=True, slots=True)
class Preferences:
    """What a patient lets the clinic send: by which channels, which kinds."""

    email: bool = True
    sms: bool = True
    reminders: bool = True
    aftercare: bool = True
    recalls: bool = True
    marketing: bool = False
    source: str = "default"
    recorded_at: datetime | None = None

    def allows(self, category: str) -> bool:
        if category in URGENT_CATEGORIES:
            return True
        return bool(getattr(self, category))


def message_records(tx: Transaction) -> MessageRecords:
    return MessageRecords(tx.uow.session, tx.actor.clinic_id)


def preferences_of(records: MessageRecords, patient_id: int) -> Preferences:
    """The patient's newest recorded choice, or the defaults (everything but marketing)."""
    row: MessagePreference | None = records.preference(patient_id)
    if row is None:
        return Preferences()
    return Preferences(
        email=row.email,
        sms=row.sms,
        reminders=row.reminders,
        aftercare=row.aftercare,
        recalls=row.recalls,
        marketing=row.marketing,
        source=row.source,
        recorded_at=row.recorded_at,
    )


def recipients(patient: Patient, preferences: Preferences, category: str) -> list[tuple[str, str]]:
    """(channel, address) pairs a message of ``category`` goes to: none when the patient stopped
    the category; e-mail and SMS where allowed and the patient has an address."""
    if not preferences.allows(category):
        return []
    found = []
    if preferences.email and patient.email and patient.email.strip():
        found.append(("email", patient.email.strip()))
    if preferences.sms and patient.phone and patient.phone.strip():
        found.append(("sms", patient.phone.strip()))
    return found


class _ClinicDefault:
    """The clinic's own quiet hours (clinic_settings.py): the callers' default."""


CLINIC_QUIET: Any = _ClinicDefault()


class _Queue:
    """Queues one appointment's messages inside ``tx``."""

    def __init__(self, tx: Transaction, appointment: Appointment, quiet: QuietHours | None):
        self.tx = tx
        self.appointment = appointment
        # What is read here is not changed by the rows the booking has added so far: no flush
        # before each query (the rows go in one flush at the end instead of one per session).
        with tx.uow.session.no_autoflush:
            own = clinic_messaging(tx.uow.session, tx.actor.clinic_id, scope=tx)
            self.quiet = own.quiet if quiet is CLINIC_QUIET else quiet
            self.timings = own.timings
            self.records = message_records(tx)
            self.time_zone = tx.records.clinic().time_zone
            patient = tx.records.get(Patient, appointment.patient_id)
            assert patient is not None
            self.patient = patient
            self.preferences = preferences_of(self.records, patient.id)

    def add(self, kind: str, send_after: datetime) -> int:
        category = MESSAGE_KINDS[kind]
        count = 0
        for channel, address in recipients(self.patient, self.preferences, category):
            self.records.add(
                OutboxMessage(
                    patient_id=self.patient.id,
                    appointment_id=self.appointment.id,
                    kind=kind,
                    category=category,
                    channel=channel,
                    recipient=address,
                    appointment_starts_at=self.appointment.starts_at,
                    send_after=send_after,
                    status="queued",
                    attempts=0,
                    next_attempt_at=send_after,
                    created_at=self.tx.now,
                    status_changed_at=self.tx.now,
                )
            )
            count += 1
        return count

    def notice(self, kind: str) -> int:
        return self.add(kind, immediate(self.tx.now, kind, self.quiet, self.time_zone))

    def schedule(self, ends_at: datetime) -> int:
        planned = appointment_schedule(
            self.appointment.starts_at,
            ends_at,
            now=self.tx.now,
            time_zone=self.time_zone,
            quiet=self.quiet,
            timings=self.timings,
        )
        return sum(self.add(kind, moment) for kind, moment in planned)

    def withdraw_queued(self, why: str) -> int:
        rows = self.records.queued_for_appointments([self.appointment.id])
        self.records.withdraw(rows, self.tx.now, why)
        return len(rows)


def _ends_at(appointment: Appointment, ends_at: datetime | None) -> datetime:
    return ends_at or appointment.starts_at + timedelta(minutes=appointment.duration_minutes)


def appointment_booked(
    tx: Transaction,
    appointment: Appointment,
    *,
    ends_at: datetime | None = None,
    confirm: bool = True,
    quiet: QuietHours | None = CLINIC_QUIET,
) -> int:
    """Queue a new appointment's messages; how many rows were queued."""
    queue = _Queue(tx, appointment, quiet)
    count = queue.notice("confirmation") if confirm else 0
    return count + queue.schedule(_ends_at(appointment, ends_at))


def appointment_moved(
    tx: Transaction,
    appointment: Appointment,
    *,
    ends_at: datetime | None = None,
    quiet: QuietHours | None = CLINIC_QUIET,
) -> int:
    """Follow a move: the queued messages are withdrawn, a "moved" notice and the new schedule
    are queued; how many rows were queued."""
    queue = _Queue(tx, appointment, quiet)
    queue.withdraw_queued("the appointment moved")
    return queue.notice("moved") + queue.schedule(_ends_at(appointment, ends_at))


def appointment_cancelled(
    tx: Transaction,
    appointment: Appointment,
    *,
    quiet: QuietHours | None = CLINIC_QUIET,
) -> int:
    """Follow a cancellation: the queued messages are withdrawn and, for an appointment still to
    come, a cancellation notice is queued; how many rows were queued."""
    queue = _Queue(tx, appointment, quiet)
    queue.withdraw_queued("the appointment was cancelled")
    if appointment.starts_at <= tx.now:
        return 0
    return queue.notice("cancelled")


def queue_urgent(
    session: Session,
    clinic_id: int,
    *,
    kind: str,
    channel: str,
    recipient: str,
    subject: str,
    text: str,
    now: datetime,
    html: str | None = None,
    patient_id: int | None = None,
) -> OutboxMessage:
    """Queue an urgent message (a kind whose category in ``MESSAGE_KINDS`` is ``account``) in the
    caller's transaction, already written: the worker sends ``subject``/``text``/``html`` as
    they are (an SMS is ``text``), at once, whatever the quiet hours or the patient's
    preferences. ``patient_id`` is ``None`` for someone who is not a patient (a staff member)."""
    category = MESSAGE_KINDS.get(kind)
    if category not in URGENT_CATEGORIES:
        raise ValueError(f"{kind!r} is not an urgent kind of message")
    if channel not in CHANNELS:
        raise ValueError(f"{channel!r} is not a channel")
    if not recipient.strip() or len(recipient) > 254:
        raise ValueError("an urgent message needs the address it goes to")
    row = OutboxMessage(
        clinic_id=clinic_id,
        patient_id=patient_id,
        appointment_id=None,
        kind=kind,
        category=category,
        channel=channel,
        recipient=recipient.strip(),
        subject=subject,
        body_text=text,
        body_html=html,
        send_after=now,
        status="queued",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        status_changed_at=now,
    )
    session.add(row)
    return row

"""Messages to patients: the outbox and each patient's messaging preferences (migration 0014).

- ``outbox_message``: one row per message to one recipient on one channel, written in the same
  transaction as the change that causes it (a booking, a move, a cancellation), so nothing is
  sent for a change that rolled back and nothing is lost for one that committed. ``send_after``
  is when it may go (UTC, already moved out of the clinic's quiet hours); ``next_attempt_at`` is
  when a worker may next try it (``send_after`` at first, later after each failed attempt).
  ``status``: ``queued`` → ``sending`` (claimed by a worker until ``lease_until``) → ``sent``
  or, after the last attempt, ``failed``; ``withdrawn`` when the change it announced was undone
  (moved, cancelled) or the patient opted out before it went. A ``sending`` row whose lease has
  run out belongs to a worker that died: it is claimed again.
  The subject and bodies are rendered when the message is sent, not when it is queued (a
  reminder queued weeks ahead carries the clinic's templates and the care timeline as they are
  on the day), and stored then: the row shows what the patient received. Bodies never go into
  application logs.
  ``appointment_starts_at`` is the appointment's start the message was queued for: a message
  whose appointment has moved since is stale and is withdrawn rather than sent.
- ``message_preference``: append-only, one row per choice a patient made (or staff recorded for
  them): which channels (e-mail, SMS; neither is "none") and which kinds of message (reminders,
  aftercare, recalls, marketing — marketing off unless opted in), with when and how (``source``:
  ``staff``, ``unsubscribe_link``, ``sms_stop``, …). The newest row of a patient is their
  choice; a patient without a row gets the defaults (every kind but marketing, on each channel
  they have an address for).

Every table carries ``clinic_id``. Imported by ``microneedling.store`` so that the tables are on
``Base.metadata`` wherever the models are (migrations, backups, the unit of work).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from microneedling.store.models import Base

#: The channels a message goes by.
CHANNELS = ("email", "sms")
#: Where a message is in its life.
MESSAGE_STATUSES = ("queued", "sending", "sent", "failed", "withdrawn")
#: The kinds of message a patient can stop, one by one.
STOPPABLE_CATEGORIES = ("reminders", "aftercare", "recalls", "marketing")
#: Messages a person asked for or needs to use their account (a portal sign-in code, an
#: invitation): never stopped by a preference, never held by quiet hours, sent at once.
URGENT_CATEGORIES = ("account",)
#: Every category an outbox row can carry.
CATEGORIES = STOPPABLE_CATEGORIES + URGENT_CATEGORIES
#: Each kind of message and the category a patient stops it by.
MESSAGE_KINDS: dict[str, str] = {
    "confirmation": "reminders",
    "moved": "reminders",
    "cancelled": "reminders",
    "reminder_48h": "reminders",
    "reminder_2h": "reminders",
    "precare_7d": "reminders",
    "precare_1d": "reminders",
    "aftercare_0d": "aftercare",
    "aftercare_1d": "aftercare",
    "aftercare_3d": "aftercare",
    "aftercare_7d": "aftercare",
    "recall": "recalls",
    "invitation": "recalls",
    "series_next": "recalls",
    # The patient portal (services/portal/messages.py): an invitation, a sign-in code.
    "portal_invitation": "account",
    "portal_code": "account",
    "staff_invitation": "account",
}
#: How a preference came to be recorded.
PREFERENCE_SOURCES = ("staff", "patient", "unsubscribe_link", "sms_stop", "sms_start")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class OutboxMessage(Base):
    """One message to one patient by one channel (see the module docstring)."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(_one_of("channel", CHANNELS), name="channel"),
        CheckConstraint(_one_of("status", MESSAGE_STATUSES), name="status"),
        CheckConstraint(_one_of("category", CATEGORIES), name="category"),
        CheckConstraint("attempts >= 0", name="attempts"),
        # The worker's question: what is due now (queued, or sending with a lapsed lease).
        Index(None, "status", "next_attempt_at"),
        Index(None, "clinic_id", "status", "next_attempt_at"),
        Index(None, "patient_id", "created_at"),
        Index(None, "appointment_id", "status"),
        # Delivery reports find their message by the provider's id.
        Index(None, "provider_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    #: ``NULL`` only for an urgent message to someone who is not a patient (a staff invitation).
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    kind: Mapped[str] = mapped_column(String(30))
    category: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    #: The e-mail address or phone number as it was when the message was queued.
    recipient: Mapped[str] = mapped_column(String(254))
    appointment_starts_at: Mapped[datetime | None]
    subject: Mapped[str | None] = mapped_column(Text)
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    send_after: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(server_default="0")
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    provider_id: Mapped[str | None] = mapped_column(String(200))
    #: What went wrong last (the provider's words, never the message body).
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    status_changed_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    #: What the SMS provider last reported (``delivered``, ``undelivered``, ``failed``; migration
    #: 0018), and when.
    delivery_status: Mapped[str | None] = mapped_column(String(20))
    delivery_changed_at: Mapped[datetime | None]


class MessagePreference(Base):
    """A patient's choice of channels and kinds of message, as recorded at ``recorded_at``."""

    __tablename__ = "message_preference"
    __table_args__ = (
        CheckConstraint(_one_of("source", PREFERENCE_SOURCES), name="source"),
        Index(None, "patient_id", "id"),
        Index(None, "clinic_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    email: Mapped[bool] = mapped_column(Boolean)
    sms: Mapped[bool] = mapped_column(Boolean)
    reminders: Mapped[bool] = mapped_column(Boolean)
    aftercare: Mapped[bool] = mapped_column(Boolean)
    recalls: Mapped[bool] = mapped_column(Boolean)
    marketing: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(20))
    #: The staff member who recorded it (``NULL`` when the patient did, by link or SMS).
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))


class ClinicMessageSettings(Base):
    """A clinic's quiet hours and message timings, as its owner set them (migration 0018).

    ``quiet_hours`` is ``"21:00-08:00"`` (local wall-clock, may cross midnight) or ``""`` for none;
    ``timings`` maps a scheduled kind to its offset — hours before the start for reminders, days
    before the session day for pre-care, days after it for aftercare; ``None`` turns the kind
    off. A clinic without a row uses the defaults of :mod:`microneedling.services.messages.settings`.
    """

    __tablename__ = "message_setting"

    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), primary_key=True)
    quiet_hours: Mapped[str] = mapped_column(String(20))
    timings: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))


class MessageTemplate(Base):
    """A clinic's own wording of one kind of message (migration 0018): the subject (also the
    opening of its SMS) and the e-mail body, Jinja2 text with the documented placeholders. A kind
    without a row uses the shipped wording."""

    __tablename__ = "message_template"
    __table_args__ = (UniqueConstraint("clinic_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

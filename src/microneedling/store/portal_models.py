"""The patient portal's records (migration 0016).

- ``portal_account``: a patient's way into the portal, one per patient, opened when staff invite
  them (``invited_by``) and first used at ``activated_at``; ``closed_at`` shuts it.
- ``portal_code``: a one-time sign-in code sent to the patient's e-mail or phone. Only its
  salted SHA-256 is kept; it expires (``expires_at``), is used once (``used_at``) and counts the
  wrong tries made against it (``attempts``).
- ``portal_attempt``: one row per code asked for or wrong code given, by the address's SHA-256
  (never the address), so codes are limited per address and per account without saying whether
  an address has an account.
- ``portal_session``: a signed-in patient's session, like the staff's ``web_session`` but a table
  (and cookie) of its own: a patient cookie can never stand for a staff member, nor the reverse.
- ``portal_intake``: the screening questionnaire a patient fills in before the visit: a draft,
  then submitted once (screened at once, ``screening``), then confirmed by a clinician, when it
  becomes the intake of record (``intake_id``).
- ``consultation_request``: a new candidate's request for a consultation from the clinic's
  public page, for staff to follow up.

Every table carries ``clinic_id``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from microneedling.store.models import Base

#: Where a patient's intake is.
PORTAL_INTAKE_STATUSES = ("draft", "submitted", "confirmed")
#: What a ``portal_attempt`` row counts.
ATTEMPT_KINDS = ("code_sent", "code_wrong")
#: Where a consultation request is.
REQUEST_STATUSES = ("new", "handled")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class PortalAccount(Base):
    """A patient's way into the portal."""

    __tablename__ = "portal_account"
    __table_args__ = (Index(None, "clinic_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), unique=True)
    invited_at: Mapped[datetime]
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    activated_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class PortalCode(Base):
    """A one-time sign-in code (its salted hash only)."""

    __tablename__ = "portal_code"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts"),
        Index(None, "account_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("portal_account.id"))
    channel: Mapped[str] = mapped_column(String(10))
    salt: Mapped[str] = mapped_column(String(32))
    code_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(server_default="0")


class PortalAttempt(Base):
    """A code asked for, or a wrong code given, by address (hashed) and account (if any)."""

    __tablename__ = "portal_attempt"
    __table_args__ = (
        CheckConstraint(_one_of("kind", ATTEMPT_KINDS), name="kind"),
        Index(None, "address_sha256", "at"),
        Index(None, "account_id", "at"),
        Index(None, "client", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(12))
    address_sha256: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("portal_account.id"))
    client: Mapped[str] = mapped_column(String(64))


class PortalSession(Base):
    """A signed-in patient's session (the cookie holds an opaque id; this row its SHA-256)."""

    __tablename__ = "portal_session"
    __table_args__ = (Index(None, "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("portal_account.id"))
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(20))
    user_agent: Mapped[str] = mapped_column(String(300))
    client: Mapped[str] = mapped_column(String(64))


class PortalIntake(Base):
    """A patient's screening questionnaire before the visit (see the module docstring)."""

    __tablename__ = "portal_intake"
    __table_args__ = (
        CheckConstraint(_one_of("status", PORTAL_INTAKE_STATUSES), name="status"),
        Index(None, "clinic_id", "status", "submitted_at"),
        Index(None, "patient_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("portal_account.id"))
    status: Mapped[str] = mapped_column(String(12))
    #: The patient's answers: {"answers": {code: value}, "zones": [...], "fitzpatrick": n}.
    answers: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    #: The screening made at submission (decision, earliest date, the findings' codes).
    screening: Mapped[dict[str, Any] | None]
    decision: Mapped[str | None] = mapped_column(String(20))
    earliest_date: Mapped[date | None]
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(Text)
    #: The intake of record a clinician made of it.
    intake_id: Mapped[int | None] = mapped_column(ForeignKey("intake.id"))


class ConsultationRequest(Base):
    """A new candidate's request for a consultation, for staff to follow up."""

    __tablename__ = "consultation_request"
    __table_args__ = (
        CheckConstraint(_one_of("status", REQUEST_STATUSES), name="status"),
        Index(None, "clinic_id", "status", "created_at"),
        Index(None, "client", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    #: The requesting address's SHA-256 (to limit requests), never the address itself.
    client: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    handled_at: Mapped[datetime | None]

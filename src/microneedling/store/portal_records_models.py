"""What patients record themselves in the portal (migration 0017).

- ``portal_signature``: a consent the patient e-signed in the portal: the exact text they read, its
  form's kind and version and the text's SHA-256, the name they typed, when, and the device (the
  client address and the browser's user agent). Withdrawing it (from the portal, as easily as
  signing) sets ``withdrawn_at`` and the device it was withdrawn from; a row is never deleted.
  Kinds: ``treatment``, ``clinical_photos`` (photos for the clinical record) and
  ``marketing_photos`` (only when the patient opts in).
- ``reaction_report``: a reaction the patient reported after a session ("Report a reaction"):
  when it started, what they notice (plain-word symptom keys) and their own words. It is a staff
  task (``status`` ``new``) until a clinician confirms it, recording an adverse event
  (``adverse_event_id``), or closes it with a note (``closed``).
- ``reaction_photo``: a photo sent with a report, checked and cleaned like a clinical photo and
  stored content-addressed in the clinic's photo folder.
- ``home_session``: a session the patient did at home with a roller (home-use plans), as they
  logged it: the day, the depth, the zones, whether the roller was cleaned, a note.

Every table carries ``clinic_id``. Imported by ``microneedling.store`` so that the tables are on
``Base.metadata`` wherever the models are.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from microneedling.store.models import Base

#: The consents a patient can e-sign in the portal.
SIGNATURE_KINDS = ("treatment", "clinical_photos", "marketing_photos")
#: Where a reaction report is: waiting for staff, confirmed as an adverse event, or closed.
REACTION_STATUSES = ("new", "confirmed", "closed")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class PortalSignature(Base):
    """A consent e-signed by the patient in the portal."""

    __tablename__ = "portal_signature"
    __table_args__ = (
        CheckConstraint(_one_of("kind", SIGNATURE_KINDS), name="kind"),
        Index(None, "clinic_id", "patient_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    kind: Mapped[str] = mapped_column(String(20))
    form_version: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    #: The text exactly as shown and signed, and its SHA-256.
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    #: The name the patient typed to sign.
    signed_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime]
    signed_ip: Mapped[str | None] = mapped_column(String(64))
    signed_user_agent: Mapped[str | None] = mapped_column(String(500))
    withdrawn_at: Mapped[datetime | None]
    withdrawn_ip: Mapped[str | None] = mapped_column(String(64))
    withdrawn_user_agent: Mapped[str | None] = mapped_column(String(500))


class ReactionReport(Base):
    """A reaction reported by the patient: a staff task until confirmed or closed."""

    __tablename__ = "reaction_report"
    __table_args__ = (
        CheckConstraint(_one_of("status", REACTION_STATUSES), name="status"),
        Index(None, "clinic_id", "status", "reported_at"),
        Index(None, "clinic_id", "patient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    #: The session it followed (the patient's latest before the report, when there is one).
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    reported_at: Mapped[datetime]
    started_on: Mapped[date]
    #: Plain-word symptom keys the patient ticked (services/portal/reactions.SYMPTOMS).
    symptoms: Mapped[list[Any]]
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(Text)
    adverse_event_id: Mapped[int | None] = mapped_column(ForeignKey("adverse_event.id"))


class ReactionPhoto(Base):
    """A photo sent with a reaction report (cleaned: oriented, metadata stripped)."""

    __tablename__ = "reaction_photo"
    __table_args__ = (Index(None, "clinic_id", "report_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    report_id: Mapped[int] = mapped_column(ForeignKey("reaction_report.id"))
    original_sha256: Mapped[str] = mapped_column(String(64))
    stored_sha256: Mapped[str] = mapped_column(String(64))
    stored_path: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    byte_size: Mapped[int] = mapped_column(Integer)


class HomeSession(Base):
    """A home-roller session the patient logged."""

    __tablename__ = "home_session"
    __table_args__ = (
        CheckConstraint("depth_mm > 0 AND depth_mm <= 5", name="depth"),
        Index(None, "clinic_id", "patient_id", "done_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    done_on: Mapped[date]
    depth_mm: Mapped[float] = mapped_column(Float)
    zones: Mapped[list[Any]]
    roller_cleaned: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    logged_at: Mapped[datetime]

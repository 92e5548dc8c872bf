"""The records a clinic keeps, as SQLAlchemy 2.0 typed models.

Every row that belongs to a clinic carries ``clinic_id``; repositories filter on it. Times are
stored in UTC (:class:`UtcDateTime` gives back aware datetimes on every backend); days are
:class:`~datetime.date`. Clinical documents (intake answers, the screening result, the plan) are
stored as JSON exactly as computed, with the knowledge base's version and hash beside them.

Signed session charts are locked: ``session_chart``, ``chart_zone`` and ``chart_product`` refuse
UPDATE and DELETE in the database (triggers, see the first migration); a correction is a new
``session_chart`` row with the next ``version`` that ``amends`` the previous one. The audit log is
append-only the same way.

The schema changes only through the Alembic migrations in ``store/migrations``; a test checks that
the migrations and these models agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime, TypeDecorator

#: Constraint and index names (stable across backends, so migrations can refer to them).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("owner", "clinician", "front_desk")
SEXES = ("female", "male", "other")
DECISIONS = ("eligible", "caution", "defer", "not_eligible")
CONSENT_KINDS = ("treatment", "marketing_photos")
PLAN_STATUSES = ("proposed", "accepted", "completed", "cancelled")
APPOINTMENT_STATUSES = ("scheduled", "checked_in", "completed", "cancelled", "no_show")
DEVICE_KINDS = ("pen", "roller", "stamp")
PRODUCT_PURPOSES = ("glide", "serum", "post_procedure", "other")
ADVERSE_EVENT_KINDS = (
    "prolonged_erythema",
    "oedema",
    "infection",
    "herpes_reactivation",
    "hyperpigmentation",
    "hypopigmentation",
    "allergic_reaction",
    "acneiform_eruption",
    "tram_track_scarring",
    "granuloma",
    "other",
)
SEVERITIES = ("mild", "moderate", "severe")
PHOTO_VIEWS = (
    "front",
    "left_oblique",
    "right_oblique",
    "left_profile",
    "right_profile",
    "close_up",
)

#: The hash before the first audit entry.
GENESIS_HASH = "0" * 64


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class UtcDateTime(TypeDecorator[datetime]):
    """A moment, stored in UTC, read back as an aware UTC datetime on every backend.

    Naive datetimes are refused: every moment in the records must say which time zone it is in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a naive datetime cannot be stored; give it a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 (read once by SQLAlchemy)
        datetime: UtcDateTime(),
        dict[str, Any]: JsonDocument,
        list[Any]: JsonDocument,
        str: String(200),
    }


def _clinic_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("clinic.id"), index=False)


def _staff_fk(nullable: bool = False) -> Any:
    return mapped_column(ForeignKey("staff_user.id"), nullable=nullable)


class Clinic(Base):
    __tablename__ = "clinic"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str]
    time_zone: Mapped[str] = mapped_column(String(64))
    price_list: Mapped[dict[str, Any] | None]
    policy_overrides: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    #: Kept by triggers (migration 0004): raised by every change to the clinic's appointments,
    #: and by deleting one (``calendar_resets``); see services/calendar_index.py. Not in
    #: backups (``derived``): restoring the appointments sets them again.
    calendar_version: Mapped[int] = mapped_column(
        BigInteger, server_default="0", info={"derived": True}
    )
    calendar_resets: Mapped[int] = mapped_column(
        BigInteger, server_default="0", info={"derived": True}
    )
    #: Kept by triggers (migration 0010): a new random value whenever one of the clinic's
    #: devices or cartridge lots changes (a chart in a record shows them). Not in backups.
    inventory_version: Mapped[int] = mapped_column(
        BigInteger, server_default="0", info={"derived": True}
    )


class StaffUser(Base):
    __tablename__ = "staff_user"
    __table_args__ = (
        CheckConstraint(_one_of("role", ROLES), name="role"),
        Index(None, "clinic_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str]
    role: Mapped[str] = mapped_column(String(20))
    #: Argon2id, or a legacy ``scrypt$...`` (services/passwords.py); NULL until a password is set.
    password_hash: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    #: Set by an owner's reset (a one-time password): nothing else until it is changed (0011).
    password_must_change: Mapped[bool] = mapped_column(
        Boolean, server_default=false(), default=False
    )


class AccessToken(Base):
    """A sign-in to the API: the SHA-256 of an opaque bearer token, never the token itself."""

    __tablename__ = "access_token"
    __table_args__ = (Index(None, "staff_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    staff_user_id: Mapped[int] = _staff_fk()
    clinic_id: Mapped[int] = _clinic_fk()
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser (migration 0011): the SHA-256 of the opaque id its cookie carries,
    never the id; its CSRF token; when it ended and why (services/web_sessions.py)."""

    __tablename__ = "web_session"
    __table_args__ = (Index(None, "staff_user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    staff_user_id: Mapped[int] = _staff_fk()
    clinic_id: Mapped[int] = _clinic_fk()
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(20))
    user_agent: Mapped[str] = mapped_column(String(300))
    client: Mapped[str] = mapped_column(String(64))


class SignInFailure(Base):
    """A failed sign-in, counted to lock an e-mail or a client address out for a while.

    The e-mail is kept as its SHA-256 (it may be anyone's, or garbage); rows older than the
    counting window are removed as new ones come in, and a successful sign-in clears its e-mail's.
    """

    __tablename__ = "sign_in_failure"
    __table_args__ = (Index(None, "email_sha256", "at"), Index(None, "client", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    email_sha256: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))


class Patient(Base):
    __tablename__ = "patient"
    __table_args__ = (
        CheckConstraint("fitzpatrick BETWEEN 1 AND 6", name="fitzpatrick"),
        CheckConstraint(_one_of("sex", SEXES), name="sex"),
        Index(None, "clinic_id", "family_name", "given_name"),
        Index(None, "clinic_id", "birth_date"),
        Index(None, "clinic_id", "phone_digits"),
        Index(None, "clinic_id", "search_name"),
        Index(None, "clinic_id", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date]
    sex: Mapped[str | None] = mapped_column(String(10))
    fitzpatrick: Mapped[int]
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    created_by: Mapped[int] = _staff_fk()
    #: The name and phone as searched (store/patient_search.py keeps them; migration 0006).
    search_name: Mapped[str | None] = mapped_column(String(210))
    phone_digits: Mapped[str | None] = mapped_column(String(40))
    #: Kept by triggers (migration 0010): a new random value whenever this row or any row of
    #: the patient's record changes (the record's ETag). Not in backups: restoring sets it anew.
    record_version: Mapped[int] = mapped_column(
        BigInteger, server_default="0", info={"derived": True}
    )

    intakes: Mapped[list[Intake]] = relationship(
        order_by="Intake.id", viewonly=True, lazy="raise_on_sql"
    )
    consents: Mapped[list[Consent]] = relationship(
        order_by="Consent.id", viewonly=True, lazy="raise_on_sql"
    )
    plans: Mapped[list[TreatmentPlan]] = relationship(
        order_by="TreatmentPlan.id", viewonly=True, lazy="raise_on_sql"
    )
    appointments: Mapped[list[Appointment]] = relationship(
        order_by="Appointment.starts_at", viewonly=True, lazy="raise_on_sql"
    )
    charts: Mapped[list[SessionChart]] = relationship(
        order_by=lambda: [SessionChart.appointment_id, SessionChart.version],
        viewonly=True,
        lazy="raise_on_sql",
    )
    adverse_events: Mapped[list[AdverseEvent]] = relationship(
        order_by="AdverseEvent.id", viewonly=True, lazy="raise_on_sql"
    )
    outcomes: Mapped[list[OutcomeAssessment]] = relationship(
        order_by="OutcomeAssessment.id", viewonly=True, lazy="raise_on_sql"
    )
    photos: Mapped[list[Photo]] = relationship(
        order_by="Photo.id", viewonly=True, lazy="raise_on_sql"
    )


class Intake(Base):
    """An intake as submitted, and its screening result as computed when it was recorded."""

    __tablename__ = "intake"
    __table_args__ = (
        CheckConstraint(_one_of("decision", DECISIONS), name="decision"),
        Index(None, "patient_id", "assessed_on"),
        Index(None, "clinic_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[int] = _staff_fk()
    #: The intake's assessment date (``on``).
    assessed_on: Mapped[date]
    answers: Mapped[dict[str, Any]]
    decision: Mapped[str] = mapped_column(String(20))
    earliest_date: Mapped[date | None]
    #: The screening result as ``screen --json`` prints it.
    screening: Mapped[dict[str, Any]]
    knowledge_base_version: Mapped[str] = mapped_column(String(32))
    knowledge_base_hash: Mapped[str] = mapped_column(String(100))
    #: A clinician's acknowledgement of a ``caution`` decision.
    acknowledged_by: Mapped[int | None] = _staff_fk(nullable=True)
    acknowledged_at: Mapped[datetime | None]
    acknowledgement_note: Mapped[str | None] = mapped_column(Text)


class Consent(Base):
    __tablename__ = "consent"
    __table_args__ = (
        CheckConstraint(_one_of("kind", CONSENT_KINDS), name="kind"),
        Index(None, "patient_id", "kind"),
        Index(None, "clinic_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    kind: Mapped[str] = mapped_column(String(20))
    form_version: Mapped[str] = mapped_column(String(32))
    #: SHA-256 of the consent text the patient was shown.
    text_sha256: Mapped[str] = mapped_column(String(64))
    #: The consent text itself, as shown and signed (``NULL`` for consents signed before 0005).
    text: Mapped[str | None] = mapped_column(Text)
    signed_at: Mapped[datetime]
    #: Who signed, as written on the form (the patient, or a guardian).
    signed_by_name: Mapped[str]
    witnessed_by: Mapped[int] = _staff_fk()
    withdrawn_at: Mapped[datetime | None]
    withdrawal_recorded_by: Mapped[int | None] = _staff_fk(nullable=True)


class TreatmentPlan(Base):
    __tablename__ = "treatment_plan"
    __table_args__ = (
        CheckConstraint(_one_of("status", PLAN_STATUSES), name="status"),
        Index(None, "patient_id"),
        Index(None, "clinic_id"),
        Index(None, "clinic_id", "status", "patient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    #: The screening the plan was made on.
    intake_id: Mapped[int | None] = mapped_column(ForeignKey("intake.id"))
    created_at: Mapped[datetime]
    created_by: Mapped[int] = _staff_fk()
    request: Mapped[dict[str, Any]]
    #: The plan as ``plan --json`` prints it.
    plan: Mapped[dict[str, Any]]
    knowledge_base_version: Mapped[str] = mapped_column(String(32))
    knowledge_base_hash: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))


class Appointment(Base):
    """A booked session; charting it completes it."""

    __tablename__ = "appointment"
    __table_args__ = (
        CheckConstraint(_one_of("status", APPOINTMENT_STATUSES), name="status"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        Index(None, "patient_id", "starts_at"),
        Index(None, "clinic_id", "starts_at"),
        Index(None, "clinic_id", "calendar_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_plan.id"))
    practitioner_id: Mapped[int | None] = _staff_fk(nullable=True)
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    created_by: Mapped[int] = _staff_fk()
    status_changed_at: Mapped[datetime]
    #: Why staff cancelled it (``NULL`` unless cancelled through a form that asks).
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    #: The clinic's ``calendar_version`` when this row (or its booking) last changed (triggers).
    calendar_version: Mapped[int] = mapped_column(
        BigInteger, server_default="0", info={"derived": True}
    )


class Device(Base):
    __tablename__ = "device"
    __table_args__ = (
        CheckConstraint(_one_of("kind", DEVICE_KINDS), name="kind"),
        UniqueConstraint("clinic_id", "serial_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    kind: Mapped[str] = mapped_column(String(20))
    manufacturer: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    serial_number: Mapped[str] = mapped_column(String(100))
    in_service: Mapped[bool] = mapped_column(Boolean)
    registered_at: Mapped[datetime]
    #: The device's settings (policy A.3 "Device profiles"): the lowest and highest needle depth
    #: it can be set to and its step, in mm. Devices registered before these columns existed
    #: take the shipped default pen (0.25 to 2.5 mm in 0.25 mm steps).
    lowest_mm: Mapped[float] = mapped_column(Float, server_default="0.25")
    highest_mm: Mapped[float] = mapped_column(Float, server_default="2.5")
    step_mm: Mapped[float] = mapped_column(Float, server_default="0.25")


class CartridgeLot(Base):
    __tablename__ = "cartridge_lot"
    __table_args__ = (
        UniqueConstraint("clinic_id", "lot_number"),
        CheckConstraint("quantity_received >= 0", name="quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    manufacturer: Mapped[str] = mapped_column(String(100))
    product: Mapped[str] = mapped_column(String(100))
    lot_number: Mapped[str] = mapped_column(String(64))
    needle_count: Mapped[int | None]
    expires_on: Mapped[date]
    received_on: Mapped[date]
    quantity_received: Mapped[int]
    recalled_at: Mapped[datetime | None]
    recall_reason: Mapped[str | None] = mapped_column(Text)
    recalled_by: Mapped[int | None] = _staff_fk(nullable=True)


class SessionChart(Base):
    """What was done in one session, signed by the practitioner. Locked once written.

    ``version`` 1 is the original; each amendment is a new row with the next version, the reason,
    and ``amends_id`` pointing at the version it corrects. ``(appointment_id, version)`` is unique,
    so two people charting (or amending) the same session at once cannot both succeed.
    """

    __tablename__ = "session_chart"
    __table_args__ = (
        UniqueConstraint("appointment_id", "version"),
        CheckConstraint(
            "(version = 1 AND amends_id IS NULL AND amendment_reason IS NULL) OR "
            "(version > 1 AND amends_id IS NOT NULL AND amendment_reason IS NOT NULL)",
            name="amendment",
        ),
        CheckConstraint("needle_count > 0", name="needle_count"),
        CheckConstraint("duration_minutes > 0", name="duration"),
        Index(None, "cartridge_lot_id"),
        Index(None, "patient_id"),
        Index(None, "amends_id"),
        Index(None, "clinic_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"))
    version: Mapped[int]
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("session_chart.id"))
    amendment_reason: Mapped[str | None] = mapped_column(Text)
    performed_on: Mapped[date]
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    cartridge_lot_id: Mapped[int] = mapped_column(ForeignKey("cartridge_lot.id"))
    needle_count: Mapped[int]
    anaesthetic: Mapped[str | None]
    clinical_endpoint: Mapped[str]
    duration_minutes: Mapped[int]
    practitioner_id: Mapped[int] = _staff_fk()
    notes: Mapped[str | None] = mapped_column(Text)
    signed_by: Mapped[int] = _staff_fk()
    signed_at: Mapped[datetime]
    #: Policy version 2 (A.6); ``NULL`` on charts written before it.
    glide_medium: Mapped[str | None] = mapped_column(Text)
    numbed_area_cm2: Mapped[float | None] = mapped_column(Float)

    zones: Mapped[list[ChartZone]] = relationship(
        order_by="ChartZone.position", lazy="raise_on_sql", viewonly=True
    )
    products: Mapped[list[ChartProduct]] = relationship(
        order_by="ChartProduct.position", lazy="raise_on_sql", viewonly=True
    )
    device: Mapped[Device] = relationship(lazy="raise_on_sql", viewonly=True)
    cartridge_lot: Mapped[CartridgeLot] = relationship(lazy="raise_on_sql", viewonly=True)


class ChartZone(Base):
    __tablename__ = "chart_zone"
    __table_args__ = (
        UniqueConstraint("chart_id", "zone"),
        CheckConstraint("depth_mm > 0 AND depth_mm <= 5", name="depth"),
        CheckConstraint("passes > 0", name="passes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    chart_id: Mapped[int] = mapped_column(ForeignKey("session_chart.id"))
    position: Mapped[int]
    zone: Mapped[str] = mapped_column(String(40))
    depth_mm: Mapped[float] = mapped_column(Float)
    passes: Mapped[int]
    #: The clinical endpoint reached (``even_erythema``, ``pinpoint_bleeding``, ``not_reached``);
    #: ``NULL`` on charts written before policy version 2 or where it was not recorded.
    endpoint: Mapped[str | None] = mapped_column(String(40))
    #: Why the zone or its depth is outside the plan (``NULL`` when it is inside).
    outside_plan: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)


class ChartProduct(Base):
    __tablename__ = "chart_product"
    __table_args__ = (
        CheckConstraint(_one_of("purpose", PRODUCT_PURPOSES), name="purpose"),
        Index(None, "chart_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    chart_id: Mapped[int] = mapped_column(ForeignKey("session_chart.id"))
    position: Mapped[int]
    product: Mapped[str]
    lot_number: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(20))


class AdverseEvent(Base):
    __tablename__ = "adverse_event"
    __table_args__ = (
        CheckConstraint(_one_of("kind", ADVERSE_EVENT_KINDS), name="kind"),
        CheckConstraint(_one_of("severity", SEVERITIES), name="severity"),
        CheckConstraint("resolved_on IS NULL OR resolved_on >= onset_on", name="resolution"),
        Index(None, "patient_id"),
        Index(None, "clinic_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    #: The session it followed.
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    kind: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(20))
    onset_on: Mapped[date]
    description: Mapped[str | None] = mapped_column(Text)
    resolved_on: Mapped[date | None]
    resolution: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[int] = _staff_fk()
    reported_at: Mapped[datetime]


class OutcomeAssessment(Base):
    __tablename__ = "outcome_assessment"
    __table_args__ = (Index(None, "patient_id"), Index(None, "clinic_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_plan.id"))
    scale: Mapped[str] = mapped_column(String(40))
    scale_version: Mapped[str] = mapped_column(String(300))
    inputs: Mapped[dict[str, Any]]
    #: The total, or each part's total for a scale with parts.
    score: Mapped[dict[str, Any]]
    band: Mapped[str | None] = mapped_column(String(64))
    rater_id: Mapped[int] = _staff_fk()
    assessed_on: Mapped[date]
    recorded_at: Mapped[datetime]
    knowledge_base_version: Mapped[str] = mapped_column(String(32))
    knowledge_base_hash: Mapped[str] = mapped_column(String(100))


class Photo(Base):
    __tablename__ = "photo"
    __table_args__ = (
        CheckConstraint(_one_of("view", PHOTO_VIEWS), name="view"),
        Index(None, "patient_id"),
        Index(None, "clinic_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    view: Mapped[str] = mapped_column(String(20))
    zone: Mapped[str | None] = mapped_column(String(40))
    taken_at: Mapped[datetime]
    #: SHA-256 of the file as received (before orientation and metadata stripping).
    original_sha256: Mapped[str] = mapped_column(String(64))
    #: SHA-256 of the stored file; its name under the photo folder.
    stored_sha256: Mapped[str] = mapped_column(String(64))
    stored_path: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int]
    height: Mapped[int]
    byte_size: Mapped[int]
    added_by: Mapped[int] = _staff_fk()
    added_at: Mapped[datetime]
    #: Set when staff choose the photo for marketing (needs the marketing-photo consent).
    marketing_selected_at: Mapped[datetime | None]


class AuditEntry(Base):
    """One entry of the hash-chained, append-only audit log (see store/audit.py)."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index(None, "clinic_id", "sequence"),
        Index(None, "patient_id"),
        # The owners' audit log: newest first, by person, by action, by date (migration 0008).
        Index(None, "clinic_id", "recorded_at", "sequence"),
        Index(None, "clinic_id", "actor_id", "recorded_at", "sequence"),
        Index(None, "clinic_id", "action", "recorded_at", "sequence"),
    )

    sequence: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime]
    clinic_id: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(64))
    patient_id: Mapped[int | None] = mapped_column(Integer)
    entity_type: Mapped[str | None] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    #: Canonical JSON (sorted keys, no spaces), hashed exactly as stored. Never patient identity.
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The entry's place in its clinic's own chain (1, 2, ...; NULL before migration 0012).
    clinic_sequence: Mapped[int | None] = mapped_column(Integer)
    #: HMAC-SHA256 of the entry's place and hash under the audit key, and that key's id (NULL
    #: when no key was configured); the key itself is never in the database (store/audit_keys.py).
    hmac: Mapped[str | None] = mapped_column(String(64))
    hmac_key: Mapped[str | None] = mapped_column(String(16))


class AuditChainHead(Base):
    """The one row that says where the audit chain ends; appenders lock it to take turns."""

    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    sequence: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
    #: The head authenticated under the audit key (moving it back needs the key).
    hmac: Mapped[str | None] = mapped_column(String(64))
    hmac_key: Mapped[str | None] = mapped_column(String(16))


class AuditClinicHead(Base):
    """Where one clinic's chain ends (``clinic_id`` 0: entries of no clinic), authenticated, so
    that deleting a clinic's last entries shows."""

    __tablename__ = "audit_clinic_head"

    clinic_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: The clinic's last entry: its place in the clinic's chain, its number, its hash.
    sequence: Mapped[int]
    entry: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
    hmac: Mapped[str | None] = mapped_column(String(64))
    hmac_key: Mapped[str | None] = mapped_column(String(16))

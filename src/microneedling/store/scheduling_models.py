"""The clinic calendar and booked series, as SQLAlchemy models on the records' ``Base``.

- ``clinic_calendar``: one row per clinic, its calendar settings as JSON (opening hours, closures
  and holidays, appointment lengths, slot grid), validated through
  :func:`microneedling.scheduling.clinic_calendar.parse_calendar` whenever it is written or read.
- ``practitioner_hours``: the weekly working hours of each staff member who treats patients.
- ``room``: treatment rooms; ``calendar_device``: which registered devices are booked with
  appointments, and where and by whom they may be used.
- ``resource_unavailability``: absences of practitioners, rooms and devices (whole days or an exact
  span of time), with the reason shown to staff.
- ``booked_series``: one row per plan series that has been booked (the request as it was then,
  the patient's preferences, the first allowed date); ``(plan_id, series_index)`` is unique, so a
  series is booked once even when two people book it at the same moment.
- ``appointment_booking``: what scheduling adds to an ``appointment`` (the table itself is not
  changed): its series and session number (both ``NULL`` for a one-off appointment, migration
  0007), room, device, when the patient leaves (``ends_at``), when the resources are free again
  (``free_at``, turnover included), and ``flag``: why the session lies outside its window, when
  it does.
- ``resource_slot``: the reservations that make double booking impossible in the database. An
  appointment takes one row per :data:`RESERVATION_STEP_MINUTES` step of UTC time from its start
  to its ``free_at`` for each of its practitioner, room and device; the primary key
  ``(clinic_id, resource_kind, resource_id, slot_start)`` refuses a second reservation of the same
  step, on SQLite and PostgreSQL alike, whatever the isolation level: of two transactions that try,
  one gets an integrity error (turned into :class:`~microneedling.errors.Conflict`).

Every table carries ``clinic_id``. Imported by ``microneedling.store`` so that the tables are on
``Base.metadata`` wherever the models are (migrations, backups, the unit of work).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from microneedling.store.models import Base

#: What a reservation reserves.
RESOURCE_KINDS = ("practitioner", "room", "device")
#: The step of the reservation grid, in minutes of UTC time. Every time zone's offset is a whole
#: multiple of it and so is every slot grid (5 to 60 minutes), so appointments that start on the
#: grid never share a step unless they overlap.
RESERVATION_STEP_MINUTES = 5


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


def _clinic_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("clinic.id"))


class ClinicCalendarSettings(Base):
    """The clinic's calendar settings: ``opening_hours``, ``closures``, ``lengths``,
    ``slot_minutes``, ``name`` (the shape ``parse_calendar`` reads, without the time zone, which is
    the clinic's, and without practitioners, rooms and devices, which have tables of their own)."""

    __tablename__ = "clinic_calendar"

    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), primary_key=True)
    settings: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
    updated_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))


class PractitionerHours(Base):
    """A staff member who treats patients, and their weekly working hours (local time), e.g.
    ``{"monday-thursday": "08:00-12:30, 13:00-16:30"}``."""

    __tablename__ = "practitioner_hours"
    __table_args__ = (Index(None, "clinic_id"),)

    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    working_hours: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
    updated_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))


class Room(Base):
    """A treatment room; ``code`` is how staff and files name it (``room-1``)."""

    __tablename__ = "room"
    __table_args__ = (UniqueConstraint("clinic_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]


class CalendarDevice(Base):
    """A registered device booked with appointments. ``rooms`` (room codes) and ``practitioners``
    (staff e-mails): where and by whom it may be used; ``None`` for anywhere, anyone."""

    __tablename__ = "calendar_device"
    __table_args__ = (Index(None, "clinic_id"),)

    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    rooms: Mapped[list[Any] | None]
    practitioners: Mapped[list[Any] | None]


class ResourceUnavailability(Base):
    """A practitioner's absence, or a room's or device's downtime: whole local days
    (``first_day`` to ``last_day``, both included) or an exact span (``starts_at`` to ``ends_at``,
    the end excluded)."""

    __tablename__ = "resource_unavailability"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN staff_user_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN room_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN device_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_resource",
        ),
        CheckConstraint(
            "(first_day IS NOT NULL AND last_day IS NOT NULL AND starts_at IS NULL "
            "AND ends_at IS NULL AND last_day >= first_day) OR "
            "(first_day IS NULL AND last_day IS NULL AND starts_at IS NOT NULL "
            "AND ends_at IS NOT NULL AND ends_at > starts_at)",
            name="period",
        ),
        Index(None, "clinic_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    first_day: Mapped[date | None]
    last_day: Mapped[date | None]
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    reason: Mapped[str]
    created_at: Mapped[datetime]
    created_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))


class BookedSeries(Base):
    """One series of a plan, booked: the series as the plan gave it, the patient's preferences
    (``{"weekdays": [...], "times": [...], "practitioner": e-mail}``) and the first allowed
    date (screening, surgery rule) at booking time. Re-proposals use these."""

    __tablename__ = "booked_series"
    __table_args__ = (
        UniqueConstraint("plan_id", "series_index"),
        CheckConstraint("sessions BETWEEN 1 AND 52", name="sessions"),
        CheckConstraint(
            "interval_min_weeks >= 1 AND interval_min_weeks <= interval_default_weeks "
            "AND interval_default_weeks <= interval_max_weeks",
            name="interval",
        ),
        Index(None, "patient_id"),
        Index(None, "clinic_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    plan_id: Mapped[int] = mapped_column(ForeignKey("treatment_plan.id"))
    series_index: Mapped[int]
    sessions: Mapped[int]
    interval_min_weeks: Mapped[int]
    interval_max_weeks: Mapped[int]
    interval_default_weeks: Mapped[int]
    zones: Mapped[list[Any]]
    anaesthetic: Mapped[bool] = mapped_column(Boolean)
    preferences: Mapped[dict[str, Any]]
    first_allowed: Mapped[date]
    created_at: Mapped[datetime]
    created_by: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))


class AppointmentBooking(Base):
    """What scheduling knows about an appointment it booked: a session of a booked series, or a
    one-off appointment (no series, no session). The practitioner is the appointment's own
    ``practitioner_id``; ``ends_at`` = start + the appointment's duration."""

    __tablename__ = "appointment_booking"
    __table_args__ = (
        CheckConstraint("session >= 1", name="session"),
        CheckConstraint("(series_id IS NULL) = (session IS NULL)", name="series_session"),
        CheckConstraint("free_at >= ends_at", name="free_after_end"),
        Index(None, "series_id", "session"),
        Index(None, "clinic_id"),
    )

    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), primary_key=True)
    clinic_id: Mapped[int] = _clinic_fk()
    # NULL for a one-off appointment (migration 0007). Typed as the sessions of a series read
    # them: the queries that hand bookings to series code (``booked_sessions``,
    # ``practitioner_sessions``) return sessions of a series only, and ``booking`` callers check.
    series_id: Mapped[int] = mapped_column(ForeignKey("booked_series.id"), nullable=True)
    session: Mapped[int] = mapped_column(nullable=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    ends_at: Mapped[datetime]
    free_at: Mapped[datetime]
    flag: Mapped[str | None] = mapped_column(Text)


class ResourceSlot(Base):
    """One step of a resource reserved by an appointment (see the module docstring)."""

    __tablename__ = "resource_slot"
    __table_args__ = (
        CheckConstraint(_one_of("resource_kind", RESOURCE_KINDS), name="resource_kind"),
        Index(None, "appointment_id"),
    )

    clinic_id: Mapped[int] = mapped_column(
        ForeignKey("clinic.id"), primary_key=True, autoincrement=False
    )
    resource_kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    resource_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    slot_start: Mapped[datetime] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"))

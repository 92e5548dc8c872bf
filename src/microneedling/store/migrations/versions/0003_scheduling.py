"""Scheduling: the clinic calendar (settings, practitioners' hours, rooms, devices, absences),
booked series, what scheduling adds to an appointment, and the resource reservations whose
primary key makes double booking impossible (store/scheduling_models.py).

Only new tables (the ``appointment`` table is not changed): nothing to copy, so SQLite needs no
batch operations here.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
MOMENT = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "clinic_calendar",
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("settings", JSON_DOCUMENT, nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=False),
        _fk("clinic_calendar", "clinic_id", "clinic"),
        _fk("clinic_calendar", "updated_by", "staff_user"),
        sa.PrimaryKeyConstraint("clinic_id", name=op.f("pk_clinic_calendar")),
    )
    op.create_table(
        "practitioner_hours",
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("working_hours", JSON_DOCUMENT, nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=False),
        _fk("practitioner_hours", "clinic_id", "clinic"),
        _fk("practitioner_hours", "staff_user_id", "staff_user"),
        _fk("practitioner_hours", "updated_by", "staff_user"),
        sa.PrimaryKeyConstraint("staff_user_id", name=op.f("pk_practitioner_hours")),
    )
    op.create_index(op.f("ix_practitioner_hours_clinic_id"), "practitioner_hours", ["clinic_id"])
    op.create_table(
        "room",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        _fk("room", "clinic_id", "clinic"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room")),
        sa.UniqueConstraint("clinic_id", "code", name=op.f("uq_room_clinic_id_code")),
    )
    op.create_table(
        "calendar_device",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("rooms", JSON_DOCUMENT, nullable=True),
        sa.Column("practitioners", JSON_DOCUMENT, nullable=True),
        _fk("calendar_device", "clinic_id", "clinic"),
        _fk("calendar_device", "device_id", "device"),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_calendar_device")),
    )
    op.create_index(op.f("ix_calendar_device_clinic_id"), "calendar_device", ["clinic_id"])
    op.create_table(
        "resource_unavailability",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=True),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("starts_at", MOMENT, nullable=True),
        sa.Column("ends_at", MOMENT, nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(CASE WHEN staff_user_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN room_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN device_id IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_resource_unavailability_one_resource"),
        ),
        sa.CheckConstraint(
            "(first_day IS NOT NULL AND last_day IS NOT NULL AND starts_at IS NULL "
            "AND ends_at IS NULL AND last_day >= first_day) OR "
            "(first_day IS NULL AND last_day IS NULL AND starts_at IS NOT NULL "
            "AND ends_at IS NOT NULL AND ends_at > starts_at)",
            name=op.f("ck_resource_unavailability_period"),
        ),
        _fk("resource_unavailability", "clinic_id", "clinic"),
        _fk("resource_unavailability", "created_by", "staff_user"),
        _fk("resource_unavailability", "device_id", "device"),
        _fk("resource_unavailability", "room_id", "room"),
        _fk("resource_unavailability", "staff_user_id", "staff_user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_unavailability")),
    )
    op.create_index(
        op.f("ix_resource_unavailability_clinic_id"), "resource_unavailability", ["clinic_id"]
    )
    op.create_table(
        "booked_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("series_index", sa.Integer(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("interval_min_weeks", sa.Integer(), nullable=False),
        sa.Column("interval_max_weeks", sa.Integer(), nullable=False),
        sa.Column("interval_default_weeks", sa.Integer(), nullable=False),
        sa.Column("zones", JSON_DOCUMENT, nullable=False),
        sa.Column("anaesthetic", sa.Boolean(), nullable=False),
        sa.Column("preferences", JSON_DOCUMENT, nullable=False),
        sa.Column("first_allowed", sa.Date(), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.CheckConstraint("sessions BETWEEN 1 AND 52", name=op.f("ck_booked_series_sessions")),
        sa.CheckConstraint(
            "interval_min_weeks >= 1 AND interval_min_weeks <= interval_default_weeks "
            "AND interval_default_weeks <= interval_max_weeks",
            name=op.f("ck_booked_series_interval"),
        ),
        _fk("booked_series", "clinic_id", "clinic"),
        _fk("booked_series", "created_by", "staff_user"),
        _fk("booked_series", "patient_id", "patient"),
        _fk("booked_series", "plan_id", "treatment_plan"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booked_series")),
        sa.UniqueConstraint(
            "plan_id", "series_index", name=op.f("uq_booked_series_plan_id_series_index")
        ),
    )
    op.create_index(op.f("ix_booked_series_clinic_id"), "booked_series", ["clinic_id"])
    op.create_index(op.f("ix_booked_series_patient_id"), "booked_series", ["patient_id"])
    op.create_table(
        "appointment_booking",
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("session", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("ends_at", MOMENT, nullable=False),
        sa.Column("free_at", MOMENT, nullable=False),
        sa.Column("flag", sa.Text(), nullable=True),
        sa.CheckConstraint("session >= 1", name=op.f("ck_appointment_booking_session")),
        sa.CheckConstraint(
            "free_at >= ends_at", name=op.f("ck_appointment_booking_free_after_end")
        ),
        _fk("appointment_booking", "appointment_id", "appointment"),
        _fk("appointment_booking", "clinic_id", "clinic"),
        _fk("appointment_booking", "device_id", "device"),
        _fk("appointment_booking", "room_id", "room"),
        _fk("appointment_booking", "series_id", "booked_series"),
        sa.PrimaryKeyConstraint("appointment_id", name=op.f("pk_appointment_booking")),
    )
    op.create_index(op.f("ix_appointment_booking_clinic_id"), "appointment_booking", ["clinic_id"])
    op.create_index(
        op.f("ix_appointment_booking_series_id_session"),
        "appointment_booking",
        ["series_id", "session"],
    )
    op.create_table(
        "resource_slot",
        sa.Column("clinic_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("resource_kind", sa.String(length=12), nullable=False),
        sa.Column("resource_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("slot_start", MOMENT, nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "resource_kind IN ('practitioner', 'room', 'device')",
            name=op.f("ck_resource_slot_resource_kind"),
        ),
        _fk("resource_slot", "appointment_id", "appointment"),
        _fk("resource_slot", "clinic_id", "clinic"),
        sa.PrimaryKeyConstraint(
            "clinic_id",
            "resource_kind",
            "resource_id",
            "slot_start",
            name=op.f("pk_resource_slot"),
        ),
    )
    op.create_index(op.f("ix_resource_slot_appointment_id"), "resource_slot", ["appointment_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_resource_slot_appointment_id"), table_name="resource_slot")
    op.drop_table("resource_slot")
    op.drop_index(
        op.f("ix_appointment_booking_series_id_session"), table_name="appointment_booking"
    )
    op.drop_index(op.f("ix_appointment_booking_clinic_id"), table_name="appointment_booking")
    op.drop_table("appointment_booking")
    op.drop_index(op.f("ix_booked_series_patient_id"), table_name="booked_series")
    op.drop_index(op.f("ix_booked_series_clinic_id"), table_name="booked_series")
    op.drop_table("booked_series")
    op.drop_index(
        op.f("ix_resource_unavailability_clinic_id"), table_name="resource_unavailability"
    )
    op.drop_table("resource_unavailability")
    op.drop_index(op.f("ix_calendar_device_clinic_id"), table_name="calendar_device")
    op.drop_table("calendar_device")
    op.drop_table("room")
    op.drop_index(op.f("ix_practitioner_hours_clinic_id"), table_name="practitioner_hours")
    op.drop_table("practitioner_hours")
    op.drop_table("clinic_calendar")

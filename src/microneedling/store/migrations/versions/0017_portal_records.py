"""Patient portal: e-signatures, reaction reports and their photos, home sessions
(store/portal_records_models.py).

Only new tables (nothing existing changes): nothing to copy, so SQLite needs no batch operations.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import SchemaItem

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
MOMENT = sa.DateTime(timezone=True)


def _clinic_and_patient(table: str) -> list[SchemaItem]:
    return [
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f(f"fk_{table}_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f(f"fk_{table}_patient_id_patient")
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "portal_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("form_version", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("signed_name", sa.String(length=200), nullable=False),
        sa.Column("signed_at", MOMENT, nullable=False),
        sa.Column("signed_ip", sa.String(length=64), nullable=True),
        sa.Column("signed_user_agent", sa.String(length=500), nullable=True),
        sa.Column("withdrawn_at", MOMENT, nullable=True),
        sa.Column("withdrawn_ip", sa.String(length=64), nullable=True),
        sa.Column("withdrawn_user_agent", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "kind IN ('treatment', 'clinical_photos', 'marketing_photos')",
            name=op.f("ck_portal_signature_kind"),
        ),
        *_clinic_and_patient("portal_signature"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_signature")),
    )
    op.create_index(
        op.f("ix_portal_signature_clinic_id_patient_id_kind"),
        "portal_signature",
        ["clinic_id", "patient_id", "kind"],
    )
    op.create_table(
        "reaction_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("reported_at", MOMENT, nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("symptoms", JSON_DOCUMENT, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", MOMENT, nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("adverse_event_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('new', 'confirmed', 'closed')", name=op.f("ck_reaction_report_status")
        ),
        *_clinic_and_patient("reaction_report"),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_reaction_report_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"],
            ["staff_user.id"],
            name=op.f("fk_reaction_report_reviewed_by_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["adverse_event_id"],
            ["adverse_event.id"],
            name=op.f("fk_reaction_report_adverse_event_id_adverse_event"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reaction_report")),
    )
    op.create_index(
        op.f("ix_reaction_report_clinic_id_status_reported_at"),
        "reaction_report",
        ["clinic_id", "status", "reported_at"],
    )
    op.create_index(
        op.f("ix_reaction_report_clinic_id_patient_id"),
        "reaction_report",
        ["clinic_id", "patient_id"],
    )
    op.create_table(
        "reaction_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("original_sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_path", sa.String(length=300), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_reaction_photo_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reaction_report.id"],
            name=op.f("fk_reaction_photo_report_id_reaction_report"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reaction_photo")),
    )
    op.create_index(
        op.f("ix_reaction_photo_clinic_id_report_id"), "reaction_photo", ["clinic_id", "report_id"]
    )
    op.create_table(
        "home_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("depth_mm", sa.Float(), nullable=False),
        sa.Column("zones", JSON_DOCUMENT, nullable=False),
        sa.Column("roller_cleaned", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("logged_at", MOMENT, nullable=False),
        sa.CheckConstraint("depth_mm > 0 AND depth_mm <= 5", name=op.f("ck_home_session_depth")),
        *_clinic_and_patient("home_session"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_home_session")),
    )
    op.create_index(
        op.f("ix_home_session_clinic_id_patient_id_done_on"),
        "home_session",
        ["clinic_id", "patient_id", "done_on"],
    )


def downgrade() -> None:
    op.drop_table("home_session")
    op.drop_table("reaction_photo")
    op.drop_table("reaction_report")
    op.drop_table("portal_signature")

"""Messages to patients: the outbox and each patient's messaging preferences
(store/message_models.py).

Only new tables (nothing existing changes): nothing to copy, so SQLite needs no batch operations.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("appointment_starts_at", MOMENT, nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("body_text", sa.Text(), nullable=True),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("send_after", MOMENT, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", MOMENT, nullable=False),
        sa.Column("lease_until", MOMENT, nullable=True),
        sa.Column("provider_id", sa.String(length=200), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("status_changed_at", MOMENT, nullable=False),
        sa.Column("sent_at", MOMENT, nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outbox_message_attempts")),
        sa.CheckConstraint(
            "category IN ('reminders', 'aftercare', 'recalls', 'marketing')",
            name=op.f("ck_outbox_message_category"),
        ),
        sa.CheckConstraint("channel IN ('email', 'sms')", name=op.f("ck_outbox_message_channel")),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed', 'withdrawn')",
            name=op.f("ck_outbox_message_status"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_outbox_message_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_outbox_message_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_outbox_message_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
    )
    op.create_index(
        op.f("ix_outbox_message_status_next_attempt_at"),
        "outbox_message",
        ["status", "next_attempt_at"],
    )
    op.create_index(
        op.f("ix_outbox_message_clinic_id_status_next_attempt_at"),
        "outbox_message",
        ["clinic_id", "status", "next_attempt_at"],
    )
    op.create_index(
        op.f("ix_outbox_message_patient_id_created_at"),
        "outbox_message",
        ["patient_id", "created_at"],
    )
    op.create_index(
        op.f("ix_outbox_message_appointment_id_status"),
        "outbox_message",
        ["appointment_id", "status"],
    )
    op.create_table(
        "message_preference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("sms", sa.Boolean(), nullable=False),
        sa.Column("reminders", sa.Boolean(), nullable=False),
        sa.Column("aftercare", sa.Boolean(), nullable=False),
        sa.Column("recalls", sa.Boolean(), nullable=False),
        sa.Column("marketing", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", MOMENT, nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "source IN ('staff', 'patient', 'unsubscribe_link', 'sms_stop', 'sms_start')",
            name=op.f("ck_message_preference_source"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_message_preference_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_message_preference_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["staff_user.id"],
            name=op.f("fk_message_preference_recorded_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_preference")),
    )
    op.create_index(
        op.f("ix_message_preference_patient_id_id"), "message_preference", ["patient_id", "id"]
    )
    op.create_index(op.f("ix_message_preference_clinic_id"), "message_preference", ["clinic_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_message_preference_clinic_id"), table_name="message_preference")
    op.drop_index(op.f("ix_message_preference_patient_id_id"), table_name="message_preference")
    op.drop_table("message_preference")
    for name in (
        "ix_outbox_message_appointment_id_status",
        "ix_outbox_message_patient_id_created_at",
        "ix_outbox_message_clinic_id_status_next_attempt_at",
        "ix_outbox_message_status_next_attempt_at",
    ):
        op.drop_index(op.f(name), table_name="outbox_message")
    op.drop_table("outbox_message")

"""Billing: late-cancellation and no-show fees; the reports' indexes.

- ``billing_settings.fees`` (the clinic's fee rules, JSON, NULL for none);
- ``appointment_fee`` (one fee per appointment, on its own invoice);
- four indexes the reports' query plans use (docs/reports.md).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

INDEXES = (
    ("ix_report_appointment_clinic_status_starts", "appointment",
     ["clinic_id", "status", "starts_at"]),
    ("ix_report_session_chart_clinic_performed", "session_chart", ["clinic_id", "performed_on"]),
    ("ix_report_adverse_event_appointment", "adverse_event", ["appointment_id"]),
    ("ix_report_outcome_clinic_plan_assessed", "outcome_assessment",
     ["clinic_id", "plan_id", "assessed_on"]),
)  # fmt: skip


def upgrade() -> None:
    op.add_column("billing_settings", sa.Column("fees", JSON_DOCUMENT, nullable=True))
    op.create_table(
        "appointment_fee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "kind IN ('late_cancellation', 'no_show')", name=op.f("ck_appointment_fee_kind")
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_appointment_fee_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_appointment_fee_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_appointment_fee_invoice_id_invoice")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_fee")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_appointment_fee_appointment_id")),
    )
    op.create_index(
        op.f("ix_appointment_fee_clinic_id"), "appointment_fee", ["clinic_id"], unique=False
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_index(op.f("ix_appointment_fee_clinic_id"), table_name="appointment_fee")
    op.drop_table("appointment_fee")
    with op.batch_alter_table("billing_settings") as batch:
        batch.drop_column("fees")

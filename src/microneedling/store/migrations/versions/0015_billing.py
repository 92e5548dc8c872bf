"""Packages, invoices, payments and gift cards (store/billing_models.py).

Only new tables (nothing existing changes): nothing to copy, so SQLite needs no batch operations.
Money columns are whole minor units (``BigInteger``), exact on both backends.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "invoice_counter",
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("next_number", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_invoice_counter_clinic_id_clinic")
        ),
        sa.PrimaryKeyConstraint("clinic_id", name=op.f("pk_invoice_counter")),
    )
    op.create_table(
        "billing_settings",
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("prices_include_tax", sa.Boolean(), nullable=False),
        sa.Column("tax_rates", JSON_DOCUMENT, nullable=False),
        sa.Column("treatment_tax", sa.String(length=32), nullable=False),
        sa.Column("tax_id", sa.String(length=64), nullable=True),
        sa.Column("invoice_address", sa.String(length=300), nullable=True),
        sa.Column("invoice_prefix", sa.String(length=20), nullable=False),
        sa.Column("package_valid_months", sa.Integer(), nullable=True),
        sa.Column("catalogue", JSON_DOCUMENT, nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_billing_settings_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["staff_user.id"],
            name=op.f("fk_billing_settings_updated_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("clinic_id", name=op.f("pk_billing_settings")),
    )
    op.create_table(
        "gift_card",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("initial_minor", sa.BigInteger(), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.Column("issued_at", MOMENT, nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=False),
        sa.CheckConstraint("balance_minor >= 0", name=op.f("ck_gift_card_balance_not_negative")),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_gift_card_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["staff_user.id"], name=op.f("fk_gift_card_issued_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gift_card")),
        sa.UniqueConstraint("clinic_id", "code", name=op.f("uq_gift_card_clinic_id_code")),
    )
    op.create_table(
        "invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("display_number", sa.String(length=40), nullable=False),
        sa.Column("credits_invoice_id", sa.Integer(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_at", MOMENT, nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("seller", JSON_DOCUMENT, nullable=False),
        sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name=op.f("ck_invoice_kind")),
        sa.CheckConstraint("number > 0", name=op.f("ck_invoice_number_positive")),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_invoice_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["credits_invoice_id"],
            ["invoice.id"],
            name=op.f("fk_invoice_credits_invoice_id_invoice"),
        ),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["staff_user.id"], name=op.f("fk_invoice_issued_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_invoice_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice")),
        sa.UniqueConstraint("clinic_id", "number", name=op.f("uq_invoice_clinic_id_number")),
    )
    op.create_index(
        op.f("ix_invoice_clinic_id_issued_on"), "invoice", ["clinic_id", "issued_on"], unique=False
    )
    op.create_index(op.f("ix_invoice_patient_id"), "invoice", ["patient_id"], unique=False)
    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("gift_card_id", sa.Integer(), nullable=True),
        sa.Column("received_at", MOMENT, nullable=False),
        sa.Column("received_by", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "method IN ('cash', 'card', 'bank_transfer', 'gift_card')",
            name=op.f("ck_payment_method"),
        ),
        sa.CheckConstraint("amount_minor <> 0", name=op.f("ck_payment_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_payment_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["gift_card_id"], ["gift_card.id"], name=op.f("fk_payment_gift_card_id_gift_card")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_payment_invoice_id_invoice")
        ),
        sa.ForeignKeyConstraint(
            ["received_by"], ["staff_user.id"], name=op.f("fk_payment_received_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
    )
    op.create_index(
        op.f("ix_payment_clinic_id_received_at"),
        "payment",
        ["clinic_id", "received_at"],
        unique=False,
    )
    op.create_index(op.f("ix_payment_invoice_id"), "payment", ["invoice_id"], unique=False)
    op.create_table(
        "package",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("series_index", sa.Integer(), nullable=True),
        sa.Column("catalogue_code", sa.String(length=64), nullable=True),
        sa.Column("terms", JSON_DOCUMENT, nullable=False),
        sa.Column("price_list_sha256", sa.String(length=64), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("sold_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('active', 'refunded')", name=op.f("ck_package_status")),
        sa.CheckConstraint("sessions > 0", name=op.f("ck_package_sessions_positive")),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_package_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff_user.id"], name=op.f("fk_package_created_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_package_invoice_id_invoice")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_package_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["treatment_plan.id"], name=op.f("fk_package_plan_id_treatment_plan")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package")),
    )
    op.create_index(
        op.f("ix_package_clinic_id_status"), "package", ["clinic_id", "status"], unique=False
    )
    op.create_index(op.f("ix_package_patient_id"), "package", ["patient_id"], unique=False)
    op.create_table(
        "invoice_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("tax_code", sa.String(length=32), nullable=False),
        sa.Column("tax_percent", sa.String(length=10), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=True),
        sa.Column("gift_card_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_invoice_line_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["gift_card_id"], ["gift_card.id"], name=op.f("fk_invoice_line_gift_card_id_gift_card")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_invoice_line_invoice_id_invoice")
        ),
        sa.ForeignKeyConstraint(
            ["package_id"], ["package.id"], name=op.f("fk_invoice_line_package_id_package")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_line")),
        sa.UniqueConstraint(
            "invoice_id", "position", name=op.f("uq_invoice_line_invoice_id_position")
        ),
    )
    op.create_index(op.f("ix_invoice_line_clinic_id"), "invoice_line", ["clinic_id"], unique=False)
    op.create_table(
        "package_redemption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("session_number", sa.Integer(), nullable=False),
        sa.Column("redeemed_at", MOMENT, nullable=False),
        sa.Column("redeemed_by", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "session_number > 0", name=op.f("ck_package_redemption_session_number_positive")
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_package_redemption_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_package_redemption_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["package_id"], ["package.id"], name=op.f("fk_package_redemption_package_id_package")
        ),
        sa.ForeignKeyConstraint(
            ["redeemed_by"],
            ["staff_user.id"],
            name=op.f("fk_package_redemption_redeemed_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_redemption")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_package_redemption_appointment_id")),
        sa.UniqueConstraint(
            "package_id",
            "session_number",
            name=op.f("uq_package_redemption_package_id_session_number"),
        ),
    )
    op.create_index(
        op.f("ix_package_redemption_clinic_id"), "package_redemption", ["clinic_id"], unique=False
    )


def downgrade() -> None:
    # Indexes go with their tables.
    op.drop_table("package_redemption")
    op.drop_table("invoice_line")
    op.drop_table("package")
    op.drop_table("payment")
    op.drop_table("invoice")
    op.drop_table("gift_card")
    op.drop_table("billing_settings")
    op.drop_table("invoice_counter")

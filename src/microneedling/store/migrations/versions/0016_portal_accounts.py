"""Patient portal: accounts, one-time codes, sessions, submitted intakes, consultation requests
(store/portal_models.py).

Only new tables (nothing existing changes): nothing to copy, so SQLite needs no batch operations.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOMENT = sa.DateTime(timezone=True)
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "portal_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("invited_at", MOMENT, nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=True),
        sa.Column("activated_at", MOMENT, nullable=True),
        sa.Column("closed_at", MOMENT, nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_portal_account_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"], ["staff_user.id"], name=op.f("fk_portal_account_invited_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_portal_account_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_account")),
        sa.UniqueConstraint("patient_id", name=op.f("uq_portal_account_patient_id")),
    )
    op.create_index(op.f("ix_portal_account_clinic_id"), "portal_account", ["clinic_id"])
    op.create_table(
        "portal_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("code_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("expires_at", MOMENT, nullable=False),
        sa.Column("used_at", MOMENT, nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_portal_code_attempts")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["portal_account.id"],
            name=op.f("fk_portal_code_account_id_portal_account"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_portal_code_clinic_id_clinic")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_code")),
    )
    op.create_index(
        op.f("ix_portal_code_account_id_created_at"), "portal_code", ["account_id", "created_at"]
    )
    op.create_table(
        "portal_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", MOMENT, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("address_sha256", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "kind IN ('code_sent', 'code_wrong')", name=op.f("ck_portal_attempt_kind")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["portal_account.id"],
            name=op.f("fk_portal_attempt_account_id_portal_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_attempt")),
    )
    op.create_index(op.f("ix_portal_attempt_account_id_at"), "portal_attempt", ["account_id", "at"])
    op.create_index(
        op.f("ix_portal_attempt_address_sha256_at"), "portal_attempt", ["address_sha256", "at"]
    )
    op.create_index(op.f("ix_portal_attempt_client_at"), "portal_attempt", ["client", "at"])
    op.create_table(
        "portal_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("last_seen_at", MOMENT, nullable=False),
        sa.Column("ended_at", MOMENT, nullable=True),
        sa.Column("ended_reason", sa.String(length=20), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["portal_account.id"],
            name=op.f("fk_portal_session_account_id_portal_account"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_portal_session_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_portal_session_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_session")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_portal_session_token_sha256")),
    )
    op.create_index(op.f("ix_portal_session_account_id"), "portal_session", ["account_id"])
    op.create_table(
        "portal_intake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("answers", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.Column("submitted_at", MOMENT, nullable=True),
        sa.Column("screening", JSON_DOCUMENT, nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("earliest_date", sa.Date(), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", MOMENT, nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("intake_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'confirmed')", name=op.f("ck_portal_intake_status")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["portal_account.id"],
            name=op.f("fk_portal_intake_account_id_portal_account"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_portal_intake_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["intake_id"], ["intake.id"], name=op.f("fk_portal_intake_intake_id_intake")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_portal_intake_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["staff_user.id"], name=op.f("fk_portal_intake_reviewed_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_intake")),
    )
    op.create_index(
        op.f("ix_portal_intake_clinic_id_status_submitted_at"),
        "portal_intake",
        ["clinic_id", "status", "submitted_at"],
    )
    op.create_index(op.f("ix_portal_intake_patient_id_id"), "portal_intake", ["patient_id", "id"])
    op.create_table(
        "consultation_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("handled_by", sa.Integer(), nullable=True),
        sa.Column("handled_at", MOMENT, nullable=True),
        sa.CheckConstraint(
            "status IN ('new', 'handled')", name=op.f("ck_consultation_request_status")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_consultation_request_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["handled_by"],
            ["staff_user.id"],
            name=op.f("fk_consultation_request_handled_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_request")),
    )
    op.create_index(
        op.f("ix_consultation_request_client_created_at"),
        "consultation_request",
        ["client", "created_at"],
    )
    op.create_index(
        op.f("ix_consultation_request_clinic_id_status_created_at"),
        "consultation_request",
        ["clinic_id", "status", "created_at"],
    )


def downgrade() -> None:
    op.drop_table("consultation_request")
    op.drop_table("portal_intake")
    op.drop_table("portal_session")
    op.drop_table("portal_attempt")
    op.drop_table("portal_code")
    op.drop_table("portal_account")

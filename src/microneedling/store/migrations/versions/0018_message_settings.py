"""Messages: clinic templates, timings and quiet hours; delivery reports; urgent messages.

- ``message_setting`` (one row per clinic: quiet hours and the timings of scheduled kinds) and
  ``message_template`` (a clinic's own wording of a kind) are new tables.
- ``outbox_message`` gains ``delivery_status`` and ``delivery_changed_at`` (the SMS provider's
  delivery reports), the ``account`` category (urgent messages: sign-in codes, invitations) and
  a nullable ``patient_id`` (an invitation to someone who is not a patient). SQLite cannot alter
  a column or a CHECK constraint in place: the table is rebuilt in batch mode there.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
MOMENT = sa.DateTime(timezone=True)
_CATEGORY = "ck_outbox_message_category"
_OLD = "category IN ('reminders', 'aftercare', 'recalls', 'marketing')"
_NEW = "category IN ('reminders', 'aftercare', 'recalls', 'marketing', 'account')"


def _outbox(*, new: bool) -> None:
    recreate: Literal["always", "auto"] = (
        "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    )
    with op.batch_alter_table("outbox_message", recreate=recreate) as batch:
        batch.alter_column("patient_id", existing_type=sa.Integer(), nullable=new)
        batch.drop_constraint(op.f(_CATEGORY), type_="check")
        batch.create_check_constraint(op.f(_CATEGORY), sa.text(_NEW if new else _OLD))


def upgrade() -> None:
    op.add_column("outbox_message", sa.Column("delivery_status", sa.String(20), nullable=True))
    op.add_column("outbox_message", sa.Column("delivery_changed_at", MOMENT, nullable=True))
    _outbox(new=True)
    op.create_index(op.f("ix_outbox_message_provider_id"), "outbox_message", ["provider_id"])
    op.create_table(
        "message_setting",
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("quiet_hours", sa.String(length=20), nullable=False),
        sa.Column("timings", JSON_DOCUMENT, nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_message_setting_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["staff_user.id"],
            name=op.f("fk_message_setting_updated_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("clinic_id", name=op.f("pk_message_setting")),
    )
    op.create_table(
        "message_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_message_template_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["staff_user.id"],
            name=op.f("fk_message_template_updated_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_template")),
        sa.UniqueConstraint("clinic_id", "kind", name=op.f("uq_message_template_clinic_id_kind")),
    )


def downgrade() -> None:
    op.drop_table("message_template")
    op.drop_table("message_setting")
    op.drop_index(op.f("ix_outbox_message_provider_id"), table_name="outbox_message")
    op.execute("DELETE FROM outbox_message WHERE category = 'account' OR patient_id IS NULL")
    _outbox(new=False)
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("delivery_changed_at")
        batch.drop_column("delivery_status")

"""Web sessions kept in the database, and passwords that must be changed.

- ``web_session``: one signed-in browser. The cookie carries only an opaque random id; the row
  keeps its SHA-256 (``token_sha256``), the account and clinic, the session's CSRF token, when it
  was created and last seen, when it ended and why (signed out, idle, too old, account closed,
  password changed, ended by an owner), and the browser's user agent and address (what an owner
  sees of a staff member's sessions). Every request reads the row, so ending it ends the session
  on every server at once.
- ``staff_user.password_must_change``: set when an owner resets a password (the one-time password
  they were shown); until the staff member has chosen their own, they can do nothing else.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(length=20), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_web_session_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_user.id"],
            name=op.f("fk_web_session_staff_user_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_web_session_token_sha256")),
    )
    op.create_index(
        op.f("ix_web_session_staff_user_id_ended_at"),
        "web_session",
        ["staff_user_id", "ended_at"],
    )
    op.add_column(
        "staff_user",
        sa.Column("password_must_change", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_web_session_staff_user_id_ended_at"), table_name="web_session")
    op.drop_table("web_session")
    # Dropped in place (SQLite 3.35+ too): rebuilding staff_user would trip the foreign keys of
    # every table that names a staff member.
    op.drop_column("staff_user", "password_must_change")

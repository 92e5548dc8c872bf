"""The text a consent was signed on, and why an appointment was cancelled.

- ``consent.text``: the consent text itself as the patient read it (its SHA-256 and form version
  were already kept), so anyone can later read what was signed. Rows signed before this revision
  keep only their hash (``NULL`` text).
- ``appointment.cancellation_reason``: the reason staff gave when cancelling a session.

Only new nullable columns: added in place on both databases.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("consent", sa.Column("text", sa.Text(), nullable=True))
    op.add_column("appointment", sa.Column("cancellation_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    # Dropped in place (SQLite 3.35+, PostgreSQL): a batch copy of ``appointment`` would trip
    # the calendar triggers of 0004 and the foreign keys that refer to it.
    op.execute("ALTER TABLE appointment DROP COLUMN cancellation_reason")
    op.execute("ALTER TABLE consent DROP COLUMN text")

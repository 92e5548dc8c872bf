"""Clinical policy version 2: what a chart records (A.6) and what a device can be set to (A.3).

- ``device.lowest_mm``, ``highest_mm``, ``step_mm``: the device's settings. Devices registered
  before this revision take the shipped default pen (0.25 to 2.5 mm in 0.25 mm steps).
- ``session_chart.glide_medium`` and ``numbed_area_cm2``: the glide medium used and the area
  numbed, per session.
- ``chart_zone.endpoint``: the clinical endpoint reached in the zone; ``outside_plan`` and
  ``reason``: why the zone or its depth is outside the plan, and the clinician's reason.

Charts written before this revision keep ``NULL`` in the new chart columns (and still display).
Only new columns (nullable, or with a server default): added in place on both databases, which
leaves the append-only triggers of 0001 on the chart tables untouched.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "device", sa.Column("lowest_mm", sa.Float(), server_default="0.25", nullable=False)
    )
    op.add_column(
        "device", sa.Column("highest_mm", sa.Float(), server_default="2.5", nullable=False)
    )
    op.add_column("device", sa.Column("step_mm", sa.Float(), server_default="0.25", nullable=False))
    op.add_column("session_chart", sa.Column("glide_medium", sa.Text(), nullable=True))
    op.add_column("session_chart", sa.Column("numbed_area_cm2", sa.Float(), nullable=True))
    op.add_column("chart_zone", sa.Column("endpoint", sa.String(length=40), nullable=True))
    op.add_column("chart_zone", sa.Column("outside_plan", sa.Text(), nullable=True))
    op.add_column("chart_zone", sa.Column("reason", sa.Text(), nullable=True))


def downgrade() -> None:
    # Dropped in place (SQLite 3.35+, PostgreSQL): a batch copy of the chart tables would trip
    # their append-only triggers and the foreign keys that refer to them.
    for table, column in (
        ("chart_zone", "reason"),
        ("chart_zone", "outside_plan"),
        ("chart_zone", "endpoint"),
        ("session_chart", "numbed_area_cm2"),
        ("session_chart", "glide_medium"),
        ("device", "step_mm"),
        ("device", "highest_mm"),
        ("device", "lowest_mm"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")

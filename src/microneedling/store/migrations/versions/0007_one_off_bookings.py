"""One-off appointments reserve their time like the sessions of a series.

- ``appointment_booking.series_id`` and ``.session`` may be ``NULL``: a one-off appointment (booked
  on its own, not as a session of a booked series) has a booking row too, with its room, device,
  end and the moment its resources are free again, and holds ``resource_slot`` reservations, so
  the reservations' primary key refuses a one-off and a series session (or two one-offs) on the
  same practitioner, room or device at once. A check says both are given or neither.

PostgreSQL changes the columns in place. SQLite cannot drop a ``NOT NULL`` in place, so
``appointment_booking`` is copied (no other table refers to it), and its calendar triggers (0004),
which go with the old table, are made again. ``appointment`` itself is never copied (that would
trip its triggers and the foreign keys referring to it).

Downgrading removes the one-off bookings and their reservations first (before 0007 a one-off
held no reservations and had no booking row).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECK = "ck_appointment_booking_series_session"
_BOTH_OR_NEITHER = "(series_id IS NULL) = (session IS NULL)"


def _booking_triggers() -> dict[str, str]:
    """The SQLite triggers 0004 put on ``appointment_booking`` (its module name starts with a
    digit, so it is imported by name)."""
    calendar_versions = importlib.import_module(
        "microneedling.store.migrations.versions.0004_calendar_versions"
    )
    triggers: dict[str, str] = calendar_versions.SQLITE_TRIGGERS
    return {
        name: body for name, body in triggers.items() if name.startswith("appointment_booking_")
    }


def _rebuild_on_sqlite(nullable: bool) -> None:
    triggers = _booking_triggers()
    for name in triggers:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("appointment_booking", recreate="always") as batch:
        batch.alter_column("series_id", existing_type=sa.Integer(), nullable=nullable)
        batch.alter_column("session", existing_type=sa.Integer(), nullable=nullable)
        if nullable:
            batch.create_check_constraint(op.f(_CHECK), _BOTH_OR_NEITHER)
        else:
            batch.drop_constraint(op.f(_CHECK), type_="check")
    for body in triggers.values():
        op.execute(body)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_on_sqlite(nullable=True)
        return
    op.alter_column("appointment_booking", "series_id", existing_type=sa.Integer(), nullable=True)
    op.alter_column("appointment_booking", "session", existing_type=sa.Integer(), nullable=True)
    op.create_check_constraint(op.f(_CHECK), "appointment_booking", _BOTH_OR_NEITHER)


def downgrade() -> None:
    op.execute(
        "DELETE FROM resource_slot WHERE appointment_id IN "
        "(SELECT appointment_id FROM appointment_booking WHERE series_id IS NULL)"
    )
    op.execute("DELETE FROM appointment_booking WHERE series_id IS NULL")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_on_sqlite(nullable=False)
        return
    op.drop_constraint(op.f(_CHECK), "appointment_booking", type_="check")
    op.alter_column("appointment_booking", "session", existing_type=sa.Integer(), nullable=False)
    op.alter_column("appointment_booking", "series_id", existing_type=sa.Integer(), nullable=False)

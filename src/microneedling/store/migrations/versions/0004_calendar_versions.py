"""Calendar versions: a counter per clinic that every change to an appointment (or to what
scheduling booked with it) moves on, so a running server can keep the clinic's calendar index in
memory and bring it up to date with only the appointments that changed.

- ``clinic.calendar_version``: raised whenever appointment (or appointment booking) rows are
  inserted or updated (SQLite: per row; PostgreSQL: once per transaction, see below);
  ``clinic.calendar_resets``: raised when an appointment is deleted (the index is then rebuilt
  from scratch).
- ``appointment.calendar_version``: the clinic's version when the row last changed (indexed with
  ``clinic_id``: "what changed since version N" is an index range).

Triggers keep them, so no code path (nor a bulk load, nor a hand-made change) can forget to. On
PostgreSQL, raising the counter locks the clinic's row until the transaction ends, so versions are
committed in the order they were given: a reader that sees version N sees every change up to N.
SQLite has one writer at a time.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RAISE = "UPDATE clinic SET calendar_version = calendar_version + 1 WHERE id = {row}.clinic_id"
_STAMP = (
    "UPDATE appointment SET calendar_version = "
    "(SELECT calendar_version FROM clinic WHERE id = {row}.clinic_id) WHERE id = {row}.{key}"
)

SQLITE_TRIGGERS = {
    "appointment_calendar_insert": f"""
        CREATE TRIGGER appointment_calendar_insert AFTER INSERT ON appointment
        BEGIN {_RAISE.format(row="NEW")}; {_STAMP.format(row="NEW", key="id")}; END""",
    # The stamp itself is an update: it changes calendar_version, so it does not fire this.
    "appointment_calendar_update": f"""
        CREATE TRIGGER appointment_calendar_update AFTER UPDATE ON appointment
        WHEN NEW.calendar_version = OLD.calendar_version
        BEGIN {_RAISE.format(row="NEW")}; {_STAMP.format(row="NEW", key="id")}; END""",
    "appointment_calendar_delete": """
        CREATE TRIGGER appointment_calendar_delete AFTER DELETE ON appointment
        BEGIN UPDATE clinic SET calendar_resets = calendar_resets + 1 WHERE id = OLD.clinic_id;
        END""",
    **{
        f"appointment_booking_calendar_{event.lower()}": f"""
        CREATE TRIGGER appointment_booking_calendar_{event.lower()} AFTER {event}
        ON appointment_booking
        BEGIN {_RAISE.format(row=row)}; {_STAMP.format(row=row, key="appointment_id")}; END"""
        for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
    },
}

# On PostgreSQL the counter moves on once per transaction and clinic (the version given is kept
# in a transaction-local setting): every row the transaction changes carries that version. Raising
# it per row would leave one dead version of the clinic's row per appointment in a bulk load.
POSTGRESQL_FUNCTIONS = {
    "microneedling_appointment_calendar_version": """
        CREATE FUNCTION microneedling_appointment_calendar_version() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            name text := 'microneedling.calendar_version_' || NEW.clinic_id;
            given text := current_setting(name, true);
        BEGIN
            IF given IS NULL OR given = '' THEN
                UPDATE clinic SET calendar_version = calendar_version + 1
                WHERE id = NEW.clinic_id
                RETURNING calendar_version INTO NEW.calendar_version;
                PERFORM set_config(name, NEW.calendar_version::text, true);
            ELSE
                NEW.calendar_version := given::bigint;
            END IF;
            RETURN NEW;
        END $$""",
    "microneedling_appointment_calendar_reset": """
        CREATE FUNCTION microneedling_appointment_calendar_reset() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            name text := 'microneedling.calendar_reset_' || OLD.clinic_id;
        BEGIN
            IF coalesce(current_setting(name, true), '') = '' THEN
                UPDATE clinic SET calendar_resets = calendar_resets + 1 WHERE id = OLD.clinic_id;
                PERFORM set_config(name, 'yes', true);
            END IF;
            RETURN OLD;
        END $$""",
    # Touching the appointment runs its own trigger, which gives it the new version.
    "microneedling_booking_calendar_version": """
        CREATE FUNCTION microneedling_booking_calendar_version() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                UPDATE appointment SET calendar_version = calendar_version
                WHERE id = OLD.appointment_id;
                RETURN OLD;
            END IF;
            UPDATE appointment SET calendar_version = calendar_version
            WHERE id = NEW.appointment_id;
            RETURN NEW;
        END $$""",
}
POSTGRESQL_TRIGGERS = {
    ("appointment_calendar_version", "appointment"): (
        "BEFORE INSERT OR UPDATE ON appointment FOR EACH ROW "
        "EXECUTE FUNCTION microneedling_appointment_calendar_version()"
    ),
    ("appointment_calendar_reset", "appointment"): (
        "AFTER DELETE ON appointment FOR EACH ROW "
        "EXECUTE FUNCTION microneedling_appointment_calendar_reset()"
    ),
    ("appointment_booking_calendar_version", "appointment_booking"): (
        "AFTER INSERT OR UPDATE OR DELETE ON appointment_booking FOR EACH ROW "
        "EXECUTE FUNCTION microneedling_booking_calendar_version()"
    ),
}


def _version(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)


def upgrade() -> None:
    op.add_column("clinic", _version("calendar_version"))
    op.add_column("clinic", _version("calendar_resets"))
    op.add_column("appointment", _version("calendar_version"))
    op.create_index(
        op.f("ix_appointment_clinic_id_calendar_version"),
        "appointment",
        ["clinic_id", "calendar_version"],
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
        return
    for statement in POSTGRESQL_FUNCTIONS.values():
        op.execute(statement)
    for (name, _), body in POSTGRESQL_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for name, table in POSTGRESQL_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for name in POSTGRESQL_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_index(op.f("ix_appointment_clinic_id_calendar_version"), table_name="appointment")
    # SQLite 3.35+ drops a column in place (no table copy, which the clinic's foreign keys
    # would refuse while rows refer to it).
    for table, column in (
        ("appointment", "calendar_version"),
        ("clinic", "calendar_resets"),
        ("clinic", "calendar_version"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")

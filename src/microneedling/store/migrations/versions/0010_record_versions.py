"""Record versions: what a patient's full record shows carries a version that every change moves,
so the API can answer ``If-None-Match`` with ``304 Not Modified`` without reading the record.

- ``patient.record_version``: a new random 53-bit value whenever the patient's row, or a row of
  their intakes, consents, plans, appointments, charts (with zones and products), adverse events,
  outcomes or photos is inserted, updated or deleted (or such a table is truncated).
- ``clinic.inventory_version``: a new random value whenever one of the clinic's devices or
  cartridge lots is updated or deleted: a chart in the record shows its device and lot (a recall,
  a device taken out of service). A new device or lot changes no record until a chart uses it,
  and that chart moves its patient's version.

Random rather than counted, so that a value is never given twice: after a database is restored
from a backup (whose rows come back through these triggers) or copied back as a file, the next
changes draw new values, never one that described other content before. Both are left out of
backups (``info["derived"]``), like the calendar versions of 0004.

Triggers keep them, so no code path (nor a bulk load, nor a hand-made change) can forget to. The
version is raised in the transaction of the change, so a reader sees the change and the new
version together. SQLite: per row. PostgreSQL: per statement, with the statement's rows as
transition tables (a bulk ``COPY`` moves each patient's version once, not once per row); the
patient's own row gets its new value in a ``BEFORE`` row trigger. A later migration that rebuilds
one of these tables on SQLite (batch mode copies a table without its triggers) must make its
triggers again, as 0007 does for 0004's; tests/api/test_api_record_etag.py checks they are there.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The tables of a patient's record that hold ``patient_id``.
PATIENT_TABLES = (
    "intake",
    "consent",
    "treatment_plan",
    "appointment",
    "session_chart",
    "adverse_event",
    "outcome_assessment",
    "photo",
)
#: The tables of a chart's parts, which reach the patient through ``session_chart``.
CHART_TABLES = ("chart_zone", "chart_product")
#: What a chart shows of the clinic's inventory.
INVENTORY_TABLES = ("device", "cartridge_lot")
_EVENTS = (("insert", ("NEW",)), ("update", ("NEW", "OLD")), ("delete", ("OLD",)))


def _sqlite_triggers() -> dict[str, str]:
    triggers = {
        "patient_record_version_insert": """
            CREATE TRIGGER patient_record_version_insert AFTER INSERT ON patient
            BEGIN UPDATE patient SET record_version = random() WHERE id = NEW.id; END""",
        # Its own update changes record_version, so it does not fire this again.
        "patient_record_version_update": """
            CREATE TRIGGER patient_record_version_update AFTER UPDATE ON patient
            WHEN NEW.record_version IS OLD.record_version
            BEGIN UPDATE patient SET record_version = random() WHERE id = NEW.id; END""",
    }
    for table in PATIENT_TABLES + CHART_TABLES:
        for event, rows in _EVENTS:
            if table in CHART_TABLES:
                charts = ", ".join(f"{row}.chart_id" for row in rows)
                patients = f"SELECT patient_id FROM session_chart WHERE id IN ({charts})"
            else:
                patients = ", ".join(f"{row}.patient_id" for row in rows)
            name = f"{table}_record_version_{event}"
            triggers[name] = f"""
            CREATE TRIGGER {name} AFTER {event.upper()} ON {table}
            BEGIN UPDATE patient SET record_version = random() WHERE id IN ({patients}); END"""
    for table in INVENTORY_TABLES:
        for event, rows in _EVENTS[1:]:
            clinics = ", ".join(f"{row}.clinic_id" for row in rows)
            name = f"{table}_inventory_version_{event}"
            triggers[name] = f"""
            CREATE TRIGGER {name} AFTER {event.upper()} ON {table}
            BEGIN UPDATE clinic SET inventory_version = random() WHERE id IN ({clinics}); END"""
    return triggers


SQLITE_TRIGGERS = _sqlite_triggers()

_NEW_VERSION = "(floor(random() * 9007199254740991) + 1)::bigint"
_CHANGED_PATIENTS = {
    "record": {
        "INSERT": "SELECT patient_id FROM new_rows",
        "UPDATE": "SELECT patient_id FROM new_rows UNION SELECT patient_id FROM old_rows",
        "DELETE": "SELECT patient_id FROM old_rows",
    },
    "chart": {
        "INSERT": "SELECT patient_id FROM session_chart WHERE id IN "
        "(SELECT chart_id FROM new_rows)",
        "UPDATE": "SELECT patient_id FROM session_chart WHERE id IN "
        "(SELECT chart_id FROM new_rows UNION SELECT chart_id FROM old_rows)",
        "DELETE": "SELECT patient_id FROM session_chart WHERE id IN "
        "(SELECT chart_id FROM old_rows)",
    },
}


def _changed_function(kind: str) -> str:
    """A statement trigger's function: the patients of the statement's rows get new versions
    (through the patient's own ``BEFORE`` trigger, which draws every new value)."""
    branches = "\n".join(
        f"""            {"IF" if number == 0 else "ELSIF"} TG_OP = '{operation}' THEN
                UPDATE patient SET record_version = 0 WHERE id IN ({query});"""
        for number, (operation, query) in enumerate(_CHANGED_PATIENTS[kind].items())
    )
    return f"""
        CREATE FUNCTION microneedling_{kind}_rows_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
{branches}
            END IF;
            RETURN NULL;
        END $$"""


POSTGRESQL_FUNCTIONS = {
    "microneedling_patient_record_version": f"""
        CREATE FUNCTION microneedling_patient_record_version() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            NEW.record_version := {_NEW_VERSION};
            RETURN NEW;
        END $$""",
    "microneedling_record_rows_changed": _changed_function("record"),
    "microneedling_chart_rows_changed": _changed_function("chart"),
    "microneedling_record_tables_emptied": """
        CREATE FUNCTION microneedling_record_tables_emptied() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE patient SET record_version = 0;
            RETURN NULL;
        END $$""",
    "microneedling_inventory_changed": f"""
        CREATE FUNCTION microneedling_inventory_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                UPDATE clinic SET inventory_version = {_NEW_VERSION};
                RETURN NULL;
            END IF;
            UPDATE clinic SET inventory_version = {_NEW_VERSION} WHERE id = OLD.clinic_id;
            IF TG_OP = 'UPDATE' AND NEW.clinic_id <> OLD.clinic_id THEN
                UPDATE clinic SET inventory_version = {_NEW_VERSION} WHERE id = NEW.clinic_id;
            END IF;
            RETURN NULL;
        END $$""",
}


def _postgresql_triggers() -> dict[tuple[str, str], str]:
    triggers = {
        ("patient_record_version", "patient"): (
            "BEFORE INSERT OR UPDATE ON patient FOR EACH ROW "
            "EXECUTE FUNCTION microneedling_patient_record_version()"
        ),
    }
    transition = {
        "insert": "REFERENCING NEW TABLE AS new_rows",
        "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "delete": "REFERENCING OLD TABLE AS old_rows",
    }
    for table in PATIENT_TABLES + CHART_TABLES:
        function = "chart" if table in CHART_TABLES else "record"
        for event, _ in _EVENTS:
            triggers[(f"{table}_record_version_{event}", table)] = (
                f"AFTER {event.upper()} ON {table} {transition[event]} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION microneedling_{function}_rows_changed()"
            )
        triggers[(f"{table}_record_version_truncate", table)] = (
            f"AFTER TRUNCATE ON {table} FOR EACH STATEMENT "
            "EXECUTE FUNCTION microneedling_record_tables_emptied()"
        )
    for table in INVENTORY_TABLES:
        triggers[(f"{table}_inventory_version", table)] = (
            f"AFTER UPDATE OR DELETE ON {table} FOR EACH ROW "
            "EXECUTE FUNCTION microneedling_inventory_changed()"
        )
        triggers[(f"{table}_inventory_version_truncate", table)] = (
            f"AFTER TRUNCATE ON {table} FOR EACH STATEMENT "
            "EXECUTE FUNCTION microneedling_inventory_changed()"
        )
    return triggers


POSTGRESQL_TRIGGERS = _postgresql_triggers()


def _version(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)


def upgrade() -> None:
    op.add_column("patient", _version("record_version"))
    op.add_column("clinic", _version("inventory_version"))
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
        op.execute("UPDATE patient SET record_version = random()")
        op.execute("UPDATE clinic SET inventory_version = random()")
        return
    for statement in POSTGRESQL_FUNCTIONS.values():
        op.execute(statement)
    for (name, _), body in POSTGRESQL_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute("UPDATE patient SET record_version = 0")  # the BEFORE trigger draws each value
    op.execute(f"UPDATE clinic SET inventory_version = {_NEW_VERSION}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for name, table in POSTGRESQL_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for name in POSTGRESQL_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    # SQLite 3.35+ drops a column in place (no table copy).
    op.execute("ALTER TABLE clinic DROP COLUMN inventory_version")
    op.execute("ALTER TABLE patient DROP COLUMN record_version")

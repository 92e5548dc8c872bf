"""The audit log read newest first and filtered: indexes for each filter.

The owners' audit log lists a clinic's entries newest first (by time, then sequence), filtered by
the person who acted, the action, a date range or patients. Each filter has an index that reads
its entries in that order, so a page of 50 among millions of entries is read from an index alone:

- ``(clinic_id, recorded_at, sequence)``: the clinic's entries by time (and a date range);
- ``(clinic_id, actor_id, recorded_at, sequence)``: one person's;
- ``(clinic_id, action, recorded_at, sequence)``: one action's.

(Entries about patients are found by the existing ``patient_id`` index.)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = {
    "ix_audit_entry_clinic_id_recorded_at_sequence": ["clinic_id", "recorded_at", "sequence"],
    "ix_audit_entry_clinic_id_actor_id_recorded_at_sequence": [
        "clinic_id",
        "actor_id",
        "recorded_at",
        "sequence",
    ],
    "ix_audit_entry_clinic_id_action_recorded_at_sequence": [
        "clinic_id",
        "action",
        "recorded_at",
        "sequence",
    ],
}


def upgrade() -> None:
    for name, columns in _INDEXES.items():
        op.create_index(name, "audit_entry", columns)


def downgrade() -> None:
    for name in _INDEXES:
        op.drop_index(name, table_name="audit_entry")

"""Plans found by their status: an index on ``treatment_plan (clinic_id, status, patient_id)``.

The Today page's maintenance list asks which patients have a completed plan; without it the
database read every plan document (some 11 KB each) to find them: 0.5 s with 100,000 patients.
The index holds the patient too, so the answer comes from the index alone, whatever the
planner's statistics say about how many plans have each status.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_treatment_plan_clinic_id_status_patient_id"


def upgrade() -> None:
    op.create_index(INDEX, "treatment_plan", ["clinic_id", "status", "patient_id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="treatment_plan")

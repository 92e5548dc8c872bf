"""Audit entries authenticated with a key the database never holds, and a chain per clinic.

- ``audit_entry.hmac`` and ``hmac_key``: HMAC-SHA256, under a key derived from
  ``MICRONEEDLING_AUDIT_KEY``, of the entry's number, clinic, place in the clinic's chain and
  hash, and the id of the key (so that keys can be changed: older entries verify with the
  retired keys). NULL when no key is configured. Someone with write access to the database can
  still edit an entry and re-hash the chain, but not make the authentication match.
- ``audit_entry.clinic_sequence``: the entry's place in its clinic's own chain (1, 2, ...), so an
  owner can check their clinic's entries, and see one deleted, without reading anyone else's.
- ``audit_chain_head.hmac``/``hmac_key`` and ``audit_clinic_head`` (one row per clinic: where its
  chain ends, authenticated): deleting the last entries and moving the head back shows.

Entries written before this revision keep NULL in the new columns: the first authenticated entry
after them vouches for them through its hash (``prev_hash`` links every entry to the one before).

The columns are added with plain ``ALTER TABLE ... ADD COLUMN`` (no table copy on SQLite), so the
triggers that keep ``audit_entry`` append-only stay in place.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _authentication() -> list[sa.Column[str]]:
    return [
        sa.Column("hmac", sa.String(length=64), nullable=True),
        sa.Column("hmac_key", sa.String(length=16), nullable=True),
    ]


def upgrade() -> None:
    op.add_column("audit_entry", sa.Column("clinic_sequence", sa.Integer(), nullable=True))
    for column in _authentication():
        op.add_column("audit_entry", column)
    for column in _authentication():
        op.add_column("audit_chain_head", column)
    op.create_table(
        "audit_clinic_head",
        sa.Column("clinic_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("entry", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        *_authentication(),
        sa.PrimaryKeyConstraint("clinic_id", name=op.f("pk_audit_clinic_head")),
    )


def downgrade() -> None:
    op.drop_table("audit_clinic_head")
    # Plain DROP COLUMN (SQLite 3.35 and later): a batch copy would lose the append-only triggers.
    for table, columns in (
        ("audit_chain_head", ("hmac", "hmac_key")),
        ("audit_entry", ("hmac", "hmac_key", "clinic_sequence")),
    ):
        for column in columns:
            op.drop_column(table, column)

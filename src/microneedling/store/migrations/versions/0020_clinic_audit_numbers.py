"""Audit entries numbered per clinic; staff invitations (store/staff_invitation_models.py).

- Entries written before migration 0012 have no place in their clinic's chain
  (``clinic_sequence`` NULL). Each clinic's log is now numbered by that place (the page, the CSV
  and the API), so they get one: a clinic's entries without a place that come before its first
  numbered entry take places 1, 2, ... in order, and the numbered ones after them move up by as
  many (gaps among them, the sign of a deleted entry, stay as they are). The clinic's head moves
  with them, and is made if it is missing. An entry without a place *after* a numbered one was
  written outside the application: it is left as it is, for ``audit verify`` to report.
- A moved entry's authentication (HMAC) covers its place, so it is made again under the current
  audit key (``MICRONEEDLING_AUDIT_KEY``), but only when its old one checks out: an entry whose
  authentication did not match before does not match after either. Moving an authenticated
  entry without the key that can check it stops the upgrade, saying so.
- An index on ``audit_entry (clinic_id, clinic_sequence)``.
- The ``staff_invitation`` table.

``audit_entry`` refuses UPDATE (migration 0001's triggers): they are set aside for the
renumbering and put back, in the migration's one transaction.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOMENT = sa.DateTime(timezone=True)

_SQLITE_UPDATE_TRIGGER = (
    "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only: rows cannot be "
    "changed or deleted'); END"
)


def upgrade() -> None:
    op.create_table(
        "staff_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("invited_by", sa.Integer(), nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("expires_at", MOMENT, nullable=False),
        sa.Column("accepted_at", MOMENT, nullable=True),
        sa.Column("staff_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "role IN ('owner', 'clinician', 'front_desk')", name=op.f("ck_staff_invitation_role")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_staff_invitation_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["staff_user.id"],
            name=op.f("fk_staff_invitation_invited_by_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_user.id"],
            name=op.f("fk_staff_invitation_staff_user_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_invitation_token_hash")),
    )
    op.create_index(
        op.f("ix_staff_invitation_clinic_id_created_at"),
        "staff_invitation",
        ["clinic_id", "created_at"],
    )
    op.create_index(
        op.f("ix_audit_entry_clinic_id_clinic_sequence"),
        "audit_entry",
        ["clinic_id", "clinic_sequence"],
    )
    _number_older_entries(op.get_bind())


def downgrade() -> None:
    # The places given to older entries stay (they are right); the index and table go.
    op.drop_index(op.f("ix_audit_entry_clinic_id_clinic_sequence"), table_name="audit_entry")
    op.drop_index(op.f("ix_staff_invitation_clinic_id_created_at"), table_name="staff_invitation")
    op.drop_table("staff_invitation")


def _audit_keys() -> Any:
    """The keys the application would use: those the migration runner passed, or the settings'."""
    from microneedling.config import Settings
    from microneedling.store.audit_keys import keys_from_settings

    config = op.get_context().config
    given = config.attributes.get("audit_keys") if config is not None else None
    return given if given is not None else keys_from_settings(Settings())


def _number_older_entries(bind: sa.Connection) -> None:
    from microneedling.store.audit import chain_of, entry_message

    missing = bind.execute(
        sa.text("SELECT count(*) FROM audit_entry WHERE clinic_sequence IS NULL")
    ).scalar_one()
    if not missing:
        return
    rows = bind.execute(
        sa.text(
            "SELECT sequence, clinic_id, clinic_sequence, hash, hmac, hmac_key "
            "FROM audit_entry ORDER BY sequence"
        )
    ).all()
    chains: dict[int, list[Any]] = {}
    for row in rows:
        chains.setdefault(chain_of(row.clinic_id), []).append(row)
    keys = _audit_keys()
    stored = {
        row.clinic_id: row
        for row in bind.execute(
            sa.text(
                "SELECT clinic_id, sequence, entry, hash, hmac, hmac_key FROM audit_clinic_head"
            )
        )
    }
    changes: list[dict[str, Any]] = []
    heads: dict[int, dict[str, Any]] = {}
    for chain, entries in chains.items():
        leading = 0
        while leading < len(entries) and entries[leading].clinic_sequence is None:
            leading += 1
        if not leading:
            continue
        for place, row in enumerate(entries[:leading], start=1):
            changes.append({"sequence": row.sequence, "place": place, "hmac": None, "key": None})
        last = (leading, entries[leading - 1])
        for row in entries[leading:]:
            if row.clinic_sequence is None:
                continue  # written outside the application: left for `audit verify`
            place = row.clinic_sequence + leading
            key_id, mac = row.hmac_key, row.hmac
            if mac is not None:
                old = entry_message(row.sequence, row.clinic_id, row.clinic_sequence, row.hash)
                checked = keys.check(key_id or "", old, mac)
                if checked is None or not keys.configured:
                    raise RuntimeError(
                        f"audit entry {row.sequence} is authenticated with audit key "
                        f"{key_id!r}: set MICRONEEDLING_AUDIT_KEY (and any retired keys in "
                        "MICRONEEDLING_AUDIT_KEYS_RETIRED) before upgrading, so that its "
                        "number in its clinic's log can be given with its authentication"
                    )
                if checked:
                    key_id, mac = keys.sign(
                        entry_message(row.sequence, row.clinic_id, place, row.hash)
                    )
            changes.append({"sequence": row.sequence, "place": place, "hmac": mac, "key": key_id})
            last = (place, row)
        heads[chain] = _moved_head(keys, chain, leading, last, stored.get(chain))
    postgresql = bind.dialect.name == "postgresql"
    if postgresql:
        op.execute("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
    bind.execute(
        sa.text(
            "UPDATE audit_entry SET clinic_sequence = :place, hmac = :hmac, hmac_key = :key "
            "WHERE sequence = :sequence"
        ),
        changes,
    )
    if postgresql:
        op.execute("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only")
    else:
        op.execute(_SQLITE_UPDATE_TRIGGER)
    for head in heads.values():
        bind.execute(sa.text("DELETE FROM audit_clinic_head WHERE clinic_id = :chain"), head)
        bind.execute(
            sa.text(
                "INSERT INTO audit_clinic_head (clinic_id, sequence, entry, hash, hmac, hmac_key) "
                "VALUES (:chain, :place, :entry, :hash, :hmac, :key)"
            ),
            head,
        )


def _moved_head(
    keys: Any, chain: int, leading: int, last: tuple[int, Any], stored: Any | None
) -> dict[str, Any]:
    """A clinic's head after its entries moved up by ``leading`` places. A stored head keeps the
    entry it names (one that does not match the chain still shows in ``audit verify``); its
    authentication is made again only if the old one checks out. A clinic without a head gets
    one at its last entry."""
    from microneedling.store.audit import clinic_head_message

    if stored is None:
        place, row = last
        entry, hash_ = row.sequence, row.hash
        key_id, mac = keys.sign(clinic_head_message(chain, place, entry, hash_))
    else:
        place, entry, hash_ = stored.sequence + leading, stored.entry, stored.hash
        key_id, mac = stored.hmac_key, stored.hmac
        if mac is not None:
            old = clinic_head_message(chain, stored.sequence, entry, hash_)
            if keys.check(key_id or "", old, mac) and keys.configured:
                key_id, mac = keys.sign(clinic_head_message(chain, place, entry, hash_))
    return {
        "chain": chain,
        "place": place,
        "entry": entry,
        "hash": hash_,
        "hmac": mac,
        "key": key_id,
    }

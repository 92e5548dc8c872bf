"""Staff invitations, and the index that reads a clinic's audit log by its own numbers
(migration 0020).

- ``staff_invitation``: an owner invites someone to their clinic by e-mail address. The owner is
  always told "invitation sent", whether the address is new or already has an account (in this
  clinic or another): nothing tells the two apart. A new address gets a link to set a password
  (``token_hash``: the SHA-256 of the link's secret, never the secret; single use,
  ``expires_at``); an address that has an account gets "you already have an account" instead,
  and its row has no token (``token_hash`` NULL) so it can never be accepted.
  ``accepted_at``/``staff_user_id``: when the link was used and the account it made.
- An index on ``audit_entry (clinic_id, clinic_sequence)``: the audit log page, its CSV and the
  API number a clinic's entries by their place in the clinic's own chain, and page by it.

Imported by ``microneedling.store`` so that the table is on ``Base.metadata`` wherever the
models are (migrations, backups, the unit of work).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from microneedling.store.models import ROLES, AuditEntry, Base

#: A clinic's entries by their own numbers (attached to ``audit_entry``).
AUDIT_CLINIC_PLACE = Index(None, AuditEntry.clinic_id, AuditEntry.clinic_sequence)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class StaffInvitation(Base):
    """One invitation to join a clinic's staff (see the module docstring)."""

    __tablename__ = "staff_invitation"
    __table_args__ = (
        CheckConstraint(_one_of("role", ROLES), name="role"),
        Index(None, "clinic_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    #: SHA-256 (hex) of the link's secret; NULL for an address that already had an account.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

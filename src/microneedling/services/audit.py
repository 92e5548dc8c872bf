"""Reading the audit log (owners) and verifying its hash chain."""

from __future__ import annotations

import json
from typing import Any

from microneedling.errors import UserError
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.store import Database, UnitOfWork
from microneedling.store.audit import ChainReport, canonical_time, verify_chain
from microneedling.store.models import AuditEntry


def audit_entries(
    uow: UnitOfWork,
    actor: Actor,
    *,
    patient_id: int | None = None,
    after: int = 0,
    limit: int = 100,
    clock: Clock = utc_now,
) -> list[dict[str, Any]]:
    """The clinic's audit entries in order (optionally those about one patient)."""
    with Transaction(uow, actor, "audit.read", clock) as tx:
        rows = uow.audit.entries(
            clinic_id=actor.clinic_id,
            patient_id=patient_id,
            after=after,
            limit=max(1, min(limit, 1000)),
        )
        entries = [_entry_view(row) for row in rows]
        tx.done(patient_id=patient_id, details={"results": len(entries)})
    return entries


def _entry_view(row: AuditEntry) -> dict[str, Any]:
    return {
        "sequence": row.sequence,
        "at": canonical_time(row.recorded_at),
        "actor_id": row.actor_id,
        "actor_role": row.actor_role,
        "action": row.action,
        "patient_id": row.patient_id,
        "entity": None if row.entity_type is None else f"{row.entity_type}:{row.entity_id}",
        "details": json.loads(row.details),
        "hash": row.hash,
    }


def audit_page(
    uow: UnitOfWork,
    actor: Actor,
    *,
    patient_id: int | None = None,
    after: int = 0,
    limit: int = 100,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """A page of the clinic's audit entries after sequence ``after`` (0: from the start);
    ``next_after`` continues it (None at the end so far)."""
    if not 1 <= limit <= 1000:
        raise UserError("expected 1 to 1000", field="limit")
    if after < 0:
        raise UserError("expected 0 or more", field="after")
    with Transaction(uow, actor, "audit.read", clock) as tx:
        rows = uow.audit.entries(
            clinic_id=actor.clinic_id, patient_id=patient_id, after=after, limit=limit + 1
        )
        entries = [_entry_view(row) for row in rows[:limit]]
        tx.done(patient_id=patient_id, details={"results": len(entries)})
    return {
        "items": entries,
        "limit": limit,
        "next_after": entries[-1]["sequence"] if len(rows) > limit else None,
    }


def verify_audit_log_as(uow: UnitOfWork, actor: Actor, *, clock: Clock = utc_now) -> ChainReport:
    """An owner has the whole chain checked (the check itself is audited first)."""
    with Transaction(uow, actor, "audit.verify", clock) as tx:
        tx.done()
    return verify_audit_log(uow.database)


def verify_audit_log(database: Database) -> ChainReport:
    """Check the whole chain (every clinic's entries) in one read-only snapshot."""
    with database.snapshot_session() as session:
        return verify_chain(session)

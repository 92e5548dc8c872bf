"""Reading the audit log (owners) and verifying its hash chain."""

from __future__ import annotations

import json
from typing import Any

from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.store import Database, UnitOfWork
from microneedling.store.audit import ChainReport, canonical_time, verify_chain


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
        entries = [
            {
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
            for row in rows
        ]
        tx.done(patient_id=patient_id, details={"results": len(entries)})
    return entries


def verify_audit_log(database: Database) -> ChainReport:
    """Check the whole chain (every clinic's entries) in one read-only snapshot."""
    with database.snapshot_session() as session:
        return verify_chain(session)

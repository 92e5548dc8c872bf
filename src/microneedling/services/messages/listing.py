"""Staff reading the outbox: a patient's messages, the failed ones, any status (no bodies: what
was sent is kept on the row, and shown where the patient's record is shown in full)."""

from __future__ import annotations

from typing import Any

from microneedling.errors import UserError
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.messages.outbox import message_records
from microneedling.services.patients import require_patient
from microneedling.store import UnitOfWork
from microneedling.store.message_models import MESSAGE_STATUSES, OutboxMessage

#: The most rows one read gives.
MAX_LIMIT = 500


def message_view(row: OutboxMessage) -> dict[str, Any]:
    return {
        "id": row.id,
        "patient_id": row.patient_id,
        "appointment_id": row.appointment_id,
        "kind": row.kind,
        "category": row.category,
        "channel": row.channel,
        "recipient": row.recipient,
        "status": row.status,
        "send_after": row.send_after.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "provider_id": row.provider_id,
        "delivery_status": row.delivery_status,
    }


def list_messages(
    uow: UnitOfWork,
    actor: Actor,
    *,
    patient_id: int | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
    clock: Clock = utc_now,
) -> list[dict[str, Any]]:
    """The clinic's messages, newest first: one patient's, or of one status (``failed``)."""
    if status is not None and status not in MESSAGE_STATUSES:
        raise UserError(f"status must be one of {', '.join(MESSAGE_STATUSES)}", field="status")
    if not 1 <= limit <= MAX_LIMIT:
        raise UserError(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    if not 0 <= offset <= 10_000_000:
        raise UserError("offset must be 0 or more", field="offset")
    # Reading the messages is reading the appointments they are about.
    with Transaction(uow, actor, "appointment.read", clock) as tx:
        if patient_id is not None:
            require_patient(tx, patient_id)
        rows = message_records(tx).listed(
            status=status, patient_id=patient_id, limit=limit, offset=offset
        )
        found = [message_view(row) for row in rows]
        tx.done(
            patient_id=patient_id,
            details={"messages": len(found), "status": status},
        )
    return found

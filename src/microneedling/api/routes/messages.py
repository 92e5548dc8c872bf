"""Messages to patients: the outbox, read-only (docs/messages.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel

from microneedling.api.context import Now, Uow
from microneedling.api.routing import ApiRouter
from microneedling.api.security import CurrentActor
from microneedling.services.messages.listing import MAX_LIMIT, list_messages

router = ApiRouter(tags=["messages"])

Status = Literal["queued", "sending", "sent", "failed", "withdrawn"]


class MessageOut(BaseModel):
    """One message to a patient (what it said is not listed)."""

    id: int
    patient_id: int
    appointment_id: int | None
    kind: str
    category: str
    channel: Literal["email", "sms"]
    recipient: str
    status: Status
    send_after: str
    sent_at: str | None
    attempts: int
    last_error: str | None
    provider_id: str | None


@router.get("/messages", response_model=list[MessageOut], summary="Messages to patients")
def read_messages(
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
    patient_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[dict[str, Any]]:
    """The clinic's messages, newest first: one patient's (``patient_id``), or of one status
    (``status=failed`` for those that need staff)."""
    return list_messages(
        uow, actor, patient_id=patient_id, status=status, limit=limit, offset=offset, clock=clock
    )

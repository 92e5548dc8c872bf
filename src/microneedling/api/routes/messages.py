"""Messages to patients: the outbox, read-only (docs/messages.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Body, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from microneedling.api.context import Now, Uow
from microneedling.api.routing import ApiRouter
from microneedling.api.security import CurrentActor
from microneedling.services.messages import clinic_settings, patient_preferences
from microneedling.services.messages.listing import MAX_LIMIT, list_messages

router = ApiRouter(tags=["messages"])

Status = Literal["queued", "sending", "sent", "failed", "withdrawn"]
Kind = Annotated[str, Path(max_length=40, description="A kind of message (confirmation…)")]


class MessageOut(BaseModel):
    """One message to a patient (what it said is not listed)."""

    id: int
    patient_id: int | None
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
    delivery_status: str | None = None


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


class TemplateIn(BaseModel):
    """A clinic's wording of one kind (Jinja2 text with the documented placeholders)."""

    model_config = ConfigDict(extra="forbid")
    subject: str = Field(max_length=10_000)
    body: str = Field(max_length=50_000)


class PreviewIn(BaseModel):
    """Wording to preview as typed (either left out: the clinic's current one)."""

    model_config = ConfigDict(extra="forbid")
    subject: str | None = Field(default=None, max_length=10_000)
    body: str | None = Field(default=None, max_length=50_000)


class PreferencesIn(BaseModel):
    """What the patient chose: each channel and kind yes or no."""

    model_config = ConfigDict(extra="forbid")
    email: StrictBool
    sms: StrictBool
    reminders: StrictBool
    aftercare: StrictBool
    recalls: StrictBool
    marketing: StrictBool


Settings = Annotated[
    dict[str, Any],
    Body(description='{"quiet_hours": "21:00-08:00", "reminder_48h": 48, …}; null turns one off'),
]


@router.get("/messages/settings", summary="The clinic's message settings (owners)")
def read_settings(actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any]:
    """Quiet hours, timings and the wording of each kind (``own``: the clinic's)."""
    return clinic_settings.read_message_settings(uow, actor, clock=clock)


@router.put("/messages/settings", summary="Set quiet hours and timings (owners)")
def put_settings(actor: CurrentActor, uow: Uow, clock: Now, data: Settings) -> dict[str, Any]:
    """All checked together; nothing is written when one is wrong (422 names each)."""
    return clinic_settings.update_message_settings(uow, actor, data, clock=clock)


@router.put("/messages/templates/{kind}", summary="Set the wording of a kind (owners)")
def put_template(
    actor: CurrentActor, uow: Uow, clock: Now, kind: Kind, data: TemplateIn
) -> dict[str, Any]:
    return clinic_settings.save_template(uow, actor, kind, data.subject, data.body, clock=clock)


@router.delete("/messages/templates/{kind}", summary="Back to the shipped wording (owners)")
def delete_template(actor: CurrentActor, uow: Uow, clock: Now, kind: Kind) -> dict[str, Any]:
    return clinic_settings.save_template(uow, actor, kind, None, None, clock=clock)


@router.post("/messages/templates/{kind}/preview", summary="A kind rendered for a sample patient")
def preview_template(
    actor: CurrentActor, uow: Uow, clock: Now, kind: Kind, data: PreviewIn
) -> dict[str, Any]:
    """Nothing is saved; ``problems`` lists what is wrong with the wording."""
    return clinic_settings.preview(uow, actor, kind, data.subject, data.body, clock=clock)


@router.get("/patients/{patient_id}/message-preferences", summary="A patient's message preferences")
def read_preferences(
    actor: CurrentActor, uow: Uow, clock: Now, patient_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> dict[str, Any]:
    return patient_preferences.read_preferences(uow, actor, patient_id, clock=clock)


@router.put(
    "/patients/{patient_id}/message-preferences", summary="Record a patient's message preferences"
)
def put_preferences(
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
    patient_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    data: PreferencesIn,
) -> dict[str, Any]:
    """Queued messages the patient no longer wants are withdrawn (``withdrawn``)."""
    return patient_preferences.record_preferences(
        uow, actor, patient_id, data.model_dump(), clock=clock
    )

"""Adverse events: recording one (linked to the session it followed) and its resolution."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from microneedling.errors import NotFound, RuleViolation, UserError
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.inputs import Day, Input, LongText, RecordId, check_day, parse
from microneedling.services.patients import require_patient
from microneedling.services.views import adverse_event_view
from microneedling.store import UnitOfWork
from microneedling.store.models import AdverseEvent, Appointment

AdverseEventKind = Literal[
    "prolonged_erythema",
    "oedema",
    "infection",
    "herpes_reactivation",
    "hyperpigmentation",
    "hypopigmentation",
    "allergic_reaction",
    "acneiform_eruption",
    "tram_track_scarring",
    "granuloma",
    "other",
]


class NewAdverseEvent(Input):
    kind: AdverseEventKind
    severity: Literal["mild", "moderate", "severe"]
    onset_on: Day
    #: The session it followed.
    appointment_id: RecordId | None = None
    description: LongText | None = None
    resolved_on: Day | None = None
    resolution: LongText | None = Field(default=None)


def record_adverse_event(
    uow: UnitOfWork,
    actor: Actor,
    patient_id: int,
    event: NewAdverseEvent | dict[str, Any],
    *,
    clock: Clock = utc_now,
) -> int:
    new = parse(NewAdverseEvent, event, what="adverse event")
    with Transaction(uow, actor, "adverse_event.record", clock) as tx:
        patient = require_patient(tx, patient_id)
        if new.onset_on > tx.today:
            raise UserError("is after today", field="onset_on")
        if new.resolved_on is not None and new.resolved_on < new.onset_on:
            raise UserError("is before the onset", field="resolved_on")
        if new.appointment_id is not None:
            session = tx.records.get(Appointment, new.appointment_id)
            if session is None or session.patient_id != patient.id:
                raise NotFound(
                    f"no session {new.appointment_id} for this patient", field="appointment_id"
                )
        row = AdverseEvent(
            patient_id=patient.id,
            appointment_id=new.appointment_id,
            kind=new.kind,
            severity=new.severity,
            onset_on=new.onset_on,
            description=new.description,
            resolved_on=new.resolved_on,
            resolution=new.resolution,
            reported_by=actor.staff_user_id,
            reported_at=tx.now,
        )
        tx.records.add(row)
        tx.flush()
        tx.done(
            patient_id=patient.id,
            entity=("adverse_event", row.id),
            details={"kind": new.kind, "severity": new.severity},
        )
    return row.id


def resolve_adverse_event(
    uow: UnitOfWork,
    actor: Actor,
    event_id: int,
    *,
    resolved_on: date,
    resolution: str,
    clock: Clock = utc_now,
) -> None:
    check_day(resolved_on, "resolved_on")
    resolution = resolution.strip()
    if not resolution or len(resolution) > 10_000:
        raise UserError("describe the resolution (1 to 10000 characters)", field="resolution")
    with Transaction(uow, actor, "adverse_event.resolve", clock) as tx:
        row = tx.records.get(AdverseEvent, event_id, for_update=True)
        if row is None:
            raise NotFound(f"no adverse event {event_id} in this clinic", field="event_id")
        if row.resolved_on is not None:
            raise RuleViolation("this adverse event is already resolved", field="event_id")
        if resolved_on < row.onset_on:
            raise UserError("is before the onset", field="resolved_on")
        if resolved_on > tx.today:
            raise UserError("is after today", field="resolved_on")
        row.resolved_on = resolved_on
        row.resolution = resolution
        tx.done(patient_id=row.patient_id, entity=("adverse_event", row.id))


def list_adverse_events(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """The patient's adverse events, oldest first."""
    with Transaction(uow, actor, "adverse_event.read", clock, reading=True) as tx:
        patient = require_patient(tx, patient_id)
        found = [adverse_event_view(row) for row in tx.records.of_patient(AdverseEvent, patient.id)]
        tx.done(patient_id=patient.id, details={"results": len(found)})
    return found

"""Adverse events and outcomes: recording them, listing a patient's, resolving an event."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from microneedling.api.context import IdInPath, Now, Uow
from microneedling.api.routing import ApiRouter
from microneedling.api.schemas import AdverseEventOut, Created, OutcomeIn, OutcomeOut, ResolutionIn
from microneedling.api.security import CurrentActor
from microneedling.services import adverse_events, outcomes
from microneedling.services.adverse_events import NewAdverseEvent

router = ApiRouter(tags=["adverse events and outcomes"])


@router.post(
    "/patients/{patient_id}/adverse-events",
    status_code=201,
    response_model=Created,
    summary="Record an adverse event",
)
def record_adverse_event(
    patient_id: IdInPath,
    body: NewAdverseEvent,
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
    response: Response,
) -> dict[str, Any]:
    event_id = adverse_events.record_adverse_event(uow, actor, patient_id, body, clock=clock)
    response.headers["Location"] = f"/api/v1/patients/{patient_id}/adverse-events"
    return {"id": event_id}


@router.get(
    "/patients/{patient_id}/adverse-events",
    response_model=list[AdverseEventOut],
    summary="A patient's adverse events",
)
def list_adverse_events(
    patient_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now
) -> list[dict[str, Any]]:
    return adverse_events.list_adverse_events(uow, actor, patient_id, clock=clock)


@router.post(
    "/adverse-events/{event_id}/resolve", status_code=204, summary="Record an event's resolution"
)
def resolve_adverse_event(
    event_id: IdInPath, body: ResolutionIn, actor: CurrentActor, uow: Uow, clock: Now
) -> Response:
    adverse_events.resolve_adverse_event(
        uow, actor, event_id, resolved_on=body.resolved_on, resolution=body.resolution, clock=clock
    )
    return Response(status_code=204)


@router.post(
    "/patients/{patient_id}/outcomes",
    status_code=201,
    response_model=Created,
    summary="Score and record an outcome assessment (you are the rater)",
)
def record_outcome(
    patient_id: IdInPath,
    body: OutcomeIn,
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
    response: Response,
) -> dict[str, Any]:
    outcome_id = outcomes.record_outcome(
        uow,
        actor,
        patient_id,
        scale=body.scale,
        inputs=body.inputs,
        assessed_on=body.assessed_on,
        plan_id=body.plan_id,
        clock=clock,
    )
    response.headers["Location"] = f"/api/v1/patients/{patient_id}/outcomes"
    return {"id": outcome_id}


@router.get(
    "/patients/{patient_id}/outcomes",
    response_model=list[OutcomeOut],
    summary="A patient's outcome assessments",
)
def list_outcomes(
    patient_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now
) -> list[dict[str, Any]]:
    return outcomes.list_outcomes(uow, actor, patient_id, clock=clock)

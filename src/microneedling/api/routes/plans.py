"""Treatment plans: made on the latest screening, priced, and moved through their status."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from microneedling.api.context import IdInPath, Now, Uow
from microneedling.api.routing import ApiRouter
from microneedling.api.schemas import PlanIn, PlanOut, PlanStatusIn
from microneedling.api.security import CurrentActor
from microneedling.services import plans

router = ApiRouter(tags=["plans"])


@router.post(
    "/patients/{patient_id}/plans",
    status_code=201,
    response_model=PlanOut,
    summary="Plan treatment on the patient's latest screening",
)
def create_plan(
    patient_id: IdInPath,
    body: PlanIn,
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
    response: Response,
) -> dict[str, Any]:
    request = body.model_dump(mode="json", exclude_unset=True)
    plan_id = plans.create_plan(uow, actor, patient_id, request, clock=clock)
    response.headers["Location"] = f"/api/v1/plans/{plan_id}"
    return plans.read_plan(uow, actor, plan_id, clock=clock)


@router.get(
    "/patients/{patient_id}/plans", response_model=list[PlanOut], summary="A patient's plans"
)
def list_plans(
    patient_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now
) -> list[dict[str, Any]]:
    return plans.list_plans(uow, actor, patient_id, clock=clock)


@router.get("/plans/{plan_id}", response_model=PlanOut, summary="One plan")
def read_plan(plan_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any]:
    return plans.read_plan(uow, actor, plan_id, clock=clock)


@router.post(
    "/plans/{plan_id}/status",
    status_code=204,
    summary="proposed → accepted → completed; proposed or accepted → cancelled",
)
def set_status(
    plan_id: IdInPath, body: PlanStatusIn, actor: CurrentActor, uow: Uow, clock: Now
) -> Response:
    plans.set_plan_status(uow, actor, plan_id, body.status, clock=clock)
    return Response(status_code=204)

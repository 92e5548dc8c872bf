"""Intakes (recording one screens it), the latest screening result, acknowledging a caution."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from microneedling.api.context import IdInPath, Now, Uow
from microneedling.api.routing import ApiRouter
from microneedling.api.schemas import AcknowledgementIn, IntakeIn, IntakeOut
from microneedling.api.security import CurrentActor
from microneedling.services import intakes

router = ApiRouter(tags=["intakes and screening"])


@router.post(
    "/patients/{patient_id}/intakes",
    status_code=201,
    response_model=IntakeOut,
    summary="Record an intake; it is screened and the result stored with it",
)
def record_intake(
    patient_id: IdInPath,
    body: IntakeIn,
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
    response: Response,
) -> dict[str, Any]:
    """Answers as the intake questionnaire has them; the reply is the stored intake with its
    screening result (decision, earliest date, findings, precautions, knowledge base)."""
    answers = body.model_dump(mode="json", exclude_unset=True)
    intake_id = intakes.record_intake(uow, actor, patient_id, answers, clock=clock)
    response.headers["Location"] = f"/api/v1/intakes/{intake_id}"
    return intakes.read_intake(uow, actor, intake_id, clock=clock)


@router.get(
    "/patients/{patient_id}/intakes",
    response_model=list[IntakeOut],
    summary="A patient's intakes with their screening results",
)
def list_intakes(
    patient_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now
) -> list[dict[str, Any]]:
    return intakes.list_intakes(uow, actor, patient_id, clock=clock)


@router.get(
    "/patients/{patient_id}/screening",
    response_model=IntakeOut,
    summary="The screening that counts now (latest assessment date)",
)
def latest_screening(
    patient_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    return intakes.latest_screening(uow, actor, patient_id, clock=clock)


@router.get("/intakes/{intake_id}", response_model=IntakeOut, summary="One intake")
def read_intake(intake_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any]:
    return intakes.read_intake(uow, actor, intake_id, clock=clock)


@router.post(
    "/intakes/{intake_id}/acknowledge-caution",
    status_code=204,
    summary="A clinician acknowledges a caution screening",
)
def acknowledge_caution(
    intake_id: IdInPath, body: AcknowledgementIn, actor: CurrentActor, uow: Uow, clock: Now
) -> Response:
    intakes.acknowledge_caution(uow, actor, intake_id, note=body.note, clock=clock)
    return Response(status_code=204)

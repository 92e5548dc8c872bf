"""Consents: signing (treatment, marketing photos), listing, withdrawing."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from microneedling.api.context import IdInPath, Now, Uow
from microneedling.api.routing import ApiRouter
from microneedling.api.schemas import ConsentOut, Created
from microneedling.api.security import CurrentActor
from microneedling.services import consents
from microneedling.services.consents import SignedConsent

router = ApiRouter(tags=["consents"])


@router.post(
    "/patients/{patient_id}/consents",
    status_code=201,
    response_model=Created,
    summary="Record a signed consent (witnessed by you)",
)
def sign_consent(
    patient_id: IdInPath,
    body: SignedConsent,
    actor: CurrentActor,
    uow: Uow,
    clock: Now,
    response: Response,
) -> dict[str, Any]:
    """The server records the text of the kind's form (``form_version``, default the current
    one), with its SHA-256. A ``text`` or ``text_sha256`` sent must be that form's (else 422): a
    client cannot record a different text under a form's version."""
    consent_id = consents.sign_consent(uow, actor, patient_id, body, clock=clock)
    response.headers["Location"] = f"/api/v1/patients/{patient_id}/consents"
    return {"id": consent_id}


@router.get(
    "/patients/{patient_id}/consents",
    response_model=list[ConsentOut],
    summary="A patient's consents",
)
def list_consents(
    patient_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now
) -> list[dict[str, Any]]:
    return consents.list_consents(uow, actor, patient_id, clock=clock)


@router.post(
    "/consents/{consent_id}/withdraw", status_code=204, summary="The patient withdraws a consent"
)
def withdraw_consent(consent_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now) -> Response:
    consents.withdraw_consent(uow, actor, consent_id, clock=clock)
    return Response(status_code=204)

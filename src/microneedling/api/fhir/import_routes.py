"""The writing routes: ``POST Patient``, ``POST /`` with a transaction Bundle of Patients, and
``POST QuestionnaireResponse`` (an intake). A body that is too large, not JSON, or not what
the route takes is refused with an OperationOutcome, and nothing is saved."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request, Response

from microneedling.api.context import Context
from microneedling.api.fhir import imports, questionnaire, search
from microneedling.api.fhir.resources import Resource
from microneedling.api.security import CurrentActor
from microneedling.services import intakes
from microneedling.store import UnitOfWork

MEDIA_TYPES = ("application/fhir+json", "application/json")
#: The largest single resource read (a transaction Bundle may be up to imports.MAX_BODY_BYTES).
MAX_RESOURCE_BYTES = 200_000


def install(
    app: FastAPI,
    version_path: str,
    error: Callable[[int, str], Exception],
    base_url: Callable[[Request], str],
    respond: Callable[..., Response],
) -> None:
    """Add the writing routes to the FHIR application."""

    async def body(request: Request, most: int) -> Any:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in MEDIA_TYPES:
            raise error(415, "send the resource as application/fhir+json")
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > most:
            raise error(413, f"the body is larger than {most:,} bytes: send less at once")
        received = bytearray()
        async for chunk in request.stream():
            received.extend(chunk)
            if len(received) > most:
                raise error(413, f"the body is larger than {most:,} bytes: send less at once")
        try:
            return json.loads(received)
        except (ValueError, RecursionError):
            raise error(400, "the body is not JSON") from None

    def read_patient(uow: UnitOfWork, actor: Any, patient_id: int, context: Context) -> Resource:
        return search.SEARCHES["Patient"].read(uow, actor, patient_id, context.now)

    @app.post(version_path + "/Patient")
    async def create_patient(request: Request, actor: CurrentActor, context: Context) -> Response:
        """A new patient (201), or the same one already here linked (200): see imports."""
        details = imports.patient_details(await body(request, MAX_RESOURCE_BYTES))
        uow = UnitOfWork(context.database, context.photos)
        (result,) = imports.import_patients(uow, actor, [details], context.now, where=["Patient"])
        resource = read_patient(uow, actor, result.patient_id, context)
        location = f"{base_url(request)}/Patient/{result.patient_id}"
        return respond(
            resource, status_code=201 if result.created else 200, headers={"Location": location}
        )

    @app.post(version_path)
    @app.post(version_path + "/")
    async def transaction(request: Request, actor: CurrentActor, context: Context) -> Response:
        """A transaction Bundle of Patients: all registered or linked, or none."""
        bundle = await body(request, imports.MAX_BODY_BYTES)
        patients = imports.transaction_patients(bundle)
        uow = UnitOfWork(context.database, context.photos)
        results = imports.import_patients(uow, actor, patients, context.now)
        return respond(imports.transaction_response(base_url(request), results))

    @app.post(version_path + "/QuestionnaireResponse")
    async def create_intake(request: Request, actor: CurrentActor, context: Context) -> Response:
        """An answer to the intake questionnaire about one of the clinic's patients: recorded
        as their intake and screened at once (the RiskAssessment of the same id)."""
        resource = await body(request, MAX_RESOURCE_BYTES)
        if not isinstance(resource, dict) or resource.get("resourceType") != (
            "QuestionnaireResponse"
        ):
            raise error(422, "expected a QuestionnaireResponse")
        subject = resource.get("subject")
        reference = subject.get("reference") if isinstance(subject, dict) else None
        patient_id = (
            search.record_id(reference.removeprefix("Patient/"))
            if isinstance(reference, str) and reference.startswith("Patient/")
            else None
        )
        if patient_id is None:
            raise error(422, "subject: give the patient as a reference Patient/<id>")
        try:
            answers = questionnaire.intake_answers(resource)
        except questionnaire.ResponseError as problem:
            raise error(422, problem.message) from None
        uow = UnitOfWork(context.database, context.photos)
        intake_id = intakes.record_intake(uow, actor, patient_id, answers, clock=context.now)
        created = search.SEARCHES["QuestionnaireResponse"].read(uow, actor, intake_id, context.now)
        location = f"{base_url(request)}/QuestionnaireResponse/{intake_id}"
        return respond(created, status_code=201, headers={"Location": location})

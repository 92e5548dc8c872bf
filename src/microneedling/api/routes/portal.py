"""The patient's API (``/api/v1/portal``), for a clinic's own app: the same sign-in by one-time
code, the home page's facts and the questionnaire before the visit, as the patient.

A separate application mounted under the API, with its own OpenAPI document
(``/api/v1/portal/openapi.json``): its callers are patients, not staff. The token a patient gets
(``POST /sign-in``) is a portal session (``services/portal/sessions.py``: the same idle and
maximum age as in the browser); it is never a staff token and a staff token is never one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from microneedling.api import errors
from microneedling.api.context import ApiContext
from microneedling.api.security import bearer_token
from microneedling.services.portal import home as portal_home
from microneedling.services.portal import intake as questionnaire
from microneedling.services.portal import sign_in as signing_in
from microneedling.services.portal.actor import PatientActor
from microneedling.services.portal.sessions import (
    IDLE,
    check_patient_session,
    end_patient_session,
    open_patient_session,
)
from microneedling.services.sign_in import NotSignedIn
from microneedling.store import UnitOfWork


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CodeRequest(Strict):
    clinic: str = Field(max_length=64, description="The clinic's short name (`demo`)")
    address: str = Field(
        max_length=254, description="The patient's e-mail address or mobile number"
    )


class CodeAnswer(BaseModel):
    channel: str = Field(description="`email` or `sms`: where a code went, if the address is known")
    message: str


class SignIn(CodeRequest):
    code: str = Field(max_length=20, description="The 6-digit code sent to the patient")


class Session(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>`")
    idle_minutes: int = Field(description="The session ends after this long without a request")


class Answers(Strict):
    answers: dict[str, list[Annotated[str, Field(max_length=60)]]] = Field(
        description="The questionnaire's fields as the portal's form names them: `zones`, "
        "`finding`, and per finding `<code>.zones`, `<code>.on`, `<code>.stopped_on` (dates as "
        "a person writes them: `3 weeks ago`, `14/11/2026`)",
        max_length=200,
    )


def _uow(request: Request) -> UnitOfWork:
    context: ApiContext = request.app.state.context
    return UnitOfWork(context.database, context.photos)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def patient(request: Request) -> PatientActor:
    """The signed-in patient of the bearer token (a portal session), or 401."""
    token = await bearer_token(request)
    context: ApiContext = request.app.state.context
    checked = await run_in_threadpool(check_patient_session, context.database, token,
                                      clock=context.now)  # fmt: skip
    if checked.actor is None:
        raise NotSignedIn("sign in first: this token is not a patient's sign-in, or it ended")
    return checked.actor


Patient = Annotated[PatientActor, Depends(patient)]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _questionnaire(found: dict[str, Any] | None) -> dict[str, Any] | None:
    if found is None:
        return None
    meaning = questionnaire.meaning(found.get("screening"))
    shown: dict[str, Any] = _plain({
        "status": found["status"], "answers": found["form"], "submitted_at": found["submitted_at"],
        "decision": found["decision"], "earliest_date": found["earliest_date"],
        "meaning": {"headline": meaning.headline, "points": meaning.points}
        if found["status"] != "draft" else None,
    })  # fmt: skip
    return shown


def portal_api(context: ApiContext) -> FastAPI:
    """The patient's API application (mounted at ``/api/v1/portal``)."""
    app = FastAPI(title="microneedling: patient portal", version="1", docs_url=None,
                  redoc_url=None, openapi_url="/openapi.json")  # fmt: skip
    app.state.context = context

    @app.exception_handler(signing_in.TooManyTries)
    async def too_many(request: Request, error: signing_in.TooManyTries) -> Response:
        body = errors.error_body("too_many_requests", error.message)
        return JSONResponse(body, status_code=429)

    errors.install(app)

    @app.post("/sign-in/code", status_code=202, response_model=CodeAnswer,
              summary="Send a one-time code to the patient's address")  # fmt: skip
    def send_code(body: CodeRequest, request: Request) -> CodeAnswer:
        sent = signing_in.request_code(_uow(request), body.clinic, body.address,
                                       client=_client(request), clock=context.now)  # fmt: skip
        return CodeAnswer(channel=sent.channel, message="If this address is known to the "
                          "clinic, a 6-digit code was sent to it; it works once, for 10 minutes.")  # fmt: skip

    @app.post("/sign-in", response_model=Session, summary="Sign in with the code")
    def sign_in(body: SignIn, request: Request) -> Session:
        actor = signing_in.verify_code(_uow(request), body.clinic, body.address, body.code,
                                       client=_client(request), clock=context.now)  # fmt: skip
        opened = open_patient_session(_uow(request), actor,
                                      user_agent=request.headers.get("user-agent"),
                                      client=_client(request), now=context.now())  # fmt: skip
        return Session(token=opened.token, idle_minutes=int(IDLE.total_seconds() // 60))

    @app.post("/sign-out", status_code=204, summary="Sign out: the token stops working")
    async def sign_out(actor: Patient, request: Request) -> Response:
        token = await bearer_token(request)
        await run_in_threadpool(signing_in.sign_out, _uow(request), actor, clock=context.now)
        await run_in_threadpool(end_patient_session, context.database, token, "signed_out",
                                now=context.now())  # fmt: skip
        return Response(status_code=204)

    @app.get("/me", summary="The patient's next appointment and what to do now")
    def me(actor: Patient, request: Request) -> dict[str, Any]:
        found = portal_home.home(_uow(request), actor, clock=context.now)
        shown: dict[str, Any] = _plain(
            {**found, "questionnaire": _questionnaire(found["questionnaire"])}
        )
        return shown

    @app.get("/intake", summary="The patient's questionnaire (null: not started)")
    def read_intake(actor: Patient, request: Request) -> dict[str, Any] | None:
        return _questionnaire(questionnaire.my_questionnaire(_uow(request), actor,
                                                             clock=context.now))  # fmt: skip

    @app.put("/intake/draft", summary="Save the questionnaire as a draft")
    def save_draft(body: Answers, actor: Patient, request: Request) -> dict[str, Any] | None:
        questionnaire.save_draft(_uow(request), actor, body.answers, clock=context.now)
        return read_intake(actor, request)

    @app.post("/intake/submit", summary="Send the questionnaire (once): screened at once")
    def submit(body: Answers, actor: Patient, request: Request) -> dict[str, Any] | None:
        found = questionnaire.submit(_uow(request), actor, body.answers, clock=context.now)
        return _questionnaire(found)

    return app

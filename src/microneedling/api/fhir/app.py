"""The FHIR R4 application, mounted at ``/fhir`` inside the JSON API's application (so
``microneedling serve`` and ``microneedling web`` both answer it): ``GET /fhir/R4/metadata``,
``GET /fhir/R4/{type}/{id}`` and ``GET /fhir/R4/{type}?…``.

Signing in is the JSON API's (:func:`~microneedling.api.security.current_actor`, the same bearer
token); roles, clinic isolation and the audit entry are the use cases' (``queries``). Every
answer is ``application/fhir+json``; every error an OperationOutcome with its HTTP status: 400 a
search that cannot be done as asked, 401 not signed in, 403 the role may not, 404 no such
resource in this clinic (also another clinic's, and any unknown path), 405 a method other than
GET, 409 a conflict, 422 invalid input.
"""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from microneedling.api.context import ApiContext, Context
from microneedling.api.errors import status_of
from microneedling.api.fhir import (
    capability,
    export_routes,
    import_routes,
    includes,
    questionnaire,
    search,
    slots,
)
from microneedling.api.fhir.resources import Resource, bundle, operation_outcome
from microneedling.api.security import CurrentActor
from microneedling.errors import UserError
from microneedling.knowledge import shipped_knowledge_base
from microneedling.services.access import RoleRefused
from microneedling.store import UnitOfWork

MEDIA_TYPE = "application/fhir+json"
PREFIX = "/fhir"
VERSION_PATH = "/R4"

#: OperationOutcome issue codes for our HTTP statuses.
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
    429: "throttled",
}


log = logging.getLogger("microneedling.api")


class FhirResponse(JSONResponse):
    media_type = MEDIA_TYPE


class FhirError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def outcome_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> FhirResponse:
    return FhirResponse(
        operation_outcome(ISSUE_CODES.get(status, "exception"), message),
        status_code=status,
        headers=headers,
    )


class ServerErrors:
    """ASGI middleware around the FHIR application: an unexpected exception is answered with
    an OperationOutcome (500, ``exception``) as a FHIR client expects, not the JSON API's error
    body. As the API's own (api/errors.py), the log gets the exception's type, the route and
    the traceback's frames, never its message (it may hold request data)."""

    BODY = json.dumps(
        operation_outcome(
            "exception", "Something went wrong on our side; it has been logged.", severity="fatal"
        ),
        separators=(",", ":"),
    ).encode()

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            log.error(
                "unexpected %s on FHIR %s %s\n%s",
                type(error).__name__,
                scope.get("method"),
                scope.get("path"),
                "".join(traceback.format_tb(error.__traceback__)[-8:]).rstrip(),
            )
            if started:
                return
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", MEDIA_TYPE.encode()),
                        (b"content-length", str(len(self.BODY)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": self.BODY})


class RefusalsAsOutcomes:
    """ASGI middleware for the whole API, around its request limits: a refusal of a request to
    ``/fhir`` made before it reaches the FHIR application (a body over the API's limit, JSON
    nested too deep, a NUL character) is answered as an OperationOutcome with the same status,
    as a FHIR client expects, rather than the JSON API's error body."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        held: dict[str, Any] = {}

        async def translating_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if message["status"] >= 400 and headers.get(b"content-type") == (
                    b"application/json"
                ):
                    held["start"] = message
                    held["body"] = b""
                    return
            elif message["type"] == "http.response.body" and "start" in held:
                held["body"] += message.get("body", b"")
                if message.get("more_body"):
                    return
                status = held["start"]["status"]
                try:
                    said = str(json.loads(held["body"]).get("message", "refused"))
                except (ValueError, AttributeError):
                    said = "the request was refused"
                body = json.dumps(
                    operation_outcome(ISSUE_CODES.get(status, "exception"), said),
                    separators=(",", ":"),
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [
                            (b"content-type", MEDIA_TYPE.encode()),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, translating_send)


def base_url(request: Request) -> str:
    """The service base (``http://host/fhir/R4``), as the client reached it."""
    # ``base_url`` is the whole application's (a proxy's root path included), not the mount's.
    return str(request.base_url).rstrip("/") + PREFIX + VERSION_PATH


def _with_links(found: list[Resource], request: Request) -> list[Resource]:
    """Our resources with their links made absolute (a photo's image: the JSON API's file)."""
    root = str(request.base_url).rstrip("/")
    for resource in found:
        content = resource.get("content")
        if isinstance(content, dict) and str(content.get("url", "")).startswith("/"):
            content["url"] = root + content["url"]
    return found


def _search_type(resource_type: str) -> search.ResourceSearch:
    found = search.SEARCHES.get(resource_type)
    if found is None:
        raise FhirError(404, f"this server has no resource type {resource_type[:40]!r}")
    return found


def create_fhir_app(context: ApiContext, software_version: str = "0.0.0") -> FastAPI:
    """The FHIR application on the API's context (its database, clock and sign-in)."""
    app = FastAPI(
        title="microneedling FHIR R4",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        default_response_class=FhirResponse,
    )
    app.state.context = context
    _install_errors(app)
    app.add_middleware(ServerErrors)

    @app.get(VERSION_PATH + "/metadata")
    def metadata(request: Request) -> FhirResponse:
        """What this server implements (no sign-in needed: it holds no one's data)."""
        return FhirResponse(capability.capability_statement(base_url(request), software_version))

    export_routes.install(app, VERSION_PATH, FhirError, base_url)
    import_routes.install(app, VERSION_PATH, FhirError, base_url, FhirResponse)

    @app.get(VERSION_PATH + "/Slot")
    def search_slots(request: Request, actor: CurrentActor, context: Context) -> FhirResponse:
        """The free time of the clinic calendar's practitioners on up to seven days."""
        uow = UnitOfWork(context.database, context.photos)
        try:
            found = slots.free_slots(
                uow, actor, list(request.query_params.multi_items()), context.now
            )
        except search.SearchError as problem:
            raise FhirError(400, problem.message) from None
        return FhirResponse(bundle(base_url(request), str(request.url), len(found), found))

    @app.get(VERSION_PATH + "/Slot/{resource_id}")
    def read_slot(resource_id: str, actor: CurrentActor) -> FhirResponse:
        raise FhirError(404, "a slot is not stored: search for free slots with Slot?start=…")

    @app.get(VERSION_PATH + "/Questionnaire")
    def questionnaires(request: Request, actor: CurrentActor) -> FhirResponse:
        """The one questionnaire this server publishes: the intake's (``_id`` intake, or its
        ``url``)."""
        resource = questionnaire.questionnaire_resource(shipped_knowledge_base())
        wanted = True
        for name, value in request.query_params.multi_items():
            if name == "_id":
                wanted = wanted and value == questionnaire.QUESTIONNAIRE_ID
            elif name == "url":
                wanted = wanted and value.split("|")[0] == resource["url"]
            elif name not in search.COMMON:
                raise FhirError(400, f"{name[:40]!r} is not a search parameter of Questionnaire")
        found = [resource] if wanted else []
        return FhirResponse(bundle(base_url(request), str(request.url), len(found), found))

    @app.get(VERSION_PATH + "/Questionnaire/{resource_id}")
    def read_questionnaire(resource_id: str, actor: CurrentActor) -> FhirResponse:
        if resource_id != questionnaire.QUESTIONNAIRE_ID:
            raise FhirError(404, f"Questionnaire/{resource_id[:40]} not found (only intake)")
        return FhirResponse(questionnaire.questionnaire_resource(shipped_knowledge_base()))

    @app.get(VERSION_PATH + "/{resource_type}")
    def search_type(
        resource_type: str, request: Request, actor: CurrentActor, context: Context
    ) -> FhirResponse:
        kind = _search_type(resource_type)
        items = list(request.query_params.multi_items())
        prefer = request.headers.get("prefer", "").replace(" ", "").lower()
        try:
            targets = includes.parse(
                kind.type, [value for name, value in items if name == "_include"]
            )
            asked = search.parse(
                kind,
                [(name, value) for name, value in items if name != "_include"],
                strict="handling=lenient" not in prefer,
            )
        except (search.SearchError, includes.IncludeError) as error:
            raise FhirError(400, error.message) from None
        filters, used, patient_id = asked.filters, asked.used, asked.patient_id
        uow = UnitOfWork(context.database, context.photos)
        arguments: dict[str, Any] = {}
        if patient_id is not None:
            arguments["patient_id"] = patient_id
        page = kind.search(uow, actor, filters, used, context.now, **arguments)
        extra = includes.included(uow, actor, context.now, page.resources, targets)
        base = base_url(request)
        others = [(name, value) for name, value in asked.kept if name not in ("_offset", "_count")]
        others += [("_include", value) for name, value in items if name == "_include"]

        def link(offset: int) -> str:
            query = [*others, ("_count", str(filters.count)), ("_offset", str(offset))]
            return f"{base}/{kind.type}?{urlencode(query)}"

        following = filters.offset + filters.count
        return FhirResponse(
            bundle(
                base,
                link(filters.offset),
                page.total,
                _with_links(page.resources, request),
                next_url=link(following) if filters.count and following < page.total else None,
                previous_url=(
                    link(max(0, filters.offset - filters.count))
                    if filters.offset and filters.count
                    else None
                ),
                included=_with_links(extra, request),
            )
        )

    @app.get(VERSION_PATH + "/Patient/{resource_id}/$everything")
    def everything(
        resource_id: str, request: Request, actor: CurrentActor, context: Context
    ) -> FhirResponse:
        """The patient and everything of theirs this server gives that the caller's role may
        see (a type the role may not read is left out, as the JSON API's record leaves it
        out), one Bundle; each part read is audited as its own read or search."""
        if request.query_params:
            raise FhirError(400, "$everything takes no parameters here")
        patient_id = search.record_id(resource_id)
        if patient_id is None:
            raise FhirError(404, f"Patient/{resource_id[:40]} not found in this clinic")
        uow = UnitOfWork(context.database, context.photos)
        found: list[Resource] = [
            search.SEARCHES["Patient"].read(uow, actor, patient_id, context.now)
        ]
        for kind in search.EVERYTHING:
            filters = search.patient_filters(kind, patient_id)
            try:
                page = kind.search(
                    uow, actor, filters, ["patient"], context.now, patient_id=patient_id
                )
            except RoleRefused:
                continue
            if page.total > len(page.resources):
                raise FhirError(
                    413,
                    f"this patient has more than {search.EVERYTHING_MOST:,} {kind.type} "
                    f"resources: search them with {kind.type}?patient={patient_id} and page",
                )
            found.extend(page.resources)
        base = base_url(request)
        return FhirResponse(bundle(base, str(request.url), len(found), _with_links(found, request)))

    @app.get(VERSION_PATH + "/{resource_type}/{resource_id}")
    def read(
        resource_type: str,
        resource_id: str,
        request: Request,
        actor: CurrentActor,
        context: Context,
    ) -> FhirResponse:
        kind = _search_type(resource_type)
        row_id = (
            search.record_id(resource_id.removeprefix(kind.id_prefix))
            if resource_id.startswith(kind.id_prefix)
            else None
        )
        if row_id is None:
            raise FhirError(404, f"{kind.type}/{resource_id[:40]} not found in this clinic")
        uow = UnitOfWork(context.database, context.photos)
        resource: Resource = kind.read(uow, actor, row_id, context.now)
        return FhirResponse(_with_links([resource], request)[0])

    return app


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(FhirError)
    async def fhir_error(request: Request, error: FhirError) -> FhirResponse:
        return outcome_response(error.status, error.message)

    @app.exception_handler(UserError)
    async def user_error(request: Request, error: UserError) -> FhirResponse:
        status, _code, headers = status_of(error)
        message = error.message
        if status == 404:
            # The use case names our table ("no patient 12"); the client asked for a resource.
            message = f"{message} (not found)"
        return outcome_response(status, message, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> FhirResponse:
        return outcome_response(400, "the request cannot be read")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> FhirResponse:
        status = error.status_code
        if status == 404:
            message = (
                "no such FHIR endpoint: use GET /fhir/R4/metadata, /fhir/R4/<type> or "
                "/fhir/R4/<type>/<id>"
            )
        elif status == 405:
            message = (
                "not a method of this FHIR endpoint: it reads and searches (GET); see "
                "GET /fhir/R4/metadata for what else it does"
            )
        else:
            message = error.detail if isinstance(error.detail, str) else "the request failed"
        return outcome_response(status, message, getattr(error, "headers", None))


def mount(api: FastAPI, software_version: str = "0.0.0") -> None:
    """Mount the FHIR application at ``/fhir`` on the JSON API's application (its context)."""
    api.mount(PREFIX, create_fhir_app(api.state.context, software_version))

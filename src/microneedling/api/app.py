"""The HTTP API: ``create_app()`` builds it on the configured database.

Everything is under ``/api/v1``; the OpenAPI document is at ``/openapi.json`` and its pages at
``/docs`` (Swagger UI, served with its script and style from the application: ``api/docs.py``).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from anyio import to_thread
from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from microneedling.api import docs, errors, security
from microneedling.api.context import ApiContext
from microneedling.api.fhir import app as fhir
from microneedling.api.lanes import ReadLane, lane_threads
from microneedling.api.limits import RequestLimits
from microneedling.api.routes import (
    adverse_events,
    appointments,
    auth,
    billing,
    charts,
    clinic,
    compute,
    consents,
    intakes,
    inventory,
    message_webhooks,
    messages,
    patients,
    photos,
    plans,
    reports,
    scheduling,
    sessions,
)
from microneedling.api.schemas import ErrorOut
from microneedling.config import Settings, settings
from microneedling.knowledge import shipped_knowledge_base
from microneedling.security_headers import SecurityHeaders
from microneedling.services.clock import Clock, utc_now
from microneedling.services.maintenance import open_database
from microneedling.services.passwords import verify_nothing
from microneedling.services.sign_in import SignInPolicy
from microneedling.store import Database, PhotoFiles

PREFIX = "/api/v1"
OPENAPI_URL = "/openapi.json"
#: Threads for sync routes: ``Settings.api_worker_threads`` (AnyIO's default limiter, 40 unless
#: set, is set to it at startup). Their work is mostly Python holding the GIL, and more threads
#: only take turns at it at a cost: with benchmarks/api.py on 2 cores the full record answered
#: 165, 155, 134 and 110 requests/s with 1, 2, 4 and 8 threads on SQLite (87, 103, 99, 86 on
#: PostgreSQL, where threads also wait for the network). The default, 8, leaves room for a few
#: slow requests (an optimisation, a PDF) at once; it stays within the database pool
#: (store/database.py: 8 connections + 8 overflow). The full record, the busiest read, has a lane
#: of its own threads (api/lanes.py: 1 on SQLite, 4 on PostgreSQL), within the same pool.

NO_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}

try:
    VERSION = version("microneedling")
except PackageNotFoundError:  # running from a source tree that is not installed
    VERSION = "0.0.0"

#: The error answers every endpoint may give, documented once (all with the one error body).
ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Not signed in, or the token expired or was revoked"},
    403: {"model": ErrorOut, "description": "Your role may not do this"},
    404: {"model": ErrorOut, "description": "No such record in your clinic"},
    409: {"model": ErrorOut, "description": "A conflict, or a clinic rule refuses it"},
    413: {"model": ErrorOut, "description": "The request is too large"},
    422: {"model": ErrorOut, "description": "Invalid input; `fields` names each problem"},
}

DESCRIPTION = """\
The records of a microneedling clinic and the clinical computations, for signed-in staff.

Sign in with `POST /api/v1/auth/token` (form fields `username` = your e-mail, `password`) and send
the token as `Authorization: Bearer <token>`. Every error has the body
`{"error": code, "message": text, "fields": [{"path", "message"}]}`.
"""


def create_app(
    config: Settings | None = None,
    *,
    database: Database | None = None,
    clock: Clock = utc_now,
    security_headers: bool = True,
) -> FastAPI:
    """The API on the configured database (or ``database``), with ``clock`` as its time.

    ``security_headers=False`` leaves the headers to whoever serves it inside a larger
    application (``microneedling.application``), which adds them once for everything.
    """
    config = config or settings()
    database = database or open_database(config)
    context = ApiContext(
        settings=config,
        database=database,
        photos=PhotoFiles(
            config.photo_dir, max_bytes=config.photo_max_bytes, max_pixels=config.photo_max_pixels
        ),
        policy=SignInPolicy.from_settings(config),
        clock=clock,
        records_lane=ReadLane(lane_threads(config, database)),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Sync routes (and, on PostgreSQL, the token check) run in AnyIO's thread pool.
        to_thread.current_default_thread_limiter().total_tokens = config.api_worker_threads
        # The computations run on the event loop (routes/compute.py): load the knowledge base
        # now, in a thread, rather than on the loop in the first request that needs it.
        await to_thread.run_sync(shipped_knowledge_base)
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="microneedling",
        version=VERSION,
        description=DESCRIPTION,
        openapi_url=OPENAPI_URL,
        docs_url=None,  # served by api/docs.py from vendored files, not from a CDN
        redoc_url=None,
        # FastAPI's OpenTelemetry hooks, off: nothing here collects spans or metrics, its logs
        # would carry exceptions' messages (which may hold patient data: errors.ServerErrors
        # keeps them out of the log), and it asked the providers on every request.
        telemetry=NO_TELEMETRY,
    )
    docs.install(app, openapi_url=OPENAPI_URL, title=app.title)
    app.state.context = context
    errors.install(app)
    # Each module's router straight onto the application (not under one /api/v1 router): FastAPI
    # matches nested routers level by level, each level trying every route below it again, so
    # one level less is a shorter search for every request. Each is an ApiRouter (routing.py),
    # which turns away a path outside its routes at once; still, FastAPI's own work for each
    # router asked before the right one is a few microseconds, so the busiest come first: the
    # computations (an intake form or a clinic's website screens every questionnaire), then
    # patients and their records, the calendar, and the rest; sign-in and the clinic's
    # settings last.
    modules = (
        compute,
        patients,
        appointments,
        scheduling,
        intakes,
        plans,
        consents,
        charts,
        photos,
        adverse_events,
        inventory,
        billing,
        reports,
        messages,
        message_webhooks,
        auth,
        sessions,
        clinic,
    )
    for module in modules:
        app.include_router(module.router, prefix=PREFIX, responses=ERRORS)
    security.document_sign_in(app, [(PREFIX, module.router) for module in modules])
    fhir.mount(app, VERSION)  # /fhir/R4/… on the same context (api/fhir/app.py)
    from microneedling.api.routes.portal import portal_api

    app.mount(PREFIX + "/portal", portal_api(context))  # the patient's API, its own OpenAPI
    app.add_middleware(
        RequestLimits,
        max_body_bytes=config.api_max_body_bytes,
        max_upload_bytes=config.photo_max_bytes,
    )
    app.add_middleware(fhir.RefusalsAsOutcomes)  # /fhir's refusals as OperationOutcomes
    app.add_middleware(errors.ServerErrors)  # the outermost of the API's own
    if security_headers:
        app.add_middleware(SecurityHeaders, hsts_seconds=config.hsts_seconds)
    # The dummy password hash is made now, not during someone's sign-in: on a thread of its own,
    # since Argon2 lets go of the GIL, so that it takes nothing from the server's start.
    threading.Thread(
        target=verify_nothing, args=("warm-up",), name="password-warm-up", daemon=True
    ).start()
    return app

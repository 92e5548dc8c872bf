"""The HTTP API: ``create_app()`` builds it on the configured database.

Everything is under ``/api/v1``; the OpenAPI document is at ``/openapi.json`` and its pages at
``/docs`` (Swagger UI, whose scripts FastAPI loads from a CDN: offline, the page stays blank, the
document does not).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, FastAPI

from microneedling.api import errors
from microneedling.api.context import ApiContext
from microneedling.api.limits import RequestLimits
from microneedling.api.routes import (
    adverse_events,
    appointments,
    auth,
    charts,
    clinic,
    compute,
    consents,
    intakes,
    inventory,
    patients,
    photos,
    plans,
    scheduling,
)
from microneedling.api.schemas import ErrorOut
from microneedling.config import Settings, settings
from microneedling.services.clock import Clock, utc_now
from microneedling.services.maintenance import open_database
from microneedling.services.passwords import verify_nothing
from microneedling.services.sign_in import SignInPolicy
from microneedling.store import Database, PhotoFiles

PREFIX = "/api/v1"

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
) -> FastAPI:
    """The API on the configured database (or ``database``), with ``clock`` as its time."""
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
    )
    app = FastAPI(
        title="microneedling",
        version=VERSION,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.context = context
    errors.install(app)
    api = APIRouter(prefix=PREFIX, responses=ERRORS)
    for module in (
        auth,
        patients,
        intakes,
        plans,
        consents,
        appointments,
        charts,
        adverse_events,
        photos,
        inventory,
        clinic,
        scheduling,
        compute,
    ):
        api.include_router(module.router)
    app.include_router(api)
    app.add_middleware(
        RequestLimits,
        max_body_bytes=config.api_max_body_bytes,
        max_upload_bytes=config.photo_max_bytes,
    )
    app.add_middleware(errors.ServerErrors)  # added last: the outermost of ours
    verify_nothing("warm-up")  # the dummy hash is made now, not during someone's sign-in
    return app

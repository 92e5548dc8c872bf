"""The web application for clinic staff: :func:`create_web_app`.

Server-rendered pages (Jinja2) with HTMX for the live parts, over the same use cases as the API
and the command line. Self-contained: its own session middleware, error pages and static files
(``/static``, HTMX vendored), so it can be served alone or mounted at ``/`` beside the API.
"""

from __future__ import annotations

import logging
import secrets
import traceback
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from microneedling.config import Settings
from microneedling.config import settings as configured_settings
from microneedling.errors import Conflict, NotFound, PermissionDenied, UserError
from microneedling.security_headers import SecurityHeaders
from microneedling.services import web_sessions
from microneedling.services.clock import Clock, utc_now
from microneedling.services.maintenance import open_database
from microneedling.services.sign_in import SignInPolicy
from microneedling.store import Database
from microneedling.web import labels
from microneedling.web.context import (
    CsrfRefused,
    NotSignedIn,
    PasswordMustChange,
    WebApp,
    any_page,
    is_htmx,
    sign_in_url,
)
from microneedling.web.forms import field_id
from microneedling.web.security import BodyTooLarge, SecurityMiddleware, refusal_page
from microneedling.web.sessions import SessionCodec, SessionMiddleware
from microneedling.web.settings import WebSettings

log = logging.getLogger("microneedling.web")

STATIC = Path(__file__).parent / "static"


def templates() -> Environment:
    env = Environment(
        loader=PackageLoader("microneedling.web", "templates"),
        autoescape=select_autoescape(["html", "j2", "svg"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(labels.filters())
    env.filters.update(labels.name_filters())
    env.globals["field_id"] = field_id
    return env


def _secret(web: WebSettings) -> bytes:
    if web.secret_key is not None:
        key = web.secret_key.get_secret_value().encode("utf-8")
        if len(key) < 32:
            raise ValueError("MICRONEEDLING_WEB_SECRET_KEY needs at least 32 characters")
        return key
    log.info(
        "no MICRONEEDLING_WEB_SECRET_KEY: a form opened before a restart (the sign-in form) "
        "must be opened again after it; signed-in sessions are kept in the database"
    )
    return secrets.token_bytes(32)


def create_web_app(
    settings: Settings | None = None,
    *,
    web_settings: WebSettings | None = None,
    database: Database | None = None,
    clock: Clock | None = None,
    security_headers: bool = True,
) -> FastAPI:
    """The staff web application on the configured database (or ``database``).

    ``clock`` (tests, ``microneedling web --today``) is what "now" is for sessions and every use
    case. ``security_headers=False`` leaves the headers to the application it is served in
    (``microneedling.application``), which adds them once for everything.
    """
    config = settings or configured_settings()
    web = web_settings or WebSettings()
    now = clock or utc_now
    app = FastAPI(
        title="microneedling: clinic staff",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.web = WebApp(
        settings=config,
        web=web,
        database=database or open_database(config),
        templates=templates(),
        clock=now,
        sign_in_policy=SignInPolicy.from_settings(config),
    )
    records = app.state.web.database
    idle, max_age = (
        timedelta(minutes=web.session_idle_minutes),
        timedelta(hours=web.session_max_hours),
    )

    def lookup(token: str) -> web_sessions.CheckedSession:
        return web_sessions.check_session(records, token, idle=idle, max_age=max_age, clock=now)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    from microneedling.web.routes import ROUTERS

    for router in ROUTERS:
        app.include_router(router)
    from microneedling.web.portal import install as install_portal

    install_portal(app)  # the patient portal (/my/...)
    _handle_errors(app)
    app.add_middleware(CatchAll)
    app.add_middleware(
        SessionMiddleware,
        codec=SessionCodec(_secret(web)),
        lookup=lookup,
        secure=web.cookie_secure,
    )
    app.add_middleware(
        SecurityMiddleware,
        max_form_bytes=web.max_form_bytes,
        max_upload_bytes=config.photo_max_bytes + 100_000,
    )
    if security_headers:
        app.add_middleware(SecurityHeaders, hsts_seconds=config.hsts_seconds)
    return app


def _error_page(
    request: Request, status: int, title: str, message: str, **extra: Any
) -> HTMLResponse:
    try:
        page = any_page(request)
    except Exception:  # the error page must not fail too (database unreachable...)
        log.exception("error page without the session")
        return HTMLResponse(f"<!doctype html><title>{status}</title><p>{status}", status)
    template = "partials/error.html.j2" if is_htmx(request) else "error.html.j2"
    return page.render(template, status, title=title, message=message, status=status, **extra)


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, error: NotSignedIn) -> Response:
        url = sign_in_url(request)
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)

    @app.exception_handler(PasswordMustChange)
    async def password_must_change(request: Request, error: PasswordMustChange) -> Response:
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": "/account/password"})
        return RedirectResponse("/account/password", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, error: CsrfRefused) -> Response:
        return _error_page(
            request,
            403,
            "This form has expired",
            "The form was open too long or came from another page. Go back, reload the page "
            "and send it again.",
        )

    @app.exception_handler(PermissionDenied)
    async def permission_denied(request: Request, error: PermissionDenied) -> Response:
        return _error_page(
            request,
            403,
            "Not allowed for your role",
            f"{error.message}. Ask a colleague who can, or the clinic's owner.",
        )

    @app.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound) -> Response:
        return _error_page(request, 404, "Not found", error.message)

    @app.exception_handler(Conflict)
    async def conflict(request: Request, error: Conflict) -> Response:
        return _error_page(request, 409, "Someone got there first", error.message)

    @app.exception_handler(UserError)
    async def user_error(request: Request, error: UserError) -> Response:
        return _error_page(request, 400, "That cannot be done", str(error))

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, error: BodyTooLarge) -> Response:
        return HTMLResponse(refusal_page("Too large", str(error)), status_code=413)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, error: RequestValidationError) -> Response:
        where = {str(item.get("loc", ("",))[0]) for item in error.errors()}
        if "path" in where:
            return _error_page(request, 404, "Not found", "There is no such page.")
        return _error_page(request, 400, "Bad request", "The page was asked for in a way it "
                           "does not understand; go back and try again.")  # fmt: skip

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/static/"):  # a missing file: no page, no log
            return PlainTextResponse("Not found", status_code=error.status_code)
        if error.status_code == 404:
            return _error_page(request, 404, "Not found", "There is no such page.")
        if error.status_code == 405:
            return _error_page(request, 405, "Not here", "This address does not take that.")
        return _error_page(request, error.status_code, "Error", str(error.detail))


class CatchAll:
    """A fault becomes an error page with a reference, and a log line with the exception's type
    and where it happened, never its message (which might hold patient data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as error:
            reference = uuid.uuid4().hex[:8]
            where = "".join(traceback.format_tb(error.__traceback__)[-3:])
            log.error(
                "unexpected %s on %s %s (ref %s)\n%s",
                type(error).__name__,
                scope["method"],
                scope["path"],
                reference,
                where,
            )
            if started:
                return
            request = Request(scope)
            response = _error_page(
                request,
                500,
                "Something went wrong",
                "This is a fault in the software, not something you did; what you were doing "
                f"may not have been saved. Tell your administrator, quoting reference {reference}.",
            )
            await response(scope, receive, send)

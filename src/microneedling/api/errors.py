"""One error body everywhere: ``{"error": code, "message": text, "fields": [{path, message}]}``.

User errors map to 4xx: 422 invalid input (``fields`` names each problem), 401 not signed in,
403 the role may not, 404 missing or another clinic's (the same answer), 409 a conflict or a
clinic rule that refuses it, 413 too large, 429 too many sign-in attempts. Anything else is a 500
with a generic message: never a stack trace, and the log line carries no request data.
"""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from microneedling.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    RuleViolation,
    UserError,
    plain_message,
)
from microneedling.services.sign_in import NotSignedIn, TooManySignIns

log = logging.getLogger("microneedling.api")

#: Error codes for plain HTTP statuses.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
}


class ApiError(Exception):
    """An error with its HTTP status and code, raised by the API layer itself (limits)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or STATUS_CODES.get(status, "error")
        self.message = message
        self.headers = headers


def error_body(
    code: str, message: str, fields: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    return {"error": code, "message": message, "fields": fields or []}


def _fields(error: UserError) -> list[dict[str, str]]:
    return [{"path": path, "message": message} for path, message in error.fields]


def status_of(error: UserError) -> tuple[int, str, dict[str, str] | None]:
    """The HTTP status, error code and headers of a :class:`UserError`."""
    if isinstance(error, NotSignedIn):
        return 401, "unauthenticated", {"WWW-Authenticate": "Bearer"}
    if isinstance(error, TooManySignIns):
        return 429, "too_many_requests", {"Retry-After": str(error.retry_after)}
    if isinstance(error, NotFound):
        return 404, "not_found", None
    if isinstance(error, PermissionDenied):
        return 403, "forbidden", None
    if isinstance(error, Conflict):
        return 409, "conflict", None
    if isinstance(error, RuleViolation):
        return 409, "refused", None
    return 422, "invalid", None


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "form", "cookie"):
        parts = parts[1:] or parts
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (("." if out else "") + part)
    return out or "request"


def _message(item: dict[str, Any]) -> str:
    """The problem in plain words (the one translation, shared with the web and the CLI)."""
    return plain_message(item)


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the one body."""

    @app.exception_handler(UserError)
    async def user_error(request: Request, error: UserError) -> JSONResponse:
        status, code, headers = status_of(error)
        return JSONResponse(
            error_body(code, error.message, _fields(error)), status_code=status, headers=headers
        )

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return JSONResponse(
            error_body(error.code, error.message), status_code=error.status, headers=error.headers
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        fields = [
            {"path": _location(tuple(item.get("loc", ()))), "message": _message(item)}
            for item in error.errors()
        ]
        first = fields[0] if fields else {"path": "request", "message": "invalid"}
        more = f" (and {len(fields) - 1} more problems)" if len(fields) > 1 else ""
        text = f"{first['path']}: {first['message']}{more}"
        return JSONResponse(error_body("invalid", text, fields), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        status = error.status_code
        if status == 400:
            # A body that cannot be parsed at all (not JSON, a broken multipart form) is invalid
            # input like any other: 422.
            status = 422
        code = STATUS_CODES.get(status, "error")
        detail = error.detail if isinstance(error.detail, str) else code.replace("_", " ")
        if status == 422:
            detail = f"the request body cannot be read: {detail[:1].lower()}{detail[1:]}"
        return JSONResponse(
            error_body(
                code,
                detail,
                [{"path": "body", "message": "cannot be read"}] if status == 422 else None,
            ),
            status_code=status,
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(DataError)
    async def out_of_range(request: Request, error: DataError) -> JSONResponse:
        # Input validation should have refused it; the database did. Not the client's secret.
        log.warning("the database refused a value on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body("invalid", "a value is out of the range the records can hold"),
            status_code=422,
        )

    @app.exception_handler(ResponseValidationError)
    async def bad_response(request: Request, error: ResponseValidationError) -> JSONResponse:
        log.error("response does not match its schema on %s %s", request.method, request.url.path)
        return _internal()


INTERNAL = error_body("internal", "Something went wrong on our side; it has been logged.")


def _internal() -> JSONResponse:
    return JSONResponse(INTERNAL, status_code=500)


class ServerErrors:
    """ASGI middleware (the outermost of the API's own): any exception becomes the 500 error
    body. (The security headers are added outside it, by
    :class:`~microneedling.security_headers.SecurityHeaders`.)

    Starlette's own handler for unexpected exceptions re-raises them to the server, which logs
    the exception's text, and that may hold request data (a name, a birth date). Here the log
    gets the exception's type, the route and the traceback's frames (code, not values), never its
    message, and nothing reaches the server's log.
    """

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
                "unexpected %s on %s %s\n%s",
                type(error).__name__,
                scope.get("method"),
                scope.get("path"),
                "".join(traceback.format_tb(error.__traceback__)[-8:]).rstrip(),
            )
            if not started:
                payload = json.dumps(INTERNAL, separators=(",", ":")).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": payload})

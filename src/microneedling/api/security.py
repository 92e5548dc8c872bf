"""Who is calling: the bearer token of ``Authorization: Bearer <token>``, checked on every request.

``POST /api/v1/auth/token`` gives the token (OAuth2 password flow, so the OpenAPI page's
"Authorize" button works); ``current_actor`` turns it into the :class:`Actor` the use cases take.
A missing, unknown, expired or revoked token, or an account closed since, answers 401.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordBearer
from fastapi.security.utils import get_authorization_scheme_param

from microneedling.api.context import ApiContext
from microneedling.services.access import Actor
from microneedling.services.sign_in import NotSignedIn, actor_for_token, remembered_actor
from microneedling.store import UnitOfWork

__all__ = ["Actor", "CurrentActor", "Token", "bearer_token", "current_actor", "document_sign_in"]

TOKEN_URL = "/api/v1/auth/token"
#: What an account whose password an owner reset may still call.
BEFORE_PASSWORD_CHANGE = frozenset(
    {"/api/v1/auth/password", "/api/v1/auth/logout", "/api/v1/auth/me"}
)

_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


async def bearer_token(request: Request) -> str:
    """The bearer token of ``Authorization: Bearer <token>``, or 401 (as ``OAuth2PasswordBearer``
    reads it; the scheme is in the OpenAPI document through :func:`document_sign_in`)."""
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    if not token or scheme.lower() != "bearer":
        raise NotSignedIn("sign in first: send the header Authorization: Bearer <token>")
    return token


async def current_actor(request: Request) -> Actor:
    """The signed-in staff member (a read that waits for no writer and writes nothing).

    A token found good a moment ago is answered from memory (``Settings.token_recheck_seconds``;
    services/token_cache.py says what that changes). Otherwise, on SQLite, the read runs right
    here, on the event loop: it is one indexed row from a file this process has open (a tenth of
    a millisecond), and handing it to a worker thread and back costs several times that under
    load (the hop, and the threads' turns at the GIL). On PostgreSQL it is a network round trip,
    which must not stall the loop: it runs in the thread pool.

    It reads the ``Authorization`` header itself (:func:`bearer_token`, called, not depended on)
    and takes the application from the request, rather than through dependencies of its own: FastAPI's
    work for each dependency was a tenth of the time of a whole ``POST /screen``, and this one
    is on nearly every request. :func:`document_sign_in` puts the scheme in the OpenAPI
    document, where the dependency would have put it.
    """
    token = await bearer_token(request)
    context: ApiContext = request.app.state.context
    actor = remembered_actor(context.database, token, clock=context.now)
    if actor is not None:
        return actor
    uow = UnitOfWork(context.database, read_only=True)
    recheck = context.policy.token_recheck
    # After an owner's reset, only these until the password is changed (services/sign_in.py).
    allowed = request.url.path in BEFORE_PASSWORD_CHANGE
    if context.database.reads_in_process:
        return actor_for_token(
            uow, token, clock=context.now, recheck=recheck, before_password_change=allowed
        )
    return await run_in_threadpool(
        actor_for_token,
        uow,
        token,
        clock=context.now,
        recheck=recheck,
        before_password_change=allowed,
    )


def _signs_in(dependant: Dependant) -> bool:
    return any(
        needed.call is current_actor or _signs_in(needed) for needed in dependant.dependencies
    )


def document_sign_in(app: FastAPI, routers: Iterable[tuple[str, APIRouter]]) -> None:
    """Mark in the OpenAPI document every operation of ``routers`` (each with its prefix) that
    needs :func:`current_actor` as needing the bearer token (the "Authorize" button of /docs
    then sends it), as FastAPI does for a route with ``OAuth2PasswordBearer`` among its
    dependencies."""
    operations = [
        (prefix + route.path_format, method.lower())
        for prefix, router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and route.include_in_schema and _signs_in(route.dependant)
        for method in route.methods or ()
    ]
    scheme = _bearer.scheme_name
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()
        schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes.setdefault(
            scheme, _bearer.model.model_dump(mode="json", by_alias=True, exclude_none=True)
        )
        for path, method in operations:
            security = document["paths"][path][method].setdefault("security", [])
            if {scheme: []} not in security:
                security.append({scheme: []})
        return document

    app.openapi = openapi  # type: ignore[method-assign]


CurrentActor = Annotated[Actor, Depends(current_actor)]
Token = Annotated[str, Depends(bearer_token)]

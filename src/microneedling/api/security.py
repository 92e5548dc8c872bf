"""Who is calling: the bearer token of ``Authorization: Bearer <token>``, checked on every request.

``POST /api/v1/auth/token`` gives the token (OAuth2 password flow, so the OpenAPI page's
"Authorize" button works); ``current_actor`` turns it into the :class:`Actor` the use cases take.
A missing, unknown, expired or revoked token, or an account closed since, answers 401.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer

from microneedling.api.context import ApiContext
from microneedling.services.access import Actor
from microneedling.services.sign_in import NotSignedIn, actor_for_token, remembered_actor
from microneedling.store import UnitOfWork

__all__ = ["Actor", "CurrentActor", "Token", "bearer_token", "current_actor"]

TOKEN_URL = "/api/v1/auth/token"

_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


async def bearer_token(token: Annotated[str | None, Depends(_bearer)]) -> str:
    """The bearer token sent, or 401."""
    if not token:
        raise NotSignedIn("sign in first: send the header Authorization: Bearer <token>")
    return token


async def current_actor(token: Annotated[str | None, Depends(_bearer)], request: Request) -> Actor:
    """The signed-in staff member (a read that waits for no writer and writes nothing).

    A token found good a moment ago is answered from memory (``Settings.token_recheck_seconds``;
    services/token_cache.py says what that changes). Otherwise, on SQLite, the read runs right
    here, on the event loop: it is one indexed row from a file this process has open (a tenth of
    a millisecond), and handing it to a worker thread and back costs several times that under
    load (the hop, and the threads' turns at the GIL). On PostgreSQL it is a network round trip,
    which must not stall the loop: it runs in the thread pool.

    It takes the header and the application itself rather than through :func:`bearer_token` and
    :func:`~microneedling.api.context.api_context`: every dependency costs FastAPI time on every
    request, and this one is on nearly all of them.
    """
    if not token:
        raise NotSignedIn("sign in first: send the header Authorization: Bearer <token>")
    context: ApiContext = request.app.state.context
    actor = remembered_actor(context.database, token, clock=context.now)
    if actor is not None:
        return actor
    uow = UnitOfWork(context.database, read_only=True)
    recheck = context.policy.token_recheck
    if context.database.reads_in_process:
        return actor_for_token(uow, token, clock=context.now, recheck=recheck)
    return await run_in_threadpool(actor_for_token, uow, token, clock=context.now, recheck=recheck)


CurrentActor = Annotated[Actor, Depends(current_actor)]
Token = Annotated[str, Depends(bearer_token)]

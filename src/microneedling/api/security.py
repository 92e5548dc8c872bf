"""Who is calling: the bearer token of ``Authorization: Bearer <token>``, checked on every request.

``POST /api/v1/auth/token`` gives the token (OAuth2 password flow, so the OpenAPI page's
"Authorize" button works); ``current_actor`` turns it into the :class:`Actor` the use cases take.
A missing, unknown, expired or revoked token, or an account closed since, answers 401.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from microneedling.api.context import Context
from microneedling.services.access import Actor
from microneedling.services.sign_in import NotSignedIn, actor_for_token
from microneedling.store import UnitOfWork

__all__ = ["Actor", "CurrentActor", "Token", "bearer_token", "current_actor"]

TOKEN_URL = "/api/v1/auth/token"

_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


def bearer_token(token: Annotated[str | None, Depends(_bearer)]) -> str:
    """The bearer token sent, or 401."""
    if not token:
        raise NotSignedIn("sign in first: send the header Authorization: Bearer <token>")
    return token


def current_actor(token: Annotated[str, Depends(bearer_token)], context: Context) -> Actor:
    """The signed-in staff member (a read that waits for no writer and writes nothing)."""
    return actor_for_token(UnitOfWork(context.database, read_only=True), token, clock=context.now)


CurrentActor = Annotated[Actor, Depends(current_actor)]
Token = Annotated[str, Depends(bearer_token)]

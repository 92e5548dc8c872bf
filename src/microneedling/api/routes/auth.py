"""Signing in and out: ``POST /auth/token`` (OAuth2 password form), ``POST /auth/logout``,
``GET /auth/me``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from microneedling.api.context import Context, Now, Uow
from microneedling.api.routing import ApiRouter
from microneedling.api.schemas import AccountOut, ErrorOut, TokenOut
from microneedling.api.security import CurrentActor, Token
from microneedling.services import sign_in
from microneedling.store import UnitOfWork

router = ApiRouter(prefix="/auth", tags=["accounts"])


@router.post(
    "/token",
    response_model=TokenOut,
    summary="Sign in: e-mail and password for a bearer token",
    responses={
        401: {"model": ErrorOut, "description": "Wrong e-mail or password (the same for both)"},
        429: {"model": ErrorOut, "description": "Too many failures: wait `Retry-After` seconds"},
    },
)
def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    uow: Uow,
    context: Context,
) -> dict[str, Any]:
    """The OAuth2 password flow: `username` is the staff member's e-mail. The token expires
    (`expires_in` seconds); repeated failures lock the e-mail (and the client address) out for a
    while, with the same answer whether or not the account exists."""
    issued = sign_in.sign_in_for_token(
        uow,
        form.username,
        form.password,
        client=request.client.host if request.client else "unknown",
        policy=context.policy,
        clock=context.now,
    )
    return {"access_token": issued.token, "token_type": "bearer", "expires_in": issued.expires_in}


@router.post("/logout", status_code=204, summary="Sign out: the token stops working")
def logout(actor: CurrentActor, token: Token, uow: Uow, clock: Now) -> Response:
    sign_in.sign_out(uow, actor, token, clock=clock)
    return Response(status_code=204)


@router.get("/me", response_model=AccountOut, summary="The signed-in staff member and clinic")
def me(actor: CurrentActor, context: Context) -> dict[str, Any]:
    return sign_in.signed_in_account(UnitOfWork(context.database, read_only=True), actor)

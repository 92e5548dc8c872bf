"""Passwords and sign-ins: ``POST /auth/password`` (change your own), and for owners
``POST /staff/{id}/password-reset`` (a one-time password), ``GET /staff/{id}/sessions`` and
``POST /staff/{id}/sessions/end`` (one session, or every session and API token)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from fastapi import Request
from pydantic import Field

from microneedling.api.context import Context, IdInPath, Now, Uow
from microneedling.api.routing import ApiRouter
from microneedling.api.schemas import ErrorOut, In, Out
from microneedling.api.security import CurrentActor, Token
from microneedling.services import password_change, web_sessions
from microneedling.services.inputs import MAX_ID
from microneedling.services.passwords import MAX_PASSWORD_CHARS

router = ApiRouter(tags=["accounts"])


class PasswordChangeIn(In):
    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD_CHARS)
    new_password: str = Field(
        min_length=1,
        max_length=MAX_PASSWORD_CHARS,
        description="At least 12 characters, not easy to guess (the same policy as the pages)",
    )


class PasswordChangedOut(Out):
    other_sign_ins_ended: int = Field(
        description="Sessions and API tokens of this account ended (all but this token)"
    )


class OneTimePasswordOut(Out):
    one_time_password: str = Field(
        description="Shown only in this answer; it must be changed at the next sign-in, and "
        "until then the account can do nothing else"
    )


class SessionOut(Out):
    id: int
    created_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None
    ended_reason: str | None = Field(
        description="signed_out, idle, max_age, account, password or owner"
    )
    user_agent: str
    client: str


class StaffSessionsOut(Out):
    staff_id: int
    sessions: list[SessionOut] = Field(description="Open ones first, then the latest ended")
    open_api_tokens: int


class EndSessionsIn(In):
    session_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="One session of the pages; without it, every session and API token",
    )


class EndedOut(Out):
    ended: int


@router.post(
    "/auth/password",
    response_model=PasswordChangedOut,
    summary="Change your own password",
    responses={
        422: {"model": ErrorOut, "description": "Wrong current password, or a weak new one"},
        429: {"model": ErrorOut, "description": "Too many wrong passwords: wait `Retry-After`"},
    },
)
def change_password(
    body: PasswordChangeIn,
    request: Request,
    actor: CurrentActor,
    token: Token,
    uow: Uow,
    context: Context,
) -> dict[str, Any]:
    """Every other sign-in of the account ends (the pages' sessions and other API tokens); this
    token stays. A wrong current password counts as a failed sign-in of the account's e-mail."""
    ended = password_change.change_password(
        uow,
        actor,
        body.current_password,
        body.new_password,
        client=request.client.host if request.client else "unknown",
        keep_token_sha256=hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest(),
        policy=context.policy,
        clock=context.now,
    )
    return {"other_sign_ins_ended": ended}


@router.post(
    "/staff/{staff_id}/password-reset",
    response_model=OneTimePasswordOut,
    summary="Reset a staff member's password (owners)",
)
def reset_password(staff_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any]:
    """A one-time password for the staff member, shown once; their sessions and tokens end."""
    return {"one_time_password": password_change.reset_password(uow, actor, staff_id, clock=clock)}


@router.get(
    "/staff/{staff_id}/sessions",
    response_model=StaffSessionsOut,
    summary="Where a staff member is signed in (owners)",
)
def staff_sessions(staff_id: IdInPath, actor: CurrentActor, uow: Uow, clock: Now) -> dict[str, Any]:
    seen = web_sessions.staff_sessions(uow, actor, staff_id, clock=clock)
    return {
        "staff_id": seen["staff"]["id"],
        "sessions": seen["sessions"],
        "open_api_tokens": seen["open_api_tokens"],
    }


@router.post(
    "/staff/{staff_id}/sessions/end",
    response_model=EndedOut,
    summary="Sign a staff member out (owners)",
)
def end_sessions(
    staff_id: IdInPath, body: EndSessionsIn, actor: CurrentActor, uow: Uow, clock: Now
) -> dict[str, Any]:
    """One session of the pages (``session_id``), or everything: every session and API token."""
    ended = web_sessions.end_staff_sessions(
        uow, actor, staff_id, session_id=body.session_id, clock=clock
    )
    return {"ended": ended}

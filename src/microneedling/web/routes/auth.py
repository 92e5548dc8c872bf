"""Signing in and out.

Signing in goes through the API's use case (``sign_in.sign_in_for_session``: the same checks as
``sign_in_for_token``, without issuing a token), so failed sign-ins from the web and the API are
counted together, in the database (they survive a restart), under one policy: repeated failures
for an e-mail (or from an address) lock it for a while, with the same answer whether or not the
account exists.
"""

from __future__ import annotations

import math
from contextlib import suppress

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from microneedling.errors import NotFound, PermissionDenied
from microneedling.services import overview, web_sessions
from microneedling.services import sign_in as signing_in
from microneedling.web.context import Page, any_page, end_session, posted_form
from microneedling.web.forms import Form
from microneedling.web.installation import installation_of

router = APIRouter()

LABELS = {"email": "E-mail address", "password": "Password"}


def safe_next(target: str) -> str:
    """Only a path on this site (never another site, never a protocol-relative URL)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target[:500]


def _show(page: Page, form: Form, next_url: str, status_code: int = 200) -> Response:
    form.set("password", "")  # never sent back
    web = page.app.web
    return page.render(
        "sign_in.html.j2",
        status_code,
        title="Sign in",
        form=form,
        next=next_url,
        idle_minutes=web.session_idle_minutes,
        max_hours=web.session_max_hours,
    )


@router.get("/sign-in")
def sign_in_page(next: str = "/", page: Page = Depends(any_page)) -> Response:
    if not page.account and not installation_of(page.app)["clinics"]:
        return RedirectResponse("/setup", status_code=303)  # the first-run setup
    if page.account is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _show(page, Form.blank(LABELS), safe_next(next))


@router.post("/sign-in")
def sign_in(page: Page = Depends(any_page), form: Form = Depends(posted_form)) -> Response:
    form.labels = LABELS
    next_url = safe_next(form.get("next", "/"))
    email = form.text("email", required=True, max_length=254)
    password = form.get("password")
    if not password:
        form.add("password", "is required")
    if not form.ok or email is None:
        return _show(page, form, next_url, 422)
    request = page.request
    try:
        actor = signing_in.sign_in_for_session(
            page.app.uow(),
            email,
            password[:1024],
            client=request.client.host if request.client else "unknown",
            policy=page.app.sign_in_policy,
            clock=page.clock,
        )
        account = overview.account(page.app.uow(), actor)
    except signing_in.TooManySignIns as error:
        minutes = max(1, math.ceil(error.retry_after / 60))
        form.add(
            None,
            f"Too many failed sign-ins; try again in {minutes} minute{'s' if minutes > 1 else ''}.",
        )
        return _show(page, form, next_url, 429)
    except PermissionDenied:
        form.add(None, "Wrong e-mail address or password (or the account is closed).")
        return _show(page, form, next_url, 422)
    # A new session (id and CSRF token) at sign-in: a session fixed beforehand is useless.
    if page.session.token is not None:
        end_session(page, ended="signed_out")
    opened = web_sessions.open_session(
        page.app.uow(),
        actor,
        user_agent=request.headers.get("user-agent"),
        client=request.client.host if request.client else "unknown",
        clock=page.clock,
    )
    page.session.become_signed_in(
        opened.token,
        opened.csrf,
        opened.session_id,
        actor.staff_user_id,
        actor.clinic_id,
        str(actor.role),
    )
    page.account = account
    if opened.must_change_password:
        return RedirectResponse("/account/password", status_code=303)
    return RedirectResponse(next_url, status_code=303)


@router.post("/sign-out")
def sign_out(page: Page = Depends(any_page), form: Form = Depends(posted_form)) -> Response:
    if page.session.token is not None and page.account is not None:
        # The session or the account may have ended meanwhile: signed out all the same.
        with suppress(PermissionDenied, NotFound):
            web_sessions.sign_out(page.app.uow(), page.actor, page.session.token, clock=page.clock)
    page.session.become_anonymous(ended="signed_out")
    page.account = None
    return RedirectResponse("/sign-in", status_code=303)

"""What every portal page handler works with: the signed-in patient and running a use case as
them.

A portal handler takes ``page: PatientPage = Depends(patient_page)`` (a signed-in patient; an
anonymous visitor is sent to the sign-in page, a staff member's browser is refused), or
``Depends(portal_visitor)`` for the pages before signing in, and ``form: Form =
Depends(portal_form)`` for a POST (checks the CSRF token of the patient's session, or of the
anonymous session before signing in).

The patient's cookie (:data:`PATIENT_COOKIE`) is scoped to ``/my`` (``Path=/my``): a browser
never sends it to a staff page or the API, and the staff pages never look it up.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

import anyio.to_thread
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from microneedling.services.clock import Clock, local_date
from microneedling.services.portal.actor import PatientActor
from microneedling.services.portal.sessions import (
    MAX_TOKEN_CHARS,
    CheckedPatientSession,
    check_patient_session,
)
from microneedling.store.models import Clinic
from microneedling.web.context import WebApp, is_htmx, web_app
from microneedling.web.forms import Form
from microneedling.web.portal.i18n import portal_templates
from microneedling.web.sessions import WebSession

T = TypeVar("T")

#: The patient's session cookie (an opaque id; the session is in ``portal_session``).
PATIENT_COOKIE = "microneedling_patient"
#: Where it is sent: the portal's pages only.
PATIENT_COOKIE_PATH = "/my"
#: The portal's sign-in page.
SIGN_IN = "/my/sign-in"


class PatientNotSignedIn(Exception):
    """The page needs a signed-in patient (the handler redirects to the portal's sign-in)."""

    def __init__(self, ended: str | None = None) -> None:
        super().__init__(ended or "")
        self.ended = ended


class StaffInPortal(Exception):
    """A staff member's browser asked for a patient's page: refused (the portal is for
    patients; staff see patients' records in the staff pages)."""


class PortalCsrfRefused(Exception):
    """A portal form without the session's CSRF token."""


@dataclass
class PatientPage:
    """One portal request: the signed-in patient (``actor``; None before signing in)."""

    request: Request
    app: WebApp
    #: The browser's anonymous staff-side session: flashes and the CSRF token before sign-in.
    web_session: WebSession
    actor_or_none: PatientActor | None = None
    csrf: str = ""
    #: The patient's clinic: name and time zone (set once signed in).
    clinic_name: str = ""
    time_zone: str = "UTC"

    @property
    def actor(self) -> PatientActor:
        if self.actor_or_none is None:
            raise PatientNotSignedIn()
        return self.actor_or_none

    @property
    def clock(self) -> Clock:
        return self.app.clock

    def now(self) -> datetime:
        return self.clock()

    @property
    def today(self) -> date:
        return local_date(self.clock(), self.time_zone)

    @property
    def htmx(self) -> bool:
        return is_htmx(self.request)

    def run(self, use_case: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a portal use case as the signed-in patient, on a new unit of work."""
        return use_case(self.app.uow(), self.actor, *args, clock=self.clock, **kwargs)

    def flash(self, message: str) -> None:
        self.web_session.flash(message)

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        values = {
            "page": self,
            "csrf_token": self.csrf or self.web_session.csrf,
            "signed_in": self.actor_or_none is not None,
            "clinic_name": self.clinic_name,
            "portal_links": _nav_links() if self.actor_or_none is not None else [],
            "flashes": self.web_session.take_flashes() if not self.htmx else [],
            **context,
        }
        html = portal_templates(self.app).get_template(template).render(**values)
        return HTMLResponse(html, status_code=status_code)

    def redirect(self, url: str) -> Response:
        if self.htmx:
            return Response(status_code=204, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)


def _nav_links() -> list[Any]:
    from microneedling.web.portal import NAV_LINKS  # the package imports this module

    return list(NAV_LINKS)


def _patient_token(request: Request) -> str:
    value = request.cookies.get(PATIENT_COOKIE, "")
    ok = 20 <= len(value) <= MAX_TOKEN_CHARS and all(c.isalnum() or c in "-_" for c in value)
    return value if ok else ""


async def portal_visitor(request: Request) -> PatientPage:
    """The portal request, signed in or not (a staff member's browser is refused)."""
    web_session: WebSession = request.scope["state"]["web_session"]
    if web_session.signed_in:
        # A form posted without its token is refused as such first (like every staff form).
        if request.method == "POST" and not await _token_given(request, web_session.csrf):
            raise PortalCsrfRefused()
        raise StaffInPortal()
    app = web_app(request)
    page = PatientPage(request=request, app=app, web_session=web_session)
    token = _patient_token(request)
    if token:
        checked: CheckedPatientSession = await anyio.to_thread.run_sync(
            lambda: check_patient_session(app.database, token, clock=app.clock)
        )
        request.state.patient_session_ended = checked.ended
        if checked.actor is not None:
            page.actor_or_none, page.csrf = checked.actor, checked.csrf
            clinic = await anyio.to_thread.run_sync(lambda: _clinic(app, checked.actor))
            page.clinic_name, page.time_zone = clinic
    return page


def _clinic(app: WebApp, actor: PatientActor | None) -> tuple[str, str]:
    assert actor is not None
    with app.uow() as uow:
        clinic = uow.session.get(Clinic, actor.clinic_id)
        assert clinic is not None
        return clinic.name, clinic.time_zone


def patient_page(page: PatientPage = Depends(portal_visitor)) -> PatientPage:
    """A signed-in patient's page (anonymous: to the sign-in page)."""
    if page.actor_or_none is None:
        raise PatientNotSignedIn(getattr(page.request.state, "patient_session_ended", None))
    return page


async def _token_given(request: Request, expected: str) -> bool:
    data: FormData = await request.form(max_files=1, max_fields=500)
    given = data.get("csrf_token")
    token = given if isinstance(given, str) else request.headers.get("x-csrf-token", "")
    return bool(token) and hmac.compare_digest(token.encode(), expected.encode())


async def portal_form(request: Request) -> Form:
    """The submitted portal form, after checking its CSRF token against the patient's session
    (or the anonymous session's, before signing in)."""
    web_session: WebSession = request.scope["state"]["web_session"]
    if web_session.signed_in:
        raise StaffInPortal()
    data: FormData = await request.form(max_files=1, max_fields=500)
    given = data.get("csrf_token")
    token = given if isinstance(given, str) else request.headers.get("x-csrf-token", "")
    expected = web_session.csrf
    cookie = _patient_token(request)
    if cookie:
        app = web_app(request)
        checked = await anyio.to_thread.run_sync(
            lambda: check_patient_session(app.database, cookie, clock=app.clock)
        )
        if checked.actor is not None:
            expected = checked.csrf
    if not token or not hmac.compare_digest(token.encode(), expected.encode()):
        raise PortalCsrfRefused()
    request.state.form_data = data
    return Form.of(data)


def set_patient_cookie(response: Response, token: str | None, *, secure: bool) -> None:
    """Set (or with ``None`` clear) the patient's session cookie, scoped to ``/my``."""
    if token is None:
        response.delete_cookie(
            PATIENT_COOKIE, path=PATIENT_COOKIE_PATH, secure=secure, httponly=True, samesite="lax"
        )
    else:
        response.set_cookie(
            PATIENT_COOKIE,
            token,
            path=PATIENT_COOKIE_PATH,
            secure=secure,
            httponly=True,
            samesite="lax",
        )

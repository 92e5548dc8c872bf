"""What every page handler works with: the application's parts, the request's session and the
signed-in staff member, and running a use case as them.

Handlers take ``page: Page = Depends(staff_page)`` (signed in) or ``Depends(any_page)``, and
``form: Form = Depends(posted_form)`` for a POST, which also checks the CSRF token.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment
from starlette.datastructures import FormData

from microneedling.config import Settings
from microneedling.errors import PermissionDenied
from microneedling.services import overview, web_sessions
from microneedling.services.access import Actor, Role, allowed
from microneedling.services.clock import Clock, local_date
from microneedling.services.maintenance import unit_of_work
from microneedling.services.sign_in import SignInPolicy
from microneedling.store import Database, UnitOfWork
from microneedling.web.forms import Form
from microneedling.web.installation import installation_of
from microneedling.web.sessions import WebSession
from microneedling.web.settings import WebSettings

log = logging.getLogger("microneedling.web")

T = TypeVar("T")

#: A record's id in a page's address: anything else is "not found".
RecordId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class NotSignedIn(Exception):
    """The page needs a signed-in staff member (the handler redirects to the sign-in page)."""


class CsrfRefused(Exception):
    """A form without this session's CSRF token."""


class PasswordMustChange(Exception):
    """The account's password was reset by an owner: only the password page until it is
    changed (the handler redirects there)."""


#: Pages an account whose password must change may still open.
BEFORE_PASSWORD_CHANGE = frozenset({"/account/password", "/sign-out"})


@dataclass
class WebApp:
    """The parts every request shares (kept on ``app.state.web``)."""

    settings: Settings
    web: WebSettings
    database: Database
    templates: Environment
    clock: Clock
    #: Failed sign-ins: the API's policy, counted in the database with the API's.
    sign_in_policy: SignInPolicy
    cache: dict[str, Any] = field(default_factory=dict)

    def uow(self) -> UnitOfWork:
        return unit_of_work(self.database, self.settings)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


@dataclass
class Page:
    """One request: the session, the signed-in staff member (if any) and helpers."""

    request: Request
    app: WebApp
    session: WebSession
    account: dict[str, Any] | None = None

    @property
    def actor(self) -> Actor:
        if self.account is None or self.session.staff_user_id is None:
            raise NotSignedIn()
        assert self.session.clinic_id is not None and self.session.role is not None
        return Actor(self.session.staff_user_id, self.session.clinic_id, Role(self.session.role))

    @property
    def clock(self) -> Clock:
        return self.app.clock

    @property
    def time_zone(self) -> str:
        return str(self.account["clinic"]["time_zone"]) if self.account else "UTC"

    @property
    def today(self) -> date:
        return local_date(self.clock(), self.time_zone)

    @property
    def htmx(self) -> bool:
        return is_htmx(self.request)

    def now(self) -> datetime:
        return self.clock()

    def can(self, action: str) -> bool:
        """Whether the signed-in role may do ``action`` (to show or hide it; the use case
        checks again)."""
        return self.account is not None and allowed(self.actor.role, action)

    def run(self, use_case: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a use case as the signed-in staff member, on a new unit of work."""
        return use_case(self.app.uow(), self.actor, *args, clock=self.clock, **kwargs)

    def flash(self, message: str) -> None:
        self.session.flash(message)

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        values = {
            "page": self,
            "account": self.account,
            "csrf_token": self.session.csrf,
            "flashes": self.session.take_flashes() if not self.htmx else [],
            "ended": self.session.take_ended(),
            "installation": {} if self.htmx else installation_of(self.app),
            **context,
        }
        html = self.app.templates.get_template(template).render(**values)
        return HTMLResponse(html, status_code=status_code)

    def redirect(self, url: str) -> Response:
        """After a successful POST: see the result (HTMX follows with a full page load)."""
        if self.htmx:
            return Response(status_code=204, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)


def web_app(request: Request) -> WebApp:
    state: WebApp = request.app.state.web
    return state


def any_page(request: Request) -> Page:
    """The request's page, signed in or not; a signed-in session is checked against the
    account in the database (closed, moved or role changed: signed out at once)."""
    app = web_app(request)
    session: WebSession = request.scope["state"]["web_session"]
    page = Page(request=request, app=app, session=session)
    if session.signed_in:
        assert session.staff_user_id is not None and session.clinic_id is not None
        try:
            actor = Actor(session.staff_user_id, session.clinic_id, Role(str(session.role)))
            page.account = overview.account(app.uow(), actor)
        except (PermissionDenied, ValueError):
            end_session(page, ended="account")
    return page


def staff_page(page: Page = Depends(any_page)) -> Page:
    if page.account is None:
        raise NotSignedIn()
    if page.session.must_change_password and page.request.url.path not in BEFORE_PASSWORD_CHANGE:
        raise PasswordMustChange()
    return page


def end_session(page: Page, *, ended: str) -> None:
    """End the signed-in session (in the database, so on every server) for ``ended`` (a key of
    ``web_sessions.ENDED_WORDS``) and start an anonymous one here."""
    if page.session.token is not None:
        web_sessions.end_session_by_token(
            page.app.database, page.session.token, ended, clock=page.clock
        )
    page.session.become_anonymous(ended=ended)
    page.account = None


def sign_in_url(request: Request) -> str:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    if request.method != "GET" or is_htmx(request):
        target = request.headers.get("hx-current-url", "/") if is_htmx(request) else "/"
        if target.startswith(("http://", "https://")):
            parts = target.split("/", 3)
            target = "/" + (parts[3] if len(parts) > 3 else "")
    return "/sign-in?next=" + quote(target, safe="/")


async def posted_form(request: Request) -> Form:
    """The submitted form, after checking its CSRF token (field ``csrf_token`` or the
    ``X-CSRF-Token`` header that HTMX requests carry): a signed-in session's token is kept with
    the session in the database, an anonymous one's in its signed cookie."""
    session: WebSession = request.scope["state"]["web_session"]
    data: FormData = await request.form(max_files=1, max_fields=2000)
    given = data.get("csrf_token")
    token = given if isinstance(given, str) else request.headers.get("x-csrf-token", "")
    if not token or not hmac.compare_digest(token.encode(), session.csrf.encode()):
        raise CsrfRefused()
    request.state.form_data = data
    return Form.of(data)

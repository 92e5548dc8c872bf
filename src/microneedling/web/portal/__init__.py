"""The patient portal: the pages patients use (``/my/...``), beside the staff pages.

- :data:`ROUTERS`: the portal's routers; a portal area adds its own router here (one module per
  area in this package, its templates in ``web/templates/portal/``).
- :data:`NAV_LINKS`: the portal's menu after Home and Questionnaire; an area adds its link.
- :func:`install`: includes the routers in the web application and answers the portal's
  refusals (not signed in: the portal's sign-in page; a staff browser: refused; an old form).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from microneedling.web.context import is_htmx
from microneedling.web.portal import companion, consent, home, intake, journey, reactions, sign_in
from microneedling.web.portal.context import (
    SIGN_IN,
    PatientNotSignedIn,
    PatientPage,
    PortalCsrfRefused,
    StaffInPortal,
)
from microneedling.web.portal.i18n import _
from microneedling.web.sessions import WebSession


@dataclass(frozen=True)
class NavLink:
    """A link of the portal's menu: where, its words (through the catalogue), its section."""

    href: str
    label: str
    section: str


#: The portal's routers (include order). Add an area's router here.
ROUTERS: list[APIRouter] = [sign_in.router, home.router, intake.router]
ROUTERS += [consent.router, companion.router, reactions.router, journey.router]

#: The portal's menu after Home and Questionnaire. Add an area's link here.
NAV_LINKS: list[NavLink] = []
NAV_LINKS += [
    NavLink("/my/care", _("Your care"), "care"),
    NavLink("/my/consent", _("Consent forms"), "consent"),
    NavLink("/my/journey", _("Your journey"), "journey"),
]


def _refusal(request: Request, status: int, title: str, message: str) -> Response:
    from microneedling.web.context import web_app

    session: WebSession = request.scope["state"]["web_session"]
    page = PatientPage(request=request, app=web_app(request), web_session=session)
    return page.render("portal/error.html.j2", status, title=title, message=message)


def install(app: FastAPI) -> None:
    """Add the portal's pages and its refusals to the web application."""
    for router in ROUTERS:
        app.include_router(router)

    @app.exception_handler(PatientNotSignedIn)
    async def not_signed_in(request: Request, error: PatientNotSignedIn) -> Response:
        url = SIGN_IN + (f"?ended={error.ended}" if error.ended else "")
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)

    @app.exception_handler(StaffInPortal)
    async def staff_in_portal(request: Request, error: StaffInPortal) -> Response:
        return _refusal(
            request,
            403,
            _("This page is for patients"),
            _(
                "You are signed in to the clinic's staff pages in this browser. The patient "
                "portal is for patients: sign out of the staff pages first, or use another "
                "browser."
            ),
        )

    @app.exception_handler(PortalCsrfRefused)
    async def csrf_refused(request: Request, error: PortalCsrfRefused) -> Response:
        return _refusal(
            request,
            403,
            _("This form has expired"),
            _("The form was open too long. Go back, reload the page and send it again."),
        )

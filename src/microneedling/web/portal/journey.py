"""The patient's journey in the portal (``/my/journey``): sessions done and to come, the care
plan to download, maintenance due (services/portal/journey.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from microneedling.errors import NotFound
from microneedling.services.portal import journey
from microneedling.web.portal.companion import nav_links
from microneedling.web.portal.context import PatientPage, patient_page
from microneedling.web.portal.i18n import _

router = APIRouter()


@router.get("/my/journey")
def journey_page(page: PatientPage = Depends(patient_page)) -> Response:
    found = page.run(journey.my_journey)
    return page.render(
        "portal/journey_page.html.j2", journey=found, section="journey", portal_links=nav_links()
    )


@router.get("/my/journey/care-plan.pdf")
def handout(page: PatientPage = Depends(patient_page)) -> Response:
    try:
        data = page.run(journey.my_handout)
    except NotFound:
        return page.render(
            "portal/error.html.j2",
            404,
            title=_("No care plan yet"),
            message=_("Your clinic has not made a treatment plan with you yet."),
        )
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": 'attachment; filename="care-plan.pdf"',
            "Cache-Control": "private, no-store",
        },
    )

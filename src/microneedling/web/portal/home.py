"""The patient's home page (``/my``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from microneedling.services.portal.home import home
from microneedling.web.portal.context import PatientPage, patient_page
from microneedling.web.portal.i18n import _

router = APIRouter()


@router.get("/my")
def home_page(page: PatientPage = Depends(patient_page)) -> Response:
    found = page.run(home)
    return page.render("portal/home.html.j2", title=_("Your page"), section="home", home=found)

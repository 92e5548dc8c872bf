"""Reporting a reaction in the portal (``/my/reactions``): a short form with photos, which
becomes a task for the clinic's staff (services/portal/reactions.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from microneedling.errors import PermissionDenied, UserError
from microneedling.services.portal import reactions
from microneedling.web.forms import Form
from microneedling.web.portal.companion import nav_links
from microneedling.web.portal.context import PatientPage, patient_page, portal_form
from microneedling.web.portal.i18n import _

router = APIRouter()

LABELS = {
    "started_on": "When it started",
    "symptoms": "What you notice",
    "description": "In your own words",
    "photos": "Photos",
}


async def read_with_photos(request: Request) -> None:
    """Reads the posted form allowing the report's photos (the portal's form reader, which runs
    next, then finds it read and checks its CSRF token as for every portal form)."""
    await request.form(max_files=reactions.MAX_PHOTOS + 1, max_fields=100)


def _form_page(page: PatientPage, form: Form, status: int = 200) -> Response:
    mine = page.run(reactions.my_reports)
    return page.render(
        "portal/reaction_new.html.j2",
        status,
        form=form,
        symptoms=reactions.SYMPTOMS,
        reports=mine,
        max_photos=reactions.MAX_PHOTOS,
        today=page.today,
        section="care",
        portal_links=nav_links(),
    )


@router.get("/my/reactions/new")
def new_report(page: PatientPage = Depends(patient_page)) -> Response:
    return _form_page(page, Form.blank(started_on=page.today.isoformat()))


@router.post("/my/reactions/new", dependencies=[Depends(read_with_photos)])
def send_report(
    request: Request,
    page: PatientPage = Depends(patient_page),
    form: Form = Depends(portal_form),
) -> Response:
    form.labels = {key: _(value) for key, value in LABELS.items()}
    photos: list[bytes] = []
    limit = page.app.settings.photo_max_bytes + 1
    for upload in request.state.form_data.getlist("photos"):
        if isinstance(upload, UploadFile) and upload.filename:
            data = upload.file.read(limit)
            if not data:
                form.add("photos", _("%(name)s is empty") % {"name": upload.filename[:80]})
            photos.append(data)
    if form.ok:
        try:
            page.run(
                reactions.report_reaction,
                started_on=form.get("started_on"),
                symptoms=form.getlist("symptoms"),
                description=form.get("description"),
                photos=photos,
            )
        except PermissionDenied:
            raise
        except UserError as error:
            form.add(error.field if error.field in LABELS else "description", _(error.message))
        else:
            page.flash(
                _(
                    "Sent. The clinic will look at it and contact you. If it gets worse quickly, "
                    "call the clinic now."
                )
            )
            return page.redirect("/my/reactions/new")
    return _form_page(page, form, 422)

"""Consent forms in the portal (``/my/consent``): read in full, e-sign by typing one's name and
ticking, download a PDF copy, withdraw as easily (services/portal/consents_signing.py)."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from microneedling.documents.consent_pdf import consent_filename, render_consent
from microneedling.documents.handout import long_date
from microneedling.errors import NotFound, PermissionDenied, RuleViolation, UserError
from microneedling.services.portal import consents_signing
from microneedling.services.portal.consents_signing import Device
from microneedling.store.portal_records_models import SIGNATURE_KINDS
from microneedling.web.forms import Form
from microneedling.web.portal.companion import nav_links
from microneedling.web.portal.context import PatientPage, patient_page, portal_form
from microneedling.web.portal.i18n import _

router = APIRouter()

Kind = Annotated[str, Path(pattern="^(" + "|".join(SIGNATURE_KINDS) + ")$")]
SignatureId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _device(page: PatientPage) -> Device:
    client = page.request.client
    return Device.of(client.host if client else None, page.request.headers.get("user-agent"))


def when(page: PatientPage, moment: Any) -> str:
    """A moment as the patient reads it: "Tuesday 8 December 2026, 14:30"."""
    local = moment.astimezone(ZoneInfo(page.time_zone))
    return f"{long_date(local.date())}, {local:%H:%M}"


def not_found(page: PatientPage) -> Response:
    return page.render(
        "portal/error.html.j2",
        404,
        title=_("Not found"),
        message=_("There is no such page among yours."),
    )


def _overview(page: PatientPage) -> list[dict[str, Any]]:
    return page.run(consents_signing.consent_overview)


@router.get("/my/consent")
def consent_list(page: PatientPage = Depends(patient_page)) -> Response:
    forms = _overview(page)
    return page.render(
        "portal/consent_list.html.j2",
        forms=forms,
        when=lambda m: when(page, m),
        section="consent",
        portal_links=nav_links(),
    )


def _form_page(
    page: PatientPage, kind: str, form: Form | None = None, status: int = 200
) -> Response:
    forms = {f["kind"]: f for f in _overview(page)}
    return page.render(
        "portal/consent_form.html.j2",
        status,
        item=forms[kind],
        form=form or Form(),
        when=lambda m: when(page, m),
        section="consent",
        portal_links=nav_links(),
    )


@router.get("/my/consent/{kind}")
def consent_form(kind: Kind, page: PatientPage = Depends(patient_page)) -> Response:
    return _form_page(page, kind)


@router.post("/my/consent/{kind}")
def consent_sign(
    kind: Kind, page: PatientPage = Depends(patient_page), form: Form = Depends(portal_form)
) -> Response:
    form.labels = {
        "typed_name": _("Your full name"),
        "agreed": _("I have read this and agree"),
        "form": _("The form"),
    }
    try:
        page.run(
            consents_signing.sign,
            kind,
            text_sha256=form.get("text_sha256"),
            typed_name=form.get("typed_name"),
            agreed=form.checked("agreed"),
            device=_device(page),
        )
    except PermissionDenied:
        raise
    except UserError as error:
        form.add(error.field if error.field in form.labels else "form", _(error.message))
        return _form_page(page, kind, form, 422)
    page.flash(_("Signed. You can download a copy, or withdraw it, on this page."))
    return page.redirect("/my/consent")


@router.get("/my/consent/signed/{signature_id}/withdraw")
def withdraw_page(signature_id: SignatureId, page: PatientPage = Depends(patient_page)) -> Response:
    try:
        signature = page.run(consents_signing.my_signature, signature_id)
    except NotFound:
        return not_found(page)
    return page.render(
        "portal/consent_withdraw.html.j2",
        signature=signature,
        when=lambda m: when(page, m),
        section="consent",
        portal_links=nav_links(),
    )


@router.post("/my/consent/signed/{signature_id}/withdraw")
def withdraw(
    signature_id: SignatureId,
    page: PatientPage = Depends(patient_page),
    form: Form = Depends(portal_form),
) -> Response:
    try:
        page.run(consents_signing.withdraw, signature_id, device=_device(page))
    except NotFound:
        return not_found(page)
    except RuleViolation:
        page.flash(_("That consent was already withdrawn."))
        return page.redirect("/my/consent")
    page.flash(_("Withdrawn. From now on it no longer counts; the clinic can see this."))
    return page.redirect("/my/consent")


@router.get("/my/consent/signed/{signature_id}/copy.pdf")
def signed_copy(signature_id: SignatureId, page: PatientPage = Depends(patient_page)) -> Response:
    try:
        signature = page.run(consents_signing.my_signature, signature_id)
    except NotFound:
        return not_found(page)
    return Response(
        render_consent(signature),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{consent_filename(signature)}"',
            "Cache-Control": "private, no-store",
        },
    )

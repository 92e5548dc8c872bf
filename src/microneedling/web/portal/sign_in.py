"""Getting into the portal: the sign-in by a one-time code, signing out, and a new candidate's
request for a consultation (the clinic's public page)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from microneedling.errors import UserError
from microneedling.services.portal import accounts
from microneedling.services.portal import sign_in as signing_in
from microneedling.services.portal.sessions import (
    ENDED_WORDS,
    end_patient_session,
    open_patient_session,
)
from microneedling.store.models import Clinic
from microneedling.web.forms import Form
from microneedling.web.portal.context import (
    PATIENT_COOKIE,
    PatientPage,
    portal_form,
    portal_visitor,
    set_patient_cookie,
)
from microneedling.web.portal.i18n import _

router = APIRouter()


def _labels() -> dict[str, str]:
    return {
        "address": _("E-mail address or mobile number"),
        "code": _("Code"),
        "name": _("Your name"),
        "contact": _("E-mail address or phone number"),
        "message": _("What would you like to talk about?"),
    }


def _clinics(page: PatientPage) -> list[tuple[str, str]]:
    with page.app.uow() as uow:
        rows = uow.session.execute(select(Clinic.slug, Clinic.name).order_by(Clinic.name)).all()
    return [(row.slug, row.name) for row in rows]


def _chosen(page: PatientPage, slug: str) -> tuple[str, str] | None:
    clinics = _clinics(page)
    if not slug and len(clinics) == 1:
        return clinics[0]
    return next((item for item in clinics if item[0] == slug), None)


def _client(page: PatientPage) -> str:
    return page.request.client.host if page.request.client else "unknown"


def _show(page: PatientPage, form: Form, clinic: tuple[str, str], *, step: str,
          status_code: int = 200, demo_code: str | None = None, ended: str | None = None) -> Response:  # fmt: skip
    form.set("code", "")
    page.clinic_name = clinic[1]
    return page.render(
        "portal/sign_in.html.j2",
        status_code,
        title=_("Sign in"),
        form=form,
        step=step,
        clinic_slug=clinic[0],
        demo_code=demo_code,
        ended_message=_(ENDED_WORDS[ended]) if ended in ENDED_WORDS else None,
    )


@router.get("/my/sign-in")
def sign_in_page(
    clinic: str = "", ended: str = "", page: PatientPage = Depends(portal_visitor)
) -> Response:
    if page.actor_or_none is not None:
        return RedirectResponse("/my", status_code=303)
    chosen = _chosen(page, clinic[:64])
    if chosen is None:
        return page.render("portal/choose_clinic.html.j2", title=_("Choose your clinic"),
                           clinics=_clinics(page))  # fmt: skip
    return _show(page, Form.blank(_labels()), chosen, step="address", ended=ended)


@router.post("/my/sign-in")
def send_code(
    page: PatientPage = Depends(portal_visitor), form: Form = Depends(portal_form)
) -> Response:
    form.labels = _labels()
    chosen = _chosen(page, form.get("clinic")[:64])
    if chosen is None:
        return RedirectResponse("/my/sign-in", status_code=303)
    try:
        sent = signing_in.request_code(page.app.uow(), chosen[0], form.get("address"),
                                       client=_client(page), clock=page.clock)  # fmt: skip
    except signing_in.TooManyTries as error:
        form.add_user_error(error)
        return _show(page, form, chosen, step="address", status_code=429)
    except UserError as error:
        form.add_user_error(error)
        return _show(page, form, chosen, step="address", status_code=422)
    form.set("channel", sent.channel)
    return _show(page, form, chosen, step="code", demo_code=sent.demo_code)


@router.post("/my/sign-in/code")
def check_code(
    page: PatientPage = Depends(portal_visitor), form: Form = Depends(portal_form)
) -> Response:
    form.labels = _labels()
    chosen = _chosen(page, form.get("clinic")[:64])
    if chosen is None:
        return RedirectResponse("/my/sign-in", status_code=303)
    try:
        actor = signing_in.verify_code(page.app.uow(), chosen[0], form.get("address"),
                                       form.get("code"), client=_client(page),
                                       clock=page.clock)  # fmt: skip
    except signing_in.TooManyTries as error:
        form.add_user_error(error)
        return _show(page, form, chosen, step="code", status_code=429)
    except UserError as error:
        form.add_user_error(error)
        step = "address" if error.field == "address" else "code"
        return _show(page, form, chosen, step=step, status_code=422)
    opened = open_patient_session(
        page.app.uow(),
        actor,
        user_agent=page.request.headers.get("user-agent"),
        client=_client(page),
        now=page.now(),
    )
    response = RedirectResponse("/my", status_code=303)
    set_patient_cookie(response, opened.token, secure=page.app.web.cookie_secure)
    return response


@router.post("/my/sign-out")
def sign_out(
    page: PatientPage = Depends(portal_visitor), form: Form = Depends(portal_form)
) -> Response:
    token = page.request.cookies.get(PATIENT_COOKIE, "")
    if page.actor_or_none is not None:
        signing_in.sign_out(page.app.uow(), page.actor_or_none, clock=page.clock)
        end_patient_session(page.app.database, token, "signed_out", now=page.now())
    response = RedirectResponse("/my/sign-in?ended=signed_out", status_code=303)
    set_patient_cookie(response, None, secure=page.app.web.cookie_secure)
    return response


@router.get("/my/request")
def request_page(clinic: str = "", page: PatientPage = Depends(portal_visitor)) -> Response:
    chosen = _chosen(page, clinic[:64])
    if chosen is None:
        return page.render("portal/choose_clinic.html.j2", title=_("Choose your clinic"),
                           clinics=_clinics(page), target="/my/request")  # fmt: skip
    page.clinic_name = chosen[1]
    return page.render("portal/request.html.j2", title=_("Ask for a consultation"),
                       form=Form.blank(_labels()), clinic_slug=chosen[0], sent=False)  # fmt: skip


@router.post("/my/request")
def request_consultation(
    page: PatientPage = Depends(portal_visitor), form: Form = Depends(portal_form)
) -> Response:
    form.labels = _labels()
    chosen = _chosen(page, form.get("clinic")[:64])
    if chosen is None:
        return RedirectResponse("/my/request", status_code=303)
    page.clinic_name = chosen[1]
    status = 200
    try:
        accounts.request_consultation(
            page.app.uow(),
            chosen[0],
            name=form.get("name"),
            contact=form.get("contact"),
            message=form.get("message"),
            client=_client(page),
            clock=page.clock,
        )
    except signing_in.TooManyTries as error:
        form.add_user_error(error)
        status = 429
    except UserError as error:
        form.add_user_error(error, {"address": "contact"})
        status = 422
    return page.render("portal/request.html.j2", status, title=_("Ask for a consultation"),
                       form=form, clinic_slug=chosen[0], sent=status == 200)  # fmt: skip

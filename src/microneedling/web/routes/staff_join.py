"""Accepting a staff invitation: the link in the invitation's e-mail opens a page to choose a
password (twice); the account is made and the person signs in as anyone else does. The link
works once and expires (services/staff_invitations.py); a link that cannot be used gets one
answer, whatever the reason.

Included by the admin router (``web/routes/admin.py``), beside the staff pages.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from microneedling.errors import UserError
from microneedling.services import staff_invitations
from microneedling.web.context import Page, any_page, posted_form
from microneedling.web.forms import Form

router = APIRouter()

LABELS = {"password": "Password", "password_again": "Password again"}


def _unusable(page: Page) -> Response:
    message = staff_invitations.LINK_UNUSABLE
    return page.render(
        "error.html.j2",
        410,
        title="Invitation link",
        message=message[0].upper() + message[1:] + ".",
        status=410,
    )


def _show(page: Page, token: str, form: Form, status: int = 200) -> Response:
    try:
        invitation = staff_invitations.read_invitation(page.app.uow(), token, clock=page.clock)
    except UserError:
        return _unusable(page)
    form.set("password", "")
    form.set("password_again", "")
    response = page.render(
        "staff_join.html.j2",
        status,
        title="Join the staff",
        form=form,
        invitation=invitation,
        token=token,
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/join/{token}")
def join_page(token: str, page: Page = Depends(any_page)) -> Response:
    return _show(page, token, Form.blank(LABELS))


@router.post("/join/{token}")
def join(token: str, page: Page = Depends(any_page), form: Form = Depends(posted_form)) -> Response:
    form.labels = LABELS
    password = form.get("password")
    if not password:
        form.add("password", "is required: choose the password you will sign in with")
    elif password != form.get("password_again"):
        form.add("password_again", "is not the same as the password: type it again")
    if form.ok:
        try:
            staff_invitations.accept_invitation(page.app.uow(), token, password, clock=page.clock)
        except UserError as error:
            if error.message == staff_invitations.LINK_UNUSABLE:
                return _unusable(page)
            form.add_user_error(error)
        else:
            page.flash("Your account is ready. Sign in with your e-mail address and password.")
            return RedirectResponse("/sign-in", status_code=303)
    return _show(page, token, form, 422)

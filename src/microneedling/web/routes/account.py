"""Your account (changing your password) and, for owners, a staff member's sign-ins (seeing and
ending them, resetting their password).

- ``/account``: who you are, and the link to change your password.
- ``/account/password``: the current password and a new one (twice); every other session and API
  token of the account ends. After an owner's reset, this is the only page the account can open.
- ``/admin/staff/{id}/sign-ins``: when and from where a staff member is signed in, with which
  browser; end one session or all of them; reset their password (a one-time password shown once,
  to be changed at their next sign-in).
"""

from __future__ import annotations

import math

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from microneedling.errors import UserError
from microneedling.services import password_change, web_sessions
from microneedling.services import sign_in as signing_in
from microneedling.web.context import Page, RecordId, posted_form, staff_page
from microneedling.web.forms import Form

router = APIRouter()

PASSWORD_LABELS = {
    "current_password": "Current password",
    "new_password": "New password",
    "repeat_password": "New password again",
}


def _client(page: Page) -> str:
    client = page.request.client
    return client.host if client else "unknown"


@router.get("/account")
def account_page(page: Page = Depends(staff_page)) -> Response:
    return page.render("account.html.j2", title="Your account", section="account")


def _password_form(page: Page, form: Form, status: int = 200) -> Response:
    for name in PASSWORD_LABELS:
        form.set(name, "")  # never sent back
    return page.render(
        "account_password.html.j2",
        status,
        title="Change your password",
        section="account",
        form=form,
        must_change=page.session.must_change_password,
    )


@router.get("/account/password")
def password_page(page: Page = Depends(staff_page)) -> Response:
    return _password_form(page, Form.blank(PASSWORD_LABELS))


@router.post("/account/password")
def change_password(
    page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    form.labels = PASSWORD_LABELS
    current = form.get("current_password")
    new = form.get("new_password")
    repeat = form.get("repeat_password")
    if not current:
        form.add("current_password", "is required")
    if not new:
        form.add("new_password", "is required")
    elif new != repeat:
        form.add("repeat_password", "is not the same as the new password: type it again")
    if not form.ok:
        return _password_form(page, form, 422)
    try:
        ended = page.run(
            password_change.change_password,
            current[:2000],
            new[:2000],
            client=_client(page),
            keep_session=page.session.session_id,
            policy=page.app.sign_in_policy,
        )
    except signing_in.TooManySignIns as error:
        minutes = max(1, math.ceil(error.retry_after / 60))
        form.add(
            None,
            "Too many wrong passwords for this account; try again in "
            f"{minutes} minute{'s' if minutes > 1 else ''}.",
        )
        return _password_form(page, form, 429)
    except UserError as error:
        form.add_user_error(error)
        return _password_form(page, form, 422)
    page.session.must_change_password = False
    elsewhere = (
        f" You were signed out everywhere else ({ended} other sign-in{'s' if ended != 1 else ''})."
        if ended
        else ""
    )
    page.flash("Your password was changed." + elsewhere)
    return page.redirect("/account")


# An owner: a staff member's sign-ins ----------------------------------------------------------


def _sign_ins(page: Page, staff_id: int, one_time: str | None = None) -> Response:
    seen = page.run(web_sessions.staff_sessions, staff_id)
    return page.render(
        "admin_staff_sign_ins.html.j2",
        title=f"Sign-ins of {seen['staff']['display_name']}",
        section="admin",
        tab="staff",
        member=seen["staff"],
        sessions=seen["sessions"],
        open_api_tokens=seen["open_api_tokens"],
        one_time=one_time,
        ended_words=web_sessions.ENDED_WORDS,
    )


@router.get("/admin/staff/{staff_id}/sign-ins")
def sign_ins_page(staff_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    return _sign_ins(page, staff_id)


@router.post("/admin/staff/{staff_id}/sign-ins/end")
def end_all(
    staff_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    ended = page.run(web_sessions.end_staff_sessions, staff_id)
    page.flash(
        f"Signed out everywhere ({ended} sign-in{'s' if ended != 1 else ''} ended)."
        if ended
        else "They were not signed in anywhere."
    )
    return page.redirect(f"/admin/staff/{staff_id}/sign-ins")


@router.post("/admin/staff/{staff_id}/sign-ins/{session_id}/end")
def end_one(
    staff_id: RecordId,
    session_id: RecordId,
    page: Page = Depends(staff_page),
    form: Form = Depends(posted_form),
) -> Response:
    ended = page.run(web_sessions.end_staff_sessions, staff_id, session_id=session_id)
    page.flash("That sign-in was ended." if ended else "That sign-in had already ended.")
    return page.redirect(f"/admin/staff/{staff_id}/sign-ins")


@router.post("/admin/staff/{staff_id}/password-reset")
def reset_password(
    staff_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    one_time = page.run(password_change.reset_password, staff_id)
    # Shown once, on this answer only (pages are not cached: security_headers).
    return _sign_ins(page, staff_id, one_time)

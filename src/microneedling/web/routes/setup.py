"""The first-run setup: on a database without any clinic, the pages ask for the clinic and its
owner's account, once. Afterwards the setup is gone: its page sends people to sign in, and a form
sent to it anyway (an old tab, a forged request, two people at once) is refused.

Whoever reaches a server first can set it up: start a new installation on this computer
(``--host 127.0.0.1``, the default) or create the clinic with ``microneedling clinic create``
before opening it to others.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from microneedling.errors import Conflict, UserError
from microneedling.services import clinics
from microneedling.web.context import Page, any_page, posted_form
from microneedling.web.forms import Form
from microneedling.web.installation import forget, installation_of

router = APIRouter()

LABELS = {
    "clinic_name": "Clinic's name",
    "slug": "Short name",
    "time_zone": "Time zone",
    "display_name": "Your name",
    "email": "Your e-mail address",
    "password": "Password",
    "password_again": "Password again",
}
#: The use case's field paths, as this form's fields.
WHERE = {
    "name": "clinic_name",
    "slug": "slug",
    "time_zone": "time_zone",
    "owner.display_name": "display_name",
    "owner.email": "email",
    "owner.password": "password",
    "display_name": "display_name",
    "email": "email",
    "password": "password",
}
DEFAULT_TIME_ZONE = "Europe/Amsterdam"


@cache
def time_zones() -> list[tuple[str, str]]:
    names = sorted(
        name
        for name in available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix/", "right/"))
    )
    return [(name, name.replace("_", " ")) for name in names]


def _show(page: Page, form: Form, status_code: int = 200) -> Response:
    form.set("password", "")
    form.set("password_again", "")
    return page.render(
        "setup.html.j2",
        status_code,
        title="Set up the clinic",
        form=form,
        time_zones=time_zones(),
    )


def _already_set_up(page: Page) -> Response:
    return page.render(
        "error.html.j2",
        409,
        title="Already set up",
        message=clinics.SET_UP_ALREADY[0].upper() + clinics.SET_UP_ALREADY[1:] + ".",
        status=409,
    )


@router.get("/setup")
def setup_page(page: Page = Depends(any_page)) -> Response:
    if installation_of(page.app)["clinics"]:
        return RedirectResponse("/sign-in", status_code=303)
    return _show(page, Form.blank(LABELS, time_zone=DEFAULT_TIME_ZONE))


@router.post("/setup")
def set_up(page: Page = Depends(any_page), form: Form = Depends(posted_form)) -> Response:
    form.labels = LABELS
    forget(page.app)  # ask the database, not what this process saw last
    if installation_of(page.app)["clinics"]:
        return _already_set_up(page)
    name = form.text("clinic_name", required=True, max_length=200)
    slug = form.text("slug", max_length=63) or (clinics.slug_from_name(name) if name else None)
    if name and not slug:  # a name without a letter or digit of the Latin alphabet
        form.add("slug", "is required for this name: lower-case letters, digits and dashes")
    time_zone = form.choice("time_zone", dict(time_zones()), required=True)
    display_name = form.text("display_name", required=True, max_length=200)
    email = form.text("email", required=True, max_length=254)
    password = form.get("password")
    if not password:
        form.add("password", "is required: choose the password you will sign in with")
    elif password != form.get("password_again"):
        form.add("password_again", "is not the same as the password: type it again")
    owner = {"email": email, "display_name": display_name, "role": "owner", "password": password}
    form.check(clinics.NewStaffMember, owner, WHERE)
    if form.ok and name and slug and time_zone:
        try:
            clinics.create_clinic(
                page.app.uow(),
                slug=slug,
                name=name,
                time_zone=time_zone,
                owner=owner,
                clock=page.clock,
                first_run=True,
            )
        except Conflict as error:
            if error.message == clinics.SET_UP_ALREADY:
                return _already_set_up(page)
            form.add_user_error(error, WHERE)
        except UserError as error:
            form.add_user_error(error, WHERE)
        else:
            forget(page.app)
            page.flash(f"{name} is set up. Sign in as {email} with the password you chose.")
            return RedirectResponse("/sign-in", status_code=303)
    if slug and not form.get("slug"):
        form.set("slug", slug)
    return _show(page, form, 422)

"""The care companion in the portal: before a session (``/my/care``: the pre-care countdown),
after it (today's aftercare, what is normal, when to call, day by day), and "Can I use this?"
(``/my/care/check``). Sources stay behind a "why?" (services/portal/companion.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from microneedling.errors import PermissionDenied, UserError
from microneedling.services.portal import companion
from microneedling.web.forms import Form
from microneedling.web.labels import source_title
from microneedling.web.portal.context import PatientPage, patient_page, portal_form
from microneedling.web.portal.i18n import _

router = APIRouter()


def nav_links() -> list[Any]:
    """The portal's menu links (for the base template's menu)."""
    from microneedling.web.portal import NAV_LINKS  # the package imports this module

    return NAV_LINKS


#: Longest label text the form takes (the check's own limit is higher; a label is far shorter).
MAX_LABEL = 5000


def _why(keys: list[str]) -> list[str]:
    return [source_title(key) for key in keys]


@router.get("/my/care")
def care(page: PatientPage = Depends(patient_page)) -> Response:
    found = page.run(companion.care_overview)
    return page.render(
        "portal/companion_care.html.j2",
        care=found,
        why=_why,
        section="care",
        portal_links=nav_links(),
    )


def _check_page(
    page: PatientPage,
    form: Form,
    answer: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    names = companion.approved_product_names(page.app.uow(), page.actor)
    template = (
        "portal/companion_check_result.html.j2" if page.htmx else "portal/companion_check.html.j2"
    )
    return page.render(
        template,
        status,
        form=form,
        answer=answer,
        approved=names,
        why=_why,
        section="care",
        portal_links=nav_links(),
    )


@router.get("/my/care/check")
def check_form(page: PatientPage = Depends(patient_page)) -> Response:
    return _check_page(page, Form())


@router.post("/my/care/check")
def check(page: PatientPage = Depends(patient_page), form: Form = Depends(portal_form)) -> Response:
    form.labels = {
        "ingredients": _("Ingredients from the label"),
        "approved_name": _("A product the clinic approved"),
    }
    ingredients = form.get("ingredients")
    if len(ingredients) > MAX_LABEL:
        form.add("ingredients", _("That is longer than any label: paste only the ingredients."))
        return _check_page(page, form, status=422)
    try:
        answer = page.run(
            companion.can_i_use,
            ingredients=ingredients,
            approved_name=form.get("approved_name"),
        )
    except PermissionDenied:
        raise
    except UserError as error:
        field = error.field if error.field in form.labels else "ingredients"
        form.add(field, _(error.message))
        return _check_page(page, form, status=422)
    return _check_page(page, form, answer)

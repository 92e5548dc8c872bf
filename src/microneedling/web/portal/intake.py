"""The questionnaire before the visit (``/my/intake``): filled in, saved as a draft, sent once,
and what the answers mean shown at once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from microneedling.errors import UserError
from microneedling.knowledge import shipped_knowledge_base
from microneedling.services.portal import intake as questionnaire
from microneedling.services.portal.plain_dates import EXAMPLES
from microneedling.services.portal.questions import (
    SECTIONS,
    plain_questions,
    zone_groups,
    zone_words,
)
from microneedling.web.forms import Form
from microneedling.web.portal.context import PatientPage, patient_page, portal_form
from microneedling.web.portal.i18n import _
from microneedling.web.zone_map import map_view

router = APIRouter()


def _labels() -> dict[str, str]:
    base = shipped_knowledge_base()
    found = {"zones": _("Areas to treat")}
    for items in plain_questions(base).values():
        for item in items:
            found[item.code] = _(item.thing).capitalize()
            found[f"{item.code}.on"] = _("When (%(thing)s)") % {"thing": _(item.thing)}
            found[f"{item.code}.stopped_on"] = _("When you stopped (%(thing)s)") % {
                "thing": _(item.thing)
            }
    return found


def plain_map(zones: list[str]) -> dict[str, Any]:
    """The face and body map with the chosen areas, named in a patient's words."""
    base = shipped_knowledge_base()
    drawn = map_view(base, {code: {"concern": None, "depth": None} for code in zones})
    for zone in drawn["zones"]:
        words = _(zone_words(base, zone["code"]))
        zone["name"] = words
        zone["depth_text"] = ""
        zone["described"] = words + (_(": chosen") if zone["selected"] else _(": not chosen"))
    return drawn


def _form_page(page: PatientPage, form: Form, status: int = 200, **extra: Any) -> Response:
    base = shipped_knowledge_base()
    return page.render(
        "portal/intake_form.html.j2",
        status,
        title=_("Your questionnaire"),
        section="intake",
        form=form,
        sections=[
            (name, _(heading), plain_questions(base)[name]) for name, _k, heading in SECTIONS
        ],
        zone_groups=[
            (_(group), [(c, _(w)) for c, w in items]) for group, items in zone_groups(base)
        ],
        map=plain_map(form.getlist("zones")),
        date_examples=_(EXAMPLES),
        **extra,
    )


@router.get("/my/intake")
def intake_page(page: PatientPage = Depends(patient_page)) -> Response:
    found = page.run(questionnaire.my_questionnaire)
    if found is not None and found["status"] in ("submitted", "confirmed"):
        return page.render(
            "portal/intake_sent.html.j2",
            title=_("Your questionnaire"),
            section="intake",
            intake=found,
            meaning=questionnaire.meaning(found["screening"]),
        )
    form = Form.blank(_labels())
    if found is not None:
        form.data = {name: list(values) for name, values in found["form"].items()}
    return _form_page(page, form, draft=found is not None)


@router.get("/my/intake/map")
def intake_map(
    zones: list[str] = Query(default=[], max_length=40), page: PatientPage = Depends(patient_page)
) -> Response:
    """The map redrawn for the areas ticked (HTMX)."""
    return page.render("portal/partials/zone_map.html.j2", map=plain_map(zones[:40]))


@router.post("/my/intake")
def intake_save_or_send(
    page: PatientPage = Depends(patient_page), form: Form = Depends(portal_form)
) -> Response:
    form.labels = _labels()
    values = {name: list(items) for name, items in form.data.items() if name != "action"}
    if form.get("action") == "save":
        try:
            page.run(questionnaire.save_draft, values)
        except UserError as error:
            form.add_user_error(error)
            return _form_page(page, form, 422, draft=True)
        page.flash(_("Saved. You can come back and finish it at any time before you send it."))
        return page.redirect("/my/intake")
    try:
        page.run(questionnaire.submit, values)
    except questionnaire.AnswersRefused as error:
        for name, message in error.problems.items():
            form.add(name, _(message))
        return _form_page(page, form, 422, draft=True)
    except UserError as error:
        form.add(None, _(error.message))
        return _form_page(page, form, 422, draft=True)
    page.flash(_("Thank you: your questionnaire is sent."))
    return page.redirect("/my/intake")

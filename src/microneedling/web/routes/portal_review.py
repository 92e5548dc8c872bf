"""Staff's pages for the patient portal: invite a patient (from the patient page), the
questionnaires patients sent to review and confirm, and new candidates' consultation requests.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from microneedling.errors import UserError
from microneedling.services.portal import accounts, review
from microneedling.services.portal.intake import meaning
from microneedling.web.context import Page, RecordId, posted_form, staff_page
from microneedling.web.forms import Form
from microneedling.web.labels import kb
from microneedling.web.routes.intakes import LISTS, answers_from, labels, questions, zone_options

router = APIRouter()


@router.get("/patients/{patient_id}/portal")
def portal_access(patient_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    """The patient page's portal section (loaded into it)."""
    from microneedling.services import patients

    patient = page.run(patients.read_patient, patient_id)
    status = accounts.portal_status(page.app.uow(), page.actor, patient_id)
    return page.render("partials/portal_access.html.j2", patient=patient, portal=status,
                       can_invite=page.can("portal.invite"))  # fmt: skip


@router.post("/patients/{patient_id}/portal/invite")
def invite(
    patient_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    try:
        sent = page.run(accounts.invite_patient, patient_id, form.get("channel"))
    except UserError as error:
        page.flash(f"Not invited: {error.message}.")
    else:
        how = "e-mail" if sent.channel == "email" else "text message"
        page.flash(f"Invitation to the patient portal sent by {how}.")
    return page.redirect(f"/patients/{patient_id}")


@router.get("/portal")
def from_patients(page: Page = Depends(staff_page)) -> Response:
    """What patients sent: questionnaires to confirm (clinicians) and consultation requests."""
    sent = page.run(review.submitted_questionnaires) if page.can("portal.intake_review") else None
    requests = page.run(accounts.consultation_requests)
    return page.render("portal_review.html.j2", title="From patients", section="portal",
                       questionnaires=sent, requests=requests)  # fmt: skip


def _prefilled(intake: dict[str, Any], today: str) -> Form:
    values: dict[str, Any] = {"on": today, "zones": intake.get("zones", [])}
    ticked: list[str] = []
    for list_name, _kind, _heading in LISTS:
        for entry in intake.get(list_name, []):
            code = entry["code"]
            ticked.append(code)
            for name in ("zones", "on", "stopped_on"):
                if entry.get(name):
                    values[f"{code}.{name}"] = entry[name]
    values["finding"] = ticked
    return Form.blank(labels(kb()), **values)


def _review_page(page: Page, questionnaire_id: int, form: Form | None, status: int = 200) -> Response:  # fmt: skip
    found = page.run(review.questionnaire_for_review, questionnaire_id)
    base = kb()
    return page.render(
        "portal_review_intake.html.j2",
        status,
        title=f"Questionnaire of {found['patient_name']}",
        section="portal",
        questionnaire=found,
        meaning=meaning(found["screening"]),
        form=form or _prefilled(found["intake"], page.today.isoformat()),
        zone_groups=zone_options(base),
        lists=[(name, heading, questions(base)[name]) for name, _, heading in LISTS],
    )


@router.get("/portal/intakes/{questionnaire_id}")
def review_questionnaire(questionnaire_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    return _review_page(page, questionnaire_id, None)


@router.post("/portal/intakes/{questionnaire_id}/confirm")
def confirm(
    questionnaire_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    base = kb()
    form.labels = labels(base)
    answers, _where = answers_from(form, base, page.today)
    if form.ok:
        try:
            intake_id = page.run(review.confirm_questionnaire, questionnaire_id, answers)
        except UserError as error:
            form.add_user_error(error)
        else:
            page.flash("Confirmed: this is now the patient's intake of record.")
            return page.redirect(f"/intakes/{intake_id}")
    return _review_page(page, questionnaire_id, form, 422)


@router.post("/portal/requests/{request_id}/handled")
def request_handled(
    request_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    page.run(accounts.handle_request, request_id)
    page.flash("Marked as dealt with.")
    return page.redirect("/portal")

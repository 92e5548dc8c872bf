"""Staff pages for messages to patients: a patient's messages and preferences
(``/patients/{id}/messages``, also a partial the patient page includes), the failed ones
(``/messages``), and the owner's settings (``/messages/settings``: quiet hours and timings;
``/messages/templates/{kind}``: the wording of each kind, with a preview for a sample patient)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from microneedling.errors import NotFound, UserError
from microneedling.services.messages import clinic_settings, patient_preferences, recalls
from microneedling.services.messages.clinic_settings import TIMINGS
from microneedling.services.messages.listing import list_messages
from microneedling.services.messages.templates import BODIES
from microneedling.web.context import Page, RecordId, posted_form, staff_page
from microneedling.web.forms import Form

router = APIRouter()

#: How each kind of message is named on the staff pages.
KIND_LABELS = {
    "confirmation": "Booking confirmation",
    "moved": "Session moved",
    "cancelled": "Session cancelled",
    "reminder_48h": "Reminder (48 hours)",
    "reminder_2h": "Reminder (2 hours)",
    "precare_7d": "Pre-care (day −7)",
    "precare_1d": "Pre-care (day −1)",
    "aftercare_0d": "Aftercare (day 0)",
    "aftercare_1d": "Aftercare (day 1)",
    "aftercare_3d": "Aftercare (day 3)",
    "aftercare_7d": "Aftercare (day 7)",
    "recall": "Maintenance recall",
    "invitation": "Invitation to book",
    "series_next": "Next session to book",
}


@router.get("/patients/{patient_id}/messages")
def patient_messages(patient_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    messages = page.run(list_messages, patient_id=patient_id, limit=500)
    chosen = page.run(patient_preferences.read_preferences, patient_id)
    form = Form.blank(
        PREFERENCE_LABELS, choice=[name for name in PREFERENCE_LABELS if chosen[name]]
    )
    return page.render(
        "messages_patient.html.j2",
        title="Messages to the patient",
        section="patients",
        patient_id=patient_id,
        messages=messages,
        kinds=KIND_LABELS,
        chosen=chosen,
        form=form,
        preference_labels=PREFERENCE_LABELS,
    )


@router.get("/messages")
def failed_messages(page: Page = Depends(staff_page)) -> Response:
    messages = page.run(list_messages, status="failed", limit=500)
    return page.render(
        "messages_failed.html.j2",
        title="Messages that could not be sent",
        section="today",
        messages=messages,
        kinds=KIND_LABELS,
    )


# The clinic's message settings (owners) ---------------------------------------------------------

SETTINGS_LABELS = {
    "quiet_hours": "Quiet hours",
    **{kind: spec[4] for kind, spec in TIMINGS.items()},
}
TEMPLATE_LABELS = {"subject": "Subject (also the text message)", "body": "E-mail text"}


def _settings_form(found: dict[str, Any]) -> Form:
    values = {"quiet_hours": found["quiet_hours"]}
    values.update({k: "" if v is None else v for k, v in found["timings"].items()})
    return Form.blank(SETTINGS_LABELS, **values)


def _settings_page(page: Page, form: Form, found: dict[str, Any], status: int = 200) -> Response:
    return page.render(
        "messages_settings.html.j2",
        status,
        title="Messages to patients",
        section="admin",
        form=form,
        timings=TIMINGS,
        templates=found["templates"],
        kinds=KIND_LABELS,
    )


@router.get("/messages/settings")
def message_settings_page(page: Page = Depends(staff_page)) -> Response:
    found = page.run(clinic_settings.read_message_settings)
    return _settings_page(page, _settings_form(found), found)


@router.post("/messages/settings")
def save_message_settings(
    page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    form.labels = SETTINGS_LABELS
    data: dict[str, Any] = {"quiet_hours": form.get("quiet_hours").strip()[:40]}
    data.update({kind: form.get(kind).strip()[:10] for kind in TIMINGS})
    try:
        page.run(clinic_settings.update_message_settings, data)
    except UserError as error:
        form.add_user_error(error)
    else:
        page.flash("Message settings saved.")
        return page.redirect("/messages/settings")
    found = page.run(clinic_settings.read_message_settings)
    return _settings_page(page, form, found, 422)


def _template_page(
    page: Page, kind: str, form: Form, shown: dict[str, Any] | None, status: int = 200
) -> Response:
    return page.render(
        "messages_template.html.j2",
        status,
        title=f"Message: {KIND_LABELS.get(kind, kind)}",
        section="admin",
        kind=kind,
        kind_label=KIND_LABELS.get(kind, kind),
        form=form,
        shown=shown,
        placeholders=clinic_settings.PLACEHOLDERS,
    )


def _known_kind(kind: str) -> str:
    if kind not in KIND_LABELS or kind not in BODIES:
        raise NotFound("there is no such kind of message")
    return kind


@router.get("/messages/templates/{kind}")
def template_page(kind: str, page: Page = Depends(staff_page)) -> Response:
    kind = _known_kind(kind[:40])
    found = page.run(clinic_settings.read_message_settings)["templates"][kind]
    form = Form.blank(TEMPLATE_LABELS, subject=found["subject"], body=found["body"])
    shown = page.run(clinic_settings.preview, kind)
    return _template_page(page, kind, form, shown)


@router.post("/messages/templates/{kind}")
def save_template(
    kind: str, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    kind = _known_kind(kind[:40])
    form.labels = TEMPLATE_LABELS
    action = form.get("action")
    subject, body = form.get("subject")[:10_000], form.get("body")[:50_000]
    if action == "reset":
        page.run(clinic_settings.save_template, kind, None, None)
        page.flash("The shipped wording is back.")
        return page.redirect(f"/messages/templates/{kind}")
    if action == "preview":
        shown = page.run(clinic_settings.preview, kind, subject, body)
        for problem in shown["problems"]:
            form.add(problem["field"], problem["message"])
        return _template_page(page, kind, form, None if shown["problems"] else shown)
    try:
        page.run(clinic_settings.save_template, kind, subject, body)
    except UserError as error:
        form.add_user_error(error)
        return _template_page(page, kind, form, None, 422)
    page.flash("The message's wording is saved.")
    return page.redirect(f"/messages/templates/{kind}")


# A patient's message preferences --------------------------------------------------------------

PREFERENCE_LABELS = {
    "email": "By e-mail",
    "sms": "By text message (SMS)",
    "reminders": "Confirmations and reminders",
    "aftercare": "Aftercare advice",
    "recalls": "Invitations to book (recalls)",
    "marketing": "News and offers",
}


@router.post("/patients/{patient_id}/messages/preferences")
def record_patient_preferences(
    patient_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    chosen = set(form.getlist("choice"))
    data = {name: name in chosen for name in PREFERENCE_LABELS}
    result = page.run(patient_preferences.record_preferences, patient_id, data)
    withdrawn = result["withdrawn"]
    page.flash(
        "The patient's message preferences are recorded"
        + (f"; {withdrawn} queued message{'s' if withdrawn != 1 else ''} withdrawn." if withdrawn
           else ".")
    )  # fmt: skip
    return page.redirect(f"/patients/{patient_id}/messages")


@router.post("/messages/recalls")
def queue_recalls_now(
    page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    counts = page.run(recalls.queue_recalls)
    page.flash(
        f"Queued {counts['recall']} maintenance recall(s) and {counts['invitation']} "
        f"invitation(s) to book; {counts['skipped']} patient(s) had one in the last 30 days."
    )
    return page.redirect("/messages")

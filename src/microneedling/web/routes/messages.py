"""Staff pages for messages to patients: a patient's messages (``/patients/{id}/messages``, also
a partial the patient page includes) and the failed ones (``/messages``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from microneedling.services.messages.listing import list_messages
from microneedling.web.context import Page, RecordId, staff_page

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
}


@router.get("/patients/{patient_id}/messages")
def patient_messages(patient_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    messages = page.run(list_messages, patient_id=patient_id, limit=500)
    return page.render(
        "messages_patient.html.j2",
        title="Messages to the patient",
        section="patients",
        patient_id=patient_id,
        messages=messages,
        kinds=KIND_LABELS,
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

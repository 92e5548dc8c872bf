"""Staff pages for what patients send from the portal about their care: reported reactions
(``/reactions``: the task list; ``/reactions/{id}``: one report with its photos, confirmed as an
adverse event or closed by a clinician) and a patient's e-signed consents
(``/patients/{id}/e-signed``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from microneedling.errors import PermissionDenied, UserError
from microneedling.services import adverse_events, patients
from microneedling.services.portal import consents_signing, reactions
from microneedling.store.models import ADVERSE_EVENT_KINDS, SEVERITIES
from microneedling.web.context import Page, RecordId, posted_form, staff_page
from microneedling.web.forms import Form
from microneedling.web.labels import words

router = APIRouter()

#: Likely kinds of adverse event for what the patient ticked (the clinician's first choice).
LIKELY_KIND = {
    "pus": "infection",
    "fever": "infection",
    "heat": "infection",
    "cold_sore": "herpes_reactivation",
    "blisters": "herpes_reactivation",
    "dark_patches": "hyperpigmentation",
    "itching": "allergic_reaction",
    "spots": "acneiform_eruption",
    "swelling": "oedema",
    "redness": "prolonged_erythema",
}
CONFIRM_LABELS = {
    "kind": "Kind of adverse event",
    "severity": "Severity",
    "onset_on": "Onset",
    "description": "Description",
}
CLOSE_LABELS = {"note": "Why it is not an adverse event"}
Status = Annotated[str, Query(pattern="^(new|confirmed|closed)$")]


@router.get("/reactions")
def reaction_list(page: Page = Depends(staff_page), status: Status = "new") -> Response:
    found = page.run(reactions.list_reports, status=status)
    return page.render(
        "reaction_reports.html.j2",
        title="Reactions reported by patients",
        section="today",
        reports=found,
        status=status,
    )


def _report_page(page: Page, report_id: int, form: Form | None = None, close: Form | None = None,
                 status: int = 200) -> Response:  # fmt: skip
    report = page.run(reactions.read_report, report_id)
    if form is None:
        likely = next((LIKELY_KIND[s] for s in report["symptom_keys"] if s in LIKELY_KIND), "other")
        form = Form.blank(
            CONFIRM_LABELS,
            kind=likely,
            severity="mild",
            onset_on=report["started_on"].isoformat(),
            description=report["description"],
        )
    return page.render(
        "reaction_report.html.j2",
        status,
        title="Reported reaction",
        section="today",
        report=report,
        form=form,
        close=close or Form(CLOSE_LABELS),
        kinds=[(kind, words(kind)) for kind in ADVERSE_EVENT_KINDS],
        severities=[(s, words(s)) for s in SEVERITIES],
    )


@router.get("/reactions/{report_id}")
def reaction_page(report_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    return _report_page(page, report_id)


@router.post("/reactions/{report_id}/confirm")
def confirm(
    report_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    form.labels = CONFIRM_LABELS
    event = {
        "kind": form.choice("kind", dict.fromkeys(ADVERSE_EVENT_KINDS), required=True),
        "severity": form.choice("severity", dict.fromkeys(SEVERITIES), required=True),
        "onset_on": form.day("onset_on", required=True, not_after=page.today),
        "description": form.text("description", max_length=10_000, multiline=True),
    }
    form.check(adverse_events.NewAdverseEvent, event)
    if form.ok:
        try:
            page.run(
                reactions.confirm_report,
                report_id,
                {key: value for key, value in event.items() if value is not None},
            )
        except PermissionDenied:
            raise
        except UserError as error:
            form.add_user_error(error)
        else:
            page.flash("Confirmed: the adverse event is recorded on the patient's record.")
            return page.redirect("/reactions")
    return _report_page(page, report_id, form=form, status=422)


@router.post("/reactions/{report_id}/close")
def close(
    report_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    form.labels = CLOSE_LABELS
    note = form.text("note", required=True, max_length=2000, multiline=True)
    if form.ok:
        try:
            page.run(reactions.close_report, report_id, note)
        except PermissionDenied:
            raise
        except UserError as error:
            form.add_user_error(error)
        else:
            page.flash("Closed: not an adverse event.")
            return page.redirect("/reactions")
    return _report_page(page, report_id, close=form, status=422)


@router.get("/reactions/photos/{photo_id}")
def reaction_photo(photo_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    media_type, data = page.run(reactions.read_report_photo, photo_id)
    return Response(
        data,
        media_type=media_type,
        headers={
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'",
        },
    )


@router.get("/patients/{patient_id}/e-signed")
def e_signed(patient_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    patient = page.run(patients.read_patient, patient_id)
    found = page.run(consents_signing.staff_signatures, patient_id)
    return page.render(
        "reaction_e_signed.html.j2",
        title="Consents signed in the portal",
        section="patients",
        patient=patient,
        signatures=found,
    )

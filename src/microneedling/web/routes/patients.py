"""Patients: finding them, registering them, a patient's record as a timeline, and the
front-desk actions on it (consents, booking an appointment) and adverse events."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from microneedling.clinical.dates import age_in_years
from microneedling.errors import UserError
from microneedling.services import (
    adverse_events,
    appointments,
    consents,
    intakes,
    overview,
    patients,
)
from microneedling.store.models import ADVERSE_EVENT_KINDS, SEVERITIES
from microneedling.text_direction import isolated_where_needed
from microneedling.web.context import Page, RecordId, posted_form, staff_page
from microneedling.web.forms import Form
from microneedling.web.labels import words
from microneedling.web.series import booked_series, clinic_calendar

router = APIRouter()

PAGE_SIZE = 25

PATIENT_LABELS = {
    "given_name": "Given name",
    "family_name": "Family name",
    "birth_date": "Date of birth",
    "sex": "Sex",
    "fitzpatrick": "Fitzpatrick skin type",
    "email": "E-mail address",
    "phone": "Phone number",
}
SEXES = [("female", "Female"), ("male", "Male"), ("other", "Other"), ("", "Not given")]
FITZPATRICK = [
    ("1", "Type 1: always burns, never tans"),
    ("2", "Type 2: usually burns, tans minimally"),
    ("3", "Type 3: sometimes burns, tans uniformly"),
    ("4", "Type 4: burns minimally, always tans"),
    ("5", "Type 5: rarely burns, tans profusely"),
    ("6", "Type 6: never burns, deeply pigmented"),
]


def full_name(patient: dict[str, Any]) -> str:
    return f"{patient['given_name']} {patient['family_name']}"


# Finding and registering ---------------------------------------------------------------------


@router.get("/patients")
def find_page(
    q: str = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    page: Page = Depends(staff_page),
) -> Response:
    text = q.strip()[:100]
    result = page.run(patients.list_patients, text=text or None, limit=PAGE_SIZE, offset=offset)
    template = "partials/patient_results.html.j2" if page.htmx else "patients.html.j2"
    return page.render(
        template, title="Patients", section="patients", q=text, result=result, offset=offset
    )


@router.get("/patients/new")
def register_page(page: Page = Depends(staff_page)) -> Response:
    form = Form.blank(PATIENT_LABELS)
    return page.render(
        "patient_new.html.j2",
        title="Register a patient",
        section="patients",
        form=form,
        sexes=SEXES,
        fitzpatrick=FITZPATRICK,
        duplicates=[],
    )


@router.post("/patients/new")
def register(page: Page = Depends(staff_page), form: Form = Depends(posted_form)) -> Response:
    form.labels = PATIENT_LABELS
    details: dict[str, Any] = {
        "given_name": form.text("given_name", required=True, max_length=100),
        "family_name": form.text("family_name", required=True, max_length=100),
        "birth_date": form.day("birth_date", required=True, not_after=page.today),
        "sex": form.choice("sex", dict(SEXES)) or None,
        "fitzpatrick": form.integer("fitzpatrick", required=True, low=1, high=6),
        "email": form.text("email", max_length=254),
        "phone": form.text("phone", max_length=40),
    }
    # "Register anyway", after the warning that this may be someone already registered.
    details["confirm_duplicate"] = form.get("confirm_duplicate") == "yes"
    form.check(patients.NewPatient, details)  # the use case's own checks, in this same pass
    duplicates: list[dict[str, Any]] = []
    if form.ok:
        try:
            patient_id = page.run(
                patients.register_patient,
                {key: value for key, value in details.items() if value is not None},
                warn_of_duplicates=True,
            )
        except patients.DuplicatePatient as error:
            duplicates = error.existing
        except UserError as error:
            form.add_user_error(error)
        else:
            name = f"{details['given_name']} {details['family_name']}"
            page.flash(f"Registered {isolated_where_needed(name)}.")
            return page.redirect(f"/patients/{patient_id}")
    return page.render(
        "patient_new.html.j2",
        409 if duplicates else 422,
        title="Register a patient",
        section="patients",
        form=form,
        sexes=SEXES,
        fitzpatrick=FITZPATRICK,
        duplicates=duplicates,
    )


# The record -----------------------------------------------------------------------------------


def _entry(when: Any, kind: str, **values: Any) -> dict[str, Any]:
    key = when.isoformat() if isinstance(when, date | datetime) else str(when or "")
    return {"sort": key, "when": when, "kind": kind, **values}


def timeline(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Everything about the patient, newest first, each entry with what the page shows."""
    entries: list[dict[str, Any]] = []
    for intake in record.get("intakes", []):
        entries.append(_entry(intake["assessed_on"], "intake", intake=intake))
    for consent in record.get("consents", []):
        entries.append(_entry(consent["signed_at"], "consent", consent=consent))
    for plan in record.get("plans", []):
        entries.append(_entry(plan["created_at"], "plan", plan=plan))
    charts = {chart["appointment_id"]: chart for chart in record.get("charts", [])}
    for appointment in record.get("appointments", []):
        entries.append(
            _entry(
                appointment["starts_at"],
                "session",
                appointment=appointment,
                chart=charts.get(appointment["id"]),
            )
        )
    for outcome in record.get("outcomes", []):
        entries.append(_entry(outcome["assessed_on"], "outcome", outcome=outcome))
    for photo in record.get("photos", []):
        entries.append(_entry(photo["taken_at"], "photo", photo=photo))
    for event in record.get("adverse_events", []):
        entries.append(_entry(event["onset_on"], "adverse_event", event=event))
    entries.sort(key=lambda entry: entry["sort"][:10] + entry["kind"], reverse=True)
    return entries


@router.get("/patients/{patient_id}")
def record_page(patient_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    if page.can("patient.read_record"):
        record = page.run(patients.open_patient_record, patient_id)
        full = True
    else:
        record = {
            "patient": page.run(patients.read_patient, patient_id),
            "intakes": page.run(intakes.list_intakes, patient_id),
            "consents": page.run(consents.list_consents, patient_id),
            "appointments": page.run(
                appointments.list_appointments, patient_id=patient_id, limit=200
            )["items"],
        }
        full = False
    patient = record["patient"]
    staff = {member["id"]: member["display_name"] for member in page.run(overview.staff_directory)}
    latest = None
    if record["intakes"]:
        latest = max(record["intakes"], key=lambda item: (item["assessed_on"], item["id"]))
    treatment_consent = next(
        (
            c
            for c in reversed(record["consents"])
            if c["kind"] == "treatment" and c["withdrawn_at"] is None
        ),
        None,
    )
    open_events = [e for e in record.get("adverse_events", []) if e["resolved_on"] is None]
    series_list = booked_series(page, patient_id)
    return page.render(
        "patient.html.j2",
        title=full_name(patient),
        section="patients",
        patient=patient,
        name=full_name(patient),
        age=age_in_years(date.fromisoformat(patient["birth_date"]), page.today),
        entries=timeline(record),
        full=full,
        staff=staff,
        latest=latest,
        treatment_consent=treatment_consent,
        open_events=open_events,
        plans=record.get("plans", []),
        series_list=series_list,
        in_series={x["appointment_id"] for s in series_list for x in s["sessions"]},
        calendar=clinic_calendar(page) if series_list else None,
        to_book=page.run(overview.plans_to_book, patient_id),
    )


# Consents -------------------------------------------------------------------------------------

CONSENT_LABELS = {
    "kind": "Consent",
    "form_version": "Form version",
    "signed_by_name": "Signed by",
}
#: What each kind of consent is for, as the choice reads.
CONSENT_KINDS = {
    "treatment": "Treatment (needed before any session is charted)",
    "marketing_photos": "Use of photos in marketing",
}


def _consent_page(
    page: Page, patient: dict[str, Any], form: Form, kind: str, status: int = 200
) -> Response:
    return page.render(
        "consent_new.html.j2",
        status,
        title="Record a signed consent",
        section="patients",
        patient=patient,
        name=full_name(patient),
        form=form,
        kinds=list(CONSENT_KINDS.items()),
        kind=kind,
        consent_form=consents.consent_form(kind, form.get("form_version") or None),
    )


@router.get("/patients/{patient_id}/consents/new")
def consent_page(
    patient_id: RecordId, kind: str = "treatment", page: Page = Depends(staff_page)
) -> Response:
    patient = page.run(patients.read_patient, patient_id)
    kind = kind if kind in CONSENT_KINDS else "treatment"
    form = Form.blank(CONSENT_LABELS, kind=kind, signed_by_name=full_name(patient))
    return _consent_page(page, patient, form, kind)


@router.post("/patients/{patient_id}/consents/new")
def sign_consent(
    patient_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    """The text signed is the one the page showed for its kind: the page sends the form's
    version and the SHA-256 of the text shown, and the use case records that form's text."""
    form.labels = CONSENT_LABELS
    kind = form.choice("kind", CONSENT_KINDS, required=True) or "treatment"
    consent = {
        "kind": kind,
        "form_version": form.text("form_version", required=True, max_length=32),
        "text_sha256": form.text("text_sha256", required=True, max_length=64),
        "signed_by_name": form.text("signed_by_name", required=True, max_length=200),
    }
    if not form.checked("confirm"):
        form.add("confirm", "tick to confirm the patient signed this text in front of you")
    form.check(consents.SignedConsent, consent)  # the use case's own checks, in this same pass
    if form.ok:
        try:
            page.run(consents.sign_consent, patient_id, consent)
        except UserError as error:
            form.add_user_error(error)
        else:
            page.flash(f"{words(kind)} consent recorded, with the text signed.")
            return page.redirect(f"/patients/{patient_id}")
    patient = page.run(patients.read_patient, patient_id)
    try:
        return _consent_page(page, patient, form, kind, 422)
    except UserError:
        # A version no longer offered: show the current form again.
        form.data.pop("form_version", None)
        return _consent_page(page, patient, form, kind, 422)


@router.post("/consents/{consent_id}/withdraw")
def withdraw_consent(
    consent_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    page.run(consents.withdraw_consent, consent_id)
    page.flash("Consent withdrawn: it no longer counts from now on.")
    patient_id = form.integer("patient_id", low=1, high=2**31 - 1)
    return page.redirect(f"/patients/{patient_id}" if patient_id else "/patients")


# Booking one appointment ----------------------------------------------------------------------

BOOK_LABELS = {
    "day": "Day",
    "start": "Start time",
    "duration_minutes": "Length in minutes",
    "practitioner_id": "Practitioner",
    "plan_id": "Treatment plan",
}


def practitioners(page: Page) -> list[tuple[str, str]]:
    return [
        (str(member["id"]), member["display_name"])
        for member in page.run(overview.staff_directory)
        if member["active"] and member["role"] in ("clinician", "owner")
    ]


def moment(page: Page, day: date, start: time) -> datetime:
    """A local day and time at the clinic, as an aware datetime."""
    return datetime.combine(day, start, ZoneInfo(page.time_zone))


def _book_page(page: Page, patient: dict[str, Any], form: Form, status: int = 200) -> Response:
    return page.render(
        "appointment_new.html.j2",
        status,
        title="Book an appointment",
        section="patients",
        patient=patient,
        name=full_name(patient),
        form=form,
        practitioners=practitioners(page),
    )


@router.get("/patients/{patient_id}/appointments/new")
def book_page(patient_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    patient = page.run(patients.read_patient, patient_id)
    form = Form.blank(BOOK_LABELS, day=page.today.isoformat(), start="10:00", duration_minutes="60")
    return _book_page(page, patient, form)


@router.post("/patients/{patient_id}/appointments/new")
def book(
    patient_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    form.labels = BOOK_LABELS
    day = form.day("day", required=True)
    start = form.clock_time("start", required=True)
    duration = form.integer("duration_minutes", required=True, low=5, high=480)
    practitioner = form.choice("practitioner_id", dict(practitioners(page)))
    if form.ok and day is not None and start is not None and duration is not None:
        try:
            page.run(
                appointments.book_appointment,
                patient_id,
                starts_at=moment(page, day, start),
                duration_minutes=duration,
                practitioner_id=int(practitioner) if practitioner else None,
            )
        except UserError as error:
            form.add_user_error(error, {"starts_at": "day"})
        else:
            page.flash(f"Booked for {day.isoformat()} at {start.strftime('%H:%M')}.")
            return page.redirect(f"/patients/{patient_id}")
    patient = page.run(patients.read_patient, patient_id)
    return _book_page(page, patient, form, 422)


# Adverse events -------------------------------------------------------------------------------

EVENT_LABELS = {
    "kind": "What happened",
    "severity": "Severity",
    "onset_on": "Started on",
    "appointment_id": "After the session of",
    "description": "Description",
}


def _event_page(page: Page, patient_id: int, form: Form, status: int = 200) -> Response:
    patient = page.run(patients.read_patient, patient_id)
    sessions = page.run(
        appointments.list_appointments, patient_id=patient_id, status="completed", limit=200
    )["items"]
    return page.render(
        "adverse_event_new.html.j2",
        status,
        title="Record an adverse event",
        section="patients",
        patient=patient,
        name=full_name(patient),
        form=form,
        kinds=[(kind, words(kind)) for kind in ADVERSE_EVENT_KINDS],
        severities=[(s, words(s)) for s in SEVERITIES],
        sessions=[(str(item["id"]), item["starts_at"][:10]) for item in reversed(sessions)],
    )


@router.get("/patients/{patient_id}/adverse-events/new")
def event_page(patient_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    form = Form.blank(EVENT_LABELS, onset_on=page.today.isoformat())
    return _event_page(page, patient_id, form)


@router.post("/patients/{patient_id}/adverse-events/new")
def record_event(
    patient_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    form.labels = EVENT_LABELS
    event = {
        "kind": form.choice("kind", dict.fromkeys(ADVERSE_EVENT_KINDS), required=True),
        "severity": form.choice("severity", dict.fromkeys(SEVERITIES), required=True),
        "onset_on": form.day("onset_on", required=True, not_after=page.today),
        "appointment_id": form.integer("appointment_id", low=1, high=2**31 - 1),
        "description": form.text("description", max_length=10_000, multiline=True),
    }
    form.check(adverse_events.NewAdverseEvent, event)  # the use case's checks, in this pass
    if form.ok:
        try:
            page.run(
                adverse_events.record_adverse_event,
                patient_id,
                {key: value for key, value in event.items() if value is not None},
            )
        except UserError as error:
            form.add_user_error(error)
        else:
            page.flash("Adverse event recorded.")
            return page.redirect(f"/patients/{patient_id}#adverse-events")
    return _event_page(page, patient_id, form, 422)


@router.post("/adverse-events/{event_id}/resolve")
def resolve_event(
    event_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    form.labels = {"resolved_on": "Resolved on", "resolution": "Resolution"}
    patient_id = form.integer("patient_id", low=1, high=2**31 - 1)
    resolved_on = form.day("resolved_on", required=True)
    resolution = form.text("resolution", required=True, max_length=10_000, multiline=True)
    if not form.ok or resolved_on is None or resolution is None:
        raise UserError("; ".join(message for _, message in form.summary()))
    page.run(
        adverse_events.resolve_adverse_event,
        event_id,
        resolved_on=resolved_on,
        resolution=resolution,
    )
    page.flash("Adverse event resolved.")
    return page.redirect(f"/patients/{patient_id}#adverse-events" if patient_id else "/")

"""Booking a plan's series against the clinic calendar, and moving or cancelling its sessions.

"Book the series" shows what ``scheduling.propose_plan`` proposes: a concrete appointment for
every session (day, time, practitioner, room, device) with the session's window and any flag,
and lets staff state the patient's preferences and propose again, or change a session's day,
time or practitioner. Booking sends every session as staff see it (``PickedSlot``) to
``scheduling.book_plan``, which books the whole series in one transaction or nothing. A problem
with one session (taken meanwhile, outside the opening hours, under the minimum interval) is
shown at that session, with everything as it was typed.

A booked session is moved (``scheduling.move_session``; the later sessions are re-proposed where
they no longer fit their windows) or cancelled after a confirmation with the reason (``scheduling.cancel_session``; its slot is
left free, nothing is booked again; a whole series is stopped with ``scheduling.stop_series``)
from the patient's record; the patient's ``.ics`` file has one
event per session.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from microneedling.errors import Conflict, NotFound, PermissionDenied, UserError
from microneedling.services import appointments, overview, patients, plans, scheduling
from microneedling.web.context import Page, RecordId, posted_form, staff_page
from microneedling.web.forms import Form
from microneedling.web.labels import TIME_WISHES, local, zone_label
from microneedling.web.routes.patients import full_name
from microneedling.web.series import CalendarNames, booked_series, clinic_calendar, not_configured

router = APIRouter()

WEEKDAYS = [
    ("monday", "Monday"),
    ("tuesday", "Tuesday"),
    ("wednesday", "Wednesday"),
    ("thursday", "Thursday"),
    ("friday", "Friday"),
    ("saturday", "Saturday"),
    ("sunday", "Sunday"),
]
TIMES = list(TIME_WISHES.items())
PREFERENCE_LABELS = {
    "weekdays": "Days that suit the patient",
    "times": "Times of day that suit the patient",
    "prefer_practitioner": "Practitioner the patient prefers",
}
#: A session's key in the form: ``<series index>-<session>``.
_KEY = re.compile(r"^(\d{1,2})-(\d{1,2})$")
_SLOT = re.compile(r"^slots\[(\d+)\](?:\.(\w+))?$")
_LOCAL_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
MAX_SESSIONS = 60


# The proposal as rows of the form ---------------------------------------------------------------


def _rows(proposal: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per session of every series proposed, with the form's key for it."""
    many = len(proposal["series"]) > 1
    rows = []
    for series in proposal["series"]:
        index = series["series_index"]
        for item in series["sessions"]:
            prefix = f"Series {index + 1}, session" if many else "Session"
            rows.append(
                {
                    **item,
                    "key": f"{index}-{item['session']}",
                    "series_index": index,
                    "title": f"{prefix} {item['session']} of {series['sessions_planned']}",
                    "short": f"{prefix} {item['session']}",
                    "zones": ", ".join(zone_label(zone) for zone in series["zones"]),
                    "minutes": series["minutes"]["patient"],
                }
            )
    return rows


def book_labels(rows: list[dict[str, Any]]) -> dict[str, str]:
    found = dict(PREFERENCE_LABELS)
    for row in rows:
        found[f"day.{row['key']}"] = f"{row['short']}: day"
        found[f"time.{row['key']}"] = f"{row['short']}: time"
        found[f"practitioner.{row['key']}"] = f"{row['short']}: practitioner"
        found[f"when.{row['key']}"] = row["short"]
    return found


def _proposed_form(rows: list[dict[str, Any]], preferences: Form | None) -> Form:
    """The form as proposed: every session's day, time and practitioner (and, hidden, what was
    proposed: room and device go with a session only while its time and practitioner stay)."""
    values: dict[str, Any] = {"session": [row["key"] for row in rows]}
    for row in rows:
        key, start = row["key"], row.get("start") or ""
        values[f"day.{key}"] = start[:10]
        values[f"time.{key}"] = start[11:16]
        values[f"practitioner.{key}"] = row.get("practitioner") or ""
        values[f"proposed.{key}"] = start[:16]
        values[f"proposed_practitioner.{key}"] = row.get("practitioner") or ""
        values[f"room.{key}"] = row.get("room") or ""
        values[f"device.{key}"] = row.get("device") or ""
    if preferences is not None:
        for name in ("weekdays", "times"):
            values[name] = preferences.getlist(name)
        values["prefer_practitioner"] = preferences.get("prefer_practitioner")
    return Form.blank(book_labels(rows), **values)


def _offered_weekdays(calendar: CalendarNames | None, form: Form) -> list[tuple[str, str]]:
    """The weekdays a patient may wish for: the days the clinic opens (and any already
    chosen)."""
    if calendar is None:
        return WEEKDAYS
    open_days = calendar.open_weekdays()
    chosen = set(form.getlist("weekdays"))
    return [
        (value, label)
        for number, (value, label) in enumerate(WEEKDAYS)
        if number in open_days or value in chosen
    ]


def _preferences(form: Form, calendar: CalendarNames | None) -> dict[str, Any]:
    """The patient's preferences from the form (as ``scheduling.Preferences`` takes them)."""
    preferences: dict[str, Any] = {}
    for name, options in (("weekdays", WEEKDAYS), ("times", TIMES)):
        chosen = form.getlist(name)
        if any(value not in dict(options) for value in chosen):
            form.add(name, "choose from the options given")
        elif chosen:
            preferences[name] = chosen
    practitioner = form.get("prefer_practitioner").strip()
    if practitioner:
        if calendar is not None and practitioner not in calendar.practitioners:
            form.add("prefer_practitioner", "choose one of the practitioners in the calendar")
        else:
            preferences["practitioner"] = practitioner
    return preferences


def _field_of(keys: list[str]) -> Callable[[str], str | None]:
    """The form field a scheduling error's path names: ``slots[2].start`` → that session (its
    day and time together), ``slots[2].practitioner`` → its practitioner."""

    def field_of(path: str) -> str | None:
        found = _SLOT.match(path)
        if found and int(found[1]) < len(keys):
            key = keys[int(found[1])]
            return f"practitioner.{key}" if found[2] == "practitioner" else f"when.{key}"
        if path.startswith("preferences.weekdays"):
            return "weekdays"
        if path.startswith("preferences.times"):
            return "times"
        if path == "preferences.practitioner":
            return "prefer_practitioner"
        return None

    return field_of


_SESSION_PREFIX = re.compile(r"^session \d+ ")


def readable(message: str, calendar: CalendarNames | None) -> str:
    """A scheduling message with the practitioners' names for their e-mails."""
    if calendar is not None:
        for email, name in calendar.practitioners.items():
            message = message.replace(email, name)
    return message


def _attach(
    form: Form,
    error: UserError,
    field_of: Callable[[str], str | None],
    calendar: CalendarNames | None = None,
) -> None:
    """Each problem beside its field (without repeating which session it is about), or at the
    top (without the internal path)."""
    for path, message in error.fields or [(error.field or "", error.message)]:
        name = field_of(path) if path else None
        text = readable(message, calendar)
        if name is not None and name.startswith("when."):
            text = _SESSION_PREFIX.sub("", text)
        form.add(name, text)


def _passes(error: UserError) -> bool:
    """Errors the pages show on their own (403, 404), not at a field."""
    return isinstance(error, PermissionDenied | NotFound) and not not_configured(error)


# The page -------------------------------------------------------------------------------------


def _book_page(
    page: Page,
    plan_id: int,
    form: Form | None = None,
    *,
    keep_typed: bool = False,
    status: int = 200,
) -> Response:
    """The booking page: the proposal (on the preferences in ``form``), and the form as proposed,
    or as typed (``keep_typed``) when it comes back with problems."""
    plan = page.run(overview.plan_for_booking, plan_id)
    patient = page.run(patients.read_patient, plan["patient_id"])
    calendar = clinic_calendar(page)
    shown = form if form is not None else Form.blank(PREFERENCE_LABELS)
    proposal: dict[str, Any] | None = None
    problem: str | None = None
    if calendar is not None:
        probe = Form(data=shown.data)
        preferences = _preferences(probe, calendar)
        for name, message in probe.errors.items():
            shown.add(name, message)
            keep_typed, status = True, max(status, 422)
        try:
            proposal = page.run(scheduling.propose_plan, plan_id, preferences=preferences)
        except UserError as error:
            if _passes(error):
                raise
            if not_configured(error):
                calendar = None
            elif error.field and error.field.startswith("preferences"):
                _attach(shown, error, _field_of([]), calendar)
                keep_typed, status = True, max(status, 422)
                proposal = page.run(scheduling.propose_plan, plan_id)
            else:
                problem = error.message
    rows = _rows(proposal) if proposal is not None else []
    if keep_typed and shown.getlist("session"):
        shown.labels = book_labels(rows)
    else:  # the sessions as proposed, with the wishes (and any problem with them) as given
        fresh = _proposed_form(rows, shown)
        fresh.errors, fresh.general = shown.errors, shown.general
        shown = fresh
    return page.render(
        "plan_book.html.j2",
        status,
        title=f"Book the series: {full_name(patient)}",
        section="patients",
        plan=plan,
        patient=patient,
        name=full_name(patient),
        calendar=calendar,
        proposal=proposal,
        problem=problem,
        rows=rows,
        form=shown,
        weekdays=_offered_weekdays(calendar, shown),
        times=TIMES,
        can_configure=page.can("calendar.configure"),
        can_read_plan=page.can("plan.read"),
    )


@router.get("/plans/{plan_id}/book")
def book_page(plan_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    return _book_page(page, plan_id)


def _picks(form: Form) -> tuple[list[str], list[dict[str, Any]]]:
    """Every session as staff left it: its key, and the slot for ``book_plan``."""
    keys, picks = [], []
    for key in form.getlist("session")[:MAX_SESSIONS]:
        found = _KEY.match(key)
        if found is None or key in keys:
            continue
        keys.append(key)
        day = form.day(f"day.{key}", required=True)
        at = form.clock_time(f"time.{key}", required=True)
        practitioner = form.get(f"practitioner.{key}").strip() or None
        if day is None or at is None:
            continue
        start = f"{day.isoformat()}T{at:%H:%M}"
        unchanged = start == form.get(f"proposed.{key}") and practitioner == (
            form.get(f"proposed_practitioner.{key}") or None
        )
        picks.append(
            {
                "series_index": int(found[1]),
                "session": int(found[2]),
                "start": start,
                "practitioner": practitioner,
                # The proposed room and device are free at the proposed time only.
                "room": (form.get(f"room.{key}") or None) if unchanged else None,
                "device": (form.get(f"device.{key}") or None) if unchanged else None,
            }
        )
    if not keys:
        form.add(None, "There is nothing to book on this page: propose again.")
    return keys, picks


def _accepted(page: Page, plan_id: int) -> bool:
    """A proposed plan whose series is booked is accepted (by a role that may say so)."""
    if not page.can("plan.update_status"):
        return False
    try:
        if page.run(plans.read_plan, plan_id)["status"] != "proposed":
            return False
        page.run(plans.set_plan_status, plan_id, "accepted")
    except UserError:  # the series is booked all the same; the plan page shows its status
        return False
    return True


@router.post("/plans/{plan_id}/book")
def book(
    plan_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    preferences = _preferences(form, None)
    if form.get("action") != "book":
        # Propose again on the wishes given (problems with them are shown by the page).
        return _book_page(page, plan_id, form, status=200 if form.ok else 422)
    keys, picks = _picks(form)
    if not form.ok:
        return _book_page(page, plan_id, form, keep_typed=True, status=422)
    try:
        booked = page.run(scheduling.book_plan, plan_id, slots=picks, preferences=preferences)
    except UserError as error:
        if _passes(error):
            raise
        if not not_configured(error):
            _attach(form, error, _field_of(keys), clinic_calendar(page))
        status = 409 if isinstance(error, Conflict) else 422
        return _book_page(page, plan_id, form, keep_typed=True, status=status)
    sessions = [item for series in booked["series"] for item in series["sessions"]]
    flagged = sum(1 for item in sessions if item["reasons"])
    message = f"Booked {len(sessions)} sessions"
    message += "; the plan is accepted." if _accepted(page, plan_id) else "."
    if flagged:
        message += f" {flagged} flagged: see why under Booked series."
    page.flash(message)
    return page.redirect(f"/patients/{booked['patient_id']}#booked-series")


# Moving and cancelling a booked session ---------------------------------------------------------

MOVE_LABELS = {"to": "New day and time"}


def _session_of(page: Page, appointment_id: int) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """The patient, booked series and session of an appointment (NotFound if it is none)."""
    patient_id = int(page.run(appointments.read_appointment, appointment_id)["patient_id"])
    for series in booked_series(page, patient_id):
        for session in series["sessions"]:
            if session["appointment_id"] == appointment_id:
                return patient_id, series, session
    raise NotFound(
        f"appointment {appointment_id} is not a session of a booked series", field="appointment_id"
    )


def _move_page(page: Page, appointment_id: int, form: Form, status: int = 200) -> Response:
    patient_id, series, session = _session_of(page, appointment_id)
    patient = page.run(patients.read_patient, patient_id)
    return page.render(
        "move_session.html.j2",
        status,
        title=f"Move session {session['session']}: {full_name(patient)}",
        section="patients",
        patient=patient,
        name=full_name(patient),
        series=series,
        session=session,
        calendar=clinic_calendar(page),
        form=form,
    )


@router.get("/appointments/{appointment_id}/move")
def move_page(appointment_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    _, _, session = _session_of(page, appointment_id)
    return _move_page(page, appointment_id, Form.blank(MOVE_LABELS, to=session["start"][:16]))


def move_summary(result: dict[str, Any], session: int, time_zone: str) -> list[str]:
    """What a move or a cancellation did, as messages for the next page: where the session is
    now, which later sessions were re-proposed, which are flagged and why."""
    messages = []
    later = []
    for item in result["sessions"]:
        if item["session"] == session:
            if item.get("start"):
                messages.append(f"Session {session} is now on {local(item['start'], time_zone)}.")
            else:
                messages.append(f"Session {session} could not be booked again.")
        elif item["session"] > session and item["status"] != "kept" and item.get("start"):
            later.append(f"session {item['session']} to {local(item['start'], time_zone)}")
    if later:
        messages.append("Re-proposed to keep them in their windows: " + "; ".join(later) + ".")
    elif any(item["session"] > session for item in result["sessions"]):
        messages.append("The later sessions stay where they were.")
    for item in result["sessions"]:
        if item["reasons"]:
            messages.append(f"Session {item['session']} is flagged: {'; '.join(item['reasons'])}")
    return messages


@router.post("/appointments/{appointment_id}/move")
def move(
    appointment_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    form.labels = MOVE_LABELS
    to = form.get("to").strip()
    if not to:
        form.add("to", "is required: the day and time the session moves to")
    elif not _LOCAL_MOMENT.match(to):
        form.add("to", "expected a day and time such as 2027-01-05T09:00")
    if not form.ok:
        return _move_page(page, appointment_id, form, 422)
    _, _, session = _session_of(page, appointment_id)
    try:
        result = page.run(scheduling.move_session, appointment_id, to)
    except UserError as error:
        if _passes(error):
            raise
        _attach(
            form, error, lambda path: "to" if path in ("to", "") else None, clinic_calendar(page)
        )
        status = 409 if isinstance(error, Conflict) else 422
        return _move_page(page, appointment_id, form, status)
    for message in move_summary(result, session["session"], page.time_zone):
        page.flash(message)
    return page.redirect(f"/patients/{result['patient_id']}#booked-series")


CANCEL_LABELS = {"reason": "Why is it cancelled?"}


def _cancel_page(
    page: Page,
    appointment_id: int,
    form: Form,
    status: int = 200,
) -> Response:
    appointment = page.run(appointments.read_appointment, appointment_id)
    patient = page.run(patients.read_patient, appointment["patient_id"])
    session = None
    try:
        _, _, session = _session_of(page, appointment_id)
    except NotFound:
        session = None
    return page.render(
        "cancel_confirm.html.j2",
        status,
        title=f"Cancel a session: {full_name(patient)}",
        section="patients",
        patient=patient,
        name=full_name(patient),
        what=(
            f"session {session['session']} of the booked series" if session else "this appointment"
        ),
        when=local(appointment["starts_at"], page.time_zone),
        action=f"/appointments/{appointment_id}/cancel",
        button="Cancel the session",
        keep="Keep the session",
        series=False,
        form=form,
    )


@router.get("/appointments/{appointment_id}/cancel")
def cancel_page(appointment_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    """Confirm cancelling a session, with the reason (nothing is cancelled by this page)."""
    return _cancel_page(page, appointment_id, Form.blank(CANCEL_LABELS, reason=""))


@router.post("/appointments/{appointment_id}/cancel")
@router.post("/appointments/{appointment_id}/cancel-session")
def cancel(
    appointment_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    """Cancel a session for the reason given: a series session through ``cancel_session``, a
    one-off appointment through its status; the slot is left free (nothing booked again)."""
    form.labels = CANCEL_LABELS
    reason = form.get("reason").strip()
    if not reason:
        form.add("reason", "is required: say why the session is cancelled")
        return _cancel_page(page, appointment_id, form, 422)
    appointment = page.run(appointments.read_appointment, appointment_id)
    when = local(appointment["starts_at"], page.time_zone)
    try:
        try:
            _session_of(page, appointment_id)
        except NotFound:
            page.run(
                appointments.set_appointment_status, appointment_id, "cancelled", reason=reason
            )
        else:
            page.run(scheduling.cancel_session, appointment_id, reason=reason)
    except UserError as error:
        if _passes(error):
            raise
        form.add("reason", error.message)
        return _cancel_page(page, appointment_id, form, 422)
    page.flash(f"The session on {when} is cancelled; its time is free again.")
    return page.redirect(f"/patients/{appointment['patient_id']}")


def _stop_page(
    page: Page, patient_id: int, series_id: int, form: Form, status: int = 200
) -> Response:
    patient = page.run(patients.read_patient, patient_id)
    found = [s for s in booked_series(page, patient_id) if s["series_id"] == series_id]
    if not found:
        raise NotFound(f"no booked series {series_id} for this patient", field="series_id")
    coming = [
        x
        for x in found[0]["sessions"]
        if x["status"] == "scheduled" and datetime.fromisoformat(x["start"]) > page.now()
    ]
    return page.render(
        "cancel_confirm.html.j2",
        status,
        title=f"Stop the series: {full_name(patient)}",
        section="patients",
        patient=patient,
        name=full_name(patient),
        what=f"every session still to come of plan {found[0]['plan_id']}'s series",
        when=", ".join(local(x["start"], page.time_zone) for x in coming) or "none",
        action=f"/patients/{patient_id}/series/{series_id}/stop",
        button="Stop the series",
        keep="Keep the series",
        series=True,
        form=form,
    )


@router.get("/patients/{patient_id}/series/{series_id}/stop")
def stop_series_page(
    patient_id: RecordId, series_id: RecordId, page: Page = Depends(staff_page)
) -> Response:
    return _stop_page(page, patient_id, series_id, Form.blank(CANCEL_LABELS, reason=""))


@router.post("/patients/{patient_id}/series/{series_id}/stop")
def stop_series(
    patient_id: RecordId,
    series_id: RecordId,
    page: Page = Depends(staff_page),
    form: Form = Depends(posted_form),
) -> Response:
    form.labels = CANCEL_LABELS
    reason = form.get("reason").strip()
    if not reason:
        form.add("reason", "is required: say why the series is stopped")
        return _stop_page(page, patient_id, series_id, form, 422)
    try:
        result = page.run(scheduling.stop_series, series_id, reason=reason)
    except UserError as error:
        if _passes(error):
            raise
        form.add("reason", error.message)
        return _stop_page(page, patient_id, series_id, form, 422)
    count = len(result["cancelled_appointments"])
    page.flash(f"The series is stopped: {count} session(s) cancelled; their times are free again.")
    return page.redirect(f"/patients/{result['patient_id']}#booked-series")


@router.get("/patients/{patient_id}/sessions.ics")
def patient_calendar(patient_id: RecordId, page: Page = Depends(staff_page)) -> Response:
    """The patient's booked sessions as an iCalendar file (no name, nothing clinical in it)."""
    data = page.run(scheduling.patient_calendar, patient_id)
    return Response(
        data,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="sessions-{patient_id}.ics"'},
    )

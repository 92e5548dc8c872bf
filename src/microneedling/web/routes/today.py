"""Today: the day's appointments by practitioner, patients due for maintenance, open adverse
events and lots near expiry (each shown to the roles that may see it); appointment status.

A session is checked in on the clinic's today only, marked a no-show once its start has passed,
and cancelled through the confirmation page that asks for the reason
(``GET /appointments/{id}/cancel``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from microneedling.errors import UserError
from microneedling.services import appointments, overview, scheduling
from microneedling.web.context import Page, RecordId, posted_form, staff_page
from microneedling.web.forms import Form

router = APIRouter()


@router.get("/")
def today_page(day: str | None = None, page: Page = Depends(staff_page)) -> Response:
    on: date | None = None
    if day:
        try:
            on = date.fromisoformat(day)
        except ValueError:
            raise UserError("expected a date as YYYY-MM-DD", field="day") from None
    sheet = page.run(overview.day_sheet, on)
    shown = date.fromisoformat(sheet["day"])
    # Check-in is offered on the clinic's today only; a no-show once the start has passed.
    started = {
        item["id"]
        for group in sheet["practitioners"]
        for item in group["appointments"]
        if datetime.fromisoformat(item["starts_at"]) <= page.now()
    }
    due = page.run(scheduling.maintenance_due_list)
    events = page.run(overview.open_adverse_events) if page.can("adverse_event.read") else None
    lots = page.run(overview.lots_near_expiry) if page.can("inventory.read") else None
    return page.render(
        "today.html.j2",
        title="Today" if shown == page.today else f"Day sheet {shown.isoformat()}",
        section="today",
        sheet=sheet,
        shown=shown,
        started=started,
        previous=(shown - timedelta(days=1)).isoformat(),
        following=(shown + timedelta(days=1)).isoformat(),
        due=due,
        events=events,
        lots=lots,
    )


STATUS_WORDS = {"checked_in": "checked in", "cancelled": "cancelled", "no_show": "marked no-show"}


@router.post("/appointments/{appointment_id}/status")
def set_status(
    appointment_id: RecordId, page: Page = Depends(staff_page), form: Form = Depends(posted_form)
) -> Response:
    status = form.get("status")
    if status == "cancelled":  # cancelling asks for the reason first
        return page.redirect(f"/appointments/{appointment_id}/cancel")
    page.run(appointments.set_appointment_status, appointment_id, status)
    page.flash(f"Appointment {STATUS_WORDS.get(status, status)}.")
    back = form.get("back", "/")
    return page.redirect(back if back.startswith("/") and not back.startswith("//") else "/")

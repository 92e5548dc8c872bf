"""Admin → Calendar: the clinic calendar shown readably (everyone may read it), and set by an owner
as one YAML document (``calendar_settings.configure_calendar``, which checks everything before
anything is saved).

The text is parsed strictly and safely (``knowledge.yamlsource.load_yaml``: a safe loader that
refuses duplicate keys and anchors/aliases, so no "billion laughs"), after refusing anything over
100,000 characters; a problem is shown at the text box with the place it names (a line, or a path
such as ``practitioners[0].hours``), and the text comes back as typed.
"""

from __future__ import annotations

from typing import Any

import yaml
from fastapi import APIRouter, Depends
from fastapi.responses import Response

from microneedling.errors import NotFound, PermissionDenied, SchedulingError, UserError
from microneedling.knowledge.yamlsource import YamlError, load_yaml
from microneedling.scheduling.clinic_calendar import WEEKDAYS, WeeklyHours
from microneedling.services import calendar_settings, clinics, inventory
from microneedling.services.access import check_role
from microneedling.web.context import Page, posted_form, staff_page
from microneedling.web.forms import Form
from microneedling.web.labels import words

router = APIRouter()

LABELS = {"calendar": "Calendar settings (YAML)"}
#: The largest settings text taken (a real one is a few kB).
MAX_CALENDAR_CHARS = 100_000
#: The settings' keys in the order the text shows them.
ORDER = (
    "name",
    "time_zone",
    "opening_hours",
    "closures",
    "lengths",
    "slot_minutes",
    "practitioners",
    "rooms",
    "devices",
)
HEADER = """\
# The clinic calendar. Change it and press "Save calendar": it is all
# checked before anything is saved. time_zone is the clinic's (fixed here).
# - opening_hours, a practitioner's hours: a weekday or a run of weekdays
#   (monday-friday): "09:00-18:00", or several: "09:00-12:30, 13:00-17:00".
#   Days not named are closed.
# - closures, absences, unavailable:
#   {from: 2026-12-24, to: 2026-12-26, reason: Christmas}
# - practitioners: staff e-mails (clinicians, or owners who treat patients)
# - rooms: a short code (id) and a name
# - devices: serial numbers of registered devices (with rooms: [...] when
#   a device is kept in some rooms only)
"""


def as_yaml(settings: dict[str, Any]) -> str:
    """The settings as the text box shows them: the keys in a fixed order, block style."""
    ordered = {key: settings[key] for key in ORDER if key in settings}
    ordered.update({key: value for key, value in settings.items() if key not in ordered})
    text = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=80)
    return HEADER + text


def starter(page: Page) -> dict[str, Any]:
    """A first calendar for an owner to adjust: typical opening hours, the clinic's clinicians
    and owners who treat, one room, its devices in service."""
    assert page.account is not None
    staff = [
        member
        for member in page.run(clinics.list_staff)
        if member["active"] and member["role"] == "clinician"
    ]
    devices = [d for d in page.run(inventory.list_devices) if d["in_service"]]
    return {
        "name": page.account["clinic"]["name"],
        "opening_hours": {"monday-friday": "09:00-18:00", "saturday": "09:00-13:00"},
        "closures": [],
        "lengths": {"anaesthetic_minutes": 30, "turnover_minutes": 10},
        "slot_minutes": 15,
        "practitioners": [
            {"id": member["email"], "hours": {"monday-friday": "09:00-17:00"}} for member in staff
        ],
        "rooms": [{"id": "room-1", "name": "Treatment room 1"}],
        "devices": [{"id": device["serial_number"]} for device in devices],
    }


def weekly(hours: Any) -> list[tuple[str, str]]:
    """Opening or working hours per weekday, Monday first: ("Monday", "09:00–18:00")."""
    try:
        parsed = WeeklyHours.parse(hours)
    except SchedulingError:
        return [("Hours", str(hours))]
    return [
        (words(day), ", ".join(str(item).replace("-", "–") for item in ranges) or "closed")
        for day, ranges in zip(WEEKDAYS, parsed.days, strict=True)
    ]


def _calendar(page: Page) -> dict[str, Any] | None:
    try:
        return page.run(calendar_settings.read_calendar)
    except NotFound as error:
        if error.field == "calendar":
            return None
        raise


def _page(
    page: Page, settings: dict[str, Any] | None, form: Form | None, status: int = 200
) -> Response:
    return page.render(
        "admin_calendar.html.j2",
        status,
        title="Clinic calendar",
        section="admin",
        tab="calendar",
        settings=settings,
        form=form,
        weekly=weekly,
        today=page.today.isoformat(),
        owner=page.can("calendar.configure"),
    )


@router.get("/admin/calendar")
def calendar_page(page: Page = Depends(staff_page)) -> Response:
    settings = _calendar(page)
    form = None
    if page.can("calendar.configure"):
        text = as_yaml(settings if settings is not None else starter(page))
        form = Form.blank(LABELS, calendar=text)
    return _page(page, settings, form)


def parse_settings(form: Form) -> dict[str, Any] | None:
    """The settings document typed in the form (None, with the problem at the field, if it
    cannot be read)."""
    text = form.text("calendar", required=True, max_length=MAX_CALENDAR_CHARS, multiline=True)
    if text is None:
        return None
    try:
        data, _ = load_yaml(text, "the settings")
    except YamlError as error:
        form.add("calendar", str(error).removeprefix("the settings, "))
        return None
    except RecursionError:
        form.add("calendar", "is nested too deeply to be calendar settings")
        return None
    if not isinstance(data, dict):
        form.add(
            "calendar",
            "must be settings by name (opening_hours: …, practitioners: …), not a list or a "
            "single value",
        )
        return None
    return data


@router.post("/admin/calendar")
def configure(page: Page = Depends(staff_page), form: Form = Depends(posted_form)) -> Response:
    check_role(page.actor, "calendar.configure")  # before reading anything typed
    form.labels = LABELS
    data = parse_settings(form)
    if data is not None:
        try:
            saved = page.run(calendar_settings.configure_calendar, data)
        except UserError as error:
            if isinstance(error, PermissionDenied):
                raise
            problems = error.fields or [(error.field or "", error.message)]
            form.add(
                "calendar",
                "; ".join(
                    f"at {path}: {message}" if path else message for path, message in problems
                ),
            )
        else:
            page.flash(
                f"Calendar saved: {len(saved['practitioners'])} practitioner(s), "
                f"{len(saved['rooms'])} room(s), {len(saved['devices'])} device(s). "
                "Series are proposed with it from now on; booked sessions stay where they are."
            )
            return page.redirect("/admin/calendar")
    return _page(page, _calendar(page), form, 422)

"""What the pages show of the clinic calendar and of a patient's booked series (shared by the
patient's record, the plan and the booking pages)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from microneedling.errors import NotFound, RuleViolation, UserError
from microneedling.scheduling.clinic_calendar import WeeklyHours
from microneedling.services import calendar_settings, scheduling
from microneedling.web.context import Page


@dataclass
class CalendarNames:
    """The calendar's people, rooms and devices by the codes the scheduling use cases give
    (e-mail, room code, serial number), as the pages name them."""

    settings: dict[str, Any]
    practitioners: dict[str, str] = field(default_factory=dict)
    rooms: dict[str, str] = field(default_factory=dict)
    devices: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, settings: dict[str, Any]) -> CalendarNames:
        return cls(
            settings,
            practitioners={p["id"]: p.get("name") or p["id"] for p in settings["practitioners"]},
            rooms={r["id"]: r.get("name") or r["id"] for r in settings["rooms"]},
            devices={d["id"]: d.get("name") or d["id"] for d in settings["devices"]},
        )

    def open_weekdays(self) -> set[int]:
        """The weekdays (0 = Monday) the clinic opens at all."""
        try:
            hours = WeeklyHours.parse(self.settings.get("opening_hours") or {})
        except UserError:  # settings are checked when saved; show every day if not readable
            return set(range(7))
        return {number for number, ranges in enumerate(hours.days) if ranges}

    def practitioner(self, code: str | None) -> str:
        return self.practitioners.get(code or "", code or "")

    def room(self, code: str | None) -> str:
        return self.rooms.get(code or "", code or "")

    def device(self, code: str | None) -> str:
        if not code:
            return ""
        name = self.devices.get(code)
        return f"{name} ({code})" if name and name != code else code


def clinic_calendar(page: Page) -> CalendarNames | None:
    """The clinic calendar's names, or None when it is not configured yet."""
    try:
        return CalendarNames.of(page.run(calendar_settings.read_calendar))
    except NotFound as error:
        if error.field == "calendar":
            return None
        raise


def not_configured(error: Exception) -> bool:
    """Whether a scheduling use case refused because the clinic calendar is not set up."""
    return isinstance(error, RuleViolation | NotFound) and error.field == "calendar"


def booked_series(page: Page, patient_id: int) -> list[dict[str, Any]]:
    """The patient's booked series with their current sessions (none while the calendar is
    not configured: nothing can have been booked then)."""
    try:
        return page.run(scheduling.list_series, patient_id)
    except RuleViolation as error:
        if not_configured(error):
            return []
        raise

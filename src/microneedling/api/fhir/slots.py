"""Free time as FHIR: a Schedule per practitioner (``workflow_resources``) of the clinic calendar (their weekly hours),
and Slots: the free stretches of those schedules on up to seven days, computed by the calendar
exactly as the staff's calendar shows them (opening hours, closures, working hours, absences and
the appointments already booked, turnover included).

A Slot is found by searching (``Slot?start=ge2026-12-08&start=le2026-12-10``, optionally
``schedule=Schedule/<id>``); it is not stored, so it has no read of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from microneedling.api.fhir.resources import Resource, instant, reference
from microneedling.api.fhir.search import SearchError, _day, _reference
from microneedling.services import calendar_view
from microneedling.services.access import Actor
from microneedling.services.clock import Clock
from microneedling.store import UnitOfWork

#: The most days one Slot search covers (the calendar's own limit).
MAX_DAYS = calendar_view.MAX_DAYS
PARAMETERS = ("schedule", "start", "status", "_count")


def _moment(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """A minute of the clinic's wall clock on ``day`` (1440: the next day's midnight)."""
    if minute >= 24 * 60:
        return datetime.combine(day + timedelta(days=1), time(0), zone)
    return datetime.combine(day, time(minute // 60, minute % 60), zone)


def _days(values: Sequence[str]) -> tuple[date, date]:
    first: date | None = None
    last: date | None = None
    for value in values:
        prefix, day = _day("start", value)
        if prefix in ("ge", "eq"):
            first = day if first is None else max(first, day)
        if prefix == "gt":
            first = day + timedelta(days=1)
        if prefix in ("le", "eq"):
            last = day if last is None else min(last, day)
        if prefix == "lt":
            last = day - timedelta(days=1)
    if first is None or last is None:
        raise SearchError(
            "start: give the days to look in, e.g. start=ge2026-12-08&start=le2026-12-10 "
            f"(at most {MAX_DAYS} days)"
        )
    if last < first:
        raise SearchError("start: the last day is before the first")
    if (last - first).days + 1 > MAX_DAYS:
        raise SearchError(f"start: at most {MAX_DAYS} days at a time")
    return first, last


def free_slots(
    uow: UnitOfWork, actor: Actor, items: Sequence[tuple[str, str]], clock: Clock
) -> list[Resource]:
    """The free slots the search ``items`` ask for (the calendar's read, audited as such)."""
    starts: list[str] = []
    schedule: int | None = None
    for name, value in items:
        if name == "start":
            starts.append(value)
        elif name == "schedule":
            schedule = _reference(name, "Schedule", value)
        elif name == "status":
            if value != "free":
                raise SearchError("status: only free slots are given here")
        elif name not in PARAMETERS:
            raise SearchError(f"{name[:40]!r} is not a search parameter of Slot here")
    first, last = _days(starts)
    grid = calendar_view.calendar_grid(uow, actor, first, last, by="practitioner", clock=clock)
    zone = ZoneInfo(grid["time_zone"])
    found: list[Resource] = []
    for column in grid["columns"]:
        staff_id = column["id"]
        if staff_id is None or not column["in_calendar"]:
            continue
        if schedule is not None and staff_id != schedule:
            continue
        for day_text, day in zip(grid["days"], column["days"], strict=True):
            when = date.fromisoformat(day_text)
            for segment in day["segments"]:
                if segment["kind"] != "free":
                    continue
                start = _moment(when, segment["start_minute"], zone)
                end = _moment(when, segment["end_minute"], zone)
                found.append(
                    {
                        "resourceType": "Slot",
                        "id": f"{staff_id}-{when:%Y%m%d}-{segment['start_minute']}",
                        "schedule": reference("Schedule", staff_id, column["name"]),
                        "status": "free",
                        "start": instant(start),
                        "end": instant(end),
                    }
                )
    return found


def slot_parameters() -> list[dict[str, Any]]:
    """Slot's search parameters, for the CapabilityStatement."""
    return [
        {"name": "schedule", "type": "reference", "documentation": "Schedule/<id>"},
        {
            "name": "start",
            "type": "date",
            "documentation": f"The days to look in: ge and le (or eq) a day, at most {MAX_DAYS}",
        },
        {"name": "status", "type": "token", "documentation": "free (the only status given)"},
    ]

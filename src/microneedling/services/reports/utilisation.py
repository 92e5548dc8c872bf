"""Utilisation: each practitioner's and room's booked hours against the hours they were
available in the period (the clinic calendar's working and opening hours, less absences,
closures and unavailable days), and no-shows and cancellations by month (late ones: cancelled
less than the clinic's fee cut-off — 24 hours without one — before the start).

Booked: appointments not cancelled (a no-show held the time). Available hours are whole local
days from the calendar; days with a time-limited absence count in full."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from microneedling.errors import SchedulingError
from microneedling.scheduling.clinic_calendar import WeeklyHours
from microneedling.services.billing.settings import billing_of
from microneedling.services.clock import local_date
from microneedling.services.reports.common import (
    ReportPeriod,
    month_of,
    months_between,
    utc_day,
)
from microneedling.store.models import Appointment, StaffUser
from microneedling.store.scheduling_models import (
    AppointmentBooking,
    ClinicCalendarSettings,
    PractitionerHours,
    ResourceUnavailability,
    Room,
)

BOOKED = ("scheduled", "checked_in", "completed", "no_show")


def _hours(data: Any) -> WeeklyHours | None:
    try:
        return WeeklyHours.parse(data or {})
    except (SchedulingError, TypeError, ValueError, AttributeError):
        return None


def _days_off(rows: list[ResourceUnavailability], first: date, last: date) -> set[date]:
    off: set[date] = set()
    for row in rows:
        if row.first_day is None or row.last_day is None:
            continue
        day = max(row.first_day, first)
        while day <= min(row.last_day, last):
            off.add(day)
            day += timedelta(days=1)
    return off


def _available_minutes(hours: WeeklyHours | None, first: date, last: date, off: set[date]) -> int:
    if hours is None:
        return 0
    total, day = 0, first
    while day <= last:
        if day not in off:
            total += sum(r.end_minute - r.start_minute for r in hours.on(day.weekday()))
        day += timedelta(days=1)
    return total


def _closures(settings: ClinicCalendarSettings | None, first: date, last: date) -> set[date]:
    off: set[date] = set()
    for item in (settings.settings if settings else {}).get("closures") or []:
        try:
            start = date.fromisoformat(str(item["from"])[:10])
            end = date.fromisoformat(str(item.get("to") or item["from"])[:10])
        except (KeyError, TypeError, ValueError):
            continue
        day = max(start, first)
        while day <= min(end, last):
            off.add(day)
            day += timedelta(days=1)
    return off


def _share(booked: int, available: int) -> str | None:
    return f"{100 * booked / available:.1f}" if available else None


def build(session: Session, clinic_id: int, period: ReportPeriod) -> dict[str, Any]:
    start, end = period.moments
    in_period = (
        Appointment.clinic_id == clinic_id,
        Appointment.starts_at >= start,
        Appointment.starts_at < end,
    )
    settings = session.get(ClinicCalendarSettings, clinic_id)
    closed = _closures(settings, period.first, period.last)
    unavailable = list(
        session.execute(
            select(ResourceUnavailability).where(ResourceUnavailability.clinic_id == clinic_id)
        ).scalars()
    )
    booked_by_person = dict(
        session.execute(
            select(Appointment.practitioner_id, func.sum(Appointment.duration_minutes))
            .where(*in_period, Appointment.status.in_(BOOKED))
            .group_by(Appointment.practitioner_id)
        ).all()
    )
    people = []
    staff = session.execute(
        select(StaffUser, PractitionerHours)
        .outerjoin(PractitionerHours, PractitionerHours.staff_user_id == StaffUser.id)
        .where(StaffUser.clinic_id == clinic_id)
        .order_by(StaffUser.display_name, StaffUser.id)
    ).all()
    for user, hours in staff:
        booked = int(booked_by_person.get(user.id) or 0)
        if hours is None and not booked:
            continue
        off = closed | _days_off(
            [r for r in unavailable if r.staff_user_id == user.id], period.first, period.last
        )
        available = _available_minutes(
            _hours(hours.working_hours if hours else None), period.first, period.last, off
        )
        people.append(
            {
                "practitioner_id": user.id,
                "name": user.display_name,
                "booked_hours": round(booked / 60, 2),
                "available_hours": round(available / 60, 2),
                "utilisation_percent": _share(booked, available),
            }
        )
    booked_by_room = dict(
        session.execute(
            select(AppointmentBooking.room_id, func.sum(Appointment.duration_minutes))
            .join(Appointment, Appointment.id == AppointmentBooking.appointment_id)
            .where(*in_period, Appointment.status.in_(BOOKED))
            .group_by(AppointmentBooking.room_id)
        ).all()
    )
    opening = _hours((settings.settings if settings else {}).get("opening_hours"))
    rooms = []
    for room in session.execute(
        select(Room).where(Room.clinic_id == clinic_id).order_by(Room.code)
    ).scalars():
        booked = int(booked_by_room.get(room.id) or 0)
        off = closed | _days_off(
            [r for r in unavailable if r.room_id == room.id], period.first, period.last
        )
        available = _available_minutes(opening, period.first, period.last, off)
        rooms.append(
            {
                "room": room.name or room.code,
                "booked_hours": round(booked / 60, 2),
                "available_hours": round(available / 60, 2),
                "utilisation_percent": _share(booked, available),
            }
        )
    billing = billing_of(session, clinic_id, required=False)
    cut_off = timedelta(hours=billing.fees.late_cancel_hours if billing and billing.fees else 24)
    months = {
        m: {"sessions": 0, "no_shows": 0, "cancelled": 0, "late_cancellations": 0}
        for m in months_between(period.first, period.last)
    }
    zone = period.time_zone
    counts = session.execute(
        select(Appointment.status, Appointment.starts_at, Appointment.status_changed_at).where(
            *in_period, Appointment.status.in_(("cancelled", "no_show"))
        )
    ).all()
    for status, starts_at, changed_at in counts:
        row = months[month_of(local_date(starts_at, zone))]
        if status == "no_show":
            row["no_shows"] += 1
        else:
            row["cancelled"] += 1
            if starts_at - changed_at < cut_off:
                row["late_cancellations"] += 1
    day = utc_day(session, Appointment.starts_at)  # sessions start in the clinic's daytime
    per_day: dict[str, int] = defaultdict(int)
    for on, count in session.execute(
        select(day, func.count()).where(*in_period).group_by(day)
    ).all():
        per_day[str(on)[:7]] += int(count)
    for month, count in per_day.items():
        if month in months:
            months[month]["sessions"] += count
    return {
        "practitioners": people,
        "rooms": rooms,
        "months": [{"month": m, **row} for m, row in months.items()],
        "late_cancel_hours": int(cut_off.total_seconds() // 3600),
    }

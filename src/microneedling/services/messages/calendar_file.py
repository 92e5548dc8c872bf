"""The ``.ics`` attached to a booking confirmation: the same file the patient's calendar export
gives (:func:`microneedling.scheduling.ics.series_ics`, the same UIDs
``<clinic>-series-<id>-session-<n>@…``), so a patient who adds both has each session once, and
a session that moves updates in place.

The worker has no staff member acting, so the clinic calendar is loaded through what
:func:`~microneedling.services.calendar_settings.load_calendar` reads of a transaction (the
clinic's records). A clinic whose calendar is not configured, or a one-off appointment outside a
series, gets a plain event instead (:func:`single_event_ics`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from icalendar import Calendar, Event

from microneedling.errors import RuleViolation
from microneedling.scheduling.ics import reminders_from_plan, series_ics
from microneedling.services.access import Transaction
from microneedling.services.calendar_settings import load_calendar, patient_ics_includes_precare
from microneedling.services.scheduling.series_state import _pure_appointment
from microneedling.store import UnitOfWork
from microneedling.store.models import Appointment, TreatmentPlan
from microneedling.store.repositories import ClinicRecords
from microneedling.store.scheduling_models import AppointmentBooking, BookedSeries
from microneedling.store.scheduling_records import SchedulingRecords


@dataclass(frozen=True)
class _ClinicReading:
    """What ``load_calendar`` reads of a transaction: the clinic's records."""

    records: ClinicRecords


def series_file(uow: UnitOfWork, clinic_id: int, series_id: int, now: datetime) -> bytes | None:
    """The series' ``.ics`` as the calendar export makes it; None without a clinic calendar."""
    session = uow.session
    records = SchedulingRecords(session, clinic_id)
    series = session.get(BookedSeries, series_id)
    if series is None or series.clinic_id != clinic_id:
        return None
    try:
        loaded = load_calendar(cast(Transaction, _ClinicReading(uow.records(clinic_id))), records)
    except RuleViolation:
        return None
    key = loaded.series_key(series_id)
    latest: dict[int, tuple[AppointmentBooking, Appointment]] = {}
    for booking, appointment in records.booked_sessions([series_id]):
        latest[booking.session] = (booking, appointment)
    if not latest:
        return None
    appointments = [
        _pure_appointment(loaded, key, series.sessions, appointment, booking)
        for _session, (booking, appointment) in sorted(latest.items())
    ]
    reminders_by_series = {}
    if patient_ics_includes_precare(records) and series.plan_id is not None:
        plan = session.get(TreatmentPlan, series.plan_id)
        if plan is not None:
            reminders_by_series[key] = reminders_from_plan(plan.plan.get("precare") or ())
    return series_ics(
        appointments,
        loaded.calendar,
        dtstamp=now,
        reminders=(),
        reminders_by_series=reminders_by_series,
    )


def single_event_ics(appointments: list[Appointment], clinic_name: str, now: datetime) -> bytes:
    """One event per appointment, for appointments outside a series."""
    calendar = Calendar()
    calendar.add("prodid", "-//microneedling//messages//EN")
    calendar.add("version", "2.0")
    for item in appointments:
        event = Event()
        event.add("uid", f"appointment-{item.id}@microneedling.invalid")
        event.add("dtstamp", now)
        start = item.starts_at.astimezone(UTC)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=item.duration_minutes))
        event.add("summary", f"Appointment at {clinic_name}")
        calendar.add_component(event)
    return bytes(calendar.to_ical())

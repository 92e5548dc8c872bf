"""iCalendar (RFC 5545) export: a patient's series, and a feed per practitioner. Bytes out.

Each session is one VEVENT: ``UID`` ``<series id>-session-<n>@<domain>`` (stable when the session
moves, unique across series), ``DTSTART``/``DTEND`` in UTC (the visit, without turnover), ``SUMMARY``
"Microneedling session N of M" and nothing clinical beyond it, ``STATUS`` CONFIRMED once booked
(the appointment has a ``reference``), TENTATIVE while proposed. The pre-care reminders (by default
the day −7 step, "stop retinoids and exfoliating products; avoid sun and tanning"; or the plan's
pre-care steps before day 0, see :func:`reminders_from_plan`) are in the DESCRIPTION with their
dates and, in a patient's calendar, as a VALARM each (``TRIGGER:-P7D``). A practitioner's feed
carries them in the DESCRIPTION only (the alarms are for the patient) with room and device.
Patient names appear only when the caller passes them. ``dtstamp`` is passed in (no clock).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Alarm, Calendar, Event

from microneedling.errors import SchedulingError
from microneedling.scheduling.clinic_calendar import ClinicCalendar
from microneedling.scheduling.series import Appointment
from microneedling.text_direction import isolated_where_needed as isolated

PRODID = "-//microneedling//scheduling//EN"
DEFAULT_UID_DOMAIN = "microneedling.invalid"


@dataclass(frozen=True, slots=True)
class Reminder:
    """A pre-care step ``days_before`` a session."""

    days_before: int
    instruction: str

    def __post_init__(self) -> None:
        if not 1 <= self.days_before <= 365 or not self.instruction.strip():
            raise SchedulingError(
                "a reminder needs 1 to 365 days before and an instruction", field="reminders"
            )


#: REFERENCE.md A.4, day −7 [A1].
DEFAULT_REMINDERS = (
    Reminder(7, "Stop retinoids and exfoliating products; avoid sun and tanning."),
)


def reminders_from_plan(precare: Iterable[Mapping[str, Any]]) -> tuple[Reminder, ...]:
    """The distinct steps before day 0 of a plan's ``precare`` list, earliest first.

    The plan repeats its steps for every session; here each step counts once and is attached to
    every event. Steps on the session day (photos, consent) are the clinic's, not reminders.
    """
    steps: dict[tuple[int, str], None] = {}
    for entry in precare:
        day = int(entry["day"])
        if day < 0:
            steps[(-day, str(entry["instruction"]))] = None
    ordered = sorted(steps, key=lambda item: (-item[0], item[1]))
    return tuple(Reminder(days, text) for days, text in ordered)


def _calendar(name: str, calendar: ClinicCalendar) -> Calendar:
    result = Calendar()
    result.add("prodid", PRODID)
    result.add("version", "2.0")
    result.add("calscale", "GREGORIAN")
    result.add("method", "PUBLISH")
    result.add("x-wr-calname", name)
    result.add("x-wr-timezone", calendar.time_zone)
    return result


def _check_stamp(dtstamp: datetime) -> datetime:
    if dtstamp.tzinfo is None:
        raise SchedulingError("dtstamp needs a time zone (UTC offset)", field="dtstamp")
    return dtstamp.astimezone(UTC)


def _event(
    appointment: Appointment,
    calendar: ClinicCalendar,
    *,
    dtstamp: datetime,
    reminders: Sequence[Reminder],
    uid_domain: str,
    patient_name: str | None,
    alarms: bool,
    resources: bool,
) -> Event:
    if not appointment.series_id:
        raise SchedulingError(
            "an appointment needs its series id for a stable calendar UID", field="series_id"
        )
    number, total = appointment.session, appointment.sessions
    event = Event()
    event.add("uid", f"{appointment.series_id}-session-{number}@{uid_domain}")
    event.add("dtstamp", dtstamp)
    event.add("dtstart", appointment.start.astimezone(UTC))
    event.add("dtend", appointment.end.astimezone(UTC))
    summary = f"Microneedling session {number} of {total}"
    if patient_name:
        summary += f" – {patient_name}"
    event.add("summary", summary)
    if calendar.name:
        event.add("location", isolated(calendar.name))
    event.add("status", "CONFIRMED" if appointment.reference else "TENTATIVE")
    day = calendar.local_day(appointment.start)
    lines = [
        f"Pre-care from {day - timedelta(days=r.days_before)} ({r.days_before} days before): "
        f"{r.instruction}"
        for r in reminders
    ]
    if resources:
        device = f", device {appointment.device_id}" if appointment.device_id else ""
        lines.append(f"Room {isolated(str(appointment.room_id))}{device}.")
    if lines:
        event.add("description", "\n".join(lines))
    if alarms:
        for reminder in reminders:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("trigger", timedelta(days=-reminder.days_before))
            alarm.add(
                "description",
                f"Pre-care for microneedling session {number} of {total}: {reminder.instruction}",
            )
            event.add_component(alarm)
    return event


def _own(
    appointment: Appointment,
    reminders: Sequence[Reminder],
    by_series: Mapping[str, Sequence[Reminder]] | None,
) -> Sequence[Reminder]:
    """The reminders of the appointment's own series."""
    if by_series is None:
        return reminders
    return by_series.get(appointment.series_id, reminders)


def series_ics(
    appointments: Sequence[Appointment],
    calendar: ClinicCalendar,
    *,
    dtstamp: datetime,
    reminders: Sequence[Reminder] = DEFAULT_REMINDERS,
    patient_name: str | None = None,
    uid_domain: str = DEFAULT_UID_DOMAIN,
    reminders_by_series: Mapping[str, Sequence[Reminder]] | None = None,
) -> bytes:
    """A patient's series as an ``.ics`` file: one event per appointment, each with its pre-care
    reminders as alarms (``reminders_by_series``: each series' own, by series id; ``reminders``
    for a series not in it; ``()`` for none, e.g. when the clinic keeps them off the file)."""
    stamp = _check_stamp(dtstamp)
    result = _calendar("Microneedling sessions", calendar)
    for appointment in sorted(appointments, key=lambda a: (a.start, a.session)):
        result.add_component(
            _event(
                appointment,
                calendar,
                dtstamp=stamp,
                reminders=_own(appointment, reminders, reminders_by_series),
                uid_domain=uid_domain,
                patient_name=patient_name,
                alarms=True,
                resources=False,
            )
        )
    return bytes(result.to_ical())


def practitioner_feed_ics(
    appointments: Iterable[Appointment],
    calendar: ClinicCalendar,
    *,
    practitioner_id: str,
    dtstamp: datetime,
    reminders: Sequence[Reminder] = DEFAULT_REMINDERS,
    patient_names: Mapping[str, str] | None = None,
    uid_domain: str = DEFAULT_UID_DOMAIN,
    reminders_by_series: Mapping[str, Sequence[Reminder]] | None = None,
) -> bytes:
    """One practitioner's appointments (among ``appointments``) as a feed.

    ``patient_names`` maps a series id to the name to show; without it no name appears.
    ``reminders_by_series``: each series' own pre-care steps (its patient's plan), so an event
    never carries another patient's; ``reminders`` for a series not in it.
    """
    practitioner = calendar.practitioner(practitioner_id)
    stamp = _check_stamp(dtstamp)
    who = isolated(practitioner.name or practitioner.id)
    result = _calendar(f"Microneedling – {who}", calendar)
    names = patient_names or {}
    mine = [a for a in appointments if a.practitioner_id == practitioner_id]
    for appointment in sorted(mine, key=lambda a: (a.start, a.series_id, a.session)):
        result.add_component(
            _event(
                appointment,
                calendar,
                dtstamp=stamp,
                reminders=_own(appointment, reminders, reminders_by_series),
                uid_domain=uid_domain,
                patient_name=names.get(appointment.series_id),
                alarms=False,
                resources=True,
            )
        )
    return bytes(result.to_ical())

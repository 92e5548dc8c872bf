"""The booked sessions read out: the patient's calendar as an ``.ics`` file
(:func:`patient_calendar`; pre-care reminders only when the clinic chose so), a practitioner's
``.ics`` feed from :data:`FEED_PAST_DAYS` ago on (:func:`practitioner_feed`), and the patient's
booked series listed with their current sessions and flags (:func:`list_series`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from microneedling.errors import NotFound
from microneedling.scheduling.ics import (
    DEFAULT_REMINDERS,
    Reminder,
    practitioner_feed_ics,
    reminders_from_plan,
    series_ics,
)
from microneedling.services.access import Actor, Transaction
from microneedling.services.calendar_settings import (
    LoadedCalendar,
    load_calendar,
    patient_ics_includes_precare,
    scheduling_records,
)
from microneedling.services.clock import Clock, utc_now
from microneedling.services.patients import require_patient
from microneedling.services.scheduling.context import _day_start
from microneedling.services.scheduling.series_state import _pure_appointment
from microneedling.store import UnitOfWork
from microneedling.store.models import Appointment as AppointmentRow
from microneedling.store.models import TreatmentPlan
from microneedling.store.scheduling_models import AppointmentBooking, BookedSeries
from microneedling.text_direction import isolated

#: How many days of history a practitioner's feed shows.
FEED_PAST_DAYS = 30


def _reminders(plans: Iterable[TreatmentPlan]) -> tuple[Reminder, ...]:
    """The plans' pre-care steps before day 0 (each once), or the day −7 step by default."""
    steps: dict[tuple[int, str], Reminder] = {}
    for plan in plans:
        for reminder in reminders_from_plan(plan.plan.get("precare") or ()):
            steps.setdefault((reminder.days_before, reminder.instruction), reminder)
    ordered = sorted(steps.values(), key=lambda r: (-r.days_before, r.instruction))
    return tuple(ordered) or DEFAULT_REMINDERS


def _reminders_by_series(
    tx: Transaction, loaded: LoadedCalendar, series_rows: Iterable[BookedSeries]
) -> dict[str, tuple[Reminder, ...]]:
    """Each series' own pre-care steps: those of its plan (the patient's own), by series key."""
    result: dict[str, tuple[Reminder, ...]] = {}
    plans: dict[int, TreatmentPlan | None] = {}
    for row in series_rows:
        if row.plan_id not in plans:
            plans[row.plan_id] = tx.records.get(TreatmentPlan, row.plan_id)
        plan = plans[row.plan_id]
        result[loaded.series_key(row.id)] = _reminders([plan] if plan is not None else [])
    return result


def patient_calendar(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> bytes:
    """The patient's booked series as an ``.ics`` file (RFC 5545): one event per session. No
    name and nothing clinical: the pre-care reminders of the patient's own plan (description and
    alarms) only when the clinic chose to include them (``patient_ics_includes_precare`` in the
    calendar settings; off by default)."""
    with Transaction(uow, actor, "calendar.export", clock) as tx:
        patient = require_patient(tx, patient_id)
        records = scheduling_records(tx)
        loaded = load_calendar(tx, records)
        series_rows = records.series_of_patient(patient.id)
        if not series_rows:
            raise NotFound(f"patient {patient.id} has no booked series", field="patient_id")
        by_id = {row.id: row for row in series_rows}
        latest: dict[tuple[int, int], tuple[AppointmentBooking, AppointmentRow]] = {}
        for booking, appointment in records.booked_sessions(list(by_id)):
            latest[(booking.series_id, booking.session)] = (booking, appointment)
        appointments = [
            _pure_appointment(
                loaded,
                loaded.series_key(series_id),
                by_id[series_id].sessions,
                appointment,
                booking,
            )
            for (series_id, _), (booking, appointment) in sorted(latest.items())
        ]
        precare = patient_ics_includes_precare(records)
        data = series_ics(
            appointments,
            loaded.calendar,
            dtstamp=tx.now,
            reminders=(),
            reminders_by_series=_reminders_by_series(tx, loaded, series_rows) if precare else {},
        )
        tx.done(
            patient_id=patient.id,
            details={"series": sorted(by_id), "events": len(appointments)},
        )
    return data


def practitioner_feed(
    uow: UnitOfWork,
    actor: Actor,
    practitioner: int | str,
    *,
    with_names: bool = False,
    clock: Clock = utc_now,
) -> bytes:
    """A practitioner's sessions (from 30 days ago on) as an ``.ics`` feed, with room, device and
    the pre-care steps; patients' names only ``with_names``. ``practitioner``: staff id or e-mail."""
    with Transaction(uow, actor, "calendar.export", clock) as tx:
        records = scheduling_records(tx)
        loaded = load_calendar(tx, records)
        staff_id = (
            loaded.practitioner_ids.get(practitioner.strip().lower())
            if isinstance(practitioner, str) and not practitioner.strip().isdigit()
            else int(practitioner)
        )
        code = loaded.practitioner_code(staff_id)
        if staff_id is None or code is None:
            raise NotFound(
                f"no practitioner {practitioner} in this clinic's calendar", field="practitioner"
            )
        since = _day_start(loaded, tx.today - timedelta(days=FEED_PAST_DAYS))
        rows = records.practitioner_sessions(staff_id, since)
        series_rows = records.series_by_ids({booking.series_id for booking, _ in rows})
        appointments = [
            _pure_appointment(
                loaded,
                loaded.series_key(booking.series_id),
                series_rows[booking.series_id].sessions,
                appointment,
                booking,
            )
            for booking, appointment in rows
        ]
        names: dict[str, str] = {}
        if with_names:
            people = records.patients({row.patient_id for row in series_rows.values()})
            for row in series_rows.values():
                person = people.get(row.patient_id)
                if person is not None:
                    # Isolated, so a direction override in the name cannot reorder the summary.
                    names[loaded.series_key(row.id)] = isolated(
                        f"{person.given_name} {person.family_name}"
                    )
        data = practitioner_feed_ics(
            appointments,
            loaded.calendar,
            practitioner_id=code,
            dtstamp=tx.now,
            reminders=DEFAULT_REMINDERS,
            reminders_by_series=_reminders_by_series(tx, loaded, series_rows.values()),
            patient_names=names,
        )
        tx.done(
            entity=("staff_user", staff_id),
            details={"events": len(appointments), "names": with_names},
        )
    return data


def list_series(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """The patient's booked series with their current sessions (flags included)."""
    with Transaction(uow, actor, "calendar.export", clock) as tx:
        patient = require_patient(tx, patient_id)
        records = scheduling_records(tx)
        loaded = load_calendar(tx, records)
        result = []
        rows = records.series_of_patient(patient.id)
        sessions = records.booked_sessions([row.id for row in rows])
        for row in rows:
            mine = {b.session: (b, a) for b, a in sessions if b.series_id == row.id}
            result.append(
                {
                    "series_id": row.id,
                    "plan_id": row.plan_id,
                    "series_index": row.series_index,
                    "sessions_planned": row.sessions,
                    "first_allowed_date": row.first_allowed.isoformat(),
                    "preferences": row.preferences,
                    "sessions": [
                        {
                            "appointment_id": appointment.id,
                            "session": number,
                            "status": appointment.status,
                            "start": loaded.calendar.to_local(appointment.starts_at).isoformat(),
                            "end": loaded.calendar.to_local(booking.ends_at).isoformat(),
                            "practitioner": loaded.practitioner_code(appointment.practitioner_id),
                            "room": loaded.room_code(booking.room_id),
                            "device": loaded.device_code(booking.device_id),
                            "flag": booking.flag,
                        }
                        for number, (booking, appointment) in sorted(mine.items())
                    ],
                }
            )
        tx.done(patient_id=patient.id, details={"series": len(result)})
    return result

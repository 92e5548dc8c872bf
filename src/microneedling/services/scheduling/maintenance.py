"""Patients due for maintenance (:func:`maintenance_due_list`): after a completed series, every plan's
maintenance interval (6 months unless the plan says otherwise) from the last completed session,
overdue or due within a horizon; a patient with a later session booked is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from microneedling.errors import SchedulingError
from microneedling.scheduling.maintenance import (
    MAINTENANCE_EVERY_MONTHS,
    MaintenanceRecord,
    maintenance_due,
    patients_due,
)
from microneedling.services.access import Actor, Transaction
from microneedling.services.calendar_settings import scheduling_records
from microneedling.services.clock import Clock, utc_now
from microneedling.services.scheduling.plan_series import _timed_series
from microneedling.store import UnitOfWork


def _maintenance_of(plan: Mapping[str, Any]) -> tuple[int, date | None]:
    """The plan's maintenance interval, and its first date when a rule moved it later than
    the interval after the planned last session (else ``None``: due counts from the real one).
    ``plan``: the plan document, or at least its ``maintenance`` and ``series``."""
    maintenance = plan.get("maintenance") or {}
    every = int(maintenance.get("every_months") or MAINTENANCE_EVERY_MONTHS)
    first = maintenance.get("first_date")
    planned = [d for _, entry in _timed_series(plan) for d in entry.get("dates") or ()]
    if not first or not planned:
        return every, None
    first_day = date.fromisoformat(str(first))
    usual = maintenance_due(date.fromisoformat(str(max(planned))), every)
    return every, first_day if first_day > usual else None


def maintenance_due_list(
    uow: UnitOfWork, actor: Actor, *, horizon_days: int = 30, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """Patients whose maintenance session is overdue or due within ``horizon_days``: those with
    a completed series (every session completed, or the plan marked completed), due every 6
    months (the plan's interval) after their last completed session; most overdue first. A
    patient with a session booked after their last one is left out."""
    if not 0 <= horizon_days <= 366:
        raise SchedulingError("must be 0 to 366 days", field="horizon_days")
    with Transaction(uow, actor, "maintenance.list", clock) as tx:
        records = scheduling_records(tx)
        zone = tx.records.clinic().time_zone
        tz = ZoneInfo(zone)
        done = records.completed_series_patients()
        done |= records.completed_plan_patients()
        last = records.last_completed(done)
        plans: dict[int, dict[str, Any]] = {}
        for patient_id, status, terms in records.maintenance_terms(last):
            if status == "completed" or patient_id not in plans:
                plans[patient_id] = terms
        upcoming = records.upcoming(last)
        entries = []
        for patient_id, moment in last.items():
            last_day = moment.astimezone(tz).date()
            every, not_before = (
                _maintenance_of(plans[patient_id])
                if patient_id in plans
                else (MAINTENANCE_EVERY_MONTHS, None)
            )
            booked = next(
                (
                    s.astimezone(tz).date()
                    for s in upcoming.get(patient_id, ())
                    if s.astimezone(tz).date() > last_day
                ),
                None,
            )
            entries.append(MaintenanceRecord(str(patient_id), last_day, every, not_before, booked))
        due = patients_due(entries, tx.today, horizon_days=horizon_days)
        people = records.patients(int(item.patient_id) for item in due)
        result = []
        for item in due:
            person = people[int(item.patient_id)]
            result.append(
                {
                    "patient_id": person.id,
                    "name": f"{person.given_name} {person.family_name}",
                    "email": person.email,
                    "phone": person.phone,
                    "due": item.due.isoformat(),
                    "status": item.status,
                    "days_overdue": item.days_overdue,
                    "last_session": item.last_session.isoformat(),
                }
            )
        tx.done(details={"results": len(result), "horizon_days": horizon_days})
    return result

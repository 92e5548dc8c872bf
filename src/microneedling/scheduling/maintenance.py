"""Maintenance after a series: a session every 6 months (REFERENCE.md A.3 [A1]; at least two a year
[A2]), and the list of patients due or overdue. Pure functions over plain records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from microneedling.clinical.dates import add_months
from microneedling.errors import SchedulingError

MAINTENANCE_EVERY_MONTHS = 6


def maintenance_due(last_session: date, every_months: int = MAINTENANCE_EVERY_MONTHS) -> date:
    """The day maintenance is due: ``every_months`` calendar months after the last session of the
    series (or the last maintenance session), clamped to the month's last day."""
    if not 1 <= every_months <= 12:
        raise SchedulingError("must be 1 to 12 months", field="every_months")
    return add_months(last_session, every_months)


@dataclass(frozen=True, slots=True)
class MaintenanceRecord:
    """What the list needs to know of one patient.

    ``last_session``: the last session of the series or the last maintenance session;
    ``not_before``: a later first date the plan set (e.g. a 12-month session limit);
    ``booked``: the next maintenance session's date when one is already booked.
    """

    patient_id: str
    last_session: date
    every_months: int = MAINTENANCE_EVERY_MONTHS
    not_before: date | None = None
    booked: date | None = None


@dataclass(frozen=True, slots=True)
class MaintenanceDue:
    patient_id: str
    due: date
    status: Literal["overdue", "due"]
    days_overdue: int
    last_session: date


def patients_due(
    records: Iterable[MaintenanceRecord], today: date, *, horizon_days: int = 30
) -> list[MaintenanceDue]:
    """Patients whose maintenance is overdue (due before ``today``) or due within ``horizon_days``
    from ``today`` (both ends included), most overdue first, then by due date and patient.

    A patient with a maintenance session already booked is left out.
    """
    if horizon_days < 0:
        raise SchedulingError("must not be negative", field="horizon_days")
    until = today + timedelta(days=horizon_days)
    result = []
    for record in records:
        if record.booked is not None and record.booked > record.last_session:
            continue
        due = maintenance_due(record.last_session, record.every_months)
        if record.not_before is not None and record.not_before > due:
            due = record.not_before
        if due > until:
            continue
        overdue = (today - due).days
        result.append(
            MaintenanceDue(
                patient_id=record.patient_id,
                due=due,
                status="overdue" if overdue > 0 else "due",
                days_overdue=max(overdue, 0),
                last_session=record.last_session,
            )
        )
    result.sort(key=lambda item: (item.due, item.patient_id))
    return result

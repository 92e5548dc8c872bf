"""Maintenance every 6 months after a series, and the list of patients due or overdue."""

from __future__ import annotations

from datetime import date

import pytest

from microneedling.errors import SchedulingError
from microneedling.scheduling.maintenance import MaintenanceRecord, maintenance_due, patients_due

TODAY = date(2027, 9, 1)


@pytest.mark.parametrize(
    ("last", "due"),
    [
        (date(2027, 3, 1), date(2027, 9, 1)),
        (date(2026, 8, 31), date(2027, 2, 28)),
        (date(2027, 8, 31), date(2028, 2, 29)),
    ],
)
def test_maintenance_is_due_six_calendar_months_after_the_last_session(
    last: date, due: date
) -> None:
    assert maintenance_due(last) == due


def test_a_clinic_may_set_another_maintenance_interval_within_a_year() -> None:
    assert maintenance_due(date(2027, 1, 15), every_months=4) == date(2027, 5, 15)
    with pytest.raises(SchedulingError):
        maintenance_due(date(2027, 1, 15), every_months=13)


def test_patients_overdue_come_first_then_those_due_within_the_horizon() -> None:
    records = [
        MaintenanceRecord("due-today", date(2027, 3, 1)),
        MaintenanceRecord("overdue-a-month", date(2027, 2, 1)),
        MaintenanceRecord("due-in-30-days", date(2027, 4, 1)),
        MaintenanceRecord("due-in-31-days", date(2027, 4, 2)),
        MaintenanceRecord("overdue-4-days", date(2027, 2, 28)),  # due 2027-08-28
    ]
    result = patients_due(records, TODAY, horizon_days=30)
    assert [(r.patient_id, r.status, r.days_overdue) for r in result] == [
        ("overdue-a-month", "overdue", 31),
        ("overdue-4-days", "overdue", 4),
        ("due-today", "due", 0),
        ("due-in-30-days", "due", 0),
    ]
    assert result[0].due == date(2027, 8, 1)


def test_a_patient_with_maintenance_booked_is_not_listed() -> None:
    records = [MaintenanceRecord("booked", date(2027, 2, 1), booked=date(2027, 9, 10))]
    assert patients_due(records, TODAY) == []


def test_a_later_first_date_from_the_plan_is_respected() -> None:
    record = MaintenanceRecord("limit", date(2027, 2, 1), not_before=date(2027, 10, 15))
    assert patients_due([record], TODAY) == []
    assert patients_due([record], date(2027, 10, 1))[0].due == date(2027, 10, 15)


def test_a_negative_horizon_is_refused() -> None:
    with pytest.raises(SchedulingError):
        patients_due([], TODAY, horizon_days=-1)

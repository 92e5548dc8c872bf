"""Retention: of the plans whose series started in the period (first charted session), how
many completed their series (as many completed sessions as the plan's series hold), how many
of those came back for maintenance (a completed session after the series), and the patients
overdue for maintenance (series completed, the plan's first maintenance date passed by the
period's last day, no session since)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from microneedling.services.reports.common import ReportPeriod, as_day
from microneedling.store.models import Appointment, SessionChart, TreatmentPlan


def planned_sessions(plan: dict[str, Any]) -> int:
    return sum(int(s.get("sessions") or 0) for s in plan.get("series") or [])


def maintenance_due(plan: dict[str, Any]) -> date | None:
    first = (plan.get("maintenance") or {}).get("first_date")
    return date.fromisoformat(first) if isinstance(first, str) else None


def build(session: Session, clinic_id: int, period: ReportPeriod) -> dict[str, Any]:
    sessions = (
        select(
            Appointment.plan_id,
            func.count().label("done"),
            func.min(SessionChart.performed_on).label("started"),
            func.max(SessionChart.performed_on).label("latest"),
        )
        .join(SessionChart, SessionChart.appointment_id == Appointment.id)
        .where(
            Appointment.clinic_id == clinic_id,
            Appointment.status == "completed",
            Appointment.plan_id.is_not(None),
            SessionChart.version == 1,
            SessionChart.performed_on <= period.last,
        )
        .group_by(Appointment.plan_id)
        .subquery()
    )
    rows = session.execute(
        select(
            TreatmentPlan.id,
            TreatmentPlan.patient_id,
            TreatmentPlan.plan,
            sessions.c.done,
            sessions.c.started,
            sessions.c.latest,
        )
        .join(sessions, sessions.c.plan_id == TreatmentPlan.id)
        .where(TreatmentPlan.clinic_id == clinic_id)
        .where(sessions.c.started >= period.first)
    ).all()
    started = completed = returned = 0
    overdue = []
    for plan_id, patient_id, plan, done, _, latest in rows:
        started += 1
        planned = planned_sessions(plan)
        if planned and done >= planned:
            completed += 1
            if done > planned:
                returned += 1
                continue
            due = maintenance_due(plan)
            if due is not None and due <= period.last and as_day(latest) < due:
                overdue.append(
                    {"plan_id": plan_id, "patient_id": patient_id, "due_on": due.isoformat()}
                )
    overdue.sort(key=lambda item: (item["due_on"], item["plan_id"]))
    return {
        "series_started": started,
        "series_completed": completed,
        "completed_percent": f"{100 * completed / started:.1f}" if started else None,
        "returned_for_maintenance": returned,
        "returned_percent": f"{100 * returned / completed:.1f}" if completed else None,
        "overdue_for_maintenance": overdue,
    }

"""The patient's journey in the portal: the sessions of their plan done and to come, their care
handout (the printable PDF, as staff print it), and when maintenance is due."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from microneedling.documents.handout import handout_context, long_date, render_pdf
from microneedling.errors import NotFound
from microneedling.services.clock import Clock, utc_now
from microneedling.services.plans import clinic_contact
from microneedling.services.portal.actor import PatientActor, PatientTransaction, register_actions
from microneedling.services.portal.companion import _current_plan, _plan_and_sessions
from microneedling.store import UnitOfWork

register_actions(
    {
        "portal.journey_read": "see your treatment journey",
        "portal.handout": "download your care plan",
    }
)


def journey_view(
    plan: dict[str, Any], sessions: list[Any], today: date, zone: str
) -> dict[str, Any]:
    """Sessions with where each stands (``done``, ``today``, ``to_come``), the next one, how
    many are done, and maintenance (``due``: its first date has come)."""
    found = []
    for session in sessions:
        state = "done" if session.day < today else "today" if session.day == today else "to_come"
        found.append(
            {
                "number": session.number,
                "long_date": long_date(session.day),
                "time": session.starts_at.astimezone(ZoneInfo(zone)).strftime("%H:%M")
                if session.starts_at is not None
                else None,
                "state": state,
            }
        )
    maintenance = plan.get("maintenance")
    due = None
    if maintenance:
        first = date.fromisoformat(str(maintenance["first_date"])[:10])
        due = {
            "every_months": maintenance["every_months"],
            "first_long_date": long_date(first),
            "due": first <= today,
        }
    return {
        "sessions": found,
        "done": sum(1 for s in found if s["state"] == "done"),
        "total": len(found),
        "next": next((s for s in found if s["state"] != "done"), None),
        "maintenance": due,
        "booked": any(s.starts_at is not None for s in sessions),
        "time_zone": zone,
    }


def my_journey(uow: UnitOfWork, actor: PatientActor, *, clock: Clock = utc_now) -> dict[str, Any]:
    """The patient's journey (``None`` values when there is no plan yet)."""
    with PatientTransaction(uow, actor, "portal.journey_read", clock) as tx:
        patient = tx.patient()
        zone = tx.records.clinic().time_zone
        plan_row = _current_plan(tx, patient.id)
        result: dict[str, Any] = {"has_plan": plan_row is not None}
        if plan_row is not None:
            plan, sessions = _plan_and_sessions(tx, plan_row, zone)
            result.update(journey_view(plan, sessions, tx.today, zone))
        tx.done(
            entity=("treatment_plan", plan_row.id) if plan_row is not None else None,
            details={"sessions": len(result.get("sessions", []))},
        )
    return result


def my_handout(uow: UnitOfWork, actor: PatientActor, *, clock: Clock = utc_now) -> bytes:
    """The patient's care plan as the printable handout (PDF), with their booked sessions."""
    with PatientTransaction(uow, actor, "portal.handout", clock) as tx:
        patient = tx.patient()
        clinic = tx.records.clinic()
        plan_row = _current_plan(tx, patient.id)
        if plan_row is None:
            raise NotFound("you have no treatment plan yet", field="plan")
        plan, sessions = _plan_and_sessions(tx, plan_row, clinic.time_zone)
        context = handout_context(
            plan,
            today=tx.today,
            patient=f"{patient.given_name} {patient.family_name}",
            clinic=clinic_contact(clinic),
            booked=any(s.starts_at is not None for s in sessions),
        )
        tx.done(entity=("treatment_plan", plan_row.id))
    return render_pdf(context)

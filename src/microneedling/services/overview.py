"""What staff see at a glance: their own account, who's who, the day's appointments by
practitioner, open adverse events, lots near expiry, and the plans whose series are still to be
booked. (Patients due for maintenance: :func:`microneedling.services.scheduling.
maintenance_due_list`, which knows the booked series.)

Each is a use case like any other (role checked, read audited), so the web page and any other
caller show a role exactly what the role matrix allows: everyone sees the day's appointments and
the plans to book (booking is front desk's work); open adverse events and lots need clinical
roles.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from microneedling.errors import NotFound, PermissionDenied, UserError
from microneedling.services.access import Actor, Transaction
from microneedling.services.calendar_settings import scheduling_records
from microneedling.services.clock import Clock, local_days, utc_now
from microneedling.services.inputs import check_day
from microneedling.services.patients import require_patient
from microneedling.services.views import adverse_event_view, appointment_view, lot_view
from microneedling.store import UnitOfWork
from microneedling.store.models import AdverseEvent, Patient, TreatmentPlan

#: Plans whose series can still be booked.
OPEN_PLAN_STATUSES = ("proposed", "accepted")
#: Most rows any list here reads.
MAX_ROWS = 20_000


def account(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """The signed-in staff member and their clinic (their own account: not audited).

    PermissionDenied when the account is closed, moved or has another role than ``actor`` says.
    """
    with uow:
        user = uow.staff.get(actor.staff_user_id)
        clinic = uow.clinics.get(actor.clinic_id)
        if (
            user is None
            or clinic is None
            or not user.active
            or user.clinic_id != actor.clinic_id
            or user.role != actor.role
        ):
            raise PermissionDenied("this account is not active in this clinic; sign in again")
        return {
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role,
            "clinic": {"id": clinic.id, "name": clinic.name, "time_zone": clinic.time_zone},
        }


def staff_directory(
    uow: UnitOfWork, actor: Actor, *, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """Every staff member's id, name, role and whether active: who booked, charted or rated what,
    and who can be a session's practitioner. Everyone may read it (names and roles only)."""
    with Transaction(uow, actor, "appointment.read", clock) as tx:
        found = [
            {
                "id": user.id,
                "display_name": user.display_name,
                "role": user.role,
                "active": user.active,
            }
            for user in tx.records.staff()
        ]
        tx.done(details={"listed": "staff names", "results": len(found)})
    return found


def _names(tx: Transaction, patient_ids: set[int]) -> dict[int, str]:
    names = {}
    for patient_id in sorted(patient_ids):
        patient = tx.records.get(Patient, patient_id)
        if patient is not None:
            names[patient_id] = f"{patient.given_name} {patient.family_name}"
    return names


def day_sheet(
    uow: UnitOfWork, actor: Actor, day: date | None = None, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """The clinic's appointments on ``day`` (default: the clinic's today), by practitioner, each
    with the patient's name. Unassigned appointments come last."""
    if day is not None:
        check_day(day, "day")
    with Transaction(uow, actor, "appointment.read", clock) as tx:
        clinic = tx.records.clinic()
        on = day or tx.today
        rows = tx.records.appointments_between(*local_days(on, on, clinic.time_zone))
        names = _names(tx, {row.patient_id for row in rows})
        staff = {user.id: user.display_name for user in tx.records.staff()}
        groups: dict[int | None, list[dict[str, Any]]] = {}
        for row in rows:
            item = appointment_view(row)
            item["patient_name"] = names.get(row.patient_id, "")
            groups.setdefault(row.practitioner_id, []).append(item)
        ordered = sorted(groups, key=lambda key: (key is None, staff.get(key or 0, ""), key or 0))
        result = {
            "day": on.isoformat(),
            "today": tx.today.isoformat(),
            "time_zone": clinic.time_zone,
            "practitioners": [
                {
                    "id": key,
                    "name": staff.get(key, "") if key is not None else None,
                    "appointments": groups[key],
                }
                for key in ordered
            ],
            "count": len(rows),
        }
        tx.done(details={"listed": "day sheet", "results": len(rows)})
    return result


def open_adverse_events(
    uow: UnitOfWork, actor: Actor, *, limit: int = 50, clock: Clock = utc_now
) -> dict[str, Any]:
    """The clinic's adverse events not yet resolved: ``total``, and the ``limit`` with the oldest
    onset (``items``, with patients' names). A day's page shows the oldest, not thousands."""
    if not 1 <= limit <= MAX_ROWS:
        raise UserError(f"must be 1 to {MAX_ROWS:,}", field="limit")
    with Transaction(uow, actor, "adverse_event.read", clock) as tx:
        # TODO(store): belongs in ClinicRecords as open_adverse_events(); written here while
        # store/ is being changed by others.
        still_open = (
            AdverseEvent.clinic_id == actor.clinic_id,
            AdverseEvent.resolved_on.is_(None),
        )
        total = uow.session.execute(
            select(func.count()).select_from(AdverseEvent).where(*still_open)
        ).scalar_one()
        rows = list(
            uow.session.execute(
                select(AdverseEvent)
                .where(*still_open)
                .order_by(AdverseEvent.onset_on, AdverseEvent.id)
                .limit(limit)
            ).scalars()
        )
        names = _names(tx, {row.patient_id for row in rows})
        found = []
        for row in rows:
            item = adverse_event_view(row)
            item["patient_name"] = names.get(row.patient_id, "")
            found.append(item)
        tx.done(details={"listed": "open adverse events", "results": len(found), "total": total})
    return {"total": int(total), "items": found}


def lots_near_expiry(
    uow: UnitOfWork, actor: Actor, *, within_days: int = 30, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """Cartridge lots not recalled that expire within ``within_days`` of the clinic's today, or
    expired within the last ``within_days`` (older ones are history, listed on the inventory
    page), soonest first, each with ``days_left`` (negative once expired)."""
    if not 0 <= within_days <= 366:
        raise UserError("expected 0 to 366 days", field="within_days")
    with Transaction(uow, actor, "inventory.read", clock) as tx:
        today = tx.today
        found = []
        window = timedelta(days=within_days)
        for lot in tx.records.lots(recalled=False):
            if today - window <= lot.expires_on <= today + window:
                item = lot_view(lot)
                item["days_left"] = (lot.expires_on - today).days
                found.append(item)
        tx.done(details={"listed": "lots near expiry", "results": len(found)})
    return found


# Plans to book ---------------------------------------------------------------------------------


def _to_book(plan: TreatmentPlan, booked: Collection[int]) -> dict[str, Any]:
    """A plan as booking needs it: its series with sessions (not home use), each with its
    zones, number of sessions, interval and whether it is booked; nothing else clinical."""
    series = []
    for index, entry in enumerate(plan.plan.get("series") or ()):
        interval = entry.get("interval_weeks")
        if not entry.get("sessions") or not isinstance(interval, Mapping):
            continue
        zones = [str(z["zone"]) if isinstance(z, Mapping) else str(z) for z in entry["zones"]]
        series.append(
            {
                "series_index": index,
                "sessions": int(entry["sessions"]),
                "interval_weeks": {key: interval.get(key) for key in ("min", "max", "default")},
                "zones": list(dict.fromkeys(zones)),
                "booked": index in booked,
            }
        )
    return {
        "plan_id": plan.id,
        "patient_id": plan.patient_id,
        "status": plan.status,
        "series": series,
        "to_book": sum(not item["booked"] for item in series),
    }


def plan_for_booking(
    uow: UnitOfWork, actor: Actor, plan_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """One plan as booking its series needs it (:func:`_to_book`): what front desk may see of a
    plan, which is what proposing its series shows anyway."""
    with Transaction(uow, actor, "series.propose", clock) as tx:
        plan = tx.records.get(TreatmentPlan, plan_id)
        if plan is None:
            raise NotFound(f"no plan {plan_id} in this clinic", field="plan_id")
        booked = {row.series_index for row in scheduling_records(tx).series_of_plan(plan.id)}
        view = _to_book(plan, booked)
        tx.done(patient_id=plan.patient_id, entity=("treatment_plan", plan.id))
    return view


def plans_to_book(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """The patient's proposed or accepted plans with a series not booked yet, oldest first."""
    with Transaction(uow, actor, "series.propose", clock) as tx:
        patient = require_patient(tx, patient_id)
        plans = [
            row
            for row in tx.records.of_patient(TreatmentPlan, patient.id)
            if row.status in OPEN_PLAN_STATUSES
        ]
        booked = scheduling_records(tx).booked_keys(plan.id for plan in plans)
        found = []
        for plan in plans:
            view = _to_book(plan, {index for plan_id, index in booked if plan_id == plan.id})
            if view["to_book"]:
                found.append(view)
        tx.done(patient_id=patient.id, details={"listed": "plans to book", "results": len(found)})
    return found

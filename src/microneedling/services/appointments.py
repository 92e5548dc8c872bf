"""Booking a session and moving it through checked in, cancelled and no-show (charting it
completes it). Times are stored in UTC; the clinic's time zone gives its local day.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from microneedling.errors import NotFound, RuleViolation, UserError
from microneedling.services.access import Actor, Role, Transaction
from microneedling.services.clock import Clock, local_day_start, local_days, utc_now
from microneedling.services.inputs import check_day, check_id, check_moment, check_page
from microneedling.services.messages.outbox import appointment_cancelled
from microneedling.services.patients import require_patient
from microneedling.services.views import appointment_view, page
from microneedling.store import UnitOfWork
from microneedling.store.models import APPOINTMENT_STATUSES, Appointment, StaffUser, TreatmentPlan
from microneedling.store.scheduling_records import SchedulingRecords

#: Said when someone else booked the same time at the same moment.
ONE_OFF_TAKEN = "someone else booked this time at the same moment: choose another time"

#: Who may be the practitioner of a session.
PRACTITIONER_ROLES = (Role.CLINICIAN, Role.OWNER)

#: Status changes staff make by hand; ``completed`` comes from charting.
NEXT_STATUS = {
    "scheduled": ("checked_in", "cancelled", "no_show"),
    "checked_in": ("cancelled", "no_show"),
    "completed": (),
    "cancelled": (),
    "no_show": (),
}


def book_appointment(
    uow: UnitOfWork,
    actor: Actor,
    patient_id: int,
    *,
    starts_at: datetime,
    duration_minutes: int = 60,
    plan_id: int | None = None,
    practitioner_id: int | None = None,
    clock: Clock = utc_now,
) -> int:
    """Book one session for the patient (optionally of a plan, with a practitioner: a clinician,
    or an owner who treats patients; any free practitioner when none is named).

    Checked and reserved like the sessions of a series (``scheduling.book_one_off``): in the
    future, inside the clinic calendar's opening hours and the practitioner's working hours,
    never over a closure, an absence, another booking of the practitioner, a room or a device,
    or the patient's other visits. Refused with the reason when the clinic has no calendar."""
    # Imported here: scheduling builds on this module (reasons, statuses).
    from microneedling.services.scheduling import book_one_off

    check_moment(starts_at, "starts_at")
    if plan_id is not None:
        check_id(plan_id, "plan_id")
    if practitioner_id is not None:
        check_id(practitioner_id, "practitioner_id")
    if not 5 <= duration_minutes <= 480:
        raise UserError("a session lasts 5 to 480 minutes", field="duration_minutes")
    with Transaction(uow, actor, "appointment.book", clock) as tx:
        patient = require_patient(tx, patient_id)
        if plan_id is not None:
            plan = tx.records.get(TreatmentPlan, plan_id)
            if plan is None or plan.patient_id != patient.id:
                raise NotFound(f"no plan {plan_id} for this patient", field="plan_id")
            if plan.status == "cancelled":
                raise RuleViolation("the plan is cancelled", field="plan_id")
        if practitioner_id is not None:
            practitioner = tx.records.get(StaffUser, practitioner_id)
            if (
                practitioner is None
                or practitioner.role not in PRACTITIONER_ROLES
                or not practitioner.active
            ):
                raise NotFound(
                    f"no clinician {practitioner_id} in this clinic", field="practitioner_id"
                )
        row = book_one_off(
            tx,
            patient.id,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            plan_id=plan_id,
            practitioner_id=practitioner_id,
        )
        tx.done(
            patient_id=patient.id,
            entity=("appointment", row.id),
            conflict=ONE_OFF_TAKEN,
        )
    return row.id


def say_day(day: date) -> str:
    """A day as a receptionist says it: ``Tue 8 Dec 2026``."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def say_moment(moment: datetime) -> str:
    """A local moment as a receptionist says it: ``Tue 8 Dec 2026 09:00``."""
    return f"{say_day(moment.date())} {moment:%H:%M}"


def check_reason(reason: str | None, *, required: bool) -> str | None:
    """A cancellation reason: stripped, 1 to 500 characters, no control characters."""
    text = (reason or "").strip()
    if not text:
        if required:
            raise UserError("say why the session is cancelled", field="reason")
        return None
    if len(text) > 500:
        raise UserError("a reason has at most 500 characters", field="reason")
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise UserError("a reason cannot hold control characters", field="reason")
    return text


def set_appointment_status(
    uow: UnitOfWork,
    actor: Actor,
    appointment_id: int,
    status: str,
    *,
    reason: str | None = None,
    clock: Clock = utc_now,
) -> None:
    """Check a patient in (on the session's day, in the clinic's time zone), cancel a session
    (with the reason given), or mark a no-show (once its start time has passed)."""
    if status not in ("checked_in", "cancelled", "no_show"):
        raise UserError(
            "set checked_in, cancelled or no_show (completed comes from charting)",
            field="status",
        )
    reason = check_reason(reason, required=False) if status == "cancelled" else None
    with Transaction(uow, actor, "appointment.update_status", clock) as tx:
        row = tx.records.get(Appointment, appointment_id, for_update=True)
        if row is None:
            raise NotFound(
                f"no appointment {appointment_id} in this clinic", field="appointment_id"
            )
        if status not in NEXT_STATUS[row.status]:
            raise RuleViolation(
                f"a {row.status} appointment cannot become {status}", field="status"
            )
        zone = ZoneInfo(tx.records.clinic().time_zone)
        starts = row.starts_at.astimezone(zone)
        if status == "checked_in" and starts.date() != tx.today:
            raise RuleViolation(
                f"Patients are checked in on the day of their session: this one is on "
                f"{say_day(starts.date())}, today is {say_day(tx.today)}",
                field="status",
            )
        if status == "no_show" and tx.now < row.starts_at:
            raise RuleViolation(
                f"A session can be marked no-show only once its start time has passed: this one "
                f"starts {say_moment(starts)}",
                field="status",
            )
        if status == "cancelled":
            row.cancellation_reason = reason
        before, row.status, row.status_changed_at = row.status, status, tx.now
        if status in ("cancelled", "no_show"):
            # Its time is free again: the reservations go (one-offs and series sessions alike).
            SchedulingRecords(tx.uow.session, actor.clinic_id).release([row.id])
        if status == "cancelled":
            # Its queued messages are withdrawn and the patient told, in this transaction.
            appointment_cancelled(tx, row)
        # The clinic's late-cancellation or no-show fee, if its billing settings have one.
        from microneedling.services.billing.fees import charge_fee

        fee = charge_fee(tx, row, status) if status in ("cancelled", "no_show") else {}
        tx.done(
            patient_id=row.patient_id,
            entity=("appointment", row.id),
            details={"from": before, "to": status, **fee},
        )


def list_appointments(
    uow: UnitOfWork,
    actor: Actor,
    *,
    from_day: date | None = None,
    to_day: date | None = None,
    practitioner_id: int | None = None,
    patient_id: int | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """A page of appointments in time order: from ``from_day`` to ``to_day`` (both included,
    the clinic's days), by practitioner, patient or status."""
    check_page(limit, offset)
    for value, name in ((from_day, "from"), (to_day, "to")):
        if value is not None:
            check_day(value, name)
    if from_day is not None and to_day is not None and to_day < from_day:
        raise UserError("is before `from`", field="to")
    if status is not None and status not in APPOINTMENT_STATUSES:
        raise UserError(
            f"unknown status {status!r} (known: {', '.join(APPOINTMENT_STATUSES)})", field="status"
        )
    with Transaction(uow, actor, "appointment.read", clock, reading=True) as tx:
        zone = tx.records.clinic().time_zone
        start = local_day_start(from_day, zone) if from_day is not None else None
        end = local_days(to_day, to_day, zone)[1] if to_day is not None else None
        if patient_id is not None:
            require_patient(tx, patient_id)
        rows = tx.records.list_appointments(
            start=start,
            end=end,
            practitioner_id=practitioner_id,
            patient_id=patient_id,
            statuses=(status,) if status else (),
            limit=limit + 1,
            offset=offset,
        )
        result = page(rows, appointment_view, limit=limit, offset=offset)
        tx.done(patient_id=patient_id, details={"results": len(result["items"])})
    return result


def read_appointment(
    uow: UnitOfWork, actor: Actor, appointment_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    with Transaction(uow, actor, "appointment.read", clock, reading=True) as tx:
        row = tx.records.get(Appointment, appointment_id)
        if row is None:
            raise NotFound(
                f"no appointment {appointment_id} in this clinic", field="appointment_id"
            )
        view = appointment_view(row)
        view["cancellation_reason"] = row.cancellation_reason
        view["chart"] = _chart_summary(tx, row.id)
        tx.done(patient_id=row.patient_id, entity=("appointment", row.id))
    return view


def _chart_summary(tx: Transaction, appointment_id: int) -> dict[str, Any] | None:
    """Whether the session is charted and who signed it when (no clinical content, so every
    role that reads appointments may see it); ``None`` when it is not charted."""
    versions = tx.records.chart_versions(appointment_id)
    if not versions:
        return None
    first, last = versions[0], versions[-1]
    names = {
        staff_id: (user.display_name if user is not None else "")
        for staff_id in {first.signed_by, last.signed_by}
        for user in [tx.records.get(StaffUser, staff_id)]
    }
    return {
        "version": last.version,
        "signed_by": first.signed_by,
        "signed_by_name": names[first.signed_by],
        "signed_at": first.signed_at,
        "last_changed_by_name": names[last.signed_by],
        "last_changed_at": last.signed_at,
    }

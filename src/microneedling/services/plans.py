"""Creating a treatment plan from the patient's latest screening, moving its status on, and
what its patient handout shows once its series is booked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from microneedling.clinical.dates import add_months
from microneedling.clinical.planning import _expected, _Series, parse_plan_request, plan
from microneedling.clinical.pricing import parse_price_list
from microneedling.errors import NotFound, PlanRequestError, RuleViolation, UserError
from microneedling.knowledge import KnowledgeBase, shipped_knowledge_base
from microneedling.knowledge.overrides import apply_overrides, read_stored
from microneedling.knowledge.schema_planning import PlanningFile
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.patients import require_patient
from microneedling.services.views import plan_view
from microneedling.store import UnitOfWork
from microneedling.store.models import PLAN_STATUSES, Clinic, TreatmentPlan
from microneedling.store.scheduling_records import SchedulingRecords

#: Request fields the service fills from the records; a caller may not set them.
FROM_RECORDS = ("on", "fitzpatrick", "screening", "acknowledged_caution")
#: Allowed status changes.
NEXT_STATUS = {
    "proposed": ("accepted", "cancelled"),
    "accepted": ("completed", "cancelled"),
    "completed": (),
    "cancelled": (),
}


def create_plan(
    uow: UnitOfWork,
    actor: Actor,
    patient_id: int,
    request: Mapping[str, Any],
    *,
    kb: KnowledgeBase | None = None,
    clock: Clock = utc_now,
) -> int:
    """Plan treatment (A.3) on the patient's latest screening, priced with the clinic's list.

    ``request`` has ``treatments`` and optionally ``start``, ``setting``, ``add_ons`` and
    ``surgery_on``; the date, Fitzpatrick type, screening and acknowledgement come from the
    records. The plan is stored exactly as computed, with the knowledge base's version and hash.
    The clinic's policy overrides (A.7) apply: its zone areas, numbing threshold, maintenance and
    session caps through the knowledge base; its device profiles (``request["device"]`` names
    one), passes and screening validity as the planner's arguments.
    """
    if not isinstance(request, Mapping):
        raise PlanRequestError("a plan request must be a JSON object")
    for name in FROM_RECORDS:
        if name in request:
            raise PlanRequestError("is taken from the patient's records", field=name)
    kb = kb or shipped_knowledge_base()
    with Transaction(uow, actor, "plan.create", clock) as tx:
        patient = require_patient(tx, patient_id)
        intake = tx.records.latest_intake(patient.id)
        if intake is None:
            raise RuleViolation(
                "record an intake first: a plan is made on the latest screening",
                field="patient_id",
            )
        if intake.decision == "not_eligible":
            raise RuleViolation(
                f"the latest screening (intake {intake.id}) is not_eligible: no plan",
                field="patient_id",
            )
        if intake.decision == "caution" and intake.acknowledged_by is None:
            raise RuleViolation(
                f"the latest screening (intake {intake.id}) is caution: a clinician must "
                "acknowledge it first",
                field="patient_id",
            )
        full = {
            **request,
            "on": tx.today.isoformat(),
            "fitzpatrick": patient.fitzpatrick,
            "screening": intake.screening,
            "acknowledged_caution": intake.acknowledged_by is not None,
        }
        parsed = parse_plan_request(full)
        clinic = tx.records.clinic()
        prices = parse_price_list(clinic.price_list) if clinic.price_list else None
        overrides = read_stored(clinic.policy_overrides, kb).overrides
        computed = plan(
            parsed,
            apply_overrides(kb, overrides),
            price_list=prices,
            devices=overrides.device_profiles or (),
            passes=overrides.passes,
            screening_valid_days=overrides.screening_valid_days,
        )
        row = TreatmentPlan(
            patient_id=patient.id,
            intake_id=intake.id,
            created_at=tx.now,
            created_by=actor.staff_user_id,
            request=parsed.model_dump(mode="json", exclude={"screening"}),
            plan=computed,
            knowledge_base_version=kb.version,
            knowledge_base_hash=kb.hash,
            status="proposed",
        )
        tx.records.add(row)
        tx.flush()
        tx.done(
            patient_id=patient.id,
            entity=("treatment_plan", row.id),
            details={"intake": intake.id, "knowledge_base": kb.stamp()},
        )
    return row.id


def set_plan_status(
    uow: UnitOfWork, actor: Actor, plan_id: int, status: str, *, clock: Clock = utc_now
) -> None:
    """proposed → accepted → completed; proposed or accepted → cancelled."""
    if status not in PLAN_STATUSES:
        raise UserError(
            f"unknown status {status!r} (known: {', '.join(PLAN_STATUSES)})", field="status"
        )
    with Transaction(uow, actor, "plan.update_status", clock) as tx:
        row = tx.records.get(TreatmentPlan, plan_id, for_update=True)
        if row is None:
            raise NotFound(f"no plan {plan_id} in this clinic", field="plan_id")
        if status not in NEXT_STATUS[row.status]:
            raise RuleViolation(f"a {row.status} plan cannot become {status}", field="status")
        before, row.status = row.status, status
        tx.done(
            patient_id=row.patient_id,
            entity=("treatment_plan", row.id),
            details={"from": before, "to": status},
        )


def list_plans(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """The patient's plans, oldest first."""
    with Transaction(uow, actor, "plan.read", clock, reading=True) as tx:
        patient = require_patient(tx, patient_id)
        found = [plan_view(row) for row in tx.records.of_patient(TreatmentPlan, patient.id)]
        tx.done(patient_id=patient.id, details={"results": len(found)})
    return found


def read_plan(
    uow: UnitOfWork, actor: Actor, plan_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    with Transaction(uow, actor, "plan.read", clock, reading=True) as tx:
        row = tx.records.get(TreatmentPlan, plan_id)
        if row is None:
            raise NotFound(f"no plan {plan_id} in this clinic", field="plan_id")
        view = plan_view(row)
        tx.done(patient_id=row.patient_id, entity=("treatment_plan", row.id))
    return view


# The handout ----------------------------------------------------------------------------------

#: Where a clinic keeps the address and phone number printed on handouts: its settings document
#: (``policy_overrides``), e.g. ``{"contact": {"address": "1 Main St, Leiden", "phone": "+31 71
#: 123 4567"}}``; both optional.
CONTACT_SETTING = "contact"


def clinic_contact(clinic: Clinic) -> dict[str, str]:
    """The clinic's name, and its address and phone when its settings hold them."""
    settings = clinic.policy_overrides if isinstance(clinic.policy_overrides, dict) else {}
    contact = settings.get(CONTACT_SETTING)
    contact = contact if isinstance(contact, dict) else {}
    found = {"name": clinic.name}
    for key in ("address", "phone"):
        value = contact.get(key)
        if isinstance(value, str) and value.strip():
            found[key] = " ".join(value.split())[:300]
    return found


def booked_plan(plan: Mapping[str, Any], booked: Mapping[int, Mapping[int, str]]) -> dict[str, Any]:
    """The plan with its dates moved to the booked sessions.

    ``booked`` is, per series index, each booked session's local start (``YYYY-MM-DDTHH:MM``, by
    session number from 1). Each series' ``dates`` become the booked days (a session not booked
    keeps its proposed day); the pre-care and aftercare of a session move with it (renumbered in
    date order), the expected timeline is drawn again from the new days, and the first
    maintenance counts from the booked last session. Each series gains ``times`` (``HH:MM`` or
    ``None`` per session).
    """
    result = dict(plan)
    series_list = [dict(series) for series in plan.get("series", [])]
    moved: dict[str, str] = {}  # proposed day -> booked day (the earliest, if two series differ)
    for index, series in enumerate(series_list):
        starts = booked.get(index, {})
        dates = list(series.get("dates") or [])
        new_dates, times = [], []
        for number, day in enumerate(dates, start=1):
            start = starts.get(number)
            new_day = start[:10] if start else day
            new_dates.append(new_day)
            times.append(start[11:16] if start else None)
            if day not in moved or new_day < moved[day]:
                moved[day] = new_day
        series["dates"], series["times"] = new_dates, times
    result["series"] = series_list
    old_days = sorted(moved)
    new_days = sorted({d for s in series_list for d in s["dates"]})

    def session_of(number: int) -> tuple[int, timedelta]:
        """The new session number and how far the old session ``number`` moved."""
        old = old_days[number - 1]
        new = moved[old]
        shift = date.fromisoformat(new) - date.fromisoformat(old)
        return new_days.index(new) + 1, shift

    def shifted(value: Any, shift: timedelta) -> Any:
        return (date.fromisoformat(value) + shift).isoformat() if value else value

    def move(steps: Sequence[Mapping[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
        found = []
        for step in steps:
            number = step.get("session")
            if not isinstance(number, int) or not 1 <= number <= len(old_days):
                found.append(dict(step))
                continue
            new_number, shift = session_of(number)
            entry = dict(step, session=new_number)
            for key in keys:
                entry[key] = shifted(step.get(key), shift)
            found.append(entry)
        found.sort(key=lambda e: (e.get("session", 0), e.get("date") or ""))
        return found

    result["precare"] = move(plan.get("precare", []), ("date",))
    result["aftercare"] = move(plan.get("aftercare", []), ("date", "date_to"))
    timed = [
        _Series(concerns=[], zones=[], dates=[date.fromisoformat(d) for d in s["dates"]])
        for s in series_list
        if s["dates"]
    ]
    planning = shipped_knowledge_base().section("planning.yaml", PlanningFile)
    result["expected"] = _expected(timed, planning) if timed else []
    maintenance = plan.get("maintenance")
    if maintenance and old_days and new_days:
        every = int(maintenance["every_months"])
        usual = add_months(date.fromisoformat(old_days[-1]), every)
        first = date.fromisoformat(maintenance["first_date"])
        now_usual = add_months(date.fromisoformat(new_days[-1]), every)
        # A rule moved the first maintenance later than usual: keep that, unless booking did.
        kept = now_usual if first <= usual else max(first, now_usual)
        result["maintenance"] = dict(maintenance, first_date=kept.isoformat())
    return result


def _local(moment: datetime, zone: str) -> str:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def plan_handout(
    uow: UnitOfWork, actor: Actor, plan_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """What the patient handout of a plan prints: the plan with its dates moved to the booked
    sessions (and their local start times), the patient's name, and the clinic's name, address
    and phone (:func:`clinic_contact`). ``booked`` says whether any session is booked; ``today``
    is the clinic's day by ``clock``, for a caller that prints with no day of its own."""
    # Not a ``reading`` transaction: the booked sessions are read on the same session.
    with Transaction(uow, actor, "plan.read", clock) as tx:
        row = tx.records.get(TreatmentPlan, plan_id)
        if row is None:
            raise NotFound(f"no plan {plan_id} in this clinic", field="plan_id")
        patient = require_patient(tx, row.patient_id)
        clinic = tx.records.clinic()
        records = SchedulingRecords(tx.uow.session, actor.clinic_id)
        series_rows = [r for r in records.series_of_patient(patient.id) if r.plan_id == row.id]
        index_of = {r.id: r.series_index for r in series_rows}
        booked: dict[int, dict[int, str]] = {}
        for booking, appointment in records.booked_sessions(list(index_of)):
            # Ordered by appointment id: the latest booking of a session wins.
            starts = booked.setdefault(index_of[booking.series_id], {})
            starts[booking.session] = _local(appointment.starts_at, clinic.time_zone)
        result = {
            "plan": booked_plan(row.plan, booked),
            "booked": bool(booked),
            "patient": f"{patient.given_name} {patient.family_name}",
            "clinic": clinic_contact(clinic),
            "today": tx.today.isoformat(),
        }
        tx.done(patient_id=row.patient_id, entity=("treatment_plan", row.id))
    return result

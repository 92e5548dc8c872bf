"""Creating a treatment plan from the patient's latest screening, and moving its status on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from microneedling.clinical.planning import parse_plan_request, plan
from microneedling.clinical.pricing import parse_price_list
from microneedling.errors import NotFound, PlanRequestError, RuleViolation, UserError
from microneedling.knowledge import KnowledgeBase, shipped_knowledge_base
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.patients import require_patient
from microneedling.services.views import plan_view
from microneedling.store import UnitOfWork
from microneedling.store.models import PLAN_STATUSES, TreatmentPlan

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
        computed = plan(parsed, kb, price_list=prices)
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

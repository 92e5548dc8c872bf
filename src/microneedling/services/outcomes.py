"""Outcome assessments: a score on one of the knowledge base's scales, by a rater, on a date."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from microneedling.clinical.scales import score
from microneedling.errors import NotFound, UserError
from microneedling.knowledge import KnowledgeBase, shipped_knowledge_base
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.inputs import check_day, check_id
from microneedling.services.patients import require_patient
from microneedling.services.views import outcome_view
from microneedling.store import UnitOfWork
from microneedling.store.models import OutcomeAssessment, TreatmentPlan


def record_outcome(
    uow: UnitOfWork,
    actor: Actor,
    patient_id: int,
    *,
    scale: str,
    inputs: Mapping[str, Any],
    assessed_on: date | None = None,
    plan_id: int | None = None,
    kb: KnowledgeBase | None = None,
    clock: Clock = utc_now,
) -> int:
    """Score an assessment (A.5) and store inputs, score and band; the actor is the rater."""
    if assessed_on is not None:
        check_day(assessed_on, "assessed_on")
    if plan_id is not None:
        check_id(plan_id, "plan_id")
    kb = kb or shipped_knowledge_base()
    result = score(scale, inputs, kb)
    total = result.score
    stored_score = {"total": total} if isinstance(total, int | float) else {"parts": dict(total)}
    with Transaction(uow, actor, "outcome.record", clock) as tx:
        patient = require_patient(tx, patient_id)
        on = assessed_on or tx.today
        if on > tx.today:
            raise UserError("is after today", field="assessed_on")
        if plan_id is not None:
            plan = tx.records.get(TreatmentPlan, plan_id)
            if plan is None or plan.patient_id != patient.id:
                raise NotFound(f"no plan {plan_id} for this patient", field="plan_id")
        row = OutcomeAssessment(
            patient_id=patient.id,
            plan_id=plan_id,
            scale=result.scale,
            scale_version=result.version,
            inputs=dict(result.inputs),
            score=stored_score,
            band=result.interpretation.band,
            rater_id=actor.staff_user_id,
            assessed_on=on,
            recorded_at=tx.now,
            knowledge_base_version=result.knowledge_base_version,
            knowledge_base_hash=result.knowledge_base_hash,
        )
        tx.records.add(row)
        tx.flush()
        tx.done(
            patient_id=patient.id,
            entity=("outcome_assessment", row.id),
            details={"scale": result.scale},
        )
    return row.id


def list_outcomes(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """The patient's outcome assessments, oldest first."""
    with Transaction(uow, actor, "outcome.read", clock, reading=True) as tx:
        patient = require_patient(tx, patient_id)
        rows = tx.records.of_patient(
            OutcomeAssessment, patient.id, OutcomeAssessment.assessed_on, OutcomeAssessment.id
        )
        found = [outcome_view(row) for row in rows]
        tx.done(patient_id=patient.id, details={"results": len(found)})
    return found

"""Staff's side of what patients send through the portal: their questionnaires to review and
confirm (or correct), which become the intake of record only then.

- :func:`submitted_questionnaires`: the clinic's questionnaires waiting for a clinician.
- :func:`questionnaire_for_review`: one of them, with its answers and the screening made when
  it was sent.
- :func:`confirm_questionnaire`: a clinician confirms it, with whatever they corrected: the
  intake is recorded through ``services/intakes.record_intake`` (screened again, audited as
  ``intake.record``), then the questionnaire is marked confirmed and linked to it
  (``portal.intake_confirm``, with whether anything was corrected).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from microneedling.errors import Conflict, NotFound
from microneedling.services import intakes
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.store import UnitOfWork
from microneedling.store.models import Patient
from microneedling.store.portal_models import PortalIntake


def _summary(row: PortalIntake, patient: Patient) -> dict[str, Any]:
    return {
        "id": row.id,
        "patient_id": patient.id,
        "patient_name": f"{patient.given_name} {patient.family_name}",
        "submitted_at": row.submitted_at,
        "decision": row.decision,
        "earliest_date": row.earliest_date,
        "status": row.status,
    }


def submitted_questionnaires(
    uow: UnitOfWork, actor: Actor, *, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """The clinic's questionnaires sent by patients and not yet confirmed, oldest first."""
    with Transaction(uow, actor, "portal.intake_review", clock) as tx:
        rows = tx.uow.session.execute(
            select(PortalIntake, Patient)
            .join(Patient, Patient.id == PortalIntake.patient_id)
            .where(PortalIntake.clinic_id == actor.clinic_id, PortalIntake.status == "submitted")
            .order_by(PortalIntake.submitted_at, PortalIntake.id)
            .limit(500)
        ).all()
        found = [_summary(row, patient) for row, patient in rows]
        tx.done(details={"results": len(found)})
    return found


def questionnaire_for_review(
    uow: UnitOfWork, actor: Actor, questionnaire_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """One questionnaire a patient sent: its answers (as the intake form takes them) and the
    screening made when it was sent."""
    with Transaction(uow, actor, "portal.intake_review", clock) as tx:
        row = tx.records.get(PortalIntake, questionnaire_id)
        if row is None or row.status == "draft":
            raise NotFound("there is no such questionnaire")
        patient = tx.records.get(Patient, row.patient_id)
        assert patient is not None
        found = {
            **_summary(row, patient),
            "intake": dict(row.answers.get("intake", {})),
            "screening": row.screening,
            "intake_id": row.intake_id,
            "reviewed_at": row.reviewed_at,
        }
        tx.done(patient_id=patient.id, entity=("portal_intake", row.id))
    return found


def _same(given: Mapping[str, Any], sent: Mapping[str, Any]) -> bool:
    """Whether the clinician kept the patient's answers (the date of assessment aside)."""
    keys = ("zones", "conditions", "medications", "procedures", "allergies")
    return all(
        sorted(map(repr, given.get(key) or [])) == sorted(map(repr, sent.get(key) or []))
        for key in keys
    )


def confirm_questionnaire(
    uow: UnitOfWork,
    actor: Actor,
    questionnaire_id: int,
    answers: Mapping[str, Any],
    *,
    clock: Clock = utc_now,
) -> int:
    """Record ``answers`` (the patient's, as the clinician confirmed or corrected them) as the
    intake of record and mark the questionnaire confirmed; the new intake's id."""
    with Transaction(uow, actor, "portal.intake_confirm", clock) as tx:
        row = tx.records.get(PortalIntake, questionnaire_id)
        if row is None or row.status == "draft":
            raise NotFound("there is no such questionnaire")
        if row.status != "submitted":
            raise Conflict("this questionnaire was already confirmed")
        patient_id = row.patient_id
        sent = dict(row.answers.get("intake", {}))
    intake_id = intakes.record_intake(uow, actor, patient_id, answers, clock=clock)
    with Transaction(uow, actor, "portal.intake_confirm", clock) as tx:
        row = tx.records.get(PortalIntake, questionnaire_id, for_update=True)
        assert row is not None
        if row.status != "submitted":
            raise Conflict("someone confirmed this questionnaire at the same time; the intake "
                           f"you recorded is kept (intake {intake_id})")  # fmt: skip
        corrected = not _same(answers, sent)
        row.status, row.intake_id = "confirmed", intake_id
        row.reviewed_by, row.reviewed_at = actor.staff_user_id, tx.now
        row.review_note = "corrected" if corrected else None
        tx.done(patient_id=patient_id, entity=("portal_intake", row.id),
                details={"intake": intake_id, "corrected": corrected})  # fmt: skip
    return intake_id

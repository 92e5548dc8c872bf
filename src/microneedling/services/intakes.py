"""Recording an intake (it is screened and the result stored with it), and a clinician's
acknowledgement of a ``caution`` decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from microneedling.clinical.intake import parse_intake
from microneedling.clinical.screening import policy_version, readable_screening, screen
from microneedling.errors import IntakeError, NotFound, RuleViolation, UserError
from microneedling.knowledge import KnowledgeBase
from microneedling.knowledge.overrides import overrides_hash_of
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.computations import knowledge_base_for
from microneedling.services.inputs import FIRST_YEAR
from microneedling.services.patients import require_patient
from microneedling.services.views import intake_view
from microneedling.store import UnitOfWork
from microneedling.store.models import Intake, Patient


def _with_patient(answers: Mapping[str, Any], patient: Patient, today: date) -> dict[str, Any]:
    """The answers with the patient block and date filled from the record (and checked)."""
    data = dict(answers)
    data.setdefault("on", today.isoformat())
    recorded = {
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex,
        "fitzpatrick": patient.fitzpatrick,
    }
    given = data.get("patient")
    if given is None:
        data["patient"] = recorded
    elif isinstance(given, Mapping):
        for key in ("birth_date", "fitzpatrick"):
            if key in given and str(given[key]) != str(recorded[key]):
                raise IntakeError(
                    f"does not match the patient's record ({recorded[key]}); correct one of them",
                    field=f"patient.{key}",
                )
        data["patient"] = {**{k: v for k, v in recorded.items() if v is not None}, **given}
    return data


def _readable(row: Intake) -> dict[str, Any]:
    """The intake view with its screening readable whatever policy version stored it, and the
    policy version it was computed under."""
    view = intake_view(row)
    screening = readable_screening(view.get("screening"))
    stamp = screening["knowledge_base"]
    stamp.setdefault("version", view["knowledge_base"]["version"])
    stamp.setdefault("hash", view["knowledge_base"]["hash"])
    view["screening"] = screening
    view["knowledge_base"] = {
        **view["knowledge_base"],
        "overrides_hash": stamp.get("overrides_hash"),
    }
    view["policy_version"] = policy_version(view["knowledge_base"]["version"])
    return view


def record_intake(
    uow: UnitOfWork,
    actor: Actor,
    patient_id: int,
    answers: Mapping[str, Any],
    *,
    kb: KnowledgeBase | None = None,
    overrides_hash: str | None = None,
    clock: Clock = utc_now,
) -> int:
    """Store an intake as submitted and its screening result (decision, reasons, sources, the
    zones screened, the Fitzpatrick type, the knowledge base's version and hash, and
    ``overrides_hash``: the hash of the clinic's policy overrides ``kb`` carries, if any). ``on``
    defaults to the clinic's today and may not be later; the patient block defaults to the
    patient's record and may not contradict it.
    """
    if not isinstance(answers, Mapping):
        raise IntakeError("an intake must be a JSON object")
    with Transaction(uow, actor, "intake.record", clock) as tx:
        if kb is None:
            # The clinic's policy overrides in force (A.7); their hash is stored with the result.
            kb = knowledge_base_for(tx.records.clinic().policy_overrides)
            overrides_hash = overrides_hash or overrides_hash_of(kb)
        patient = require_patient(tx, patient_id)
        data = _with_patient(answers, patient, tx.today)
        intake = parse_intake(data)
        if intake.on.year < FIRST_YEAR:
            raise IntakeError(f"expected a year from {FIRST_YEAR}", field="on")
        if intake.on > tx.today:
            raise IntakeError(f"is after today ({tx.today.isoformat()})", field="on")
        result = screen(intake, kb, overrides_hash=overrides_hash)
        row = Intake(
            patient_id=patient.id,
            recorded_at=tx.now,
            recorded_by=actor.staff_user_id,
            assessed_on=intake.on,
            answers=intake.model_dump(mode="json", exclude_unset=True),
            decision=result.decision,
            earliest_date=result.earliest_date,
            screening=result.to_dict(),
            knowledge_base_version=result.knowledge_base_version,
            knowledge_base_hash=result.knowledge_base_hash,
        )
        tx.records.add(row)
        tx.flush()
        tx.done(
            patient_id=patient.id,
            entity=("intake", row.id),
            details={"decision": result.decision, "knowledge_base": kb.stamp()},
        )
    return row.id


def acknowledge_caution(
    uow: UnitOfWork,
    actor: Actor,
    intake_id: int,
    *,
    note: str,
    clock: Clock = utc_now,
) -> None:
    """A clinician's documented acknowledgement of a ``caution`` screening (needed to chart)."""
    note = note.strip()
    if not note or len(note) > 2000:
        raise UserError("say what was considered (1 to 2000 characters)", field="note")
    with Transaction(uow, actor, "intake.acknowledge_caution", clock) as tx:
        intake = tx.records.get(Intake, intake_id, for_update=True)
        if intake is None:
            raise NotFound(f"no intake {intake_id} in this clinic", field="intake_id")
        if intake.decision != "caution":
            raise RuleViolation(
                f"only a caution screening is acknowledged; this one is {intake.decision}",
                field="intake_id",
            )
        if intake.acknowledged_by is not None:
            raise RuleViolation("this screening is already acknowledged", field="intake_id")
        intake.acknowledged_by = actor.staff_user_id
        intake.acknowledged_at = tx.now
        intake.acknowledgement_note = note
        tx.done(patient_id=intake.patient_id, entity=("intake", intake.id))


def list_intakes(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """The patient's intakes with their screening results, oldest first."""
    with Transaction(uow, actor, "intake.read", clock, reading=True) as tx:
        patient = require_patient(tx, patient_id)
        found = [_readable(row) for row in tx.records.of_patient(Intake, patient.id)]
        tx.done(patient_id=patient.id, details={"results": len(found)})
    return found


def read_intake(
    uow: UnitOfWork, actor: Actor, intake_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """One intake as submitted, with its screening result."""
    with Transaction(uow, actor, "intake.read", clock, reading=True) as tx:
        row = tx.records.get(Intake, intake_id)
        if row is None:
            raise NotFound(f"no intake {intake_id} in this clinic", field="intake_id")
        view = _readable(row)
        tx.done(patient_id=row.patient_id, entity=("intake", row.id))
    return view


def latest_screening(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """The patient's latest intake (latest assessment date), whose screening result counts."""
    with Transaction(uow, actor, "intake.read", clock, reading=True) as tx:
        patient = require_patient(tx, patient_id)
        row = tx.records.latest_intake(patient.id)
        if row is None:
            raise NotFound("this patient has not been screened yet", field="patient_id")
        view = _readable(row)
        tx.done(patient_id=patient.id, entity=("intake", row.id))
    return view

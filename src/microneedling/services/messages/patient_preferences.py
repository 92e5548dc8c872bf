"""Staff recording a patient's message preferences (``messages.preferences``): which channels
(e-mail, SMS; neither is "none") and which kinds (reminders, aftercare, recalls, marketing), as
the patient told them. Recorded as a new preference row (``source`` ``staff``, who recorded it,
when), audited, and honoured at once: queued messages the patient no longer wants are withdrawn
in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from microneedling.errors import NotFound, UserError
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.messages.outbox import message_records, preferences_of
from microneedling.store import UnitOfWork
from microneedling.store.message_models import CHANNELS, STOPPABLE_CATEGORIES, MessagePreference
from microneedling.store.models import Patient

CHOICES = (*CHANNELS, *STOPPABLE_CATEGORIES)


def preferences_view(records: Any, patient_id: int) -> dict[str, Any]:
    current = preferences_of(records, patient_id)
    values = asdict(current)
    recorded_at = values.pop("recorded_at")
    values["recorded_at"] = recorded_at.isoformat() if recorded_at else None
    return values


def read_preferences(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """The patient's current choice (or the defaults: ``source`` ``default``)."""
    with Transaction(uow, actor, "patient.read", clock) as tx:
        if tx.records.get(Patient, patient_id) is None:
            raise NotFound("no such patient in this clinic")
        result = preferences_view(message_records(tx), patient_id)
        tx.done(patient_id=patient_id, details={"view": "message_preferences"})
    return result


def record_preferences(
    uow: UnitOfWork,
    actor: Actor,
    patient_id: int,
    data: Mapping[str, Any],
    *,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Record what the patient chose: each of :data:`CHOICES` true or false (all required)."""
    problems = [
        (name, "choose yes or no") for name in CHOICES if not isinstance(data.get(name), bool)
    ]
    unknown = [key for key in data if key not in CHOICES]
    if unknown:
        problems.append((str(unknown[0])[:40], "not a message preference"))
    if problems:
        raise UserError(problems[0][1], fields=problems)
    with Transaction(uow, actor, "messages.preferences", clock) as tx:
        if tx.records.get(Patient, patient_id) is None:
            raise NotFound("no such patient in this clinic")
        records = message_records(tx)
        row = MessagePreference(
            patient_id=patient_id,
            recorded_at=tx.now,
            source="staff",
            recorded_by=actor.staff_user_id,
            **{name: bool(data[name]) for name in CHOICES},
        )
        records.add(row)
        withdrawn = 0
        stopped = [c for c in STOPPABLE_CATEGORIES if not data[c]]
        if stopped:
            withdrawn += records.withdraw_queued_of_patient(
                patient_id, tx.now, "the patient stopped these messages", categories=stopped
            )
        for channel in CHANNELS:
            if not data[channel]:
                withdrawn += records.withdraw_queued_of_patient(
                    patient_id, tx.now, "the patient stopped these messages", channel=channel
                )
        tx.uow.session.flush()
        result = preferences_view(records, patient_id)
        result["withdrawn"] = withdrawn
        tx.done(
            patient_id=patient_id,
            entity=("message_preference", row.id),
            details={name: bool(data[name]) for name in CHOICES},
        )
    return result

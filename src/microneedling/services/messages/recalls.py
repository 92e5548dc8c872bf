"""Queueing the messages that invite patients back (``messages.recall``): a **maintenance
recall** to each patient whose maintenance session is due or overdue (the maintenance list,
:func:`~microneedling.services.scheduling.maintenance.maintenance_due_list`), and an **invitation
to book** to each patient whose newest screening deferred them until a date that has come, with
no session booked since. Both are the ``recalls`` category (a patient can stop them), go by each
channel the patient allows, at once or when the quiet hours end, and are not queued again for a
patient who got the same kind in the last :data:`AGAIN_AFTER`.

Run by staff (the messages page's button, ``microneedling messages recalls``) or daily from cron.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.messages.clinic_settings import clinic_messaging
from microneedling.services.messages.outbox import message_records, preferences_of, recipients
from microneedling.services.messages.timing import immediate
from microneedling.services.scheduling.maintenance import maintenance_due_list
from microneedling.store import UnitOfWork
from microneedling.store.message_models import OutboxMessage
from microneedling.store.models import Appointment, Intake, Patient

AGAIN_AFTER = timedelta(days=30)


def _deferred_and_due(tx: Transaction) -> list[int]:
    """Patients whose newest screening deferred them until a date that has come, with nothing
    scheduled from that date on."""
    session, clinic_id = tx.uow.session, tx.actor.clinic_id
    newest: dict[int, Intake] = {}
    for intake in session.execute(
        select(Intake)
        .where(Intake.clinic_id == clinic_id)
        .order_by(Intake.patient_id, Intake.recorded_at.desc(), Intake.id.desc())
    ).scalars():
        newest.setdefault(intake.patient_id, intake)
    found = []
    for patient_id, intake in newest.items():
        if intake.decision != "defer" or intake.earliest_date is None:
            continue
        if intake.earliest_date > tx.today:
            continue
        booked = session.execute(
            select(Appointment.id).where(
                Appointment.clinic_id == clinic_id,
                Appointment.patient_id == patient_id,
                Appointment.status.in_(["scheduled", "completed"]),
                Appointment.created_at >= intake.recorded_at,
            )
        ).first()
        if booked is None:
            found.append(patient_id)
    return sorted(found)


def queue_recalls(uow: UnitOfWork, actor: Actor, *, clock: Clock = utc_now) -> dict[str, Any]:
    """Queue today's recalls and invitations; how many patients and rows."""
    due = maintenance_due_list(uow, actor, horizon_days=0, clock=clock)
    with Transaction(uow, actor, "messages.recall", clock) as tx:
        records = message_records(tx)
        zone = tx.records.clinic().time_zone
        quiet = clinic_messaging(tx.uow.session, actor.clinic_id, scope=tx).quiet
        targets = [(item["patient_id"], "recall") for item in due]
        targets += [(patient_id, "invitation") for patient_id in _deferred_and_due(tx)]
        recent = {
            (patient_id, kind)
            for patient_id, kind in tx.uow.session.execute(
                select(OutboxMessage.patient_id, OutboxMessage.kind).where(
                    OutboxMessage.clinic_id == actor.clinic_id,
                    OutboxMessage.kind.in_(["recall", "invitation"]),
                    OutboxMessage.status.in_(["queued", "sending", "sent"]),
                    OutboxMessage.created_at >= tx.now - AGAIN_AFTER,
                )
            ).all()
        }
        counts = {"recall": 0, "invitation": 0, "rows": 0, "skipped": 0}
        for patient_id, kind in targets:
            patient = tx.records.get(Patient, patient_id)
            if patient is None or (patient_id, kind) in recent:
                counts["skipped"] += 1
                continue
            send_after = immediate(tx.now, kind, quiet, zone)
            queued = 0
            for channel, address in recipients(patient, preferences_of(records, patient_id),
                                               "recalls"):  # fmt: skip
                records.add(
                    OutboxMessage(
                        patient_id=patient_id, appointment_id=None, kind=kind,
                        category="recalls", channel=channel, recipient=address,
                        send_after=send_after, status="queued", attempts=0,
                        next_attempt_at=send_after, created_at=tx.now,
                        status_changed_at=tx.now,
                    )
                )  # fmt: skip
                queued += 1
            counts["rows"] += queued
            counts[kind] += 1 if queued else 0
            recent.add((patient_id, kind))
        tx.done(details=dict(counts))
    return counts

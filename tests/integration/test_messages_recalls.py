"""Invitations to book and maintenance recalls are queued through the outbox: a patient deferred
until a date gets an invitation once that date has come (not before, not after booking), only by
the channels they allow, and not twice within 30 days; the queueing is audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from tests.integration.conftest import NOW, World

from microneedling.services.clock import fixed_clock
from microneedling.services.messages.recalls import queue_recalls
from microneedling.store.message_models import MessagePreference, OutboxMessage
from microneedling.store.models import AuditEntry


def invitations(world: World, patient_id: int) -> list[tuple[str, str]]:
    with world.uow:
        return [
            (row.channel, row.status)
            for row in world.uow.session.execute(
                select(OutboxMessage).where(
                    OutboxMessage.patient_id == patient_id, OutboxMessage.kind == "invitation"
                )
            ).scalars()
        ]


def deferred(world: World, **contact: str) -> int:
    patient_id = world.patient(**contact)
    # A retinoid stopped 3 days ago: deferred until 2026-12-05 (NOW is 2026-12-01).
    world.intake(patient_id, medications=[{"code": "topical_retinoid", "stopped_on": "2026-11-28"}])
    return patient_id


def test_a_deferred_patient_is_invited_once_their_date_has_come(world: World) -> None:
    patient_id = deferred(world, email="ada@example.org", phone="+31 6 1111 2222")
    assert queue_recalls(world.uow, world.front_desk, clock=world.clock)["invitation"] == 0
    assert invitations(world, patient_id) == []
    later = fixed_clock(NOW + timedelta(days=5))
    counts = queue_recalls(world.uow, world.front_desk, clock=later)
    assert counts["invitation"] >= 1
    assert sorted(invitations(world, patient_id)) == [("email", "queued"), ("sms", "queued")]
    again = queue_recalls(world.uow, world.front_desk, clock=fixed_clock(NOW + timedelta(days=6)))
    assert again["skipped"] >= 1
    assert len(invitations(world, patient_id)) == 2
    with world.uow:
        actions = (
            world.uow.session.execute(
                select(AuditEntry.action).where(AuditEntry.clinic_id == world.owner.clinic_id)
            )
            .scalars()
            .all()
        )
    assert "messages.recall" in actions


def test_the_patients_choices_are_honoured(world: World) -> None:
    patient_id = deferred(world, email="bea@example.org", phone="+31 6 3333 4444")
    with world.uow:
        world.uow.session.add(
            MessagePreference(
                clinic_id=world.owner.clinic_id, patient_id=patient_id, email=True, sms=False,
                reminders=True, aftercare=True, recalls=True, marketing=False,
                recorded_at=NOW, source="staff", recorded_by=None,
            )
        )  # fmt: skip
        world.uow.commit()
    queue_recalls(world.uow, world.front_desk, clock=fixed_clock(NOW + timedelta(days=5)))
    assert invitations(world, patient_id) == [("email", "queued")]
    other = deferred(world, email="cy@example.org")
    with world.uow:
        world.uow.session.add(
            MessagePreference(
                clinic_id=world.owner.clinic_id, patient_id=other, email=True, sms=True,
                reminders=True, aftercare=True, recalls=False, marketing=False,
                recorded_at=NOW, source="unsubscribe_link", recorded_by=None,
            )
        )  # fmt: skip
        world.uow.commit()
    queue_recalls(world.uow, world.front_desk, clock=fixed_clock(NOW + timedelta(days=5)))
    assert invitations(world, other) == []


def test_a_patient_screened_again_and_eligible_is_not_invited(world: World) -> None:
    patient_id = deferred(world, email="di@example.org")
    world.intake(patient_id)  # screened again: eligible
    queue_recalls(world.uow, world.front_desk, clock=fixed_clock(NOW + timedelta(days=5)))
    assert invitations(world, patient_id) == []

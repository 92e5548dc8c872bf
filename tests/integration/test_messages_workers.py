"""Workers sharing the outbox: two workers at once (threads, each with its own connections) never
send the same message twice and leave nothing unsent — on PostgreSQL through ``FOR UPDATE SKIP
LOCKED``, on SQLite through its single writer."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update
from tests.integration.scheduling_support import SchedulingWorld, make_scheduling_world

from microneedling.services import patients
from microneedling.services.messages.transports import Envelope
from microneedling.services.messages.worker import WorkerSettings, run_once
from microneedling.store import Database
from microneedling.store.message_models import OutboxMessage


class CountingTransport:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: Counter[int] = Counter()

    def send(self, envelope: Envelope) -> str:
        with self.lock:
            self.sent[envelope.message_id] += 1
        return f"id-{envelope.message_id}"


@pytest.fixture
def clinic(database: Database, tmp_path: Path) -> SchedulingWorld:
    world = make_scheduling_world(database, tmp_path / "photos")
    # The test database is shared: messages other tests left due are set aside, so that what
    # a worker sends here is this test's.
    with world.uow:
        world.uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status.in_(["queued", "sending"]))
            .values(status="withdrawn")
        )
        world.uow.commit()
    return world


def test_two_workers_never_send_the_same_message_twice(clinic: SchedulingWorld) -> None:
    total = 1000 if clinic.world.database.backend == "postgresql" else 300
    patient_id = patients.register_patient(
        clinic.uow,
        clinic.desk,
        {"given_name": "Ada", "family_name": "Byron", "birth_date": "1990-05-17",
         "fitzpatrick": 2, "email": "ada@example.org"},
        clock=clinic.clock,
    )  # fmt: skip
    now = clinic.clock()
    with clinic.uow:
        clinic.uow.session.execute(
            insert(OutboxMessage),
            [
                {"clinic_id": clinic.desk.clinic_id, "patient_id": patient_id, "kind": "recall",
                 "category": "recalls", "channel": "email", "recipient": "ada@example.org",
                 "send_after": now - timedelta(minutes=n % 7), "status": "queued", "attempts": 0,
                 "next_attempt_at": now - timedelta(minutes=n % 7), "created_at": now,
                 "status_changed_at": now}
                for n in range(total)
            ],
        )  # fmt: skip
        clinic.uow.commit()
    transport = CountingTransport()
    settings = WorkerSettings(batch=25)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            while run_once(
                clinic.world.database, {"email": transport}, now=now, settings=settings
            ).claimed:
                pass
        except BaseException as error:  # reported below
            errors.append(error)

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert errors == []
    assert len(transport.sent) == total
    assert set(transport.sent.values()) == {1}
    with clinic.uow:
        statuses = dict(
            clinic.uow.session.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.patient_id == patient_id)
                .group_by(OutboxMessage.status)
            ).all()
        )
    assert statuses == {"sent": total}


def test_the_worker_inside_the_web_process_sends_in_the_background_and_stops(
    clinic: SchedulingWorld,
) -> None:
    import time

    from microneedling.services.messages.background import BackgroundWorker

    patient_id = patients.register_patient(
        clinic.uow,
        clinic.desk,
        {"given_name": "Ada", "family_name": "Byron", "birth_date": "1990-05-17",
         "fitzpatrick": 2, "email": "ada@example.org"},
        clock=clinic.clock,
    )  # fmt: skip
    now = clinic.clock()
    with clinic.uow:
        clinic.uow.session.add(
            OutboxMessage(
                clinic_id=clinic.desk.clinic_id, patient_id=patient_id, kind="recall",
                category="recalls", channel="email", recipient="ada@example.org",
                send_after=now, status="queued", attempts=0, next_attempt_at=now,
                created_at=now, status_changed_at=now,
            )
        )  # fmt: skip
        clinic.uow.commit()
    transport = CountingTransport()
    worker = BackgroundWorker(
        clinic.world.database, {"email": transport}, clock=clinic.clock, interval=0.05
    ).start()
    try:
        deadline = time.monotonic() + 30
        while not transport.sent and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert list(transport.sent.values()) == [1]
    passes = worker.passes
    time.sleep(0.2)
    assert worker.passes == passes  # stopped

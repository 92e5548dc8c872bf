"""A real `microneedling worker` process is killed with SIGKILL in the middle of a batch — while
the mail server holds one message unanswered — and started again: every message arrives at the
local SMTP server (aiosmtpd) exactly once, counted by its Message-ID, and every outbox row ends
``sent``. (The message the server had not yet accepted when the worker died is sent again; those
it had accepted are recorded and never sent twice.)"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from microneedling.services import clinics, patients
from microneedling.services.clock import fixed_clock
from microneedling.store import Database, PhotoFiles, UnitOfWork
from microneedling.store.message_models import OutboxMessage

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

MICRONEEDLING = [sys.executable, "-m", "microneedling"]
MESSAGES = 80
#: The message the server holds unanswered while the worker is killed.
HELD = 23
LONG_AGO = datetime(2020, 1, 6, 9, 0, tzinfo=UTC)
#: Past any lease the killed worker held.
LATER = "2100-01-01T00:00:00+00:00"


class HoldingInbox:
    """Counts what it accepts; holds the ``HELD``-th message unanswered until released, then
    answers 451 (not accepted: the sender must try again)."""

    def __init__(self) -> None:
        self.accepted: list[str] = []
        self.seen = 0
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.seen += 1
        if self.seen == HELD:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
            return "451 4.3.0 try again later"
        from email import message_from_bytes

        message: Message = message_from_bytes(envelope.content)
        self.accepted.append(str(message["Message-ID"]))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[HoldingInbox, int]]:
    handler = HoldingInbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = aiosmtpd_controller.Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        handler.release.set()
        controller.stop()


def environment(tmp_path: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "MICRONEEDLING_DATABASE_URL": f"sqlite:///{tmp_path / 'records.db'}",
        "MICRONEEDLING_SMTP_HOST": "127.0.0.1",
        "MICRONEEDLING_SMTP_PORT": str(port),
        "MICRONEEDLING_SMTP_SECURITY": "none",
        "MICRONEEDLING_MAIL_FROM": "desk@clinic.example",
    }


def queue_messages(tmp_path: Path, env: dict[str, str]) -> Database:
    upgraded = subprocess.run(
        [*MICRONEEDLING, "db", "upgrade"], env=env, cwd=tmp_path, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert upgraded.returncode == 0, upgraded.stderr
    database = Database(env["MICRONEEDLING_DATABASE_URL"])
    uow = UnitOfWork(database, PhotoFiles(tmp_path / "photos"))
    clock = fixed_clock(LONG_AGO)
    owner = clinics.create_clinic(
        uow, slug="kill", name="Kill Test Clinic", time_zone="Europe/Amsterdam",
        owner={"email": "owner@kill.example", "display_name": "Owner", "role": "owner"},
        clock=clock,
    )  # fmt: skip
    patient_id = patients.register_patient(
        uow, owner,
        {"given_name": "Nguyễn", "family_name": "王芳", "birth_date": "1990-05-17",
         "fitzpatrick": 3, "email": "ngoc@example.org"},
        clock=clock,
    )  # fmt: skip
    with uow:
        for _ in range(MESSAGES):
            uow.session.add(
                OutboxMessage(
                    clinic_id=owner.clinic_id, patient_id=patient_id, kind="recall",
                    category="recalls", channel="email", recipient="ngoc@example.org",
                    send_after=LONG_AGO, status="queued", attempts=0, next_attempt_at=LONG_AGO,
                    created_at=LONG_AGO, status_changed_at=LONG_AGO,
                )
            )  # fmt: skip
        uow.commit()
    return database


def statuses(database: Database) -> dict[str, int]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    return {status: count for status, count in rows}


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, inbox: tuple[HoldingInbox, int]
) -> None:
    handler, port = inbox
    env = environment(tmp_path, port)
    database = queue_messages(tmp_path, env)
    worker = subprocess.Popen(
        [*MICRONEEDLING, "worker", "--json"], env=env, cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert handler.holding.wait(timeout=120), "the worker never reached the held message"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.communicate(timeout=30)
    handler.release.set()
    assert worker.returncode == -signal.SIGKILL
    assert len(handler.accepted) == HELD - 1
    killed = statuses(database)
    assert killed.get("sent") == HELD - 1 and killed.get("sending", 0) > 0
    # Started again (past the dead worker's lease) until nothing is left.
    for _attempt in range(10):
        result = subprocess.run(
            [*MICRONEEDLING, "worker", "--once", "--json", "--now", LATER],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        if json.loads(result.stdout)["claimed"] == 0:
            break
        time.sleep(0)
    assert statuses(database) == {"sent": MESSAGES}
    counts = Counter(handler.accepted)
    assert len(counts) == MESSAGES and set(counts.values()) == {1}
    database.dispose()

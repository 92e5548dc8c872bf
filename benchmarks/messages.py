"""Messages to patients: how fast one worker empties the outbox, and what the outbox adds to a
booking, each measured in the same run.

1. **Sending**: ``--messages`` due e-mails (10,000) in the outbox of a migrated SQLite database,
   sent by one worker (:func:`~microneedling.services.messages.worker.run_once` passes until
   nothing is left: claim a batch, render, send over SMTP, record) through a local SMTP server
   (aiosmtpd on 127.0.0.1 in a process of its own, counting what it accepts: the run fails unless
   it accepted every message). Messages per second, median of
   ``--repeats`` runs, each on a freshly filled outbox.
2. **Cost per booking**: booking a plan (``scheduling.book_plan``: 4 sessions) for a patient with
   an e-mail address and a phone, with the outbox (the confirmation, reminders, pre-care and
   aftercare of every session queued in the same transaction: about 40 rows) and with the
   outbox's queueing switched off, alternately; median ms of each and the difference.

    .venv/bin/python benchmarks/messages.py [--messages N] [--repeats R] [--bookings B] [--quick]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from _common import parse_arguments, print_table, step, tracked

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ (the booking clinic)

from tests.integration.scheduling_support import ACNE, make_scheduling_world

from microneedling.services import clinics, intakes, patients, plans, scheduling
from microneedling.services.clock import fixed_clock
from microneedling.services.messages.transports import SmtpSettings, SmtpTransport
from microneedling.services.messages.worker import WorkerSettings, run_once
from microneedling.services.scheduling import booking as booking_module
from microneedling.store import Database, PhotoFiles, UnitOfWork
from microneedling.store.message_models import OutboxMessage
from microneedling.store.migrate import upgrade

QUICK = {"messages": 200, "repeats": 2, "bookings": 3}
LONG_AGO = datetime(2020, 1, 6, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


#: The SMTP server, in a process of its own (in this one it would share the interpreter lock with
#: the worker, and every SMTP round trip would wait for it): it counts what it accepts and
#: writes the count to ``argv[2]`` when stopped.
SERVER = """
import asyncio, signal, sys, threading
from aiosmtpd.controller import Controller
class Counting:
    accepted = 0
    async def handle_DATA(self, server, session, envelope):
        Counting.accepted += 1
        return "250 OK"
controller = Controller(Counting(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
print("ready", flush=True)
stop.wait()
controller.stop()
open(sys.argv[2], "w").write(str(Counting.accepted))
"""


@contextmanager
def smtp_server(folder: Path) -> Iterator[tuple[Path, int]]:
    """A local SMTP server process; the file its count is written to when it stops."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    counted = folder / "accepted.txt"
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), str(counted)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        yield counted, port
    finally:
        server.terminate()
        server.wait(timeout=30)


def fill(database: Database, clinic_id: int, patient_id: int, count: int) -> None:
    with UnitOfWork(database, PhotoFiles(Path(tempfile.gettempdir()))) as uow:
        uow.session.execute(
            OutboxMessage.__table__.insert(),
            [
                {"clinic_id": clinic_id, "patient_id": patient_id, "kind": "recall",
                 "category": "recalls", "channel": "email", "recipient": "ngoc@example.org",
                 "send_after": LONG_AGO, "status": "queued", "attempts": 0,
                 "next_attempt_at": LONG_AGO, "created_at": LONG_AGO,
                 "status_changed_at": LONG_AGO}
                for _ in range(count)
            ],
        )  # fmt: skip
        uow.commit()


def sending(folder: Path, messages: int, repeats: int) -> list[list[str]]:
    database = Database(f"sqlite:///{folder / 'send.db'}")
    upgrade(database)
    uow = UnitOfWork(database, PhotoFiles(folder / "photos"))
    clock = fixed_clock(LONG_AGO)
    owner = clinics.create_clinic(
        uow, slug="bench", name="Benchmark Clinic", time_zone="Europe/Amsterdam",
        owner={"email": "owner@bench.example", "display_name": "Owner", "role": "owner"},
        clock=clock,
    )  # fmt: skip
    patient_id = patients.register_patient(
        uow, owner,
        {"given_name": "Nguyễn", "family_name": "王芳", "birth_date": "1990-05-17",
         "fitzpatrick": 3, "email": "ngoc@example.org"},
        clock=clock,
    )  # fmt: skip
    rates = []
    with smtp_server(folder) as (counted, port):
        transport = SmtpTransport(
            SmtpSettings(host="127.0.0.1", port=port, security="none", sender="desk@bench.example")
        )
        settings = WorkerSettings()
        for _ in tracked(range(repeats), "sending runs", total=repeats):
            fill(database, owner.clinic_id, patient_id, messages)
            start = time.perf_counter()
            while run_once(database, {"email": transport}, now=NOW, settings=settings).claimed:
                pass
            seconds = time.perf_counter() - start
            rates.append(messages / seconds)
        transport.close()
    accepted = int(counted.read_text())
    if accepted != messages * repeats:
        raise SystemExit(f"the SMTP server accepted {accepted} of {messages * repeats} e-mails")
    database.dispose()
    rate = statistics.median(rates)
    return [
        [f"{messages:,} due e-mails, one worker, local SMTP (median of {repeats})",
         f"{rate:,.0f} messages/s", f"{messages / rate:,.1f} s per run",
         f"{1000 / rate:.2f} ms per message"],
    ]  # fmt: skip


def booking_cost(folder: Path, bookings: int) -> list[list[str]]:
    database = Database(f"sqlite:///{folder / 'book.db'}")
    upgrade(database)
    world = make_scheduling_world(database, folder / "photos")
    queued = booking_module.appointment_booked

    def a_plan(n: int) -> int:
        patient_id = patients.register_patient(
            world.uow, world.desk,
            {"given_name": "Ada", "family_name": f"Byron {n}", "birth_date": "1990-05-17",
             "fitzpatrick": 2, "email": f"ada{n}@example.org", "phone": f"+31 6 {n:08d}"},
            clock=world.clock,
        )  # fmt: skip
        intakes.record_intake(
            world.uow, world.desk, patient_id, {"zones": ["cheeks"]}, clock=world.clock
        )
        return plans.create_plan(
            world.uow, world.clinician, patient_id, {"treatments": [ACNE]}, clock=world.clock
        )

    with step("patients and plans"):
        ready = [a_plan(n) for n in range(2 * bookings + 2)]
    times: dict[bool, list[float]] = {True: [], False: []}
    # One of each first, unmeasured (caches warm), then alternately.
    order = [True, False] + [n % 2 == 0 for n in range(2 * bookings)]
    for number, with_outbox in enumerate(tracked(order, "bookings", total=len(order))):
        booking_module.appointment_booked = queued if with_outbox else (lambda *a, **k: 0)  # type: ignore[assignment]
        try:
            start = time.perf_counter()
            scheduling.book_plan(world.uow, world.desk, ready[number], clock=world.clock)
            elapsed = time.perf_counter() - start
        finally:
            booking_module.appointment_booked = queued
        if number >= 2:
            times[with_outbox].append(elapsed * 1000)
    with world.uow:
        rows = world.uow.session.query(OutboxMessage).count()
    database.dispose()
    with_ms, without_ms = statistics.median(times[True]), statistics.median(times[False])
    per = rows / (bookings + 1)
    return [
        [f"book_plan with the outbox ({per:.0f} rows queued, median of {bookings})",
         f"{with_ms:,.1f} ms", "", ""],
        [f"book_plan without it (median of {bookings})", f"{without_ms:,.1f} ms", "", ""],
        ["the outbox's cost per booking", f"{with_ms - without_ms:+,.1f} ms",
         f"{(with_ms - without_ms) / without_ms:+.0%}", ""],
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bookings", type=int, default=15)
    args = parse_arguments(parser, QUICK, argv)
    with tempfile.TemporaryDirectory(prefix="messages-bench-") as name:
        folder = Path(name)
        rows = sending(folder, args.messages, args.repeats)
        rows += booking_cost(folder, args.bookings)
    print_table("Messages to patients (SQLite)", ["What", "Result", "", ""], rows)


if __name__ == "__main__":
    main()

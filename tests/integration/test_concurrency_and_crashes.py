"""Two people at once, and a process killed mid-transaction."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.integration.conftest import NOW, Session, World

from microneedling.errors import Conflict
from microneedling.services import charts, patients
from microneedling.services.access import Actor
from microneedling.services.audit import verify_audit_log
from microneedling.store import PhotoFiles, UnitOfWork
from microneedling.store.models import AuditEntry, SessionChart

ROOT = Path(__file__).resolve().parents[2]


def at_once(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs in threads released together; each result or the exception it raised."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = jobs[index]()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def chart_as(world: World, actor: Actor, session: Session, tmp: Path) -> Callable[[], int]:
    uow = UnitOfWork(world.database, PhotoFiles(tmp))  # each person their own transaction
    entry = world.entry(session.device_id, session.lot_number)
    return lambda: charts.chart_session(
        uow, actor, session.appointment_id, entry, clock=world.clock
    )


def charts_of(world: World, appointment_id: int) -> int:
    with world.uow:
        return world.uow.session.execute(
            select(func.count()).where(SessionChart.appointment_id == appointment_id)
        ).scalar_one()


def test_two_clinicians_charting_the_same_session_at_once_one_wins(
    world: World, tmp_path: Path
) -> None:
    for _ in range(3):
        session = world.ready_session()
        results = at_once(
            [
                chart_as(world, world.clinician, session, tmp_path),
                chart_as(world, world.clinician2, session, tmp_path),
            ]
        )
        winners = [r for r in results if isinstance(r, int)]
        losers = [r for r in results if isinstance(r, Conflict)]
        assert (len(winners), len(losers)) == (1, 1), results
        assert charts_of(world, session.appointment_id) == 1
    assert verify_audit_log(world.database).intact


def test_the_database_refuses_a_second_original_chart_even_past_the_service(
    world: World,
) -> None:
    session = world.ready_session()
    chart_id = world.chart(session)
    with world.uow:
        original = world.uow.session.get(SessionChart, chart_id)
        assert original is not None
        copy = {c.name: getattr(original, c.name) for c in SessionChart.__table__.columns}
        copy.pop("id")
        world.uow.session.add(SessionChart(**copy))
        with pytest.raises(Conflict):
            world.uow.commit()
    assert charts_of(world, session.appointment_id) == 1


def test_many_people_writing_at_once_keep_one_unbroken_audit_chain(
    world: World, tmp_path: Path
) -> None:
    def register(number: int) -> Callable[[], list[int]]:
        uow = UnitOfWork(world.database, PhotoFiles(tmp_path))
        details = {"given_name": "P", "family_name": f"Thread {number}",
                   "birth_date": "1980-01-01", "fitzpatrick": 3}  # fmt: skip
        return lambda: [
            patients.register_patient(uow, world.front_desk, details, clock=world.clock)
            for _ in range(5)
        ]

    with world.uow:
        before = world.uow.session.execute(
            select(func.count()).select_from(AuditEntry)
        ).scalar_one()
    results = at_once([register(number) for number in range(6)])
    assert all(isinstance(r, list) and len(r) == 5 for r in results), results
    report = verify_audit_log(world.database)
    assert report.intact, report.problems
    assert report.entries == before + 30


CRASHING_CHART = """
import json, sys, time
from datetime import datetime
from microneedling.services import charts
from microneedling.services.access import Actor, Role
from microneedling.services.clock import fixed_clock
from microneedling.store import Database, UnitOfWork

job = json.loads(sys.argv[1])
uow = UnitOfWork(Database(job["url"]))

def commit_that_never_comes(*args, **kwargs):
    uow.session.flush()  # chart, zones, products, appointment and audit entry all written...
    print("inside the transaction", flush=True)
    time.sleep(120)  # ...and the process is killed here, before COMMIT

uow.commit = commit_that_never_comes
actor = Actor(job["actor"], job["clinic"], Role.CLINICIAN)
charts.chart_session(uow, actor, job["appointment"], job["entry"],
                     clock=fixed_clock(datetime.fromisoformat(job["now"])))
"""


def test_a_process_killed_mid_transaction_leaves_nothing_behind(world: World) -> None:
    session = world.ready_session()
    with world.uow:
        audit_before = world.uow.session.execute(
            select(func.count()).select_from(AuditEntry)
        ).scalar_one()
    job = {
        "url": world.database.url.render_as_string(hide_password=False),
        "actor": world.clinician.staff_user_id,
        "clinic": world.clinician.clinic_id,
        "appointment": session.appointment_id,
        "entry": world.entry(session.device_id, session.lot_number),
        "now": NOW.isoformat(),
    }
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_CHART, json.dumps(job)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "inside the transaction", child.stderr.read() if child.stderr else ""
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    assert charts_of(world, session.appointment_id) == 0
    record = patients.open_patient_record(
        world.uow, world.clinician, session.patient_id, clock=world.clock
    )
    assert record["appointments"][0]["status"] == "scheduled"
    with world.uow:
        audit_after = world.uow.session.execute(
            select(func.count()).select_from(AuditEntry)
        ).scalar_one()
    assert audit_after == audit_before + 1  # only this test's own read of the record
    assert verify_audit_log(world.database).intact
    world.chart(session)  # the locks died with the process: charting works again

"""`microneedling demo`: the demo clinics, deterministic from the seed and the day."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from tests.integration.conftest import NOW, PostgresDatabases, SqliteDatabases
from tests.integration.records_cli import app
from tests.integration.test_backup_and_restore import rows_of
from typer.testing import CliRunner

from microneedling.services import clinics
from microneedling.services.audit import verify_audit_log
from microneedling.services.demo_clinic import build_demo_clinic
from microneedling.store import Database, PhotoFiles, UnitOfWork
from microneedling.store.backup import backup
from microneedling.store.migrate import upgrade
from microneedling.store.models import (
    AdverseEvent,
    CartridgeLot,
    Intake,
    OutcomeAssessment,
    Photo,
    SessionChart,
    StaffUser,
)

runner = CliRunner()


def test_the_demo_command_builds_both_clinics_and_prints_the_sign_ins(
    fresh_url: str, records_env: Callable[[str], None]
) -> None:
    records_env(fresh_url)
    arguments = ["demo", "--patients", "40", "--today", "2026-12-01", "--password", "s3cret-demo"]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    for email in ("owner@demo.example", "clinician@demo.example", "frontdesk@demo.example",
                  "owner@second.example"):  # fmt: skip
        assert email in result.stdout
    assert "s3cret-demo" in result.stdout

    database = Database(fresh_url)
    uow = UnitOfWork(database)
    for email in ("owner@demo.example", "frontdesk@demo.example", "owner@second.example"):
        actor = clinics.sign_in(uow, email, "s3cret-demo")
        assert actor.staff_user_id > 0
    with uow:
        session = uow.session
        roles = set(session.execute(select(StaffUser.role)).scalars())
        decisions = set(session.execute(select(Intake.decision)).scalars())
        expiring = session.execute(
            select(CartridgeLot).where(CartridgeLot.lot_number == "B-2025-342")
        ).scalar_one()
        used_expiring = session.execute(
            select(func.count()).where(SessionChart.cartridge_lot_id == expiring.id)
        ).scalar_one()
        expires_on = expiring.expires_on
        counts = {
            model.__name__: session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (SessionChart, AdverseEvent, OutcomeAssessment, Photo)
        }
    assert roles == {"owner", "clinician", "front_desk"}
    assert decisions == {"eligible", "caution", "defer", "not_eligible"}
    assert 0 < (expires_on - date(2026, 12, 1)).days <= 14 and used_expiring > 0
    assert all(counts.values()), counts
    assert verify_audit_log(database).intact

    again = runner.invoke(app, arguments)
    assert again.exit_code == 0
    assert "already" in again.stdout
    database.dispose()


def test_the_same_seed_and_day_give_the_same_records(
    databases: SqliteDatabases | PostgresDatabases, tmp_path: Path
) -> None:
    files = []
    for name in ("first", "second"):
        database = Database(databases.new_url())
        upgrade(database)
        uow = UnitOfWork(database, PhotoFiles(tmp_path / name))
        summary = build_demo_clinic(
            uow, today=date(2026, 12, 1), seed=11, patient_count=15, password="same-pass",
            cache=None,  # both built (a copy from the cache would be equal trivially)
        )  # fmt: skip
        assert not summary.already_loaded
        files.append(tmp_path / f"{name}.jsonl")
        backup(database, files[-1], now=NOW)
        database.dispose()
    first, second = (_without_password_hashes(rows_of(file)) for file in files)
    assert first == second


def _without_password_hashes(lines: list[object]) -> list[object]:
    """Salts differ run to run; everything else must not."""
    result: list[object] = []
    columns: list[str] = []
    for line in lines:
        if isinstance(line, dict):
            columns = line.get("columns", [])
        elif isinstance(line, list) and "password_hash" in columns:
            line = [None if name == "password_hash" else value
                    for name, value in zip(columns, line, strict=True)]  # fmt: skip
        result.append(line)
    return result


def test_the_demo_as_json(fresh_url: str, records_env: Callable[[str], None]) -> None:
    records_env(fresh_url)
    result = runner.invoke(app, ["demo", "--patients", "10", "--today", "2026-12-01", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["already_loaded"] is False
    assert data["password"] == "microneedling-demo"
    assert {member["email"] for member in data["staff"]} >= {
        "owner@demo.example", "clinician@demo.example", "frontdesk@demo.example",
        "owner@second.example",
    }  # fmt: skip

"""The audit log: one entry per use case, append-only, hash-chained; tampering is detected."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from tests.integration.conftest import NOW, Session, World, make_world
from tests.integration.records_cli import app
from typer.testing import CliRunner

from microneedling.errors import RuleViolation
from microneedling.services import audit, patients
from microneedling.store import Database
from microneedling.store.audit import entry_hash
from microneedling.store.models import AuditEntry

runner = CliRunner()


def entries_after(world: World, sequence: int) -> list[AuditEntry]:
    with world.uow:
        rows = world.uow.session.execute(
            select(AuditEntry).where(AuditEntry.sequence > sequence).order_by(AuditEntry.sequence)
        )
        found = list(rows.scalars())
        world.uow.session.expunge_all()
        return found


def last_sequence(world: World) -> int:
    with world.uow:
        return world.uow.session.execute(select(func.max(AuditEntry.sequence))).scalar_one() or 0


def test_a_use_case_appends_one_entry_saying_who_did_what_to_whom_and_when(world: World) -> None:
    before = last_sequence(world)
    patient_id = world.patient(given_name="Zebedee", email="zebedee@example.com")
    world.intake(patient_id)
    patients.open_patient_record(world.uow, world.clinician, patient_id, clock=world.clock)
    entries = [e for e in entries_after(world, before) if e.clinic_id == world.owner.clinic_id]
    assert [(e.action, e.actor_id, e.actor_role, e.patient_id) for e in entries] == [
        ("patient.register", world.front_desk.staff_user_id, "front_desk", patient_id),
        ("intake.record", world.front_desk.staff_user_id, "front_desk", patient_id),
        ("patient.read_record", world.clinician.staff_user_id, "clinician", patient_id),
    ]
    assert all(e.recorded_at == NOW for e in entries)
    assert json.loads(entries[1].details)["decision"] == "eligible"
    assert not any("zebedee" in e.details.lower() for e in entries)


def test_a_refused_use_case_appends_nothing(world: World) -> None:
    patient_id = world.patient()
    before = last_sequence(world)
    with pytest.raises(RuleViolation):
        world.chart(Session(patient_id, world.appointment(patient_id), world.device(), world.lot()))
    actions = [e.action for e in entries_after(world, before)]
    assert "chart.create" not in actions


def test_the_owner_reads_the_log_of_one_patient(world: World) -> None:
    patient_id = world.patient()
    world.intake(patient_id)
    entries = audit.audit_entries(world.uow, world.owner, patient_id=patient_id, clock=world.clock)
    assert [e["action"] for e in entries] == ["patient.register", "intake.record"]
    assert entries[0]["at"] == "2026-12-01T10:00:00.000000Z"


# Tampering -----------------------------------------------------------------------------------


def drop_triggers(database: Database) -> None:
    """What someone with direct database access would do first."""
    with database.engine.begin() as connection:
        if database.backend == "postgresql":
            connection.execute(text("DROP TRIGGER audit_entry_append_only ON audit_entry"))
        else:
            connection.execute(text("DROP TRIGGER audit_entry_no_update"))
            connection.execute(text("DROP TRIGGER audit_entry_no_delete"))


def verify(records_env: Callable[[str], None], database: Database) -> tuple[int, dict[str, object]]:
    records_env(database.url.render_as_string(hide_password=False))
    result = runner.invoke(app, ["audit", "verify", "--json"])
    return result.exit_code, json.loads(result.stdout)


#: Entries in `logged`: the clinic, three staff, five patients each registered and screened.
LAST = 14


@pytest.fixture
def logged(fresh_database: Database, tmp_path: Path) -> Database:
    """A database of its own with a few dozen audit entries."""
    world = make_world(fresh_database, tmp_path / "photos")
    for index in range(5):
        patient_id = world.patient(family_name=f"Person {index}")
        world.intake(patient_id)
    drop_triggers(fresh_database)
    return fresh_database


def test_an_untouched_log_verifies(logged: Database, records_env: Callable[[str], None]) -> None:
    code, report = verify(records_env, logged)
    assert (code, report["intact"], report["problems"]) == (0, True, [])
    assert report["entries"] == report["head"]["sequence"] == LAST  # type: ignore[index]


def test_an_altered_entry_is_detected(logged: Database, records_env: Callable[[str], None]) -> None:
    with logged.engine.begin() as connection:
        connection.execute(text("UPDATE audit_entry SET actor_id = 1 WHERE sequence = 7"))
    code, report = verify(records_env, logged)
    assert code == 1
    assert "entry 7: content does not match its hash (altered)" in report["problems"]  # type: ignore[operator]


def test_a_deleted_entry_is_detected(logged: Database, records_env: Callable[[str], None]) -> None:
    with logged.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entry WHERE sequence = 8"))
    code, report = verify(records_env, logged)
    assert code == 1
    assert any("entry 8 missing" in p for p in report["problems"])  # type: ignore[union-attr]


def test_deleting_the_last_entry_is_detected_by_the_chain_head(
    logged: Database, records_env: Callable[[str], None]
) -> None:
    with logged.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entry WHERE sequence = 14"))
    code, report = verify(records_env, logged)
    assert code == 1
    assert any("chain head" in p for p in report["problems"])  # type: ignore[union-attr]


def test_an_entry_inserted_in_the_middle_is_detected(
    logged: Database, records_env: Callable[[str], None]
) -> None:
    with logged.engine.begin() as connection:
        # Make room after entry 5 (highest first, so the key stays unique), then insert.
        for sequence in range(LAST, 5, -1):
            connection.execute(
                text("UPDATE audit_entry SET sequence = :to WHERE sequence = :at"),
                {"to": sequence + 1, "at": sequence},
            )
        prev = connection.execute(text("SELECT hash FROM audit_entry WHERE sequence = 5")).scalar()
        forged = entry_hash(prev_hash=prev, sequence=6, recorded_at=NOW, clinic_id=1, actor_id=1,
                            actor_role="owner", action="patient.read_record", patient_id=1,
                            entity_type=None, entity_id=None, details="{}")  # fmt: skip
        connection.execute(
            text(
                "INSERT INTO audit_entry (sequence, recorded_at, clinic_id, actor_id, actor_role, "
                "action, patient_id, details, prev_hash, hash) VALUES (6, :at, 1, 1, 'owner', "
                "'patient.read_record', 1, '{}', :prev, :hash)"
            ),
            {"at": NOW.replace(tzinfo=None) if logged.backend == "sqlite" else NOW,
             "prev": prev, "hash": forged},
        )  # fmt: skip
    code, report = verify(records_env, logged)
    assert code == 1
    assert any("entry 7" in p for p in report["problems"])  # type: ignore[union-attr]


def test_an_entry_appended_outside_the_application_is_detected(
    logged: Database, records_env: Callable[[str], None]
) -> None:
    with logged.engine.begin() as connection:
        prev = connection.execute(text("SELECT hash FROM audit_entry WHERE sequence = 14")).scalar()
        forged = entry_hash(prev_hash=prev, sequence=LAST + 1, recorded_at=NOW, clinic_id=1,
                            actor_id=1, actor_role="owner", action="patient.read_record",
                            patient_id=1, entity_type=None, entity_id=None, details="{}")  # fmt: skip
        connection.execute(
            text(
                "INSERT INTO audit_entry (sequence, recorded_at, clinic_id, actor_id, actor_role, "
                "action, patient_id, details, prev_hash, hash) VALUES (15, :at, 1, 1, 'owner', "
                "'patient.read_record', 1, '{}', :prev, :hash)"
            ),
            {"at": NOW.replace(tzinfo=None) if logged.backend == "sqlite" else NOW,
             "prev": prev, "hash": forged},
        )  # fmt: skip
    code, report = verify(records_env, logged)
    assert code == 1
    assert any("chain head" in p for p in report["problems"])  # type: ignore[union-attr]

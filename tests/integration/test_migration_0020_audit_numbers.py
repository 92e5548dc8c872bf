"""Migration 0020 on a log written partly before migration 0012 (no place in a clinic's chain)
and partly after it (authenticated, numbered from 1): every entry gets its place in its clinic's
chain, the later ones move up, their authentication is made again, and `audit verify` finds the
whole log intact and authenticated. A tampered entry is not laundered by the renumbering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from tests.integration.conftest import PostgresDatabases, SqliteDatabases

from microneedling.store import Database
from microneedling.store.audit import AuditLog, entry_hash
from microneedling.store.audit_keys import AuditKeys
from microneedling.store.audit_verify import verify_chain, verify_clinic_chain
from microneedling.store.migrate import upgrade
from microneedling.store.models import GENESIS_HASH

KEY = "a-key-for-the-0020-migration-test-0123456789"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _old_entries(database: Database, clinics: list[int | None]) -> None:
    """Entries as written before migration 0012: no place, no authentication."""
    prev = GENESIS_HASH
    with database.engine.begin() as connection:
        for index, clinic in enumerate(clinics, start=1):
            at = START + timedelta(minutes=index)
            values = {
                "sequence": index, "recorded_at": at, "clinic_id": clinic, "actor_id": None,
                "actor_role": "system", "action": "test.old", "patient_id": None,
                "entity_type": None, "entity_id": None, "details": "{}",
            }  # fmt: skip
            digest = entry_hash(prev_hash=prev, **values)  # type: ignore[arg-type]
            connection.execute(
                text(
                    "INSERT INTO audit_entry (sequence, recorded_at, clinic_id, actor_id, "
                    "actor_role, action, patient_id, entity_type, entity_id, details, prev_hash, "
                    "hash) VALUES (:sequence, :recorded_at, :clinic_id, :actor_id, :actor_role, "
                    ":action, :patient_id, :entity_type, :entity_id, :details, :prev, :hash)"
                ),
                {**values, "prev": prev, "hash": digest},
            )
            prev = digest
        connection.execute(
            text("UPDATE audit_chain_head SET sequence = :s, hash = :h"),
            {"s": len(clinics), "h": prev},
        )


def _new_entries(database: Database, clinics: list[int | None]) -> None:
    """Entries as written between migrations 0012 and 0020: numbered from 1, authenticated."""
    keyed = Database(database.url.render_as_string(hide_password=False))
    keyed.audit_keys = AuditKeys.from_secrets(KEY)
    with keyed.engine.begin() as connection:
        from sqlalchemy.orm import Session

        session = Session(bind=connection)
        log = AuditLog(session, keyed.audit_keys)
        for index, clinic in enumerate(clinics):
            log.append(
                at=START + timedelta(hours=1, minutes=index),
                clinic_id=clinic,
                actor_id=None,
                actor_role="system",
                action="test.new",
            )
        session.flush()
    keyed.dispose()


def _places(database: Database) -> list[tuple[int, int | None, int | None]]:
    with database.engine.connect() as connection:
        return [
            (row.sequence, row.clinic_id, row.clinic_sequence)
            for row in connection.execute(
                text("SELECT sequence, clinic_id, clinic_sequence FROM audit_entry ORDER BY 1")
            )
        ]


@pytest.fixture
def old_log(databases: SqliteDatabases | PostgresDatabases) -> Database:
    database = Database(databases.new_url())
    upgrade(database, "0011")
    with database.engine.begin() as connection:
        for slug in ("one", "two"):
            connection.execute(
                text(
                    "INSERT INTO clinic (slug, name, time_zone, policy_overrides, created_at) "
                    "VALUES (:slug, :slug, 'UTC', '{}', :at)"
                ),
                {"slug": slug, "at": START},
            )
    _old_entries(database, [1, 2, 1, None, 1, 2])
    upgrade(database, "0019")
    _new_entries(database, [2, 1, 2])
    return database


def test_older_entries_get_their_places_and_the_log_verifies_authenticated(
    old_log: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _places(old_log)
    assert [place for _, _, place in before] == [None] * 6 + [1, 1, 2]
    monkeypatch.setenv("MICRONEEDLING_AUDIT_KEY", KEY)
    upgrade(old_log)
    assert _places(old_log) == [
        (1, 1, 1), (2, 2, 1), (3, 1, 2), (4, None, 1), (5, 1, 3), (6, 2, 2),
        (7, 2, 3), (8, 1, 4), (9, 2, 4),
    ]  # fmt: skip
    keys = AuditKeys.from_secrets(KEY)
    with old_log.snapshot_session() as session:
        report = verify_chain(session, keys)
        clinic = verify_clinic_chain(session, 2, keys)
    assert report.intact, report.problems
    assert report.authenticated == 3
    assert clinic.intact, clinic.problems
    assert (clinic.entries, clinic.head_sequence) == (4, 4)
    # The next entry of a clinic follows on from its places.
    with old_log.engine.begin() as connection:
        from sqlalchemy.orm import Session

        AuditLog(Session(bind=connection), keys).append(
            at=START + timedelta(days=1), clinic_id=1, actor_id=None, actor_role="system",
            action="test.after",
        )  # fmt: skip
    assert _places(old_log)[-1] == (10, 1, 5)
    with old_log.snapshot_session() as session:
        assert verify_chain(session, keys).intact
    old_log.dispose()


def test_without_the_audit_key_the_upgrade_stops_and_says_which_setting(
    old_log: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MICRONEEDLING_AUDIT_KEY", raising=False)
    with pytest.raises(RuntimeError, match="set MICRONEEDLING_AUDIT_KEY"):
        upgrade(old_log)
    assert [place for _, _, place in _places(old_log)] == [None] * 6 + [1, 1, 2]
    old_log.dispose()


def test_a_tampered_entry_still_fails_after_the_renumbering(
    old_log: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with old_log.engine.begin() as connection:
        # Someone with write access moves entry 8's authentication onto entry 7.
        mac = connection.execute(text("SELECT hmac FROM audit_entry WHERE sequence = 8")).scalar()
        if old_log.engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_entry_no_update"))
        connection.execute(text("UPDATE audit_entry SET hmac = :m WHERE sequence = 7"), {"m": mac})
        if old_log.engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER USER"))
    monkeypatch.setenv("MICRONEEDLING_AUDIT_KEY", KEY)
    upgrade(old_log)
    with old_log.snapshot_session() as session:
        report = verify_chain(session, AuditKeys.from_secrets(KEY))
    assert report.first_failing == 7
    old_log.dispose()

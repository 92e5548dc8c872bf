"""Tampering with the audit log by someone with write access to the database, who drops the
triggers and re-hashes the chain onward: every entry is authenticated with a key the database
never holds (MICRONEEDLING_AUDIT_KEY), so `audit verify` finds it and names the first entry
that fails; one clinic's owner checks their clinic's chain alone.

Each tampering test first shows that the hash chain alone (what `audit verify` checked before
the key) finds nothing wrong: the attacker's re-hashing is consistent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, delete, select, text, update
from tests.integration.conftest import NOW, PostgresDatabases, SqliteDatabases, World, make_world
from tests.integration.records_cli import app
from tests.integration.test_audit_log import drop_triggers
from typer.testing import CliRunner

from microneedling.services import audit
from microneedling.store import Database
from microneedling.store.audit import entry_hash
from microneedling.store.audit_keys import NO_KEYS, AuditKeys
from microneedling.store.audit_verify import verify_chain, verify_clinic_chain
from microneedling.store.models import GENESIS_HASH, AuditChainHead, AuditClinicHead, AuditEntry

runner = CliRunner()

KEY = "k3y-for-the-tamper-tests-0123456789-abcdefgh"
NEW_KEY = "another-key-for-rotation-0123456789-abcdefgh"


@dataclass
class Log:
    """A keyed database with two clinics' entries interleaved, its triggers dropped."""

    database: Database
    a: World
    b: World
    slug_a: str
    slug_b: str

    def numbers(self, world: World) -> list[int]:
        with self.database.engine.connect() as connection:
            return list(
                connection.execute(
                    select(AuditEntry.sequence)
                    .where(AuditEntry.clinic_id == world.owner.clinic_id)
                    .order_by(AuditEntry.sequence)
                ).scalars()
            )

    def last(self) -> int:
        with self.database.engine.connect() as connection:
            return int(connection.execute(select(AuditChainHead.sequence)).scalar_one())


def slug_of(world: World) -> str:
    with world.uow:
        return world.uow.clinics.get(world.owner.clinic_id).slug  # type: ignore[union-attr]


@pytest.fixture
def log(databases: SqliteDatabases | PostgresDatabases, tmp_path: Path) -> Iterator[Log]:
    database = Database(databases.migrated_url(), audit_keys=AuditKeys.from_secrets(KEY))
    a = make_world(database, tmp_path / "photos")
    b = make_world(database, tmp_path / "photos")
    for index in range(3):
        for world in (a, b):
            patient_id = world.patient(family_name=f"Person {index}")
            world.intake(patient_id)
    drop_triggers(database)
    yield Log(database, a, b, slug_of(a), slug_of(b))
    database.dispose()


@pytest.fixture
def cli(
    records_env: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[int, dict[str, Any], str]]:
    """`microneedling audit verify --json [ARGS]` on a database, with the audit key set."""

    def run(
        database: Database, *args: str, key: str | None = KEY, retired: str | None = None
    ) -> tuple[int, dict[str, Any], str]:
        for name, value in (("AUDIT_KEY", key), ("AUDIT_KEYS_RETIRED", retired)):
            if value is None:
                monkeypatch.delenv(f"MICRONEEDLING_{name}", raising=False)
            else:
                monkeypatch.setenv(f"MICRONEEDLING_{name}", value)
        records_env(database.url.render_as_string(hide_password=False))
        result = runner.invoke(app, ["audit", "verify", "--json", *args])
        assert result.exception is None or isinstance(result.exception, SystemExit), result
        return result.exit_code, json.loads(result.stdout), result.stderr

    return run


def hash_only(database: Database) -> bool:
    """What the verification saw before the key: is the hash chain consistent?"""
    with database.snapshot_session() as session:
        return verify_chain(session, NO_KEYS).intact


def rehash(connection: Connection, first: int) -> None:
    """Re-hash every entry from ``first`` on and move every head to match: a consistent hash
    chain, as someone with write access (and without the key) would make it."""
    columns = tuple(AuditEntry.__table__.columns)
    prev = connection.execute(
        select(AuditEntry.hash)
        .where(AuditEntry.sequence < first)
        .order_by(AuditEntry.sequence.desc())
        .limit(1)
    ).scalar_one_or_none()
    prev = prev or GENESIS_HASH
    rows = connection.execute(
        select(*columns).where(AuditEntry.sequence >= first).order_by(AuditEntry.sequence)
    ).all()
    for row in rows:
        fields = {
            key: getattr(row, key)
            for key in ("sequence", "recorded_at", "clinic_id", "actor_id", "actor_role",
                        "action", "patient_id", "entity_type", "entity_id", "details")
        }  # fmt: skip
        new = entry_hash(prev_hash=prev, **fields)
        connection.execute(
            update(AuditEntry)
            .where(AuditEntry.sequence == row.sequence)
            .values(prev_hash=prev, hash=f"tmp{row.sequence}")
        )
        connection.execute(
            update(AuditEntry).where(AuditEntry.sequence == row.sequence).values(hash=new)
        )
        prev = new
    move_heads(connection)


def move_heads(connection: Connection) -> None:
    """Point the chain head and every clinic's head at the last entries as they now are."""
    last = connection.execute(
        select(AuditEntry.sequence, AuditEntry.hash).order_by(AuditEntry.sequence.desc()).limit(1)
    ).one()
    connection.execute(update(AuditChainHead).values(sequence=last.sequence, hash=last.hash))
    for head in connection.execute(select(AuditClinicHead.clinic_id)).scalars().all():
        row = connection.execute(
            select(AuditEntry.sequence, AuditEntry.hash, AuditEntry.clinic_sequence)
            .where(AuditEntry.clinic_id == head)
            .order_by(AuditEntry.sequence.desc())
            .limit(1)
        ).one()
        connection.execute(
            update(AuditClinicHead)
            .where(AuditClinicHead.clinic_id == head)
            .values(sequence=row.clinic_sequence, entry=row.sequence, hash=row.hash)
        )


def test_an_untouched_log_verifies_authenticated(log: Log, cli: Any) -> None:
    code, report, _ = cli(log.database)
    assert (code, report["intact"], report["problems"], report["first_failing"]) == (
        0, True, [], None
    )  # fmt: skip
    assert report["entries"] == log.last()
    assert report["authentication"] == {
        "key_configured": True,
        "complete": True,
        "authenticated": log.last(),
        "unauthenticated": 0,
        "unchecked": 0,
        "since_entry": 1,
    }


def test_an_entry_edited_and_the_chain_re_hashed_onward_is_found(log: Log, cli: Any) -> None:
    target = log.numbers(log.a)[5]
    with log.database.engine.begin() as connection:
        connection.execute(
            update(AuditEntry).where(AuditEntry.sequence == target).values(actor_id=999)
        )
        rehash(connection, target)
    assert hash_only(log.database)  # the hash chain alone: consistent, nothing found
    code, report, _ = cli(log.database)
    assert code == 1 and report["first_failing"] == target
    # Every entry from the edit on fails (each was re-hashed): one line for them all; then the
    # heads moved to the re-hashed entries.
    assert report["problems"][0] == (
        f"entries {target}–{log.last()}: authentication does not match (altered, moved or "
        "re-hashed without the audit key)"
    )
    assert "the chain head does not match its authentication" in report["problems"][1]


def test_the_tail_deleted_and_the_head_moved_back_is_found(log: Log, cli: Any) -> None:
    last = log.last()
    with log.database.engine.begin() as connection:
        connection.execute(delete(AuditEntry).where(AuditEntry.sequence > last - 3))
        move_heads(connection)
    assert hash_only(log.database)
    code, report, _ = cli(log.database)
    assert code == 1
    assert any("the chain head does not match its authentication" in p for p in report["problems"])
    # Each clinic's owner sees it too: their clinic's head was moved back.
    code_a, report_a, _ = cli(log.database, "--clinic", log.slug_a)
    code_b, _, _ = cli(log.database, "--clinic", log.slug_b)
    assert (code_a, code_b) == (1, 1)
    assert "the clinic's chain head does not match its authentication" in report_a["problems"][0]


def test_an_entry_deleted_in_the_middle_of_one_clinics_chain_is_found(log: Log, cli: Any) -> None:
    numbers = log.numbers(log.a)
    gone = numbers[4]
    with log.database.engine.begin() as connection:
        connection.execute(delete(AuditEntry).where(AuditEntry.sequence == gone))
        # Close the gap: every later entry moves down one, in the clinic's chain too.
        later = connection.execute(
            select(AuditEntry.sequence, AuditEntry.clinic_id)
            .where(AuditEntry.sequence > gone)
            .order_by(AuditEntry.sequence)
        ).all()
        for row in later:
            values: dict[str, Any] = {"sequence": row.sequence - 1}
            if row.clinic_id == log.a.owner.clinic_id:
                values["clinic_sequence"] = AuditEntry.clinic_sequence - 1
            connection.execute(
                update(AuditEntry).where(AuditEntry.sequence == row.sequence).values(**values)
            )
        rehash(connection, gone)
    assert hash_only(log.database)
    code, report, _ = cli(log.database, "--clinic", log.slug_a)
    # A clinic's check names entries by their places in its chain (its log's numbers).
    assert code == 1 and report["first_failing"] == 5
    assert report["scope"] == "clinic"
    code, report, _ = cli(log.database)
    assert code == 1 and report["first_failing"] == gone


def test_an_entry_deleted_without_renumbering_leaves_a_gap_in_the_clinics_chain(
    log: Log, cli: Any
) -> None:
    numbers = log.numbers(log.b)
    with log.database.engine.begin() as connection:
        connection.execute(delete(AuditEntry).where(AuditEntry.sequence == numbers[3]))
    code, report, _ = cli(log.database, "--clinic", log.slug_b)
    assert code == 1
    assert report["problems"] == [
        "an entry of the same clinic is missing (deleted?) before entry 5 "
        "(place 4 in the clinic's chain)"
    ]
    assert report["first_failing"] == 5


def test_clinic_ids_swapped_and_re_hashed_are_found(log: Log, cli: Any) -> None:
    # Two neighbours of different clinics trade clinics (and places): each clinic's chain
    # still runs without gaps.
    b_numbers = log.numbers(log.b)
    a_entry = next(n for n in log.numbers(log.a)[5:] if n + 1 in b_numbers)
    first, b_entry = a_entry, a_entry + 1
    with log.database.engine.begin() as connection:
        places = dict(
            connection.execute(
                select(AuditEntry.sequence, AuditEntry.clinic_sequence).where(
                    AuditEntry.sequence.in_((a_entry, b_entry))
                )
            ).all()
        )
        for entry, other in ((a_entry, b_entry), (b_entry, a_entry)):
            clinic = log.b.owner.clinic_id if entry == a_entry else log.a.owner.clinic_id
            connection.execute(
                update(AuditEntry)
                .where(AuditEntry.sequence == entry)
                .values(clinic_id=clinic, clinic_sequence=places[other])
            )
        rehash(connection, first)
    assert hash_only(log.database)
    code, report, _ = cli(log.database)
    assert code == 1 and report["first_failing"] == first
    # Each clinic's check finds the entry now in its chain: B's the first, A's the second.
    # (by their places in its chain: the place each took).
    code, report, _ = cli(log.database, "--clinic", log.slug_b)
    assert code == 1 and report["first_failing"] == places[b_entry]
    code, report, _ = cli(log.database, "--clinic", log.slug_a)
    assert code == 1 and report["first_failing"] == places[a_entry]


def test_an_authentication_removed_is_found(log: Log, cli: Any) -> None:
    target = log.numbers(log.b)[2]
    with log.database.engine.begin() as connection:
        connection.execute(
            update(AuditEntry).where(AuditEntry.sequence >= target).values(hmac=None, hmac_key=None)
        )
        connection.execute(update(AuditChainHead).values(hmac=None, hmac_key=None))
    code, report, _ = cli(log.database)
    assert code == 1 and report["first_failing"] == target
    assert report["problems"][0].startswith(f"entry {target} is not authenticated")


def test_an_entry_forged_at_the_end_is_found(log: Log, cli: Any) -> None:
    last = log.last()
    place = len(log.numbers(log.a)) + 1
    with log.database.engine.begin() as connection:
        prev = connection.execute(
            select(AuditEntry.hash).where(AuditEntry.sequence == last)
        ).scalar_one()
        forged = entry_hash(prev_hash=prev, sequence=last + 1, recorded_at=NOW,
                            clinic_id=log.a.owner.clinic_id, actor_id=1, actor_role="owner",
                            action="patient.read_record", patient_id=1, entity_type=None,
                            entity_id=None, details="{}")  # fmt: skip
        connection.execute(
            AuditEntry.__table__.insert().values(
                sequence=last + 1, recorded_at=NOW, clinic_id=log.a.owner.clinic_id, actor_id=1,
                actor_role="owner", action="patient.read_record", patient_id=1, details="{}",
                prev_hash=prev, hash=forged, clinic_sequence=place,
                hmac="0" * 64, hmac_key=AuditKeys.from_secrets(KEY).current.key_id,  # type: ignore[union-attr]
            )
        )  # fmt: skip
        move_heads(connection)
    code, report, _ = cli(log.database)
    assert code == 1 and report["first_failing"] == last + 1


# Unreadable fields ---------------------------------------------------------------------------


def test_garbled_details_name_the_entry_and_exit_1(log: Log, cli: Any) -> None:
    target = log.numbers(log.a)[3]
    with log.database.engine.begin() as connection:
        connection.execute(
            update(AuditEntry).where(AuditEntry.sequence == target).values(details="{not json")
        )
        rehash(connection, target)
    code, report, stderr = cli(log.database)
    assert code == 1 and report["first_failing"] == target
    assert f"entry {target}: its details cannot be read (garbled)" in report["problems"]
    assert "Traceback" not in stderr


def test_a_garbled_time_names_the_entry_and_exit_1_without_a_traceback(log: Log, cli: Any) -> None:
    target = log.numbers(log.b)[4]
    with log.database.engine.begin() as connection:
        if log.database.backend == "sqlite":
            connection.execute(
                text("UPDATE audit_entry SET recorded_at = 'yesterday-ish' WHERE sequence = :n"),
                {"n": target},
            )
        else:  # PostgreSQL keeps a timestamp a timestamp: garble the text of the role instead
            connection.execute(
                text("UPDATE audit_entry SET actor_role = E'\\x01\\x02' WHERE sequence = :n"),
                {"n": target},
            )
    for args, named in (((), target), (("--clinic", log.slug_b), 5)):
        code, report, stderr = cli(log.database, *args)
        assert code == 1 and report["first_failing"] == named, report
        assert "Traceback" not in stderr
    if log.database.backend == "sqlite":
        assert "entry 5: its time cannot be read (garbled)" in report["problems"]


def test_text_that_is_not_utf8_names_the_entry_in_words(
    log: Log, cli: Any, backend: str, records_env: Callable[[str], None], monkeypatch: Any
) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL refuses text that is not UTF-8 before it is stored")
    target = log.numbers(log.a)[2]
    with log.database.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_entry SET details = CAST(x'ff00fe' AS TEXT) WHERE sequence = :n"),
            {"n": target},
        )
    monkeypatch.setenv("MICRONEEDLING_AUDIT_KEY", KEY)
    records_env(log.database.url.render_as_string(hide_password=False))
    result = runner.invoke(app, ["audit", "verify"])
    assert (result.exit_code == 1 and result.exception is None) or isinstance(
        result.exception, SystemExit
    )
    assert f"The first entry that fails is entry {target}." in result.stderr
    assert f"entry {target}: its details cannot be read (garbled)" in result.stderr
    assert "Traceback" not in result.stderr


# Keys ----------------------------------------------------------------------------------------


def test_without_a_key_verify_says_plainly_that_entries_are_not_authenticated(
    log: Log, cli: Any, records_env: Callable[[str], None], monkeypatch: Any
) -> None:
    code, report, _ = cli(log.database, key=None)
    assert code == 0 and report["intact"]
    assert report["authentication"]["key_configured"] is False
    assert report["notes"][0].startswith("Entries are not authenticated: no audit key is set")
    monkeypatch.delenv("MICRONEEDLING_AUDIT_KEY", raising=False)
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0
    assert "Entries are not authenticated" in result.stdout


def test_after_the_key_is_changed_old_entries_verify_with_the_retired_key(
    log: Log, cli: Any, tmp_path: Path
) -> None:
    rotated = Database(
        log.database.url.render_as_string(hide_password=False),
        audit_keys=AuditKeys.from_secrets(NEW_KEY, [KEY]),
    )
    try:
        world = make_world(rotated, tmp_path / "photos")
        world.patient()
    finally:
        rotated.dispose()
    code, report, _ = cli(log.database, key=NEW_KEY, retired=KEY)
    assert (code, report["problems"]) == (0, [])
    assert report["authentication"]["authenticated"] == log.last()
    # Without the retired key, the older entries cannot be checked: named, exit 1.
    code, report, _ = cli(log.database, key=NEW_KEY)
    assert code == 1 and report["first_failing"] == 1
    old_id = AuditKeys.from_secrets(KEY).current.key_id  # type: ignore[union-attr]
    assert report["problems"][0] == (
        f"entry 1 was authenticated with audit key {old_id!r}, which this server does not have "
        "(list the old key in MICRONEEDLING_AUDIT_KEYS_RETIRED)"
    )
    # With a wrong key, nothing verifies.
    code, report, _ = cli(log.database, key="x" * 40)
    assert code == 1 and report["first_failing"] == 1


def test_entries_written_before_the_key_was_set_are_vouched_for_by_the_first_after_it(
    databases: SqliteDatabases | PostgresDatabases, tmp_path: Path, cli: Any
) -> None:
    url = databases.migrated_url()
    plain = Database(url)
    try:
        world = make_world(plain, tmp_path / "photos")
    finally:
        plain.dispose()
    keyed = Database(url, audit_keys=AuditKeys.from_secrets(KEY))
    try:
        code, report, _ = cli(keyed)
        assert code == 0 and report["authentication"]["since_entry"] is None
        assert any(note.startswith("No entry is authenticated yet") for note in report["notes"])
        world.uow = type(world.uow)(keyed, world.uow.photos)
        world.patient()
        code, report, _ = cli(keyed)
        assert code == 0 and report["authentication"]["complete"] is True
        assert report["authentication"]["since_entry"] == 5
        assert report["notes"] == [
            "4 entries were written before entry 5, without the audit key; the authenticated "
            "entries after them vouch for them through their hashes."
        ]
        # Altering one of them still shows: the first authenticated entry vouches for its hash.
        drop_triggers(keyed)
        with keyed.engine.begin() as connection:
            connection.execute(
                update(AuditEntry).where(AuditEntry.sequence == 2).values(actor_id=77)
            )
            rehash(connection, 2)
        code, report, _ = cli(keyed)
        assert code == 1 and report["first_failing"] == 5
    finally:
        keyed.dispose()


# One clinic's owner --------------------------------------------------------------------------


def test_an_owner_checks_their_clinics_chain_and_learns_nothing_of_the_others(log: Log) -> None:
    before = audit.verify_audit_log_as(log.a.uow, log.a.owner, clock=log.a.clock).to_dict()
    # The other clinic gets busier, and one of its entries is tampered with.
    for _ in range(5):
        log.b.patient()
    tampered = log.numbers(log.b)[1]
    with log.database.engine.begin() as connection:
        connection.execute(
            update(AuditEntry).where(AuditEntry.sequence == tampered).values(actor_id=5)
        )
    after = audit.verify_audit_log_as(log.a.uow, log.a.owner, clock=log.a.clock).to_dict()
    assert before["intact"] and after["intact"] and after["scope"] == "clinic"
    assert after["entries"] == before["entries"] + 1 == len(log.numbers(log.a))
    # The only differences are this clinic's own: its one more entry (the check) and its head.
    assert {key: value for key, value in after.items() if key not in ("entries", "head")} == {
        key: value for key, value in before.items() if key not in ("entries", "head")
    } | {"authentication": after["authentication"]}
    assert after["authentication"]["authenticated"] == len(log.numbers(log.a))
    assert after["head"]["sequence"] == len(log.numbers(log.a))


def test_verify_for_an_unknown_clinic_says_so(log: Log, records_env: Callable[[str], None]) -> None:
    records_env(log.database.url.render_as_string(hide_password=False))
    for slug in ("no-such-clinic", "", "x" * 5000, "'; DROP TABLE audit_entry; --"):
        result = runner.invoke(app, ["audit", "verify", "--clinic", slug])
        assert result.exit_code == 2, (slug, result.stdout)
        assert result.stderr.startswith("error: --clinic: no clinic has the short name")
        assert len(result.stderr) < 200


def test_a_clinic_check_reads_no_other_clinics_row(log: Log) -> None:
    with log.database.snapshot_session() as session:
        statements: list[str] = []
        from sqlalchemy import event

        def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        connection = session.connection()
        event.listen(connection, "before_cursor_execute", seen)
        report = verify_clinic_chain(session, log.a.owner.clinic_id, log.database.audit_keys)
        event.remove(connection, "before_cursor_execute", seen)
    assert report.intact and report.entries == len(log.numbers(log.a))
    assert statements and all("clinic_id" in statement for statement in statements)


# Concurrency ---------------------------------------------------------------------------------


def test_concurrent_appends_keep_every_clinics_chain_without_gaps(
    databases: SqliteDatabases | PostgresDatabases,
) -> None:
    """Eight writers at once over three clinics: each clinic's places are read after the chain
    head is locked (on PostgreSQL a read joined to the locking one would see a stale place)."""
    import threading

    from microneedling.store import UnitOfWork

    database = Database(databases.migrated_url(), audit_keys=AuditKeys.from_secrets(KEY))
    failures: list[BaseException] = []

    def writer(index: int) -> None:
        uow = UnitOfWork(database)
        try:
            for step in range(40):
                with uow:
                    uow.audit.append(
                        at=NOW, clinic_id=1 + (index + step) % 3, actor_id=index,
                        actor_role="owner", action="patient.read_record",
                    )  # fmt: skip
                    uow.commit()
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failures == []
        with database.snapshot_session() as session:
            report = verify_chain(session, database.audit_keys)
        assert (report.problems, report.entries, report.authenticated) == ([], 320, 320)
    finally:
        database.dispose()


def test_a_restored_backup_verifies_with_the_key(
    log: Log,
    cli: Any,
    databases: SqliteDatabases | PostgresDatabases,
    tmp_path: Path,
    records_env: Callable[[str], None],
) -> None:
    """The authentication and the clinics' heads are in the backup: a restored database
    verifies, every entry authenticated, the whole database and each clinic."""
    entries = log.last()
    backup = tmp_path / "records.jsonl"
    cli(log.database)  # the settings point at the database, with the key
    result = runner.invoke(app, ["db", "backup", str(backup)])
    assert result.exit_code == 0, result.output
    restored = Database(databases.new_url(), audit_keys=AuditKeys.from_secrets(KEY))
    try:
        records_env(restored.url.render_as_string(hide_password=False))
        result = runner.invoke(app, ["db", "restore", str(backup)])
        assert result.exit_code == 0, result.output
        code, report, _ = cli(restored)
        assert (code, report["problems"]) == (0, [])
        assert report["authentication"]["authenticated"] == entries
        code, report, _ = cli(restored, "--clinic", log.slug_b)
        assert (code, report["entries"]) == (0, len(log.numbers(log.b)))
    finally:
        restored.dispose()


@pytest.mark.parametrize(
    ("key", "retired", "said"),
    [
        ("short", None, "MICRONEEDLING_AUDIT_KEY: an audit key is at least 32 characters"),
        ("x" * 20 + " spaces " + "y" * 20, None, "holds no spaces or commas"),
        (KEY, "x" * 40 + ",tiny", "MICRONEEDLING_AUDIT_KEYS_RETIRED: an audit key is at least 32"),
    ],
)
def test_a_bad_audit_key_is_one_line_that_never_quotes_the_key(
    log: Log,
    records_env: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    retired: str | None,
    said: str,
) -> None:
    monkeypatch.setenv("MICRONEEDLING_AUDIT_KEY", key)
    if retired is not None:
        monkeypatch.setenv("MICRONEEDLING_AUDIT_KEYS_RETIRED", retired)
    records_env(log.database.url.render_as_string(hide_password=False))
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: the settings cannot be read: ")
    assert said in result.stderr and "Traceback" not in result.stderr
    assert key not in result.stderr and "tiny" not in result.stderr

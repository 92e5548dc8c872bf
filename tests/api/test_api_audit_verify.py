"""GET /audit/verify: an owner checks their clinic's audit chain, authenticated with the server's
audit key, and learns nothing of any other clinic; tampering (re-hashed, so the hash chain alone
is consistent) and unreadable fields are reported with the first entry that fails, never a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from tests.api.conftest import API, MovableClock, token_for
from tests.integration.conftest import PostgresDatabases, SqliteDatabases, World, make_world
from tests.integration.test_audit_log import drop_triggers
from tests.integration.test_audit_tamper import KEY, hash_only, rehash

from microneedling.api.app import create_app
from microneedling.config import Settings
from microneedling.store import Database
from microneedling.store.audit_keys import AuditKeys
from microneedling.store.models import AuditEntry


@dataclass
class Server:
    client: TestClient
    database: Database
    mine: World
    other: World
    tokens: dict[str, str]

    def verify(self, who: str = "owner", **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.get(f"{API}/audit/verify", headers=headers, **kwargs)

    def numbers(self, world: World) -> list[int]:
        with self.database.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT sequence FROM audit_entry WHERE clinic_id = :c ORDER BY sequence"),
                {"c": world.owner.clinic_id},
            )
            return [row[0] for row in rows]


@pytest.fixture
def server(databases: SqliteDatabases | PostgresDatabases, tmp_path: Path) -> Iterator[Server]:
    database = Database(databases.migrated_url(), audit_keys=AuditKeys.from_secrets(KEY))
    settings = Settings(
        database_url=database.url.render_as_string(hide_password=False),
        photo_dir=tmp_path / "photos",
        audit_key=KEY,
    )
    mine = make_world(database, tmp_path / "photos")
    other = make_world(database, tmp_path / "photos")
    for world in (mine, other, mine):
        world.intake(world.patient())
    tokens = {
        "owner": token_for(database, mine.owner),
        "clinician": token_for(database, mine.clinician),
        "front_desk": token_for(database, mine.front_desk),
        "other_owner": token_for(database, other.owner),
    }
    app = create_app(settings, database=database, clock=MovableClock())
    with TestClient(app, raise_server_exceptions=False, base_url="http://testserver") as client:
        yield Server(client, database, mine, other, tokens)
    database.dispose()


def test_an_owner_checks_their_clinics_chain_authenticated(server: Server) -> None:
    response = server.verify()
    assert response.status_code == 200
    report = response.json()
    numbers = server.numbers(server.mine)  # the check itself is one of them
    assert report["intact"] is True and report["scope"] == "clinic"
    # The head is the clinic's own last place (its count), not a number of the whole log.
    assert report["entries"] == report["head"]["sequence"] == len(numbers)
    assert report["first_failing"] is None and report["notes"] == []
    assert report["authentication"]["complete"] is True
    assert report["authentication"]["authenticated"] == len(numbers)


def test_the_report_says_nothing_of_the_other_clinic(server: Server) -> None:
    first = server.verify().json()
    for _ in range(4):
        server.other.patient()
    second = server.verify().json()
    # One more entry (the first check), and a head of its own; nothing else moved.
    assert second["entries"] == first["entries"] + 1
    assert {k: v for k, v in second.items() if k not in ("entries", "head", "authentication")} == {
        k: v for k, v in first.items() if k not in ("entries", "head", "authentication")
    }
    # A query naming the other clinic changes nothing: the clinic is the signed-in owner's.
    other_id = server.other.owner.clinic_id
    third = server.verify(params={"clinic_id": other_id, "clinic": "x"}).json()
    assert third["entries"] == second["entries"] + 1


def test_only_an_owner_may_check_and_only_when_signed_in(server: Server) -> None:
    assert server.verify("clinician").status_code == 403
    assert server.verify("front_desk").status_code == 403
    assert server.verify("").status_code == 401
    assert server.client.get(
        f"{API}/audit/verify", headers={"Authorization": "Bearer " + "x" * 5000}
    ).status_code in (400, 401)


def test_an_entry_edited_and_re_hashed_is_named(server: Server) -> None:
    target = server.numbers(server.mine)[4]
    drop_triggers(server.database)
    with server.database.engine.begin() as connection:
        connection.execute(
            update(AuditEntry).where(AuditEntry.sequence == target).values(patient_id=4242)
        )
        rehash(connection, target)
    assert hash_only(server.database)
    report = server.verify().json()
    # Named by its number in the clinic's log (its place in the clinic's chain).
    assert report["intact"] is False and report["first_failing"] == 5
    assert report["problems"][0].startswith("entries 5–")
    assert report["problems"][0].endswith(": authentication does not match (altered, moved or "
                                          "re-hashed without the audit key)")  # fmt: skip
    # The other clinic's owner: entries after the edit were re-hashed, theirs among them.
    other = server.verify("other_owner").json()
    assert other["intact"] is False and other["first_failing"] is not None


def test_an_unreadable_field_is_named_not_a_server_error(server: Server) -> None:
    target = server.numbers(server.mine)[2]
    drop_triggers(server.database)
    with server.database.engine.begin() as connection:
        if server.database.backend == "sqlite":
            connection.execute(
                text("UPDATE audit_entry SET recorded_at = 'not a time' WHERE sequence = :n"),
                {"n": target},
            )
        else:
            connection.execute(
                text("UPDATE audit_entry SET details = '{oops' WHERE sequence = :n"),
                {"n": target},
            )
    response = server.verify()
    assert response.status_code == 200
    report = response.json()
    assert report["intact"] is False and report["first_failing"] == 3  # the clinic's number
    assert any(p.startswith("entry 3: its ") for p in report["problems"])


def test_reading_the_log_with_an_unreadable_entry_says_so_not_a_server_error(
    server: Server,
) -> None:
    target = server.numbers(server.mine)[1]
    drop_triggers(server.database)
    with server.database.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_entry SET details = '{oops' WHERE sequence = :n"), {"n": target}
        )
    response = server.client.get(
        f"{API}/audit", headers={"Authorization": f"Bearer {server.tokens['owner']}"}
    )
    assert 400 <= response.status_code < 500
    assert "an entry of the log cannot be read" in response.text

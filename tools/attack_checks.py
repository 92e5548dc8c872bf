"""The attack checks of issue 14, rerun as one script against a real `microneedling web` process,
with numbers: how many attempts each check made, how many were refused, how many leaked.

    .venv/bin/python tools/attack_checks.py                  # a new SQLite database
    .venv/bin/python tools/attack_checks.py --database postgresql://user@127.0.0.1:5432/empty_db
    .venv/bin/python tools/attack_checks.py --json           # the rows as JSON

The database given must be empty (it is migrated and filled with two clinics). The checks:

- **roles × clinics**: each of six accounts (owner, clinician, front desk of two clinics) signs in
  to the API and asks for what it must not have: the other clinic's patient, record, staff and
  audit entries, and in its own clinic what its role does not allow. Leaked: an answer with the
  data (2xx), or another clinic's patient's name anywhere in an answer.
- **CSRF**: a signed-in browser session sends forms without its token, with a made-up one and
  with another session's. Leaked: any form taken (not 403), or a change made.
- **lockout race**: 40 wrong passwords for one e-mail at once. Refused: answered "locked" (429)
  without a password check; leaked: password checks beyond the 5 the lockout allows.
- **forged addresses**: 25 wrong passwords for different e-mails, each with another forged
  ``X-Forwarded-For`` (the server trusts no proxy). Leaked: checks beyond the 20 an address is
  allowed, and audit entries recording a forged address.
- **audit tamper**: with write access to the database and without the audit key, six ways of
  rewriting the log (an entry edited and the chain re-hashed onward; the tail deleted and the
  heads moved back; an entry deleted and the rest renumbered and re-hashed; two clinics' entries
  swapped; authentications removed; an entry forged at the end), each inside a transaction that
  is rolled back. Refused: `audit verify` (with the key) finds it; leaked: it does not. The
  note says how many the hash chain alone (without the key) would have missed.

Exit status 0 when nothing leaked, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Connection, delete, insert, select, text, update
from sqlalchemy.orm import Session

from microneedling.services import clinics, patients
from microneedling.store import Database, UnitOfWork
from microneedling.store.audit import entry_hash
from microneedling.store.audit_keys import NO_KEYS, AuditKeys
from microneedling.store.audit_verify import verify_chain
from microneedling.store.migrate import upgrade
from microneedling.store.models import GENESIS_HASH, AuditChainHead, AuditClinicHead, AuditEntry

COMMAND = str(Path(sys.executable).with_name("microneedling"))
PASSWORD = "velvet lantern orbit cascade"
SECRET = "attack-checks-web-secret-0123456789abcdefgh"
AUDIT_KEY = "attack-checks-audit-key-0123456789abcdefghi"
ROLES = ("owner", "clinician", "front_desk")
LOCKOUT_ATTEMPTS = 40
FORGED_ATTEMPTS = 25


@dataclass
class Row:
    check: str
    attempts: int
    refused: int
    leaked: int
    note: str = ""


@dataclass
class ClinicSetup:
    slug: str
    clinic_id: int
    patient_id: int
    patient_name: str
    emails: dict[str, str]


# Setting up -------------------------------------------------------------------------------------


def prepare(url: str) -> list[ClinicSetup]:
    """Migrate the database and make two clinics with one account of each role and a patient."""
    database = Database(url, audit_keys=AuditKeys.from_secrets(AUDIT_KEY))
    upgrade(database)
    made = []
    for letter in "ab":
        slug = f"attack-{letter}-{uuid.uuid4().hex[:6]}"
        uow = UnitOfWork(database)
        owner = clinics.create_clinic(
            uow,
            slug=slug,
            name=f"Clinic {letter.upper()}",
            time_zone="Europe/Amsterdam",
            owner={"email": f"owner@{slug}.example", "display_name": f"Owner {letter}",
                   "role": "owner", "password": PASSWORD},
        )  # fmt: skip
        emails = {"owner": f"owner@{slug}.example"}
        for role in ROLES[1:]:
            emails[role] = f"{role}@{slug}.example"
            clinics.add_staff_member(
                uow, owner,
                {"email": emails[role], "display_name": f"{role} {letter}", "role": role,
                 "password": PASSWORD},
            )  # fmt: skip
        name = f"Secretname{letter.upper()}{uuid.uuid4().hex[:6]}"
        patient_id = patients.register_patient(
            uow, owner,
            {"given_name": name, "family_name": "Patient", "birth_date": "1990-01-02",
             "fitzpatrick": 3},
        )  # fmt: skip
        made.append(ClinicSetup(slug, owner.clinic_id, patient_id, name, emails))
    database.dispose()
    return made


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(url: str, folder: Path) -> Iterator[str]:
    """`microneedling web` on the database, trusting no proxy, with a secret and an audit key."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("MICRONEEDLING_")}
    env.update(
        MICRONEEDLING_DATABASE_URL=url,
        MICRONEEDLING_PHOTO_DIR=str(folder / "photos"),
        MICRONEEDLING_WEB_SECRET_KEY=SECRET,
        MICRONEEDLING_AUDIT_KEY=AUDIT_KEY,
        MICRONEEDLING_CACHE_DIR="off",
    )
    env.pop("FORWARDED_ALLOW_IPS", None)
    log = folder / "web.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [COMMAND, "web", "--no-demo", "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=folder, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"microneedling web exited:\n{log.read_text()}")
            try:
                if httpx.get(f"{address}/sign-in", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"microneedling web did not answer:\n{log.read_text()}")
            time.sleep(0.2)
        yield address
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _token(address: str, email: str) -> str:
    response = httpx.post(
        f"{address}/api/v1/auth/token", data={"username": email, "password": PASSWORD}, timeout=30
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def _forget_failures(url: str) -> None:
    database = Database(url)
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM sign_in_failure"))
    database.dispose()


# Roles × clinics --------------------------------------------------------------------------------

#: What each role must not do in its own clinic: (method, path template).
NOT_FOR = {
    "clinician": [("GET", "/staff"), ("GET", "/audit"), ("POST", "/staff")],
    "front_desk": [("GET", "/staff"), ("GET", "/audit"), ("POST", "/staff"),
                   ("GET", "/patients/{own}/record")],
}  # fmt: skip
#: What no one may do to another clinic's patient.
ACROSS = [("GET", "/patients/{other}"), ("GET", "/patients/{other}/record"),
          ("GET", "/patients/{other}/message-preferences")]  # fmt: skip


def roles_by_clinics(address: str, setups: list[ClinicSetup]) -> Row:
    row = Row("roles × clinics", 0, 0, 0)
    for mine, theirs in ((setups[0], setups[1]), (setups[1], setups[0])):
        for role in ROLES:
            token = _token(address, mine.emails[role])
            client = httpx.Client(
                base_url=f"{address}/api/v1", headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )  # fmt: skip
            asks = [*ACROSS, *NOT_FOR.get(role, [])]
            for method, template in asks:
                path = template.format(other=theirs.patient_id, own=mine.patient_id)
                body = {"email": f"x-{uuid.uuid4().hex[:6]}@x.example", "display_name": "X",
                        "role": "owner"} if method == "POST" else None  # fmt: skip
                response = client.request(method, path, json=body)
                row.attempts += 1
                if response.status_code in (401, 403, 404) and theirs.patient_name not in (
                    response.text
                ):
                    row.refused += 1
                else:
                    row.leaked += 1
            # Reading what the role may: nothing of the other clinic in it.
            for path in ("/patients?q=Patient", "/audit?limit=1000", "/staff"):
                response = client.get(path)
                if response.status_code != 200:
                    continue
                row.attempts += 1
                if theirs.patient_name in response.text or theirs.slug in response.text:
                    row.leaked += 1
                else:
                    row.refused += 1
            client.close()
    row.note = "cross-clinic reads, role-forbidden actions, and own lists searched for the other"
    return row


# CSRF -------------------------------------------------------------------------------------------


def _csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def _browser(address: str, email: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=address, timeout=30, follow_redirects=True)
    token = _csrf_of(client.get("/sign-in").text)
    signed = client.post("/sign-in", data={"csrf_token": token, "email": email,
                                           "password": PASSWORD})  # fmt: skip
    assert signed.url.path != "/sign-in", "the browser could not sign in"
    return client, _csrf_of(client.get("/admin/staff").text)


def csrf(address: str, url: str, setups: list[ClinicSetup]) -> Row:
    row = Row("CSRF", 0, 0, 0)
    owner, own_token = _browser(address, setups[0].emails["owner"])
    other, other_token = _browser(address, setups[1].emails["owner"])
    forms = [
        ("/admin/staff", {"email": "csrf@x.example", "display_name": "C", "role": "owner"}),
        ("/patients/new", {"given_name": "Csrf", "family_name": "Forged",
                           "birth_date": "1990-01-01", "fitzpatrick": "2"}),
        ("/admin/audit/verify", {}),
        ("/sign-out", {}),
    ]  # fmt: skip
    before = _counts(url)
    for path, data in forms:
        for token in (None, "made-up-" + "x" * 30, other_token):
            sent = dict(data)
            if token is not None:
                sent["csrf_token"] = token
            response = owner.post(path, data=sent, follow_redirects=False)
            row.attempts += 1
            if response.status_code == 403:
                row.refused += 1
            else:
                row.leaked += 1
    if _counts(url) != before:
        row.leaked += 1
    # The session still works: the forms were refused, not the browser signed out by them.
    assert owner.post("/admin/audit/verify", data={"csrf_token": own_token}).status_code == 200
    owner.close()
    other.close()
    row.note = "4 forms × (no token, made-up token, another session's token)"
    return row


def _counts(url: str) -> tuple[int, int]:
    database = Database(url)
    with database.engine.connect() as connection:
        found = (
            int(connection.execute(text("SELECT count(*) FROM staff_invitation")).scalar_one()),
            int(connection.execute(text("SELECT count(*) FROM patient")).scalar_one()),
        )
    database.dispose()
    return found


# Sign-in lockout ---------------------------------------------------------------------------------


def _parallel(count: int, attempt: Callable[[int], int]) -> list[int]:
    barrier = threading.Barrier(count)

    def run(number: int) -> int:
        barrier.wait()
        return attempt(number)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def lockout_race(address: str, setups: list[ClinicSetup], attempts: int) -> Row:
    email = setups[0].emails["clinician"]

    def attempt(_: int) -> int:
        response = httpx.post(
            f"{address}/api/v1/auth/token",
            data={"username": email, "password": "wrong guess"},
            timeout=60,
        )
        return response.status_code

    statuses = _parallel(attempts, attempt)
    checked = statuses.count(401)
    return Row(
        "lockout race",
        attempts,
        statuses.count(429),
        max(0, checked - 5),
        f"{checked} password checks for 5 allowed; statuses {sorted(set(statuses))}",
    )


def forged_addresses(address: str, url: str, attempts: int) -> Row:
    forged = [f"203.0.113.{n}" for n in range(1, attempts + 1)]
    statuses = []
    for number, fake in enumerate(forged):
        response = httpx.post(
            f"{address}/api/v1/auth/token",
            data={"username": f"nobody-{number}@x.example", "password": "wrong guess"},
            headers={"X-Forwarded-For": fake},
            timeout=60,
        )
        statuses.append(response.status_code)
    checked = statuses.count(401)
    database = Database(url)
    with database.engine.connect() as connection:
        details = connection.execute(
            select(AuditEntry.details).where(AuditEntry.action == "account.sign_in_refused")
        ).scalars()
        recorded = sum(1 for item in details if any(fake in item for fake in forged))
    database.dispose()
    return Row(
        "forged addresses",
        attempts,
        statuses.count(429),
        max(0, checked - 20) + recorded,
        f"{checked} checks for 20 allowed per address; {recorded} forged addresses audited",
    )


# Audit tampering --------------------------------------------------------------------------------


def _rehash(connection: Connection, first: int) -> None:
    """Re-hash every entry from ``first`` on and move the heads: a consistent hash chain, as
    someone with write access but without the audit key would make it."""
    prev = (
        connection.execute(
            select(AuditEntry.hash)
            .where(AuditEntry.sequence < first)
            .order_by(AuditEntry.sequence.desc())
            .limit(1)
        ).scalar_one_or_none()
        or GENESIS_HASH
    )
    columns = tuple(AuditEntry.__table__.columns)
    rows = connection.execute(
        select(*columns).where(AuditEntry.sequence >= first).order_by(AuditEntry.sequence)
    ).all()
    for row in rows:
        fields = {key: getattr(row, key) for key in (
            "sequence", "recorded_at", "clinic_id", "actor_id", "actor_role", "action",
            "patient_id", "entity_type", "entity_id", "details")}  # fmt: skip
        new = entry_hash(prev_hash=prev, **fields)
        connection.execute(
            update(AuditEntry).where(AuditEntry.sequence == row.sequence)
            .values(prev_hash=prev, hash=f"tmp{row.sequence}")
        )  # fmt: skip
        connection.execute(
            update(AuditEntry).where(AuditEntry.sequence == row.sequence).values(hash=new)
        )
        prev = new
    _move_heads(connection)


def _move_heads(connection: Connection) -> None:
    last = connection.execute(
        select(AuditEntry.sequence, AuditEntry.hash).order_by(AuditEntry.sequence.desc()).limit(1)
    ).one()
    connection.execute(update(AuditChainHead).values(sequence=last.sequence, hash=last.hash))
    for chain in connection.execute(select(AuditClinicHead.clinic_id)).scalars().all():
        row = connection.execute(
            select(AuditEntry.sequence, AuditEntry.hash, AuditEntry.clinic_sequence)
            .where(AuditEntry.clinic_id == (chain or None))
            .order_by(AuditEntry.sequence.desc())
            .limit(1)
        ).first()
        if row is not None:
            connection.execute(
                update(AuditClinicHead).where(AuditClinicHead.clinic_id == chain)
                .values(sequence=row.clinic_sequence, entry=row.sequence, hash=row.hash)
            )  # fmt: skip


def _numbers(connection: Connection, clinic_id: int) -> list[int]:
    return list(
        connection.execute(
            select(AuditEntry.sequence)
            .where(AuditEntry.clinic_id == clinic_id)
            .order_by(AuditEntry.sequence)
        ).scalars()
    )


def _edit_and_rehash(connection: Connection, setups: list[ClinicSetup]) -> None:
    target = _numbers(connection, setups[0].clinic_id)[2]
    connection.execute(
        update(AuditEntry).where(AuditEntry.sequence == target).values(details='{"edited":1}')
    )
    _rehash(connection, target)


def _delete_tail(connection: Connection, setups: list[ClinicSetup]) -> None:
    last = connection.execute(select(AuditChainHead.sequence)).scalar_one()
    connection.execute(delete(AuditEntry).where(AuditEntry.sequence > last - 3))
    _move_heads(connection)


def _delete_and_renumber(connection: Connection, setups: list[ClinicSetup]) -> None:
    numbers = _numbers(connection, setups[1].clinic_id)
    gone = numbers[3]
    connection.execute(delete(AuditEntry).where(AuditEntry.sequence == gone))
    later = connection.execute(
        select(AuditEntry.sequence, AuditEntry.clinic_id)
        .where(AuditEntry.sequence > gone)
        .order_by(AuditEntry.sequence)
    ).all()
    for row in later:
        values: dict[str, Any] = {"sequence": row.sequence - 1}
        if row.clinic_id == setups[1].clinic_id:
            values["clinic_sequence"] = AuditEntry.clinic_sequence - 1
        connection.execute(
            update(AuditEntry).where(AuditEntry.sequence == row.sequence).values(**values)
        )
    _rehash(connection, gone)


def _swap_clinics(connection: Connection, setups: list[ClinicSetup]) -> None:
    a_numbers, b_numbers = (_numbers(connection, s.clinic_id) for s in setups)
    a_entry = next(n for n in a_numbers if n + 1 in b_numbers)
    b_entry = a_entry + 1
    places = dict(
        connection.execute(
            select(AuditEntry.sequence, AuditEntry.clinic_sequence).where(
                AuditEntry.sequence.in_((a_entry, b_entry))
            )
        ).all()
    )
    for entry, other, clinic in ((a_entry, b_entry, setups[1].clinic_id),
                                 (b_entry, a_entry, setups[0].clinic_id)):  # fmt: skip
        connection.execute(
            update(AuditEntry).where(AuditEntry.sequence == entry)
            .values(clinic_id=clinic, clinic_sequence=places[other])
        )  # fmt: skip
    _rehash(connection, a_entry)


def _remove_authentication(connection: Connection, setups: list[ClinicSetup]) -> None:
    target = _numbers(connection, setups[0].clinic_id)[-3]
    connection.execute(
        update(AuditEntry).where(AuditEntry.sequence >= target).values(hmac=None, hmac_key=None)
    )
    connection.execute(update(AuditChainHead).values(hmac=None, hmac_key=None))
    connection.execute(update(AuditClinicHead).values(hmac=None, hmac_key=None))


def _forge_at_the_end(connection: Connection, setups: list[ClinicSetup]) -> None:
    head = connection.execute(select(AuditChainHead.sequence, AuditChainHead.hash)).one()
    place = connection.execute(
        select(AuditClinicHead.sequence).where(AuditClinicHead.clinic_id == setups[0].clinic_id)
    ).scalar_one()
    moment = connection.execute(
        select(AuditEntry.recorded_at).where(AuditEntry.sequence == head.sequence)
    ).scalar_one()
    fields: dict[str, Any] = {"sequence": head.sequence + 1, "recorded_at": moment,
              "clinic_id": setups[0].clinic_id, "actor_id": None, "actor_role": "system",
              "action": "patient.read_record", "patient_id": setups[0].patient_id,
              "entity_type": None, "entity_id": None, "details": "{}"}  # fmt: skip
    digest = entry_hash(prev_hash=head.hash, **fields)
    key_id = AuditKeys.from_secrets(AUDIT_KEY).current.key_id  # type: ignore[union-attr]
    connection.execute(
        insert(AuditEntry).values(
            **fields, prev_hash=head.hash, hash=digest, clinic_sequence=place + 1,
            hmac="0" * 64, hmac_key=key_id,
        )
    )  # fmt: skip
    _move_heads(connection)


TAMPERING: list[tuple[str, Callable[[Connection, list[ClinicSetup]], None]]] = [
    ("an entry edited, the chain re-hashed onward", _edit_and_rehash),
    ("the last entries deleted, the heads moved back", _delete_tail),
    ("an entry deleted, the rest renumbered and re-hashed", _delete_and_renumber),
    ("two clinics' entries swapped and re-hashed", _swap_clinics),
    ("authentications removed", _remove_authentication),
    ("an entry forged at the end", _forge_at_the_end),
]


def _without_triggers(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
    else:
        for event in ("update", "delete"):
            connection.execute(text(f"DROP TRIGGER IF EXISTS audit_entry_no_{event}"))


def audit_tamper(url: str, setups: list[ClinicSetup]) -> Row:
    """Each way of rewriting the log inside a transaction rolled back afterwards."""
    database = Database(url)
    keys = AuditKeys.from_secrets(AUDIT_KEY)
    row = Row("audit tamper", 0, 0, 0)
    missed_without_key = 0
    names = []
    for name, tamper in TAMPERING:
        with database.engine.connect() as connection:
            transaction = connection.begin()
            try:
                _without_triggers(connection)
                tamper(connection, setups)
                session = Session(bind=connection)
                with_key = verify_chain(session, keys)
                hash_only = verify_chain(session, NO_KEYS)
            finally:
                transaction.rollback()
        row.attempts += 1
        if with_key.intact:
            row.leaked += 1
            names.append(f"missed: {name}")
        else:
            row.refused += 1
        if hash_only.intact:
            missed_without_key += 1
    with database.engine.connect() as connection:
        assert verify_chain(Session(bind=connection), keys).intact, "the log was left changed"
    database.dispose()
    row.note = (
        f"{len(TAMPERING)} rewrites without the key; the hash chain alone would have missed "
        f"{missed_without_key}" + ("; " + "; ".join(names) if names else "")
    )
    return row


# The table --------------------------------------------------------------------------------------


def run_checks(url: str, folder: Path, *, small: bool = False) -> list[Row]:
    """Every check on a new server over the empty database at ``url``; ``small``: fewer attempts
    where the count is not the point (12 at once for the lockout, 22 forged addresses)."""
    setups = prepare(url)
    rows = []
    with running_server(url, folder) as address:
        rows.append(roles_by_clinics(address, setups))
        rows.append(csrf(address, url, setups))
        _forget_failures(url)
        rows.append(forged_addresses(address, url, 22 if small else FORGED_ATTEMPTS))
        _forget_failures(url)
        rows.append(lockout_race(address, setups, 12 if small else LOCKOUT_ATTEMPTS))
    rows.append(audit_tamper(url, setups))
    return rows


def table(rows: list[Row]) -> str:
    head = f"{'check':<18} {'attempts':>8} {'refused':>8} {'leaked':>7}  note"
    lines = [head, "-" * len(head)]
    for row in rows:
        lines.append(
            f"{row.check:<18} {row.attempts:>8} {row.refused:>8} {row.leaked:>7}  {row.note}"
        )
    total = Row("total", *(sum(getattr(r, k) for r in rows) for k in ("attempts", "refused",
                                                                        "leaked")))  # fmt: skip
    lines.append(f"{total.check:<18} {total.attempts:>8} {total.refused:>8} {total.leaked:>7}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="An empty database's URL (default: a new SQLite file)")
    parser.add_argument("--json", action="store_true", help="Print the rows as JSON")
    parser.add_argument("--small", action="store_true", help="Fewer attempts (for tests)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="attack-checks-") as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'records.db'}"
        rows = run_checks(url, Path(folder), small=args.small)
    if args.json:
        print(json.dumps([asdict(row) for row in rows], indent=2))
    else:
        print(table(rows))
    return 0 if not any(row.leaked for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

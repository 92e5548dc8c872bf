"""Verifying the audit log: the whole database's chain, or one clinic's.

:func:`verify_chain` (whoever runs the server) walks every entry in order: numbers without gaps,
each ``prev_hash`` link, each hash, each entry's HMAC under the audit key, each clinic's places
without gaps, and the heads. :func:`verify_clinic_chain` (a clinic's owner) walks that clinic's
entries only: each hash and HMAC, the clinic's places without gaps, and the clinic's head; it
reads no other clinic's row, so its report says nothing of anyone else.

A row that cannot be read (a field garbled by a hand edit: a time that is not a time, text that
is not UTF-8) becomes a problem naming the entry and the field, never an exception.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from microneedling.store.audit import (
    chain_of,
    clinic_head_message,
    entry_message,
    hash_of,
    head_message,
)
from microneedling.store.audit_keys import NO_KEYS, AuditKeys
from microneedling.store.models import GENESIS_HASH, AuditChainHead, AuditClinicHead, AuditEntry

#: Stop listing after this many problems (one tampering usually breaks two links).
MAX_PROBLEMS = 50

#: A field's name in a message.
_FIELD_WORDS = {
    "recorded_at": "time",
    "clinic_id": "clinic",
    "actor_id": "person",
    "actor_role": "role",
    "patient_id": "patient",
    "entity_type": "record kind",
    "entity_id": "record",
    "prev_hash": "link to the entry before",
    "clinic_sequence": "place in the clinic's chain",
    "hmac": "authentication",
    "hmac_key": "key id",
}

#: What reading or hashing a garbled row raises: a value the column type cannot take (a time
#: that is not a time), a type the hash cannot take (bytes where text belongs).
_UNREADABLE = (ValueError, TypeError, OverflowError, UnicodeError)


def is_garbled(error: Exception) -> bool:
    """Whether reading a row failed on its content (not on the database): the errors above, or
    SQLite's driver meeting text that is not UTF-8."""
    if isinstance(error, _UNREADABLE):
        return True
    return isinstance(error, DBAPIError) and "could not decode" in str(error.orig).lower()


@dataclass
class ChainReport:
    """What a verification found. ``head_sequence``/``head_hash``: the last entry checked (for
    a clinic: the place of its last entry in the clinic's own chain, 1, 2, ...);
    ``first_failing``: the first entry with a problem, by the number the audit log page shows:
    for a clinic, the entry's place in the clinic's own chain (so that its problems say nothing
    of other clinics' entries); for the whole database, its number in the log."""

    entries: int = 0
    head_sequence: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[str] = field(default_factory=list)
    first_failing: int | None = None
    #: Whether this server has an audit key to check entries with.
    key_configured: bool = False
    #: Entries whose HMAC matched; without one; with one this server has no key to check.
    authenticated: int = 0
    unauthenticated: int = 0
    unchecked: int = 0
    #: The first entry authenticated (the audit key was set, or changed, before it).
    authenticated_since: int | None = None
    #: "database" (every clinic) or "clinic" (one clinic's entries).
    scope: str = "database"

    @property
    def intact(self) -> bool:
        return not self.problems

    @property
    def fully_authenticated(self) -> bool:
        """Every entry checked against the key (none written before it was set, none unchecked),
        or its chain vouched for by authenticated entries after it (the whole database)."""
        if not self.key_configured or self.unchecked:
            return False
        if self.scope == "database":
            return self.authenticated > 0 or self.entries == 0
        return self.unauthenticated == 0

    def notes(self) -> list[str]:
        """What the reader should know beyond the problems: how far the check can be trusted."""
        found: list[str] = []
        if not self.key_configured:
            found.append(
                "Entries are not authenticated: no audit key is set on this server "
                "(MICRONEEDLING_AUDIT_KEY), so someone able to write to the database could "
                "rewrite the chain without it showing here."
            )
        if self.unchecked:
            found.append(
                f"{self.unchecked:,} entries carry an authentication this server cannot check "
                "without the audit key."
            )
        if self.key_configured and self.unauthenticated:
            before = (
                f"before entry {self.authenticated_since}"
                if self.authenticated_since is not None
                else "so far"
            )
            vouched = (
                "; the authenticated entries after them vouch for them through their hashes"
                if self.scope == "database" and self.authenticated_since is not None
                else "; they are checked against their hashes only"
            )
            found.append(
                f"{self.unauthenticated:,} entries were written {before}, without the audit "
                f"key{vouched}."
            )
        if self.key_configured and self.entries and self.authenticated_since is None:
            found.append(
                "No entry is authenticated yet: the next one written (any sign-in) will be, "
                "and it vouches for the ones before it."
            )
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "scope": self.scope,
            "entries": self.entries,
            "head": {"sequence": self.head_sequence, "hash": self.head_hash},
            "first_failing": self.first_failing,
            "problems": list(self.problems),
            "authentication": {
                "key_configured": self.key_configured,
                "complete": self.fully_authenticated,
                "authenticated": self.authenticated,
                "unauthenticated": self.unauthenticated,
                "unchecked": self.unchecked,
                "since_entry": self.authenticated_since,
            },
            "notes": self.notes(),
        }

    def problem(self, message: str, entry: int | None = None) -> None:
        """Add a problem; ``entry``: the entry it is about. The same problem of entries checked
        one after the other becomes one line (``entries 7–19: ...``): a re-hashed chain fails
        at every entry after the edit."""
        if entry is not None and (self.first_failing is None or entry < self.first_failing):
            self.first_failing = entry
        run = self._run
        prefix = f"entry {entry}: "
        if entry is not None and message.startswith(prefix):
            what = message.removeprefix(prefix).removeprefix("its ")
            if (
                run is not None
                and run[0] == what
                and run[2] == self.entries - 1
                and self.problems
                and self.problems[-1] == run[3]
            ):
                merged = f"entries {run[1]}–{entry}: {what}"
                self.problems[-1] = merged
                self._run = (what, run[1], self.entries, merged)
                return
            self._run = (what, entry, self.entries, message)
        else:
            self._run = None
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)
        elif len(self.problems) == MAX_PROBLEMS:
            self.problems.append("... (more problems not listed)")

    #: The last problem, if it may grow into a run: (what, first entry, position, its line).
    _run: tuple[str, int, int, str] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Unreadable:
    """An entry one of whose fields cannot be read."""

    sequence: int
    field: str
    #: Its place in its clinic's chain, when that much can be read.
    clinic_sequence: int | None = None


@dataclass
class _ClinicChain:
    """Where one clinic's chain has got to in the walk."""

    place: int = 0
    entry: int = 0
    hash: str = ""
    authenticated: bool = False


class _Walk:
    """The checks every entry gets, in order, whichever the scope."""

    def __init__(self, report: ChainReport, keys: AuditKeys) -> None:
        self.report = report
        self.keys = keys
        self.clinics: dict[int, _ClinicChain] = {}
        self.saw_authentication = False
        self.clinic_scope = report.scope == "clinic"

    def said(self, row: Any) -> int:
        """The number an entry is named by: its place in its clinic's chain when one clinic's
        entries are checked (the audit log page's numbers), else its number in the log."""
        if self.clinic_scope and row.clinic_sequence is not None:
            return int(row.clinic_sequence)
        return int(row.sequence)

    def entry(self, row: Any) -> None:
        report = self.report
        number = self.said(row)
        try:
            if hash_of(row) != row.hash:
                report.problem(f"entry {number}: content does not match its hash (altered)", number)
            json.loads(row.details)
        except json.JSONDecodeError:
            report.problem(f"entry {number}: its details cannot be read (garbled)", number)
        except _UNREADABLE:
            report.problem(f"entry {number}: a field cannot be read (garbled)", number)
        self._place(row)
        self._authentication(row)

    def unreadable(self, row: Unreadable) -> None:
        number = self.said(row)
        self.report.problem(
            f"entry {number}: its {_FIELD_WORDS.get(row.field, row.field)} cannot be read "
            "(garbled)",
            number,
        )

    def _place(self, row: Any) -> None:
        chain = self.clinics.get(chain_of(row.clinic_id))
        number, place = self.said(row), row.clinic_sequence
        if place is None:
            if chain is not None:
                self.report.problem(
                    f"entry {number} has no place in its clinic's chain, though the clinic's "
                    "entries before it have (written outside the application)",
                    number,
                )
            return
        if chain is None:
            chain = self.clinics[chain_of(row.clinic_id)] = _ClinicChain()
        expected = chain.place + 1
        if place > expected:
            count = place - expected
            which = (
                f"an entry of the same clinic is missing (deleted?) before entry {number} "
                f"(place {expected} in the clinic's chain)"
                if count == 1
                else f"{count} entries of the same clinic are missing (deleted?) before entry "
                f"{number} (places {expected}–{place - 1} in the clinic's chain)"
            )
            self.report.problem(which, number)
        elif place < expected:
            self.report.problem(
                f"entry {number}: out of place in its clinic's chain (moved from another "
                "clinic, or copied)",
                number,
            )
        chain.place, chain.entry, chain.hash = place, row.sequence, row.hash

    def _authentication(self, row: Any) -> None:
        report, number = self.report, self.said(row)
        if row.hmac is None:
            report.unauthenticated += 1
            if self.saw_authentication:
                report.problem(
                    f"entry {number} is not authenticated, though entries before it are "
                    "(written outside the application, or its authentication removed)",
                    number,
                )
            return
        self.saw_authentication = True
        if not self.keys.any:
            report.unchecked += 1
            return
        if report.authenticated_since is None:
            report.authenticated_since = number
        message = entry_message(row.sequence, row.clinic_id, row.clinic_sequence, row.hash)
        outcome = self.keys.check(row.hmac_key or "", message, row.hmac)
        if outcome is None:
            report.problem(
                f"entry {number} was authenticated with audit key {row.hmac_key!r}, which this "
                "server does not have (list the old key in MICRONEEDLING_AUDIT_KEYS_RETIRED)",
                number,
            )
        elif not outcome:
            report.problem(
                f"entry {number}: its authentication does not match (altered, moved or "
                "re-hashed without the audit key)",
                number,
            )
        else:
            report.authenticated += 1
        chain = self.clinics.get(chain_of(row.clinic_id))
        if chain is not None:
            chain.authenticated = True

    def head_authentication(self, what: str, head: Any, message: bytes, required: bool) -> None:
        """Check a head's HMAC; ``required`` when entries it covers are authenticated."""
        if head.hmac is None:
            if required:
                self.report.problem(
                    f"{what} is not authenticated, though the entries are (moved outside the "
                    "application: the last entries deleted?)"
                )
            return
        if not self.keys.any:
            return
        outcome = self.keys.check(head.hmac_key or "", message, head.hmac)
        if outcome is None:
            self.report.problem(
                f"{what} was authenticated with audit key {head.hmac_key!r}, which this server "
                "does not have"
            )
        elif not outcome:
            self.report.problem(
                f"{what} does not match its authentication (moved outside the application: "
                "the last entries deleted, or entries added?)"
            )

    def clinic_head(self, chain_id: int, head: Any | None, label: str) -> None:
        """Check where a clinic's chain ends against its head row."""
        chain = self.clinics.get(chain_id)
        if head is None:
            if chain is not None:
                self.report.problem(f"{label}'s chain head is missing (deleted?)")
            return
        if chain is None or (head.sequence, head.entry, head.hash) != (
            chain.place,
            chain.entry,
            chain.hash,
        ):
            # One clinic's check names entries by their places in its chain, like its log.
            head_says = head.sequence if self.clinic_scope else head.entry
            last = "no entry"
            if chain is not None:
                last = f"entry {chain.place if self.clinic_scope else chain.entry}"
            self.report.problem(
                f"{label}'s chain head says entry {head_says} is its last, but its chain ends "
                f"at {last} (entries deleted or added outside the application)"
            )
        self.head_authentication(
            f"{label}'s chain head",
            head,
            clinic_head_message(chain_id, head.sequence, head.entry, head.hash),
            chain is not None and chain.authenticated,
        )


def verify_chain(session: Session, keys: AuditKeys = NO_KEYS, *, batch: int = 5_000) -> ChainReport:
    """Walk the whole chain: numbers without gaps, each link, hash and HMAC, each clinic's
    places, and every head."""
    report = ChainReport(key_configured=keys.configured)
    walk = _Walk(report, keys)
    expected_prev: str | None = GENESIS_HASH
    expected_sequence = 1
    for row in _entries(session, (), batch):
        report.entries += 1
        number = row.sequence
        if number != expected_sequence:
            if number > expected_sequence:
                missing = f"{expected_sequence}" + (
                    f"–{number - 1}" if number - 1 > expected_sequence else ""
                )
                report.problem(f"entry {missing} missing (deleted?) before entry {number}", number)
            else:
                report.problem(f"entry {number} out of order", number)
        expected_sequence = number + 1
        if isinstance(row, Unreadable):
            walk.unreadable(row)
            expected_prev = None
            continue
        if expected_prev is not None and row.prev_hash != expected_prev:
            report.problem(
                f"entry {number}: prev_hash does not match the entry before it "
                "(an entry was inserted, deleted or altered)",
                number,
            )
        walk.entry(row)
        expected_prev = row.hash
    head = session.execute(
        select(AuditChainHead).where(AuditChainHead.id == 1)
    ).scalar_one_or_none()
    if head is None:
        report.problem("the audit chain head row is missing")
    else:
        report.head_sequence, report.head_hash = head.sequence, head.hash
        if head.sequence != expected_sequence - 1 or (
            expected_prev is not None and head.hash != expected_prev
        ):
            report.problem(
                f"the chain head says entry {head.sequence} is last, but the log ends at entry "
                f"{expected_sequence - 1} with a different hash (entries deleted or appended "
                "outside the application)"
            )
        walk.head_authentication(
            "the chain head",
            head,
            head_message(head.sequence, head.hash),
            walk.saw_authentication,
        )
    heads = {row.clinic_id: row for row in session.execute(select(AuditClinicHead)).scalars()}
    for chain_id in sorted(set(heads) | set(walk.clinics)):
        label = f"clinic {chain_id}" if chain_id else "the entries of no clinic"
        walk.clinic_head(chain_id, heads.get(chain_id), label)
    return report


def verify_clinic_chain(
    session: Session, clinic_id: int, keys: AuditKeys = NO_KEYS, *, batch: int = 5_000
) -> ChainReport:
    """Walk one clinic's entries: each hash and HMAC, the clinic's places without gaps, and the
    clinic's head. Reads no other clinic's row; the report's numbers are the clinic's own
    (``entries`` counts the clinic's; the head is its last place in the clinic's chain)."""
    report = ChainReport(key_configured=keys.configured, scope="clinic")
    walk = _Walk(report, keys)
    for row in _entries(session, (AuditEntry.clinic_id == clinic_id,), batch):
        report.entries += 1
        if isinstance(row, Unreadable):
            walk.unreadable(row)
            continue
        walk.entry(row)
    head = session.execute(
        select(AuditClinicHead).where(AuditClinicHead.clinic_id == chain_of(clinic_id))
    ).scalar_one_or_none()
    walk.clinic_head(chain_of(clinic_id), head, "the clinic")
    if head is not None:
        # The clinic's own place, not the entry's number in the whole log: with the count, that
        # would tell how many entries other clinics wrote.
        report.head_sequence, report.head_hash = head.sequence, head.hash
    return report


_COLUMNS = tuple(AuditEntry.__table__.columns)


def _entries(session: Session, where: tuple[ColumnElement[bool], ...], batch: int) -> Iterator[Any]:
    """The entries matching ``where`` in order, as rows; one that cannot be read as
    :class:`Unreadable` (the batch it is in is then read one entry at a time)."""
    after = 0
    while True:
        query = (
            select(*_COLUMNS)
            .where(*where, AuditEntry.sequence > after)
            .order_by(AuditEntry.sequence)
            .limit(batch)
        )
        rows: list[Any]
        try:
            rows = list(session.execute(query))
        except Exception as error:
            if not is_garbled(error):
                raise
            rows = list(_one_at_a_time(session, where, after, batch))
        if not rows:
            return
        yield from rows
        after = rows[-1].sequence


def _one_at_a_time(
    session: Session, where: tuple[ColumnElement[bool], ...], after: int, batch: int
) -> Iterator[Any]:
    numbers = session.execute(
        select(AuditEntry.sequence)
        .where(*where, AuditEntry.sequence > after)
        .order_by(AuditEntry.sequence)
        .limit(batch)
    ).scalars()
    for number in list(numbers):
        place = _readable_place(session, number)
        try:
            row = session.execute(select(*_COLUMNS).where(AuditEntry.sequence == number)).one()
        except Exception as error:
            if not is_garbled(error):
                raise
            yield Unreadable(number, _unreadable_field(session, number), place)
        else:
            yield row


def _unreadable_field(session: Session, number: int) -> str:
    for column in _COLUMNS:
        try:
            session.execute(select(column).where(AuditEntry.sequence == number)).one()
        except Exception as error:
            if not is_garbled(error):
                raise
            return column.key
    return "content"


def _readable_place(session: Session, number: int) -> int | None:
    """Entry ``number``'s place in its clinic's chain, or None if even that cannot be read."""
    try:
        place = session.execute(
            select(AuditEntry.clinic_sequence).where(AuditEntry.sequence == number)
        ).scalar_one_or_none()
    except Exception as error:
        if not is_garbled(error):
            raise
        return None
    return None if place is None else int(place)

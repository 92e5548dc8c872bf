"""The audit log: append-only, hash-chained.

Each entry's ``hash`` is SHA-256 over ``prev_hash`` and a canonical serialisation of the entry
(sequence, UTC time to the microsecond, clinic, actor, role, action, patient, entity, details);
``prev_hash`` is the previous entry's hash (:data:`GENESIS_HASH` for the first). The
``audit_chain_head`` row holds the last sequence and hash. Appending locks that row
(``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the ``BEGIN IMMEDIATE`` of every transaction
already serialises writers), so the chain cannot fork.

Triggers refuse UPDATE and DELETE on ``audit_entry``. Someone able to drop them can still edit the
table; :func:`verify_chain` then finds the altered, inserted or deleted entry. (Someone who also
rewrites every later hash and the head produces a consistent chain: keep the printed head hash
elsewhere to catch that.)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, insert, literal, select, tuple_, update
from sqlalchemy.orm import Session

from microneedling.store.models import (
    GENESIS_HASH,
    AuditChainHead,
    AuditEntry,
    Patient,
    UtcDateTime,
)


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same data gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    *,
    prev_hash: str,
    sequence: int,
    recorded_at: datetime,
    clinic_id: int | None,
    actor_id: int | None,
    actor_role: str,
    action: str,
    patient_id: int | None,
    entity_type: str | None,
    entity_id: int | None,
    details: str,
) -> str:
    body = canonical_json(
        [
            sequence,
            canonical_time(recorded_at),
            clinic_id,
            actor_id,
            actor_role,
            action,
            patient_id,
            entity_type,
            entity_id,
            details,
        ]
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def hash_of(entry: AuditEntry) -> str:
    """The hash ``entry`` should have, given its own ``prev_hash``."""
    return entry_hash(
        prev_hash=entry.prev_hash,
        sequence=entry.sequence,
        recorded_at=entry.recorded_at,
        clinic_id=entry.clinic_id,
        actor_id=entry.actor_id,
        actor_role=entry.actor_role,
        action=entry.action,
        patient_id=entry.patient_id,
        entity_type=entry.entity_type,
        entity_id=entry.entity_id,
        details=entry.details,
    )


_HEAD = (
    select(AuditChainHead.sequence, AuditChainHead.hash)
    .where(AuditChainHead.id == 1)
    .with_for_update()
)
_ENTRY_COLUMNS = tuple(column.key for column in AuditEntry.__table__.columns)
_INSERT = insert(AuditEntry)
_MOVE_HEAD = (
    update(AuditChainHead)
    .where(AuditChainHead.id == 1)
    .values(sequence=bindparam("new_sequence"), hash=bindparam("new_hash"))
)


class AuditLog:
    """Appending to and reading the audit log inside one transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def append(
        self,
        *,
        at: datetime,
        clinic_id: int | None,
        actor_id: int | None,
        actor_role: str,
        action: str,
        patient_id: int | None = None,
        entity_type: str | None = None,
        entity_id: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Add the next entry. Call it last in a transaction: it holds the chain until commit.

        Three Core statements on the session's connection (lock and read the head, insert the
        entry, move the head): an audit entry is written after every read of patient data, and
        the ORM's unit of work around the same three cost several times as much. The entry is
        returned as a plain object, not added to the session.
        """
        connection = self._session.connection()
        head = connection.execute(_HEAD).one()
        entry = AuditEntry(
            sequence=head.sequence + 1,
            recorded_at=at.astimezone(UTC),
            clinic_id=clinic_id,
            actor_id=actor_id,
            actor_role=actor_role,
            action=action,
            patient_id=patient_id,
            entity_type=entity_type,
            entity_id=entity_id,
            details=canonical_json(dict(details or {})),
            prev_hash=head.hash,
        )
        entry.hash = hash_of(entry)
        connection.execute(
            _INSERT,
            {column: getattr(entry, column) for column in _ENTRY_COLUMNS},
        )
        connection.execute(_MOVE_HEAD, {"new_sequence": entry.sequence, "new_hash": entry.hash})
        return entry

    def entries(
        self,
        *,
        clinic_id: int,
        patient_id: int | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """One clinic's entries in order (optionally about one patient)."""
        query = (
            select(AuditEntry)
            .where(AuditEntry.clinic_id == clinic_id, AuditEntry.sequence > after)
            .order_by(AuditEntry.sequence)
            .limit(limit)
        )
        if patient_id is not None:
            query = query.where(AuditEntry.patient_id == patient_id)
        return list(self._session.execute(query).scalars())

    # The owners' reading: newest first, filtered (migration 0008's indexes) -----------------

    def recorded_at(self, *, clinic_id: int, sequence: int) -> datetime | None:
        """When entry ``sequence`` of this clinic was written (None if it is not this clinic's)."""
        return self._session.execute(
            select(AuditEntry.recorded_at).where(
                AuditEntry.sequence == sequence, AuditEntry.clinic_id == clinic_id
            )
        ).scalar_one_or_none()

    def newest(
        self,
        where: EntryFilter,
        *,
        before: tuple[datetime, int] | None = None,
        after: tuple[datetime, int] | None = None,
        limit: int = 50,
    ) -> list[AuditEntry]:
        """Entries matching ``where``, newest first (by time, then sequence): those just older
        than ``before`` (a time and sequence), or just newer than ``after``, or the newest."""
        moment = tuple_(AuditEntry.recorded_at, AuditEntry.sequence)
        query = select(AuditEntry).where(*where.conditions())
        if after is not None:
            query = query.where(moment > _position(after)).order_by(
                AuditEntry.recorded_at, AuditEntry.sequence
            )
            rows = list(self._session.execute(query.limit(limit)).scalars())
            rows.reverse()
            return rows
        if before is not None:
            query = query.where(moment < _position(before))
        query = query.order_by(AuditEntry.recorded_at.desc(), AuditEntry.sequence.desc())
        return list(self._session.execute(query.limit(limit)).scalars())

    def count(self, where: EntryFilter) -> int:
        """How many entries match ``where``."""
        query = select(func.count()).select_from(AuditEntry).where(*where.conditions())
        return int(self._session.execute(query).scalar_one())

    def last_sequence(self) -> int:
        """The last entry's sequence (the chain head): an export reads up to it."""
        head = self._session.execute(
            select(AuditChainHead.sequence).where(AuditChainHead.id == 1)
        ).scalar_one_or_none()
        return int(head or 0)

    def patient_names(self, *, clinic_id: int, patient_ids: Iterable[int]) -> dict[int, str]:
        """Given and family name of each of this clinic's patients among ``patient_ids``."""
        wanted = sorted(set(patient_ids))
        names: dict[int, str] = {}
        for start in range(0, len(wanted), 500):
            rows = self._session.execute(
                select(Patient.id, Patient.given_name, Patient.family_name).where(
                    Patient.clinic_id == clinic_id, Patient.id.in_(wanted[start : start + 500])
                )
            )
            names.update({row.id: f"{row.given_name} {row.family_name}" for row in rows})
        return names


@dataclass(frozen=True)
class EntryFilter:
    """Which of a clinic's entries to read. ``patient_ids``: None for any (or none) patient,
    empty for none at all; ``since`` (inclusive) and ``until`` (exclusive) are UTC moments;
    ``up_to``: entries up to this sequence only (an export's snapshot)."""

    clinic_id: int
    patient_ids: tuple[int, ...] | None = None
    actor_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    up_to: int | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = [AuditEntry.clinic_id == self.clinic_id]
        if self.patient_ids is not None:
            found.append(AuditEntry.patient_id.in_(self.patient_ids or (-1,)))
        if self.actor_id is not None:
            found.append(AuditEntry.actor_id == self.actor_id)
        if self.action is not None:
            found.append(AuditEntry.action == self.action)
        if self.since is not None:
            found.append(AuditEntry.recorded_at >= self.since)
        if self.until is not None:
            found.append(AuditEntry.recorded_at < self.until)
        if self.up_to is not None:
            found.append(AuditEntry.sequence <= self.up_to)
        return found


def _position(at: tuple[datetime, int]) -> Any:
    """A (time, sequence) pair compared as one row value (an index range on both backends)."""
    moment, sequence = at
    return tuple_(literal(moment, UtcDateTime()), literal(sequence))


@dataclass
class ChainReport:
    """What :func:`verify_chain` found."""

    entries: int = 0
    head_sequence: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "entries": self.entries,
            "head": {"sequence": self.head_sequence, "hash": self.head_hash},
            "problems": list(self.problems),
        }


#: Stop listing after this many problems (one tampering usually breaks two links).
MAX_PROBLEMS = 50


def verify_chain(session: Session, *, batch: int = 5_000) -> ChainReport:
    """Walk the whole chain: sequence without gaps, each link, each hash, and the head."""
    report = ChainReport()
    expected_prev = GENESIS_HASH
    expected_sequence = 1
    for entry in _all_entries(session, batch):
        report.entries += 1
        if entry.sequence != expected_sequence:
            if entry.sequence > expected_sequence:
                missing = f"{expected_sequence}" + (
                    f"–{entry.sequence - 1}" if entry.sequence - 1 > expected_sequence else ""
                )
                _problem(
                    report, f"entry {missing} missing (deleted?) before entry {entry.sequence}"
                )
            else:
                _problem(report, f"entry {entry.sequence} out of order")
        if entry.prev_hash != expected_prev:
            _problem(
                report,
                f"entry {entry.sequence}: prev_hash does not match the entry before it "
                "(an entry was inserted, deleted or altered)",
            )
        if hash_of(entry) != entry.hash:
            _problem(report, f"entry {entry.sequence}: content does not match its hash (altered)")
        expected_prev = entry.hash
        expected_sequence = entry.sequence + 1
    head = session.execute(
        select(AuditChainHead).where(AuditChainHead.id == 1)
    ).scalar_one_or_none()
    if head is None:
        _problem(report, "the audit chain head row is missing")
    else:
        report.head_sequence, report.head_hash = head.sequence, head.hash
        if head.sequence != expected_sequence - 1 or head.hash != expected_prev:
            _problem(
                report,
                f"the chain head says entry {head.sequence} is last, but the log ends at entry "
                f"{expected_sequence - 1} with a different hash (entries deleted or appended "
                "outside the application)",
            )
    return report


def _problem(report: ChainReport, message: str) -> None:
    if len(report.problems) < MAX_PROBLEMS:
        report.problems.append(message)
    elif len(report.problems) == MAX_PROBLEMS:
        report.problems.append("... (more problems not listed)")


def _all_entries(session: Session, batch: int) -> Iterable[AuditEntry]:
    after = 0
    while True:
        rows = list(
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.sequence > after)
                .order_by(AuditEntry.sequence)
                .limit(batch)
            ).scalars()
        )
        if not rows:
            return
        yield from rows
        after = rows[-1].sequence
        session.expunge_all()

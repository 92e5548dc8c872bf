"""The audit log: append-only, hash-chained.

Each entry's ``hash`` is SHA-256 over ``prev_hash`` and a canonical serialisation of the entry
(sequence, UTC time to the microsecond, clinic, actor, role, action, patient, entity, details);
``prev_hash`` is the previous entry's hash (:data:`GENESIS_HASH` for the first). The
``audit_chain_head`` row holds the last sequence and hash. Appending locks that row
(``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the ``BEGIN IMMEDIATE`` of every transaction
already serialises writers), so the chain cannot fork.

Triggers refuse UPDATE and DELETE on ``audit_entry``. Someone able to drop them can still edit the
table, and re-hash every later entry and move the head. So each entry is also authenticated with a
key the database never holds (``MICRONEEDLING_AUDIT_KEY``, store/audit_keys.py): ``hmac`` is
HMAC-SHA256 of the entry's number, clinic, place in its clinic's chain (``clinic_sequence``) and
hash, and the heads (``audit_chain_head``, one ``audit_clinic_head`` per clinic) are authenticated
too. Without the key an edit, an insertion, a deletion (also of the last entries) or a swap of
clinics cannot be made to verify. store/audit_verify.py checks the whole database
(``verify_chain``) or one clinic's entries, reading nothing of any other clinic.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, insert, literal, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.orm import Session

from microneedling.store.audit_keys import NO_KEYS, AuditKeys
from microneedling.store.models import (
    AuditChainHead,
    AuditClinicHead,
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


def entry_message(
    sequence: int, clinic_id: int | None, clinic_sequence: int | None, hash_: str
) -> bytes:
    """What an entry's HMAC authenticates: its number, clinic, place in the clinic's chain and
    hash (which covers its content and, through ``prev_hash``, every entry before it)."""
    return f"entry\n{sequence}\n{_text(clinic_id)}\n{_text(clinic_sequence)}\n{hash_}".encode()


def head_message(sequence: int, hash_: str) -> bytes:
    """What the chain head's HMAC authenticates (a label of its own: never an entry's)."""
    return f"head\n{sequence}\n{hash_}".encode()


def clinic_head_message(chain: int, clinic_sequence: int, entry: int, hash_: str) -> bytes:
    """What a clinic's head's HMAC authenticates: its last entry's place, number and hash."""
    return f"clinic-head\n{chain}\n{clinic_sequence}\n{entry}\n{hash_}".encode()


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


def chain_of(clinic_id: int | None) -> int:
    """The ``audit_clinic_head`` row of a clinic's entries (0: entries of no clinic)."""
    return 0 if clinic_id is None else clinic_id


def hash_of(entry: Any) -> str:
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


# The head, locked, and where the clinic's chain ends, in one statement (SQLite, whose writers take
# turns for the whole transaction).
_HEADS = (
    select(
        AuditChainHead.sequence,
        AuditChainHead.hash,
        AuditClinicHead.sequence.label("clinic_sequence"),
    )
    .select_from(AuditChainHead)
    .outerjoin(AuditClinicHead, AuditClinicHead.clinic_id == bindparam("chain"))
    .where(AuditChainHead.id == 1)
)
# PostgreSQL: lock the head first, then read the clinic's place in a statement of its own. A row
# joined to the locking statement would be read as it was before the wait for the lock (only the
# locked row is re-read after it): two writers would take the same place.
_HEAD = (
    select(AuditChainHead.sequence, AuditChainHead.hash)
    .where(AuditChainHead.id == 1)
    .with_for_update()
)
_CLINIC_PLACE = select(AuditClinicHead.sequence).where(
    AuditClinicHead.clinic_id == bindparam("chain")
)
_ENTRY_COLUMNS = tuple(column.key for column in AuditEntry.__table__.columns)
_INSERT = insert(AuditEntry)
_MOVE_HEAD = (
    update(AuditChainHead)
    .where(AuditChainHead.id == 1)
    .values(
        sequence=bindparam("new_sequence"),
        hash=bindparam("new_hash"),
        hmac=bindparam("new_hmac"),
        hmac_key=bindparam("new_hmac_key"),
    )
)
_CLINIC_HEAD_VALUES: dict[str, Any] = {
    "sequence": bindparam("new_sequence"),
    "entry": bindparam("new_entry"),
    "hash": bindparam("new_hash"),
    "hmac": bindparam("new_hmac"),
    "hmac_key": bindparam("new_hmac_key"),
}
_START_CLINIC_HEAD = insert(AuditClinicHead).values(
    clinic_id=bindparam("chain"), **_CLINIC_HEAD_VALUES
)
_MOVE_CLINIC_HEAD = (
    update(AuditClinicHead)
    .where(AuditClinicHead.clinic_id == bindparam("chain"))
    .values(**_CLINIC_HEAD_VALUES)
)


def _one_write() -> Any:
    """PostgreSQL: the entry inserted and both heads moved in one statement (one round trip):
    the insert and the chain head's update as data-modifying CTEs, the clinic's head inserted
    or moved."""
    columns = AuditEntry.__table__.columns
    entry = (
        insert(AuditEntry)
        .values({column.key: bindparam(f"e_{column.key}", type_=column.type) for column in columns})
        .cte("new_entry")
    )
    head = (
        update(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .values(
            sequence=bindparam("h_sequence"),
            hash=bindparam("h_hash"),
            hmac=bindparam("h_hmac"),
            hmac_key=bindparam("h_hmac_key"),
        )
        .cte("new_head")
    )
    clinic = postgresql_insert(AuditClinicHead).values(
        clinic_id=bindparam("c_chain"),
        sequence=bindparam("c_sequence"),
        entry=bindparam("c_entry"),
        hash=bindparam("c_hash"),
        hmac=bindparam("c_hmac"),
        hmac_key=bindparam("c_hmac_key"),
    )
    moved = {
        name: clinic.excluded[name] for name in ("sequence", "entry", "hash", "hmac", "hmac_key")
    }
    return (
        clinic.on_conflict_do_update(index_elements=[AuditClinicHead.clinic_id], set_=moved)
        .add_cte(entry)
        .add_cte(head)
    )


_WRITE_ALL = _one_write()


class AuditLog:
    """Appending to and reading the audit log inside one transaction."""

    def __init__(self, session: Session, keys: AuditKeys = NO_KEYS) -> None:
        self._session = session
        self._keys = keys

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

        Few Core statements on the session's connection: on SQLite four (read the head with the
        clinic's, insert the entry, move both heads), on PostgreSQL three round trips (lock and
        read the head, read the clinic's, then insert and move both heads in one statement): an audit entry is written after every
        read of patient data, and the ORM's unit of work around them costs several times as
        much. With an audit key, the entry and both heads are authenticated (three HMACs). The
        entry is returned as a plain object, not added to the session.
        """
        connection = self._session.connection()
        chain = chain_of(clinic_id)
        head: Any
        if connection.dialect.name == "postgresql":
            head = connection.execute(_HEAD).one()
            place = connection.execute(_CLINIC_PLACE, {"chain": chain}).scalar_one_or_none()
        else:
            head = connection.execute(_HEADS, {"chain": chain}).one()
            place = head.clinic_sequence
        clinic_sequence = (place or 0) + 1
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
            clinic_sequence=clinic_sequence,
        )
        entry.hash = hash_of(entry)
        sign = self._keys.sign
        entry.hmac_key, entry.hmac = sign(
            entry_message(entry.sequence, clinic_id, clinic_sequence, entry.hash)
        )
        values = {column: getattr(entry, column) for column in _ENTRY_COLUMNS}
        head_key, head_mac = sign(head_message(entry.sequence, entry.hash))
        clinic_key, clinic_mac = sign(
            clinic_head_message(chain, clinic_sequence, entry.sequence, entry.hash)
        )
        if connection.dialect.name == "postgresql":
            connection.execute(
                _WRITE_ALL,
                {**{f"e_{column}": value for column, value in values.items()},
                 "h_sequence": entry.sequence, "h_hash": entry.hash, "h_hmac": head_mac,
                 "h_hmac_key": head_key, "c_chain": chain, "c_sequence": clinic_sequence,
                 "c_entry": entry.sequence, "c_hash": entry.hash, "c_hmac": clinic_mac,
                 "c_hmac_key": clinic_key},
            )  # fmt: skip
            return entry
        connection.execute(_INSERT, values)
        connection.execute(
            _MOVE_HEAD,
            {"new_sequence": entry.sequence, "new_hash": entry.hash, "new_hmac": head_mac,
             "new_hmac_key": head_key},
        )  # fmt: skip
        connection.execute(
            _START_CLINIC_HEAD if place is None else _MOVE_CLINIC_HEAD,
            {"chain": chain, "new_sequence": clinic_sequence, "new_entry": entry.sequence,
             "new_hash": entry.hash, "new_hmac": clinic_mac, "new_hmac_key": clinic_key},
        )  # fmt: skip
        return entry

    def entries(
        self,
        *,
        clinic_id: int,
        patient_id: int | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """One clinic's entries in order (optionally about one patient), after the clinic's
        entry number ``after`` (its place in the clinic's chain; 0: from the first)."""
        query = (
            select(AuditEntry)
            .where(AuditEntry.clinic_id == clinic_id)
            .order_by(AuditEntry.sequence)
            .limit(limit)
        )
        if after:
            query = query.where(AuditEntry.clinic_sequence > after)
        if patient_id is not None:
            query = query.where(AuditEntry.patient_id == patient_id)
        return list(self._session.execute(query).scalars())

    # The owners' reading: newest first, filtered (migration 0008's indexes) -----------------

    def position(self, *, clinic_id: int, number: int) -> tuple[datetime, int] | None:
        """When this clinic's entry ``number`` (its place in the clinic's chain) was written,
        and its number in the whole log: where a page of the clinic's log starts or ends (None
        if the clinic has no such entry)."""
        row = self._session.execute(
            select(AuditEntry.recorded_at, AuditEntry.sequence).where(
                AuditEntry.clinic_id == clinic_id, AuditEntry.clinic_sequence == number
            )
        ).first()
        return None if row is None else (row.recorded_at, row.sequence)

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
            # A staff member: a patient's entries carry their portal account's id, which may
            # equal a staff id.
            found.append(AuditEntry.actor_id == self.actor_id)
            found.append(AuditEntry.actor_role != "patient")
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

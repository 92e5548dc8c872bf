"""Reading the audit log (owners) and verifying its hash chain.

:func:`audit_log` is the owners' reading: newest first, a page at a time, filtered by patient
name, person, action and dates, each entry as a sentence with people's names
(``services/audit_wording.py``) and its time on the clinic's wall clock; :func:`audit_export`
gives the same entries for a CSV file. :func:`audit_entries` and :func:`audit_page` read in
sequence order (the API and scripts).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from microneedling.clinical.scales import scale_info
from microneedling.config import Settings, settings
from microneedling.errors import NotFound, UserError
from microneedling.knowledge import shipped_knowledge_base
from microneedling.services.access import Actor, Transaction
from microneedling.services.audit_wording import (
    CONSENT_WORDS,
    DECISION_WORDS,
    ROLE_WORDS,
    WORDING,
    Facts,
    action_name,
    sentence,
    words,
)
from microneedling.services.clock import Clock, utc_now
from microneedling.store import Database, UnitOfWork
from microneedling.store.audit import EntryFilter, canonical_time
from microneedling.store.audit_verify import (
    ChainReport,
    is_garbled,
    verify_chain,
    verify_clinic_chain,
)
from microneedling.store.models import AuditEntry, StaffUser
from microneedling.text_direction import isolated_where_needed, without_controls


def audit_entries(
    uow: UnitOfWork,
    actor: Actor,
    *,
    patient_id: int | None = None,
    after: int = 0,
    limit: int = 100,
    clock: Clock = utc_now,
) -> list[dict[str, Any]]:
    """The clinic's audit entries in order (optionally those about one patient)."""
    with Transaction(uow, actor, "audit.read", clock) as tx, _garbled_entries():
        rows = uow.audit.entries(
            clinic_id=actor.clinic_id,
            patient_id=patient_id,
            after=after,
            limit=max(1, min(limit, 1000)),
        )
        names = _Names.read(uow, tx, rows)
        entries = [_entry_view(row, names) for row in rows]
        tx.done(patient_id=patient_id, details={"results": len(entries)})
    return entries


def _entry_view(row: AuditEntry, names: _Names | None = None) -> dict[str, Any]:
    view = {
        "sequence": row.clinic_sequence,
        "at": canonical_time(row.recorded_at),
        "actor_id": row.actor_id,
        "actor_role": row.actor_role,
        "action": row.action,
        "patient_id": row.patient_id,
        "entity": None if row.entity_type is None else f"{row.entity_type}:{row.entity_id}",
        "details": json.loads(row.details),
        "hash": row.hash,
    }
    if names is not None:
        view["sentence"] = names.sentence(row, view["details"])
    return view


def audit_page(
    uow: UnitOfWork,
    actor: Actor,
    *,
    patient_id: int | None = None,
    after: int = 0,
    limit: int = 100,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """A page of the clinic's audit entries after the clinic's entry number ``after`` (0: from
    the start); ``next_after`` continues it (None at the end so far). Entries are numbered by
    their place in the clinic's own chain (``clinic_sequence``), never by the whole log's
    numbers, whose gaps would tell how busy other clinics are."""
    if not 1 <= limit <= 1000:
        raise UserError("expected 1 to 1000", field="limit")
    if after < 0:
        raise UserError("expected 0 or more", field="after")
    with Transaction(uow, actor, "audit.read", clock) as tx, _garbled_entries():
        rows = uow.audit.entries(
            clinic_id=actor.clinic_id, patient_id=patient_id, after=after, limit=limit + 1
        )
        names = _Names.read(uow, tx, rows[:limit])
        entries = [_entry_view(row, names) for row in rows[:limit]]
        tx.done(patient_id=patient_id, details={"results": len(entries)})
    return {
        "items": entries,
        "limit": limit,
        "next_after": entries[-1]["sequence"] if len(rows) > limit else None,
    }


# The owners' reading: newest first, filtered, in sentences ------------------------------------

#: Entries on a page of the log.
PAGE_SIZE = 50
#: A patient-name filter matching more patients than this asks for more of the name.
MAX_MATCHING_PATIENTS = 500
#: Entries read at a time for an export.
EXPORT_BATCH = 1000
#: The largest entry number (the column is a 32-bit integer; anything larger is mistyped).
MAX_ENTRY = 2**31 - 1
#: A name filter longer than this is not a name.
MAX_NAME_CHARS = 200
#: Demo clinics' short names: their set-up entry was written by the demo loader.
DEMO_CLINICS = frozenset({"demo", "second"})


@dataclass(frozen=True)
class AuditQuery:
    """The filters of the owners' audit log: part of a patient's name, the person who acted (a
    staff member's id), an action code, and a range of days on the clinic's calendar."""

    patient: str = ""
    person: int | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def used(self) -> list[str]:
        """Which filters are set (their names only: an audit entry never holds a name)."""
        given = {
            "patient": bool(self.patient),
            "person": self.person is not None,
            "action": self.action is not None,
            "from": self.date_from is not None,
            "to": self.date_to is not None,
        }
        return [name for name, used in given.items() if used]


def audit_query(
    *,
    patient: str | None = None,
    person: str | int | None = None,
    action: str | None = None,
    date_from: str | date | None = None,
    date_to: str | date | None = None,
) -> AuditQuery:
    """The filters as typed in a form or on a command line; UserError naming each bad one."""
    problems: list[tuple[str, str]] = []
    name = " ".join((patient or "").split())
    if len(name) > MAX_NAME_CHARS:
        problems.append(("patient", f"a name is at most {MAX_NAME_CHARS} characters"))
        name = ""
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        problems.append(("patient", "type letters of the patient's name"))
        name = ""
    staff_id: int | None = None
    if isinstance(person, int):
        staff_id = person
    elif person not in (None, ""):
        text = str(person).strip()
        if not text.isdigit() or not 1 <= int(text) <= 2**31 - 1:
            problems.append(("person", "choose a member of staff from the list"))
        else:
            staff_id = int(text)
    code = (action or "").strip() or None
    if code is not None and code not in WORDING:
        problems.append(("action", "choose an action from the list"))
        code = None
    first = _day(date_from, "from", problems)
    last = _day(date_to, "to", problems)
    if first is not None and last is not None and first > last:
        problems.append(("to", f"the last day ({last:%-d %b %Y}) is before the first day"))
    if problems:
        raise UserError(
            "; ".join(f"{where}: {message}" for where, message in problems), fields=problems
        )
    return AuditQuery(name, staff_id, code, first, last)


def _day(value: str | date | None, where: str, problems: list[tuple[str, str]]) -> date | None:
    if value is None or isinstance(value, date):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        problems.append((where, f"expected a date such as 2026-12-08, not {text[:20]!r}"))
        return None
    if not 1900 <= day.year <= 9998:
        problems.append((where, "expected a date between the years 1900 and 9998"))
        return None
    return day


def entry_number(value: str | int | None, where: str) -> int | None:
    """An entry number from an address (``before=``, ``after=``); UserError if it is not one."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_ENTRY:
        raise UserError("expected the number of an entry of the log", field=where)
    return int(text)


def audit_log(
    uow: UnitOfWork,
    actor: Actor,
    query: AuditQuery | None = None,
    *,
    before: int | None = None,
    after: int | None = None,
    limit: int = PAGE_SIZE,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """A page of the clinic's audit log, newest first: the newest entries matching ``query``,
    or those just older than entry ``before``, or just newer than entry ``after``.

    ``items`` are the entries (each with its ``sentence``, ``action_name``, ``who``,
    ``patient`` and ``at_local``, the time on the clinic's wall clock); ``older`` and ``newer``
    are the entry numbers to ask for the next pages with (``before=older``, ``after=newer``),
    None at either end; ``total`` counts every matching entry. Reading it is audited.
    """
    query = query or AuditQuery()
    if not 1 <= limit <= 1000:
        raise UserError("expected 1 to 1000", field="limit")
    if before is not None and after is not None:
        raise UserError("ask for older or for newer entries, not both", field="before")
    with Transaction(uow, actor, "audit.read", clock) as tx:
        where, matched = _where(uow, tx, query)
        cursor_before = _cursor(uow, actor, before, "before")
        cursor_after = _cursor(uow, actor, after, "after")
        with _garbled_entries():
            rows = uow.audit.newest(where, before=cursor_before, after=cursor_after, limit=limit)
            older = newer = None
            if rows:
                last, first = rows[-1], rows[0]
                if uow.audit.newest(where, before=(last.recorded_at, last.sequence), limit=1):
                    older = last.clinic_sequence
                if uow.audit.newest(where, after=(first.recorded_at, first.sequence), limit=1):
                    newer = first.clinic_sequence
            elif cursor_before is not None:
                newer = before
            elif cursor_after is not None:
                older = after
            total = uow.audit.count(where)
            names = _Names.read(uow, tx, rows)
            items = [names.item(row) for row in rows]
        tx.done(
            patient_id=matched[0] if len(matched) == 1 else None,
            details={"results": len(items), "filters": query.used()},
        )
    return {
        "items": items,
        "limit": limit,
        "total": total,
        "older": older,
        "newer": newer,
        "time_zone": names.time_zone,
        "patients_matched": len(matched) if query.patient else None,
        "people": names.people(),
    }


@contextmanager
def _garbled_entries() -> Iterator[None]:
    """An entry changed outside the application so that it cannot be read (a time that is not a
    time): a message saying so, not an error page; verifying the chain names the entry."""
    try:
        yield
    except Exception as error:
        if not is_garbled(error):
            raise
        raise UserError(
            "an entry of the log cannot be read: it was changed outside the application. "
            "“Verify the chain” names it; tell whoever runs the server"
        ) from None


def audit_people(uow: UnitOfWork, actor: Actor, *, clock: Clock = utc_now) -> list[dict[str, Any]]:
    """The clinic's staff (the people a log can be filtered by), by name; owners only."""
    with Transaction(uow, actor, "staff.read", clock) as tx:
        staff = [
            {"id": user.id, "name": user.display_name, "role": user.role, "active": user.active}
            for user in tx.records.staff()
        ]
        tx.done(details={"listed": "staff names", "results": len(staff)})
    return sorted(staff, key=lambda member: (str(member["name"]).casefold(), member["id"]))


#: The columns of an exported log.
EXPORT_COLUMNS = ("when", "who", "action", "patient", "sentence", "entry", "hash")
#: A spreadsheet takes a cell starting with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula (also after invisible
    direction controls) gets a quote first."""
    text = "" if value is None else str(value)
    return "'" + text if without_controls(text).startswith(_FORMULA_STARTS) else text


def audit_export(
    uow: UnitOfWork, actor: Actor, query: AuditQuery | None = None, *, clock: Clock = utc_now
) -> Iterator[str]:
    """The entries matching ``query``, newest first, as CSV text (a header, then a line per
    entry; :data:`EXPORT_COLUMNS`), read :data:`EXPORT_BATCH` at a time as it is consumed.

    The export is audited (and refused to other roles) at once, before any entry is read; it
    holds the entries up to the one before its own."""
    query = query or AuditQuery()
    with Transaction(uow, actor, "audit.read", clock) as tx:
        where, matched = _where(uow, tx, query)
        where = replace(where, up_to=uow.audit.last_sequence())
        tx.done(
            patient_id=matched[0] if len(matched) == 1 else None,
            details={"export": "csv", "filters": query.used()},
        )
    return _export_lines(uow, actor, where)


def _export_lines(uow: UnitOfWork, actor: Actor, where: EntryFilter) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flushed() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(EXPORT_COLUMNS)
    yield flushed()
    position: tuple[datetime, int] | None = None
    while True:
        with uow:
            rows = uow.audit.newest(where, before=position, limit=EXPORT_BATCH)
            names = _Names.load(uow, actor.clinic_id, rows)
            for row in rows:
                item = names.item(row)
                writer.writerow(
                    [
                        safe_cell(item["at_local"]),
                        # Names isolated, as in the sentence: a direction override in one
                        # cannot reorder the rest of the line.
                        safe_cell(isolated_where_needed(item["who"])),
                        safe_cell(item["action_name"]),
                        safe_cell(
                            isolated_where_needed(item["patient"]) if item["patient"] else ""
                        ),
                        safe_cell(item["sentence"]),
                        item["sequence"],  # the clinic's number, digits: nothing a sheet runs
                        item["hash"],
                    ]
                )
            if rows:
                position = (rows[-1].recorded_at, rows[-1].sequence)
        if not rows:
            return
        yield flushed()


def _where(uow: UnitOfWork, tx: Transaction, query: AuditQuery) -> tuple[EntryFilter, list[int]]:
    """The store's filter for ``query`` (patients found by name first, in the name index), and
    the ids of the patients the name matched."""
    clinic = tx.records.clinic()
    zone = ZoneInfo(clinic.time_zone)
    matched: list[int] = []
    patient_ids: tuple[int, ...] | None = None
    if query.patient:
        found = tx.records.find_patients(query.patient, limit=MAX_MATCHING_PATIENTS + 1)
        if len(found) > MAX_MATCHING_PATIENTS:
            raise UserError(
                f"more than {MAX_MATCHING_PATIENTS} patients' names match; type more of the name",
                field="patient",
            )
        matched = [patient.id for patient in found]
        patient_ids = tuple(matched)
    if query.person is not None and tx.records.staff_member(query.person) is None:
        raise UserError("choose a member of staff from the list", field="person")

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), zone).astimezone(UTC)

    return (
        EntryFilter(
            clinic_id=tx.actor.clinic_id,
            patient_ids=patient_ids,
            actor_id=query.person,
            action=query.action,
            since=midnight(query.date_from) if query.date_from else None,
            until=midnight(query.date_to + timedelta(days=1)) if query.date_to else None,
        ),
        matched,
    )


def _cursor(
    uow: UnitOfWork, actor: Actor, sequence: int | None, where: str
) -> tuple[datetime, int] | None:
    if sequence is None:
        return None
    if not 1 <= sequence <= MAX_ENTRY:
        raise UserError("expected the number of an entry of the log", field=where)
    position = uow.audit.position(clinic_id=actor.clinic_id, number=sequence)
    if position is None:
        raise UserError(
            f"this clinic's log has no entry {sequence}; start again from the newest", field=where
        )
    return position


@dataclass
class _Names:
    """The names an entry's sentence needs: the clinic's staff, the patients of the entries."""

    time_zone: str
    slug: str
    staff: Mapping[int, StaffUser]
    patients: Mapping[int, str] = field(default_factory=dict)

    @classmethod
    def read(cls, uow: UnitOfWork, tx: Transaction, rows: Sequence[AuditEntry]) -> _Names:
        return cls._of(uow, tx.actor.clinic_id, rows, tx.records)

    @classmethod
    def load(cls, uow: UnitOfWork, clinic_id: int, rows: Sequence[AuditEntry]) -> _Names:
        return cls._of(uow, clinic_id, rows, uow.records(clinic_id))

    @classmethod
    def _of(
        cls, uow: UnitOfWork, clinic_id: int, rows: Sequence[AuditEntry], records: Any
    ) -> _Names:
        clinic = records.clinic()
        staff = {user.id: user for user in records.staff()}
        patients = uow.audit.patient_names(clinic_id=clinic_id, patient_ids=_patients_of(rows))
        return cls(clinic.time_zone, clinic.slug, staff, patients)

    def people(self) -> list[dict[str, Any]]:
        """The clinic's staff by name (the people the log can be filtered by)."""
        found = [
            {"id": user.id, "name": user.display_name, "role": user.role, "active": user.active}
            for user in self.staff.values()
        ]
        return sorted(found, key=lambda member: (str(member["name"]).casefold(), member["id"]))

    def who(self, row: AuditEntry) -> str:
        if row.actor_role == "patient":  # a patient in the portal: actor_id is their account's
            return f"{self.patients.get(row.patient_id or 0, 'A patient')} (patient portal)"
        if row.actor_id is not None and row.actor_id in self.staff:
            return self.staff[row.actor_id].display_name
        if row.actor_role == "system":
            return "The system (demo loader)" if self.slug in DEMO_CLINICS else "The system"
        if row.actor_role == "anonymous" or row.actor_id is None:
            return "Someone not signed in"
        return f"A former {ROLE_WORDS.get(row.actor_role, words(row.actor_role))}"

    def staff_name(self, staff_id: Any) -> str | None:
        user = self.staff.get(staff_id) if isinstance(staff_id, int) else None
        return user.display_name if user is not None else None

    def facts(self, row: AuditEntry, details: Mapping[str, Any]) -> Facts:
        facts = Facts(
            who=self.who(row),
            actor_known=row.actor_role != "patient" and row.actor_id in self.staff,
            entity_type=row.entity_type,
            details=details,
            has_patient=row.patient_id is not None,
        )
        if row.patient_id is not None and row.patient_id in self.patients:
            facts["patient"] = self.patients[row.patient_id]
        staff_id = row.entity_id if row.entity_type == "staff_user" else details.get("owner")
        named = self.staff_name(staff_id)
        if named is not None:
            facts["staff"] = named
        if isinstance(details.get("role"), str):
            facts["role"] = ROLE_WORDS.get(details["role"], words(details["role"]))
        if isinstance(details.get("lot_number"), str):
            facts["lot"] = details["lot_number"]
        if isinstance(details.get("appointments"), list):
            facts["sessions"] = len(details["appointments"])
        if details.get("decision") in DECISION_WORDS:
            facts["decision"] = DECISION_WORDS[details["decision"]]
        if row.action.startswith("consent.") and isinstance(details.get("kind"), str):
            facts["consent"] = CONSENT_WORDS.get(details["kind"], words(details["kind"]))
        if row.action == "adverse_event.record":
            facts["event"] = ", ".join(
                words(details[key]) for key in ("kind", "severity") if details.get(key)
            )
        if row.action == "inventory.register_device" and details.get("kind"):
            facts["device"] = words(details["kind"])
        if isinstance(details.get("scale"), str):
            facts["scale"] = _scale_label(details["scale"])
        if isinstance(details.get("view"), str):
            facts["view"] = words(details["view"])
        return facts

    def sentence(self, row: AuditEntry, details: Mapping[str, Any]) -> str:
        return sentence(row.action, self.facts(row, details))

    def item(self, row: AuditEntry) -> dict[str, Any]:
        details = json.loads(row.details)
        facts = self.facts(row, details)
        local = row.recorded_at.astimezone(ZoneInfo(self.time_zone))
        return {
            "sequence": row.clinic_sequence,
            "at": canonical_time(row.recorded_at),
            "at_local": local.isoformat(timespec="seconds"),
            "who": facts["who"],
            "actor_id": row.actor_id,
            "actor_role": row.actor_role,
            "action": row.action,
            "action_name": action_name(row.action),
            "patient_id": row.patient_id,
            "entity": None if row.entity_type is None else f"{row.entity_type}:{row.entity_id}",
            "patient": self.patients.get(row.patient_id, "") if row.patient_id else "",
            "sentence": sentence(row.action, facts),
            "details": details,
            "hash": row.hash,
        }


def _patients_of(rows: Iterable[AuditEntry]) -> set[int]:
    return {row.patient_id for row in rows if row.patient_id is not None}


def _scale_label(code: str) -> str:
    try:
        return scale_info(code, shipped_knowledge_base()).label
    except UserError:
        return words(code)


def verify_audit_log_as(uow: UnitOfWork, actor: Actor, *, clock: Clock = utc_now) -> ChainReport:
    """An owner has their clinic's chain checked (the check itself is audited first, so the
    clinic's head is fresh): each entry's hash and authentication, the clinic's entries without
    gaps, the clinic's head. Nothing of any other clinic is read or told."""
    with Transaction(uow, actor, "audit.verify", clock) as tx:
        tx.done()
    return verify_clinic_audit_log(uow.database, actor.clinic_id)


def verify_audit_log(database: Database) -> ChainReport:
    """Check the whole chain (every clinic's entries) in one read-only snapshot: for whoever
    runs the server."""
    with database.snapshot_session() as session:
        return verify_chain(session, database.audit_keys)


def verify_clinic_audit_log(database: Database, clinic_id: int) -> ChainReport:
    """Check one clinic's chain in one read-only snapshot."""
    with database.snapshot_session() as session:
        return verify_clinic_chain(session, clinic_id, database.audit_keys)


def clinic_by_slug(database: Database, slug: str) -> int:
    """The id of the clinic with short name ``slug``; NotFound naming it otherwise."""
    uow = UnitOfWork(database, read_only=True)
    with uow:
        clinic = uow.clinics.by_slug(slug.strip())
        if clinic is None:
            raise NotFound(f"no clinic has the short name {slug.strip()[:60]!r}", field="clinic")
        return clinic.id


def audit_key_configured(config: Settings | None = None) -> bool:
    """Whether new audit entries are authenticated (``MICRONEEDLING_AUDIT_KEY`` is set): for
    ``microneedling check``, which flags an installation without one."""
    return (config or settings()).audit_key is not None

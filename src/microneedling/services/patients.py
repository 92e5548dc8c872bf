"""Registering patients, finding them, and opening a patient's full record."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from microneedling.clinical.intake import IsoDate
from microneedling.errors import Conflict, NotFound, UserError
from microneedling.services import views
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, local_days, utc_now
from microneedling.services.inputs import (
    Email,
    Input,
    Phone,
    check_day,
    check_page,
    parse,
    plausible_day,
)
from microneedling.services.views import full_record_view, page, patient_view
from microneedling.store import UnitOfWork, repositories
from microneedling.store.models import Patient
from microneedling.store.patient_search import digits, fold

Name = Field(min_length=1, max_length=100)


class NewPatient(Input):
    given_name: str = Name
    family_name: str = Name
    birth_date: Annotated[IsoDate, AfterValidator(plausible_day)]
    sex: Literal["female", "male", "other"] | None = None
    fitzpatrick: int = Field(ge=1, le=6, strict=True)
    email: Email | None = None
    phone: Phone | None = None
    confirm_duplicate: bool = Field(
        default=False,
        description=(
            "Register even though a patient with the same name and date of birth is already "
            "registered (without it, that is refused with 409 and the existing record named)."
        ),
    )


class DuplicatePatient(Conflict):
    """A patient with the same name and date of birth is already registered; ``existing`` holds
    them (as :func:`patient_view`). Registering again with ``confirm_duplicate`` goes ahead."""

    def __init__(self, existing: list[dict[str, Any]]) -> None:
        first = existing[0]
        who = f"{first['given_name']} {first['family_name']}"
        born = date.fromisoformat(first["birth_date"]).strftime("%-d %b %Y")
        others = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        super().__init__(
            f"{who}, born {born}, is already registered (patient {first['id']}){others}: "
            "open that record, or confirm that this is someone else to register them anyway",
            field="confirm_duplicate",
        )
        self.existing = existing


def register_patient(
    uow: UnitOfWork,
    actor: Actor,
    details: NewPatient | dict[str, Any],
    *,
    warn_of_duplicates: bool = False,
    clock: Clock = utc_now,
) -> int:
    """Add a patient to the actor's clinic; returns the patient's id.

    With ``warn_of_duplicates`` (where a person registers someone: the web form, the API),
    refused with :class:`DuplicatePatient` when someone with the same name (case and accents
    aside) and date of birth is registered already, unless the details ``confirm_duplicate``.
    Without it (demo data, imports), every patient given is registered."""
    new = parse(NewPatient, details, what="patient")
    with Transaction(uow, actor, "patient.register", clock) as tx:
        if new.birth_date > tx.today:
            raise UserError("is after today", field="birth_date")
        if warn_of_duplicates and not new.confirm_duplicate:
            same = tx.records.same_name_and_birth_date(
                new.given_name, new.family_name, new.birth_date
            )
            if same:
                raise DuplicatePatient([patient_view(p) for p in same])
        patient = Patient(
            given_name=new.given_name,
            family_name=new.family_name,
            birth_date=new.birth_date,
            sex=new.sex,
            fitzpatrick=new.fitzpatrick,
            email=new.email,
            phone=new.phone,
            created_at=tx.now,
            created_by=actor.staff_user_id,
        )
        tx.records.add(patient)
        tx.flush()
        tx.done(patient_id=patient.id, entity=("patient", patient.id))
    return patient.id


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan", "januari", "janv", "janvier", "januar", "jän"),
            ("february", "feb", "februari", "fevrier", "févr", "février", "februar"),
            ("march", "mar", "maart", "mrt", "mars", "märz", "maerz"),
            ("april", "apr", "avril", "avr"),
            ("may", "mei", "mai"),
            ("june", "jun", "juni", "juin"),
            ("july", "jul", "juli", "juillet", "juil"),
            ("august", "aug", "augustus", "aout", "août"),
            ("september", "sep", "sept", "septembre"),
            ("october", "oct", "okt", "oktober", "octobre"),
            ("november", "nov", "novembre"),
            ("december", "dec", "dez", "dezember", "décembre", "decembre"),
        ),
        start=1,
    )
    for name in names
}
_NUMERIC_DATE = re.compile(r"(\d{1,4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,4})")
_WORDY_DATE = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\.?\s+([^\W\d_]+)\.?,?\s+(\d{4})")
_WORDY_DATE_US = re.compile(r"([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_PHONE_TEXT = re.compile(r"[\d\s()+\-./]+")


def typed_date(text: str) -> date | None:
    """A date as a person types it, or None: ``1988-03-14``, ``14/03/1988`` (day first, unless
    only month first makes sense), ``14-03-1988``, ``14.03.1988``, ``14 March 1988``,
    ``14 Mar 1988``, ``March 14, 1988`` (month names in English, Dutch, French or German)."""
    text = text.strip().lower()
    year = month = day = 0
    if match := _NUMERIC_DATE.fullmatch(text):
        first, second, third = match.groups()
        if len(first) == 4:
            year, month, day = int(first), int(second), int(third)
        elif len(third) == 4:
            day, month, year = int(first), int(second), int(third)
            if month > 12 >= day:
                day, month = month, day
        else:
            return None
    elif match := _WORDY_DATE.fullmatch(text):
        day, year = int(match.group(1)), int(match.group(3))
        month = _MONTHS.get(match.group(2), 0)
    elif match := _WORDY_DATE_US.fullmatch(text):
        day, year = int(match.group(2)), int(match.group(3))
        month = _MONTHS.get(match.group(1), 0)
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


@dataclass(frozen=True)
class PatientQuery:
    """What a search box's text asks for: a date of birth, a phone number, an e-mail address,
    or words of a name (one of them)."""

    birth_date: date | None = None
    phone_digits: str | None = None
    email: str | None = None
    name_words: tuple[str, ...] = ()

    @classmethod
    def of(cls, text: str) -> PatientQuery:
        text = text.strip()
        born = typed_date(text)
        if born is not None:
            return cls(birth_date=born)
        if "@" in text:
            return cls(email=text.lower())
        number = digits(text)
        if number is not None and _PHONE_TEXT.fullmatch(text) and len(number) >= 3:
            # "06 1234 5678" finds "+31 6 1234 5678": a trunk 0 is left off.
            return cls(phone_digits=number.lstrip("0") or number)
        return cls(name_words=tuple(fold(text).split()))

    @property
    def searchable(self) -> bool:
        """Whether it asks for anything (``"%"`` or ``"-"`` alone has no letter or digit)."""
        return any((self.birth_date, self.phone_digits, self.email, self.name_words))

    def repository_filters(self) -> dict[str, Any]:
        return {
            "birth_date": self.birth_date,
            "phone_digits": self.phone_digits,
            "email": self.email,
            "name_words": self.name_words,
        }


SEARCH_HINT = (
    "give part of a name, a phone number, an e-mail address or a date of birth "
    "(1 to 100 characters)"
)


def find_patients(
    uow: UnitOfWork, actor: Actor, text: str, *, limit: int = 50, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """Patients found by ``text``: words of their name in any order ("Sara Smit", "Boer"),
    their phone number (digits), e-mail address or date of birth as people type it."""
    if not 1 <= len(text.strip()) <= 100:
        raise UserError(SEARCH_HINT, field="text")
    query = PatientQuery.of(text)
    with Transaction(uow, actor, "patient.search", clock, reading=True) as tx:
        rows = (
            tx.records.list_patients(**query.repository_filters(), limit=min(limit, 200))
            if query.searchable
            else []
        )
        found = [patient_view(p) for p in rows]
        tx.done(details={"results": len(found)})
    return found


class ContactDetails(Input):
    """Changes to a patient's contact details: a field given as null is cleared."""

    email: Email | None = None
    phone: Phone | None = None


def update_contact_details(
    uow: UnitOfWork,
    actor: Actor,
    patient_id: int,
    changes: ContactDetails | dict[str, Any],
    *,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Change the patient's e-mail and phone; returns the patient as now recorded."""
    new = parse(ContactDetails, changes, what="contact details")
    given = sorted(new.model_fields_set)
    if not given:
        raise UserError("give the e-mail, the phone, or both", field="email")
    with Transaction(uow, actor, "patient.update_contact", clock) as tx:
        patient = require_patient(tx, patient_id)
        for name in given:
            setattr(patient, name, getattr(new, name))
        view = patient_view(patient)
        tx.done(patient_id=patient.id, entity=("patient", patient.id), details={"changed": given})
    return view


def read_patient(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """The patient's details and contact details (reading them is audited)."""
    with Transaction(uow, actor, "patient.read", clock, reading=True) as tx:
        view = patient_view(require_patient(tx, patient_id))
        tx.done(patient_id=patient_id, entity=("patient", patient_id))
    return view


def list_patients(
    uow: UnitOfWork,
    actor: Actor,
    *,
    text: str | None = None,
    birth_date: date | None = None,
    has_upcoming_session: bool | None = None,
    session_on: date | None = None,
    limit: int = 50,
    offset: int = 0,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """A page of the clinic's patients, by name: found by ``text`` (see :func:`find_patients`),
    the birth date, whether a session is booked from now on, or a session booked on a day."""
    check_page(limit, offset)
    if text is not None and not 1 <= len(text.strip()) <= 100:
        raise UserError(SEARCH_HINT, field="q")
    query = PatientQuery.of(text) if text is not None else PatientQuery()
    # Text with nothing to find by, or two different dates of birth (typed, and as a filter).
    nobody = (text is not None and not query.searchable) or (
        birth_date is not None and query.birth_date not in (None, birth_date)
    )
    filters_found = query.repository_filters()
    if birth_date is not None:
        filters_found["birth_date"] = birth_date
    if birth_date is not None:
        check_day(birth_date, "birth_date")
    if session_on is not None:
        check_day(session_on, "session_on")
    with Transaction(uow, actor, "patient.search", clock, reading=True) as tx:
        zone = tx.records.clinic().time_zone
        rows = (
            []
            if nobody
            else tx.records.list_patients(
                **filters_found,
                has_upcoming=has_upcoming_session,
                upcoming_from=tx.now,
                session_between=local_days(session_on, session_on, zone) if session_on else None,
                limit=limit + 1,
                offset=offset,
            )
        )
        result = page(rows, patient_view, limit=limit, offset=offset)
        filters = {
            "q": text is not None,
            "birth_date": birth_date is not None,
            "has_upcoming_session": has_upcoming_session is not None,
            "session_on": session_on is not None,
        }
        # The filters' values may identify a patient (a name, a birth date): only their names.
        tx.done(
            details={
                "results": len(result["items"]),
                "filters": sorted(name for name, used in filters.items() if used),
            }
        )
    return result


def open_patient_record(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """The patient's full record: intakes, consents, plans, appointments, charts with their
    amendments, adverse events, outcomes and photos. Reading it is audited.
    """
    record = read_patient_record(uow, actor, patient_id, clock=clock).record
    assert record is not None  # no ETag was given
    return record


@dataclass(frozen=True)
class RecordRead:
    """A patient's full record as read: its ETag (a quoted string, as HTTP sends it), and the
    record itself, or None when it is unchanged since one of the ETags the reader had."""

    etag: str
    record: dict[str, Any] | None


def read_patient_record(
    uow: UnitOfWork,
    actor: Actor,
    patient_id: int,
    *,
    known_etags: Collection[str] = (),
    clock: Clock = utc_now,
) -> RecordRead:
    """The patient's full record and its ETag; just the ETag when it is among ``known_etags``
    (quoted strings; ``*`` stands for any). Audited either way: an unchanged record is shown
    from the reader's copy, and the entry says so (``details.unchanged``).

    The ETag is read before the record, in the same read transaction: on PostgreSQL each
    statement sees what was committed when it began, so the record is at least as new as its
    ETag. An ETag older than the record it came with only costs the next reader a full answer;
    the other way round would have shown a change as "unchanged".
    """
    with Transaction(uow, actor, "patient.read_record", clock, reading=True) as tx:
        versions = tx.records.record_version(patient_id)
        if versions is None:
            raise NotFound(f"no patient {patient_id} in this clinic", field="patient_id")
        etag = record_etag(actor.clinic_id, patient_id, versions)
        if "*" in known_etags or etag in known_etags:
            tx.done(
                patient_id=patient_id, entity=("patient", patient_id), details={"unchanged": True}
            )
            return RecordRead(etag, None)
        rows = tx.records.full_record_rows(patient_id)
        if rows is None:
            raise NotFound(f"no patient {patient_id} in this clinic", field="patient_id")
        record = full_record_view(rows)
        tx.done(patient_id=patient_id, entity=("patient", patient_id))
    return RecordRead(etag, record)


def record_etag(clinic_id: int, patient_id: int, versions: tuple[int, int]) -> str:
    """The strong ETag of a patient's full record: a digest of the patient, the versions of the
    rows the record shows (``ClinicRecords.record_version``, kept by the database's triggers)
    and :func:`record_format`, so that a change of either, or a new way of building the
    record, gives a new ETag."""
    record_version, inventory_version = versions
    text = f"{record_format()}:{clinic_id}:{patient_id}:{record_version}:{inventory_version}"
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


@functools.cache
def record_format() -> str:
    """What builds the record, as a digest: this package's version and the code of its queries
    and views (``store/repositories.py``, ``services/views.py``). A server that builds records
    differently never takes another's ETag for its own."""
    try:
        installed = version("microneedling")
    except PackageNotFoundError:
        installed = "unknown"
    digest = hashlib.sha256(installed.encode())
    for module in (repositories, views):
        digest.update(Path(module.__file__ or module.__name__).read_bytes())
    return digest.hexdigest()[:16]


def require_patient(tx: Transaction, patient_id: int) -> Patient:
    """The patient of the actor's clinic, or NotFound (also for another clinic's patient)."""
    patient = tx.records.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"no patient {patient_id} in this clinic", field="patient_id")
    return patient

"""The search parameters each resource type answers, parsed from the query string into
conditions on our tables. One table (:data:`SEARCHES`) drives both the searches and the
CapabilityStatement, so the statement lists exactly what is implemented.

Values that cannot be read, and parameters we do not know, are refused (400, an
OperationOutcome): a client is never given a Bundle silently unfiltered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_

from microneedling.api.fhir import queries
from microneedling.api.fhir.codes import (
    FHIR_APPOINTMENT_STATUSES,
    IDENTIFIER_SYSTEM,
    LOT_NUMBER_PARAMETER,
    PLAN_STATUSES,
    SCALE_SYSTEM,
    STAFF_ROLES,
)
from microneedling.api.fhir.queries import Condition, Filters
from microneedling.api.fhir.resources import Resource
from microneedling.services.access import Actor
from microneedling.services.clock import Clock, local_days
from microneedling.services.inputs import MAX_ID
from microneedling.store import UnitOfWork
from microneedling.store.models import (
    AdverseEvent,
    Appointment,
    AuditEntry,
    CartridgeLot,
    Clinic,
    Consent,
    Intake,
    OutcomeAssessment,
    Patient,
    Photo,
    SessionChart,
    StaffUser,
    TreatmentPlan,
)
from microneedling.store.patient_search import like_literal
from microneedling.store.scheduling_models import PractitionerHours, Room

#: Entries per page unless ``_count`` says otherwise, and the most ``_count`` may ask for.
DEFAULT_COUNT = 20
MAX_COUNT = 100
#: The furthest ``_offset`` (the page links) may go.
MAX_OFFSET = 1_000_000
#: A parameter's value longer than this is refused.
MAX_VALUE = 200
#: At most this many parameters in one search.
MAX_PARAMETERS = 20

_ID = re.compile(r"[1-9][0-9]{0,9}")
_DATE = re.compile(r"(eq|ne|gt|lt|ge|le|sa|eb|ap)?(\d{4}-\d{2}-\d{2})")


class SearchError(Exception):
    """A search the server cannot do as asked (400)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def record_id(text: str) -> int | None:
    """Our id in a FHIR id (``"12"``), or None when it cannot be one of ours."""
    if not _ID.fullmatch(text):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def _reference(name: str, kind: str, value: str) -> int:
    """``Patient/12`` or ``12`` (a reference to our own server) as the id 12."""
    text = value.removeprefix(f"{kind}/")
    row_id = record_id(text)
    if row_id is None:
        raise SearchError(f"{name}: give a reference as {kind}/<id> (got {value[:40]!r})")
    return row_id


def _day(name: str, value: str) -> tuple[str, date]:
    match = _DATE.fullmatch(value)
    if not match:
        raise SearchError(
            f"{name}: give a date as YYYY-MM-DD, optionally after eq, ge, gt, le or lt "
            f"(got {value[:40]!r})"
        )
    prefix = match.group(1) or "eq"
    if prefix not in ("eq", "ge", "gt", "le", "lt"):
        raise SearchError(f"{name}: the prefix {prefix} is not supported (eq, ge, gt, le, lt)")
    try:
        return prefix, date.fromisoformat(match.group(2))
    except ValueError:
        raise SearchError(f"{name}: {match.group(2)} is not a date") from None


def _moment_condition(column: Any, prefix: str, day: date, zone: str) -> ColumnElement[bool]:
    """A moment column against a clinic day (``eq``: within it; ``ge``: from its start...)."""
    start, end = local_days(day, day, zone)
    conditions: dict[str, ColumnElement[bool]] = {
        "eq": and_(column >= start, column < end),
        "ge": column >= start,
        "gt": column >= end,
        "lt": column < start,
        "le": column < end,
    }
    return conditions[prefix]


def _day_condition(column: Any, prefix: str, day: date) -> ColumnElement[bool]:
    conditions: dict[str, ColumnElement[bool]] = {
        "eq": column == day,
        "ge": column >= day,
        "gt": column > day,
        "lt": column < day,
        "le": column <= day,
    }
    return conditions[prefix]


def _fixed(condition: ColumnElement[bool]) -> Condition:
    return lambda zone: condition


def _any_of(value: str) -> list[str]:
    """A token parameter's comma-separated alternatives."""
    return [part.strip() for part in value.split(",") if part.strip()]


# Each parameter: (FHIR type, documentation, parser of one value → condition).
Parser = Callable[[str, str], Condition]


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    documentation: str
    parse: Parser
    definition: str | None = None


def _id_of(model: Any, kind: str, prefix: str = "", column: Any = None) -> Parser:
    if column is None:
        column = model.sequence if model is AuditEntry else model.id

    def parse(name: str, value: str) -> Condition:
        ids = [record_id(part.removeprefix(prefix)) for part in _any_of(value)]
        found = [row_id for row_id in ids if row_id is not None]
        return _fixed(column.in_(found) if found else false())

    return parse


def _patient_name(name: str, value: str) -> Condition:
    return _fixed(and_(*queries.patient_name_condition(value)))


def _patient_birthdate(name: str, value: str) -> Condition:
    prefix, day = _day(name, value)
    return _fixed(_day_condition(Patient.birth_date, prefix, day))


def _patient_identifier(name: str, value: str) -> Condition:
    system, bar, code = value.rpartition("|")
    row_id = record_id(code)
    if row_id is None:
        return _fixed(false())

    def condition(zone: str) -> ColumnElement[bool]:
        return Patient.id == row_id

    if not bar or not system:
        return condition
    # The system names the clinic (``…/sid/{slug}/patient``): another clinic's finds nobody.
    pattern = re.fullmatch(
        re.escape(IDENTIFIER_SYSTEM)
        .replace(re.escape("{slug}"), "([a-z0-9-]{1,64})")
        .replace(re.escape("{kind}"), "patient"),
        system,
    )
    if pattern is None:
        return _fixed(false())
    slug = pattern.group(1)
    return _fixed(and_(Patient.id == row_id, Patient.clinic_id.in_(_clinic_ids_with_slug(slug))))


def _clinic_ids_with_slug(slug: str) -> Any:
    from sqlalchemy import select

    return select(Clinic.id).where(Clinic.slug == slug).scalar_subquery()


def _patient_telecom(name: str, value: str) -> Condition:
    text = value.split("|", 1)[-1]
    return _fixed(queries.patient_telecom_condition(text))


def _practitioner_name(name: str, value: str) -> Condition:
    return _fixed(and_(*queries.practitioner_name_condition(value)))


def _appointment_practitioner(name: str, value: str) -> Condition:
    return _fixed(Appointment.practitioner_id == _reference(name, "Practitioner", value))


def _appointment_status(name: str, value: str) -> Condition:
    ours = []
    for code in _any_of(value):
        if code not in FHIR_APPOINTMENT_STATUSES:
            known = ", ".join(FHIR_APPOINTMENT_STATUSES)
            raise SearchError(f"{name}: {code[:40]!r} is not one of our statuses ({known})")
        ours.append(FHIR_APPOINTMENT_STATUSES[code])
    return _fixed(Appointment.status.in_(ours))


def _appointment_date(name: str, value: str) -> Condition:
    prefix, day = _day(name, value)
    return lambda zone: _moment_condition(Appointment.starts_at, prefix, day, zone)


def _lot_number(name: str, value: str) -> Condition:
    return _fixed(or_(*(CartridgeLot.lot_number == number for number in _any_of(value))))


def _lot_status(name: str, value: str) -> Condition:
    codes = _any_of(value)
    for code in codes:
        if code not in ("active", "inactive"):
            raise SearchError(f"{name}: {code[:40]!r} is not active or inactive")
    recalled = CartridgeLot.recalled_at.is_not(None)
    wanted = [recalled if code == "inactive" else ~recalled for code in codes]
    return _fixed(or_(*wanted))


def _consent_status(name: str, value: str) -> Condition:
    codes = _any_of(value)
    for code in codes:
        if code not in ("active", "inactive"):
            raise SearchError(f"{name}: {code[:40]!r} is not active or inactive (withdrawn)")
    withdrawn = Consent.withdrawn_at.is_not(None)
    return _fixed(or_(*(withdrawn if code == "inactive" else ~withdrawn for code in codes)))


def _observation_code(name: str, value: str) -> Condition:
    scales = []
    for token in _any_of(value):
        system, bar, code = token.rpartition("|")
        if bar and system != SCALE_SYSTEM:
            scales.append("")  # another system's code: none of ours
            continue
        scales.append(code)
    return _fixed(OutcomeAssessment.scale.in_(scales))


def _careplan_status(name: str, value: str) -> Condition:
    ours_of = {fhir: ours for ours, fhir in PLAN_STATUSES.items()}
    ours = []
    for code in _any_of(value):
        if code not in ours_of:
            known = ", ".join(ours_of)
            raise SearchError(f"{name}: {code[:40]!r} is not one of our plan statuses ({known})")
        ours.append(ours_of[code])
    return _fixed(TreatmentPlan.status.in_(ours))


def _staff_role(name: str, value: str) -> Condition:
    roles = _any_of(value)
    for role in roles:
        if role not in STAFF_ROLES:
            raise SearchError(
                f"{name}: {role[:40]!r} is not one of ours ({', '.join(STAFF_ROLES)})"
            )
    return _fixed(StaffUser.role.in_(roles))


def _active(column: Any) -> Parser:
    def parse(name: str, value: str) -> Condition:
        if value not in ("true", "false"):
            raise SearchError(f"{name}: true or false")
        return _fixed(column.is_(value == "true"))

    return parse


def _practitioner_reference(name: str, value: str) -> Condition:
    return _fixed(StaffUser.id == _reference(name, "Practitioner", value))


def _room_name(name: str, value: str) -> Condition:
    words = value.lower().split()
    return _fixed(
        and_(*(func.lower(Room.name).like(f"%{like_literal(w)}%", escape="\\") for w in words))
    )


def _schedule_actor(name: str, value: str) -> Condition:
    return _fixed(PractitionerHours.staff_user_id == _reference(name, "Practitioner", value))


def _room_status(name: str, value: str) -> Condition:
    statuses = _any_of(value)
    for status in statuses:
        if status not in ("active", "inactive"):
            raise SearchError(f"{name}: {status[:40]!r} is not active or inactive")
    return _fixed(or_(*(Room.active.is_(status == "active") for status in statuses)))


def _subject_of(model: Any) -> Parser:
    def parse(name: str, value: str) -> Condition:
        return _fixed(model.patient_id == _reference(name, "Patient", value))

    return parse


def _day_of(column: Any) -> Parser:
    def parse(name: str, value: str) -> Condition:
        prefix, day = _day(name, value)
        return _fixed(_day_condition(column, prefix, day))

    return parse


def _moment_of(column: Any) -> Parser:
    def parse(name: str, value: str) -> Condition:
        prefix, day = _day(name, value)
        return lambda zone: _moment_condition(column, prefix, day, zone)

    return parse


def _patient_parameter(model: Any, name: str = "patient") -> Parameter:
    return Parameter(name, "reference", "Patient/<id>", _subject_of(model))


def _date_parameter(name: str, what: str, parse: Parser) -> Parameter:
    """A date parameter: ``what`` (Assessed, Taken...) on, before or after a day."""
    return Parameter(
        name, "date", f"{what} on (eq), before (lt, le) or after (gt, ge) a day", parse
    )


@dataclass(frozen=True)
class ResourceSearch:
    """A resource type's read and search: the table it is read from (``kind``) and the search
    parameters it takes."""

    kind: queries.Kind
    parameters: Mapping[str, Parameter]
    #: Read ids look like this prefix + our id (``lot-12``).
    id_prefix: str = ""
    #: The search parameter whose value names the patient searched for (for the audit entry).
    patient_parameter: str | None = None
    documentation: str = ""

    @property
    def type(self) -> str:
        return self.kind.type

    def read(self, uow: UnitOfWork, actor: Actor, row_id: int, clock: Clock) -> Resource:
        return queries.read(uow, actor, self.kind, row_id, clock)

    def search(
        self,
        uow: UnitOfWork,
        actor: Actor,
        filters: Filters,
        used: Sequence[str],
        clock: Clock,
        *,
        patient_id: int | None = None,
    ) -> queries.Page:
        return queries.search(uow, actor, self.kind, filters, used, clock, patient_id=patient_id)


def _parameters(*items: Parameter) -> dict[str, Parameter]:
    return {item.name: item for item in items}


SEARCHES: dict[str, ResourceSearch] = {
    "Patient": ResourceSearch(
        queries.KINDS["Patient"],
        _parameters(
            Parameter("_id", "token", "The patient's id", _id_of(Patient, "Patient")),
            Parameter(
                "name",
                "string",
                "Each word starts a word of the given or family name (case and accents aside)",
                _patient_name,
            ),
            _date_parameter("birthdate", "Born", _patient_birthdate),
            Parameter("identifier", "token", "Our identifier: [system|]id", _patient_identifier),
            Parameter(
                "telecom",
                "token",
                "A phone number (ending in these digits) or an e-mail address (exactly)",
                _patient_telecom,
            ),
        ),
        documentation="The clinic's patients (all roles; each read and search audited)",
    ),
    "Practitioner": ResourceSearch(
        queries.KINDS["Practitioner"],
        _parameters(
            Parameter("_id", "token", "The staff member's id", _id_of(StaffUser, "Practitioner")),
            Parameter("name", "string", "Words of the staff member's name", _practitioner_name),
        ),
        documentation="The clinic's staff, by name (all roles, as on the calendar)",
    ),
    "Organization": ResourceSearch(
        queries.KINDS["Organization"],
        _parameters(Parameter("_id", "token", "The clinic's id", _id_of(Clinic, "Organization"))),
        documentation="The clinic itself (another clinic is never found)",
    ),
    "Appointment": ResourceSearch(
        queries.KINDS["Appointment"],
        _parameters(
            Parameter("_id", "token", "The appointment's id", _id_of(Appointment, "Appointment")),
            _patient_parameter(Appointment),
            Parameter("practitioner", "reference", "Practitioner/<id>", _appointment_practitioner),
            Parameter(
                "date",
                "date",
                "Starting on (eq), before (lt, le) or after (gt, ge) a day of the clinic's time zone",
                _appointment_date,
            ),
            Parameter(
                "status",
                "token",
                "booked, arrived, fulfilled, cancelled or noshow (comma-separated: any of them)",
                _appointment_status,
            ),
        ),
        patient_parameter="patient",
        documentation="Booked sessions (all roles)",
    ),
    "Procedure": ResourceSearch(
        queries.KINDS["Procedure"],
        _parameters(
            Parameter(
                "_id", "token", "The charted session's id", _id_of(SessionChart, "Procedure")
            ),
            _patient_parameter(SessionChart),
            _date_parameter("date", "Performed", _day_of(SessionChart.performed_on)),
        ),
        patient_parameter="patient",
        documentation=(
            "Charted sessions (clinicians and owners): a search finds each session's current "
            "chart; an amended version stays readable, with a note naming its amendment"
        ),
    ),
    "Consent": ResourceSearch(
        queries.KINDS["Consent"],
        _parameters(
            Parameter("_id", "token", "The consent's id", _id_of(Consent, "Consent")),
            _patient_parameter(Consent),
            Parameter("status", "token", "active, or inactive (withdrawn)", _consent_status),
        ),
        patient_parameter="patient",
        documentation="Signed consents, the signed text attached (all roles)",
    ),
    "Observation": ResourceSearch(
        queries.KINDS["Observation"],
        _parameters(
            Parameter("_id", "token", "The outcome's id", _id_of(OutcomeAssessment, "Observation")),
            _patient_parameter(OutcomeAssessment),
            Parameter("code", "token", f"The scale: [{SCALE_SYSTEM}|]code", _observation_code),
            _date_parameter("date", "Assessed", _day_of(OutcomeAssessment.assessed_on)),
        ),
        patient_parameter="patient",
        documentation="Outcome scores (clinicians and owners)",
    ),
    "CarePlan": ResourceSearch(
        queries.KINDS["CarePlan"],
        _parameters(
            Parameter("_id", "token", "The plan's id", _id_of(TreatmentPlan, "CarePlan")),
            _patient_parameter(TreatmentPlan),
            Parameter(
                "status",
                "token",
                "draft (proposed), active (accepted), completed or revoked",
                _careplan_status,
            ),
        ),
        patient_parameter="patient",
        documentation="Treatment plans (clinicians and owners)",
    ),
    "RiskAssessment": ResourceSearch(
        queries.KINDS["RiskAssessment"],
        _parameters(
            Parameter("_id", "token", "The intake's id", _id_of(Intake, "RiskAssessment")),
            _patient_parameter(Intake),
            _date_parameter("date", "Assessed", _day_of(Intake.assessed_on)),
        ),
        patient_parameter="patient",
        documentation="Screening results of intakes: decision, findings, sources (all roles)",
    ),
    "Device": ResourceSearch(
        queries.KINDS["Device"],
        _parameters(
            Parameter("_id", "token", "lot-<id>", _id_of(CartridgeLot, "Device", "lot-")),
            Parameter(
                "lot-number",
                "string",
                "The cartridge lot's number, exactly (our recall)",
                _lot_number,
                LOT_NUMBER_PARAMETER,
            ),
            Parameter("status", "token", "active, or inactive (recalled)", _lot_status),
        ),
        id_prefix="lot-",
        documentation="Cartridge lots (clinicians and owners, as the inventory)",
    ),
    "PractitionerRole": ResourceSearch(
        queries.KINDS["PractitionerRole"],
        _parameters(
            Parameter(
                "_id", "token", "The staff member's id", _id_of(StaffUser, "PractitionerRole")
            ),
            Parameter("practitioner", "reference", "Practitioner/<id>", _practitioner_reference),
            Parameter("role", "token", f"The role: {', '.join(STAFF_ROLES)}", _staff_role),
            Parameter("active", "token", "true or false", _active(StaffUser.active)),
        ),
        documentation="Staff members' roles and weekly hours (owners only, as the staff list)",
    ),
    "Location": ResourceSearch(
        queries.KINDS["Location"],
        _parameters(
            Parameter("_id", "token", "The room's id", _id_of(Room, "Location")),
            Parameter("name", "string", "Words of the room's name", _room_name),
            Parameter("status", "token", "active or inactive", _room_status),
        ),
        documentation="The clinic's treatment rooms (all roles, as on the calendar)",
    ),
    "Schedule": ResourceSearch(
        queries.KINDS["Schedule"],
        _parameters(
            Parameter(
                "_id",
                "token",
                "The practitioner's id",
                _id_of(PractitionerHours, "Schedule", column=PractitionerHours.staff_user_id),
            ),
            Parameter("actor", "reference", "Practitioner/<id>", _schedule_actor),
        ),
        documentation=(
            "Each practitioner of the clinic calendar and their weekly hours (all roles); their "
            "free time is searched as Slot"
        ),
    ),
    "AdverseEvent": ResourceSearch(
        queries.KINDS["AdverseEvent"],
        _parameters(
            Parameter(
                "_id", "token", "The adverse event's id", _id_of(AdverseEvent, "AdverseEvent")
            ),
            _patient_parameter(AdverseEvent, "subject"),
            _date_parameter("date", "Onset", _day_of(AdverseEvent.onset_on)),
        ),
        patient_parameter="subject",
        documentation=(
            "Adverse events after sessions, the session's cartridge lot as the suspect entity "
            "(clinicians and owners)"
        ),
    ),
    "Media": ResourceSearch(
        queries.KINDS["Media"],
        _parameters(
            Parameter("_id", "token", "The photo's id", _id_of(Photo, "Media")),
            _patient_parameter(Photo),
            _date_parameter("created", "Taken", _moment_of(Photo.taken_at)),
        ),
        patient_parameter="patient",
        documentation=(
            "Photos' details (clinicians and owners); the image at content.url, with the same "
            "token, each download audited"
        ),
    ),
    "AuditEvent": ResourceSearch(
        queries.KINDS["AuditEvent"],
        _parameters(
            Parameter("_id", "token", "The entry's number", _id_of(AuditEntry, "AuditEvent")),
            _patient_parameter(AuditEntry),
            _date_parameter("date", "Recorded", _moment_of(AuditEntry.recorded_at)),
        ),
        patient_parameter="patient",
        documentation="The clinic's audit log (owners only)",
    ),
    "QuestionnaireResponse": ResourceSearch(
        queries.KINDS["QuestionnaireResponse"],
        _parameters(
            Parameter("_id", "token", "The intake's id", _id_of(Intake, "QuestionnaireResponse")),
            _patient_parameter(Intake),
            _date_parameter("authored", "Recorded", _moment_of(Intake.recorded_at)),
        ),
        patient_parameter="patient",
        documentation="Recorded intakes, as submitted (all roles); the screening is the "
        "RiskAssessment of the same id",
    ),
}

_INSTANT = re.compile(
    r"(eq|ne|gt|lt|ge|le|sa|eb|ap)?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))"
)


def _last_updated(kind: queries.Kind) -> Parser:
    """``_lastUpdated``: a day of the clinic's time zone (as ``date``), or an instant with its
    UTC offset (``gt2026-12-01T10:00:00Z``)."""

    def parse(name: str, value: str) -> Condition:
        column = kind.last_updated()
        match = _INSTANT.fullmatch(value)
        if match is None:
            prefix, day = _day(name, value)
            return lambda zone: _moment_condition(column, prefix, day, zone)
        prefix = match.group(1) or "eq"
        try:
            moment = datetime.fromisoformat(match.group(2).replace("Z", "+00:00"))
        except ValueError:
            raise SearchError(f"{name}: {match.group(2)[:40]} is not an instant") from None
        moment = moment.astimezone(UTC)
        conditions: dict[str, ColumnElement[bool]] = {
            "eq": column == moment,
            "ge": column >= moment,
            "gt": column > moment,
            "lt": column < moment,
            "le": column <= moment,
        }
        if prefix not in conditions:
            raise SearchError(f"{name}: the prefix {prefix} is not supported (eq, ge, gt, le, lt)")
        return _fixed(conditions[prefix])

    return parse


for _search in SEARCHES.values():
    if _search.kind.changed:
        _search.parameters["_lastUpdated"] = Parameter(  # type: ignore[index]
            "_lastUpdated",
            "date",
            "Last changed on a day (eq), or before (lt, le) or after (gt, ge) a day or an "
            "instant with its UTC offset",
            _last_updated(_search.kind),
            "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated",
        )

#: Parameters every search takes (besides the resource's own).
COMMON = ("_count", "_offset", "_format", "_total")
FORMATS = frozenset({"json", "application/json", "application/fhir+json"})


def _number(name: str, value: str, highest: int) -> int:
    if not value.isdigit() or len(value) > 9:
        raise SearchError(f"{name}: give a whole number from 0 to {highest:,}")
    number = int(value)
    if number > highest:
        raise SearchError(f"{name}: at most {highest:,} (got {number:,})")
    return number


@dataclass
class Search:
    """A query string read: its filters and page, the names of the parameters used, the patient
    it is about (when one is named by reference) and the items kept (for the page links)."""

    filters: Filters
    used: list[str]
    patient_id: int | None
    kept: list[tuple[str, str]]


def parse(search: ResourceSearch, items: list[tuple[str, str]], *, strict: bool = True) -> Search:
    """Read a query string's ``items``. An unknown parameter is refused, unless ``strict`` is
    off (the client sent ``Prefer: handling=lenient``): then it is left out, and out of the
    ``self`` link, which says what was searched by (as FHIR's search page says)."""
    if len(items) > MAX_PARAMETERS:
        raise SearchError(f"at most {MAX_PARAMETERS} search parameters at once")
    filters = Filters(count=DEFAULT_COUNT)
    used: list[str] = []
    kept: list[tuple[str, str]] = []
    patient_id: int | None = None
    for name, value in items:
        if not strict and name not in search.parameters and name not in COMMON:
            continue
        kept.append((name, value))
        if len(value) > MAX_VALUE:
            raise SearchError(f"{name[:40]}: at most {MAX_VALUE} characters")
        if name == "_count":
            filters.count = _number(name, value, MAX_COUNT)
        elif name == "_offset":
            filters.offset = _number(name, value, MAX_OFFSET)
        elif name == "_total":
            # The total is always counted exactly, whatever is asked.
            if value not in ("none", "estimate", "accurate"):
                raise SearchError("_total: none, estimate or accurate")
        elif name == "_format":
            if value not in FORMATS:
                raise SearchError("_format: this server answers JSON only (json)")
        elif name in search.parameters:
            if not value.strip():
                raise SearchError(f"{name}: give a value")
            filters.conditions.append(search.parameters[name].parse(name, value))
            used.append(name)
            if name == search.patient_parameter:
                patient_id = _reference(name, "Patient", value)
        else:
            known = ", ".join([*search.parameters, *COMMON[:2]])
            raise SearchError(
                f"{name[:40]!r} is not a search parameter of {search.type} here (known: {known})"
            )
    return Search(filters, sorted(set(used)), patient_id, kept)


#: What ``Patient/{id}/$everything`` gathers besides the patient, and the most of each.
EVERYTHING = tuple(
    SEARCHES[name]
    for name in (
        "Appointment",
        "Procedure",
        "Consent",
        "Observation",
        "CarePlan",
        "RiskAssessment",
    )
)
EVERYTHING_MOST = 1000


def patient_filters(kind: ResourceSearch, patient_id: int) -> Filters:
    """A search of ``kind`` for one patient's resources (up to :data:`EVERYTHING_MOST`)."""
    assert kind.patient_parameter is not None
    condition = kind.parameters[kind.patient_parameter].parse(
        kind.patient_parameter, f"Patient/{patient_id}"
    )
    return Filters(conditions=[condition], count=EVERYTHING_MOST)

"""The search parameters each resource type answers, parsed from the query string into
conditions on our tables. One table (:data:`SEARCHES`) drives both the searches and the
CapabilityStatement, so the statement lists exactly what is implemented.

Values that cannot be read, and parameters we do not know, are refused (400, an
OperationOutcome): a client is never given a Bundle silently unfiltered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_

from microneedling.api.fhir import queries
from microneedling.api.fhir.codes import (
    FHIR_APPOINTMENT_STATUSES,
    IDENTIFIER_SYSTEM,
    LOT_NUMBER_PARAMETER,
    PLAN_STATUSES,
    SCALE_SYSTEM,
)
from microneedling.api.fhir.queries import Condition, Filters
from microneedling.services.clock import local_days
from microneedling.services.inputs import MAX_ID
from microneedling.store.models import (
    Appointment,
    CartridgeLot,
    Clinic,
    Consent,
    Intake,
    OutcomeAssessment,
    Patient,
    SessionChart,
    StaffUser,
    TreatmentPlan,
)

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


def _id_of(model: Any, kind: str, prefix: str = "") -> Parser:
    def parse(name: str, value: str) -> Condition:
        ids = [record_id(part.removeprefix(prefix)) for part in _any_of(value)]
        found = [row_id for row_id in ids if row_id is not None]
        return _fixed(model.id.in_(found) if found else false())

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


def _appointment_patient(name: str, value: str) -> Condition:
    return _fixed(Appointment.patient_id == _reference(name, "Patient", value))


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


def _procedure_patient(name: str, value: str) -> Condition:
    return _fixed(SessionChart.patient_id == _reference(name, "Patient", value))


def _procedure_date(name: str, value: str) -> Condition:
    prefix, day = _day(name, value)
    return _fixed(_day_condition(SessionChart.performed_on, prefix, day))


def _patient_of(model: Any) -> Parser:
    def parse(name: str, value: str) -> Condition:
        return _fixed(model.patient_id == _reference(name, "Patient", value))

    return parse


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


def _observation_date(name: str, value: str) -> Condition:
    prefix, day = _day(name, value)
    return _fixed(_day_condition(OutcomeAssessment.assessed_on, prefix, day))


def _careplan_status(name: str, value: str) -> Condition:
    ours_of = {fhir: ours for ours, fhir in PLAN_STATUSES.items()}
    ours = []
    for code in _any_of(value):
        if code not in ours_of:
            known = ", ".join(ours_of)
            raise SearchError(f"{name}: {code[:40]!r} is not one of our plan statuses ({known})")
        ours.append(ours_of[code])
    return _fixed(TreatmentPlan.status.in_(ours))


def _risk_date(name: str, value: str) -> Condition:
    prefix, day = _day(name, value)
    return _fixed(_day_condition(Intake.assessed_on, prefix, day))


@dataclass(frozen=True)
class ResourceSearch:
    """A resource type's read and search."""

    type: str
    read: Callable[..., dict[str, Any]]
    search: Callable[..., queries.Page]
    parameters: Mapping[str, Parameter]
    #: Read ids look like this prefix + our id (``lot-12``).
    id_prefix: str = ""
    #: The search parameter whose value names the patient searched for (for the audit entry).
    patient_parameter: str | None = None
    documentation: str = ""


def _parameters(*items: Parameter) -> dict[str, Parameter]:
    return {item.name: item for item in items}


SEARCHES: dict[str, ResourceSearch] = {
    "Patient": ResourceSearch(
        "Patient",
        queries.read_patient,
        queries.search_patients,
        _parameters(
            Parameter("_id", "token", "The patient's id", _id_of(Patient, "Patient")),
            Parameter(
                "name",
                "string",
                "Each word starts a word of the given or family name (case and accents aside)",
                _patient_name,
            ),
            Parameter(
                "birthdate",
                "date",
                "Born on (eq), before (lt, le) or after (gt, ge) a day",
                _patient_birthdate,
            ),
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
        "Practitioner",
        queries.read_practitioner,
        queries.search_practitioners,
        _parameters(
            Parameter("_id", "token", "The staff member's id", _id_of(StaffUser, "Practitioner")),
            Parameter("name", "string", "Words of the staff member's name", _practitioner_name),
        ),
        documentation="The clinic's staff, by name (all roles, as on the calendar)",
    ),
    "Organization": ResourceSearch(
        "Organization",
        queries.read_organization,
        queries.search_organizations,
        _parameters(Parameter("_id", "token", "The clinic's id", _id_of(Clinic, "Organization"))),
        documentation="The clinic itself (another clinic is never found)",
    ),
    "Appointment": ResourceSearch(
        "Appointment",
        queries.read_appointment,
        queries.search_appointments,
        _parameters(
            Parameter("_id", "token", "The appointment's id", _id_of(Appointment, "Appointment")),
            Parameter("patient", "reference", "Patient/<id>", _appointment_patient),
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
        "Procedure",
        queries.read_procedure,
        queries.search_procedures,
        _parameters(
            Parameter(
                "_id", "token", "The charted session's id", _id_of(SessionChart, "Procedure")
            ),
            Parameter("patient", "reference", "Patient/<id>", _procedure_patient),
            Parameter(
                "date",
                "date",
                "Performed on (eq), before (lt, le) or after (gt, ge) a day",
                _procedure_date,
            ),
        ),
        patient_parameter="patient",
        documentation=(
            "Charted sessions (clinicians and owners): a search finds each session's current "
            "chart; an amended version stays readable, with a note naming its amendment"
        ),
    ),
    "Consent": ResourceSearch(
        "Consent",
        queries.read_consent,
        queries.search_consents,
        _parameters(
            Parameter("_id", "token", "The consent's id", _id_of(Consent, "Consent")),
            Parameter("patient", "reference", "Patient/<id>", _patient_of(Consent)),
            Parameter("status", "token", "active, or inactive (withdrawn)", _consent_status),
        ),
        patient_parameter="patient",
        documentation="Signed consents, the signed text attached (all roles)",
    ),
    "Observation": ResourceSearch(
        "Observation",
        queries.read_observation,
        queries.search_observations,
        _parameters(
            Parameter("_id", "token", "The outcome's id", _id_of(OutcomeAssessment, "Observation")),
            Parameter("patient", "reference", "Patient/<id>", _patient_of(OutcomeAssessment)),
            Parameter("code", "token", f"The scale: [{SCALE_SYSTEM}|]code", _observation_code),
            Parameter(
                "date",
                "date",
                "Assessed on (eq), before (lt, le) or after (gt, ge) a day",
                _observation_date,
            ),
        ),
        patient_parameter="patient",
        documentation="Outcome scores (clinicians and owners)",
    ),
    "CarePlan": ResourceSearch(
        "CarePlan",
        queries.read_careplan,
        queries.search_careplans,
        _parameters(
            Parameter("_id", "token", "The plan's id", _id_of(TreatmentPlan, "CarePlan")),
            Parameter("patient", "reference", "Patient/<id>", _patient_of(TreatmentPlan)),
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
        "RiskAssessment",
        queries.read_risk_assessment,
        queries.search_risk_assessments,
        _parameters(
            Parameter("_id", "token", "The intake's id", _id_of(Intake, "RiskAssessment")),
            Parameter("patient", "reference", "Patient/<id>", _patient_of(Intake)),
            Parameter(
                "date",
                "date",
                "Assessed on (eq), before (lt, le) or after (gt, ge) a day",
                _risk_date,
            ),
        ),
        patient_parameter="patient",
        documentation="Screening results of intakes: decision, findings, sources (all roles)",
    ),
    "Device": ResourceSearch(
        "Device",
        queries.read_lot,
        queries.search_lots,
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
}

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

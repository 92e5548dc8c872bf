"""Reading the clinic's records for FHIR: each read or search is one use case in a
:class:`~microneedling.services.access.Transaction` (the role matrix, the account's standing,
one audit entry), and every query is filtered on the actor's clinic.

A search returns its page and the total of matches; another clinic's record is never found (a
read answers :class:`~microneedling.errors.NotFound`, exactly as for a missing one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.orm import Session, aliased

from microneedling.api.fhir import clinical_resources, codes, resources
from microneedling.api.fhir.resources import Resource
from microneedling.errors import NotFound
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock
from microneedling.store import UnitOfWork
from microneedling.store.models import (
    Appointment,
    CartridgeLot,
    ChartZone,
    Clinic,
    Consent,
    Intake,
    OutcomeAssessment,
    Patient,
    SessionChart,
    StaffUser,
    TreatmentPlan,
)
from microneedling.store.patient_search import fold, like_literal


@dataclass(frozen=True)
class Page:
    total: int
    resources: list[Resource]


Condition = Callable[[str], ColumnElement[bool]]


@dataclass
class Filters:
    """A search's conditions (the resource's own columns, parsed by the app) and its page."""

    #: Each gives its condition for the clinic's time zone (a day is the clinic's day).
    conditions: list[Condition] = field(default_factory=list)
    count: int = 20
    offset: int = 0


def _session(tx: Transaction) -> Session:
    # The reading transaction's own session (as services/billing/access.py reads it).
    return tx._work.session


def _page(
    tx: Transaction,
    model: Any,
    filters: Filters,
    order: Sequence[Any],
) -> tuple[int, list[Any]]:
    zone = tx.records.clinic().time_zone
    conditions = [
        model.clinic_id == tx.actor.clinic_id,
        *(condition(zone) for condition in filters.conditions),
    ]
    session = _session(tx)
    total = session.execute(select(func.count()).select_from(model).where(*conditions)).scalar_one()
    rows: list[Any] = []
    if filters.count > 0 and filters.offset < total:
        query: Select[Any] = (
            select(model)
            .where(*conditions)
            .order_by(*order)
            .limit(filters.count)
            .offset(filters.offset)
        )
        rows = list(session.execute(query).scalars())
    return total, rows


def _read(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    clock: Clock,
    model: Any,
    row_id: int,
    kind: str,
    view: Callable[[Transaction, Any, Clinic], Resource],
    patient_of: Callable[[Any], int | None] = lambda row: None,
) -> Resource:
    with Transaction(uow, actor, action, clock, reading=True) as tx:
        row = tx.records.get(model, row_id)
        if row is None:
            raise NotFound(f"no {kind} {row_id} in this clinic", field="id")
        resource = view(tx, row, tx.records.clinic())
        tx.done(
            patient_id=patient_of(row),
            entity=(model.__tablename__, row_id),
            details={"fhir": resource["resourceType"]},
        )
    return resource


def _search(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    clock: Clock,
    model: Any,
    filters: Filters,
    order: Sequence[Any],
    view: Callable[[Transaction, Any, Clinic], Resource],
    *,
    resource_type: str,
    used: Sequence[str],
    patient_id: int | None = None,
) -> Page:
    with Transaction(uow, actor, action, clock, reading=True) as tx:
        clinic = tx.records.clinic()
        total, rows = _page(tx, model, filters, order)
        found = [view(tx, row, clinic) for row in rows]
        # The parameters' values may identify a patient (a name, a birth date): only their names.
        tx.done(
            patient_id=patient_id,
            details={"fhir": resource_type, "results": len(found), "filters": sorted(used)},
        )
    return Page(total, found)


# Patient ------------------------------------------------------------------------------------


def _patient(tx: Transaction, row: Patient, clinic: Clinic) -> Resource:
    return resources.patient_resource(row, clinic)


def read_patient(uow: UnitOfWork, actor: Actor, patient_id: int, clock: Clock) -> Resource:
    return _read(
        uow, actor, "patient.read", clock, Patient, patient_id, "patient", _patient,
        lambda row: row.id,
    )  # fmt: skip


def patient_name_condition(text: str) -> list[ColumnElement[bool]]:
    """Every word of ``text`` starts a word of the given or family name (case and accents
    aside), as the JSON API's search does."""
    words = fold(text).split()
    return [
        Patient.search_name.like(f"% {like_literal(word)}%", escape="\\") for word in words
    ] or [Patient.id < 0]


def patient_telecom_condition(value: str) -> ColumnElement[bool]:
    value = value.strip()
    if "@" in value:
        return Patient.email == value.lower()
    digits = "".join(ch for ch in value if ch.isdigit())
    if not digits:
        return Patient.id < 0
    return Patient.phone_digits.like(f"%{like_literal(digits.lstrip('0') or digits)}", escape="\\")


def search_patients(
    uow: UnitOfWork, actor: Actor, filters: Filters, used: Sequence[str], clock: Clock
) -> Page:
    return _search(
        uow, actor, "patient.search", clock, Patient, filters,
        (Patient.family_name, Patient.given_name, Patient.id), _patient,
        resource_type="Patient", used=used,
    )  # fmt: skip


# Practitioner and Organization --------------------------------------------------------------


def _practitioner(tx: Transaction, row: StaffUser, clinic: Clinic) -> Resource:
    return resources.practitioner_resource(row, clinic)


#: Staff's names are on every calendar; everyone who may see the calendar may see them.
STAFF_NAMES = "calendar.read"


def read_practitioner(uow: UnitOfWork, actor: Actor, staff_id: int, clock: Clock) -> Resource:
    return _read(uow, actor, STAFF_NAMES, clock, StaffUser, staff_id, "staff member", _practitioner)


def practitioner_name_condition(text: str) -> list[ColumnElement[bool]]:
    words = text.split()
    return [
        func.lower(StaffUser.display_name).like(f"%{like_literal(word.lower())}%", escape="\\")
        for word in words
    ] or [StaffUser.id < 0]


def search_practitioners(
    uow: UnitOfWork, actor: Actor, filters: Filters, used: Sequence[str], clock: Clock
) -> Page:
    return _search(
        uow, actor, STAFF_NAMES, clock, StaffUser, filters,
        (StaffUser.display_name, StaffUser.id), _practitioner,
        resource_type="Practitioner", used=used,
    )  # fmt: skip


def read_organization(uow: UnitOfWork, actor: Actor, clinic_id: int, clock: Clock) -> Resource:
    """The actor's own clinic (any other id is not found)."""
    with Transaction(uow, actor, STAFF_NAMES, clock, reading=True) as tx:
        if clinic_id != actor.clinic_id:
            raise NotFound(f"no organization {clinic_id} here", field="id")
        resource = resources.organization_resource(tx.records.clinic())
        tx.done(entity=("clinic", clinic_id), details={"fhir": "Organization"})
    return resource


def search_organizations(
    uow: UnitOfWork, actor: Actor, filters: Filters, used: Sequence[str], clock: Clock
) -> Page:
    """The actor's own clinic, the one organization this server shows."""
    with Transaction(uow, actor, STAFF_NAMES, clock, reading=True) as tx:
        session = _session(tx)
        zone = tx.records.clinic().time_zone
        conditions = [
            Clinic.id == actor.clinic_id,
            *(condition(zone) for condition in filters.conditions),
        ]
        rows = list(session.execute(select(Clinic).where(*conditions)).scalars())
        found = [resources.organization_resource(row) for row in rows]
        page = found[filters.offset : filters.offset + filters.count]
        tx.done(details={"fhir": "Organization", "results": len(page), "filters": sorted(used)})
    return Page(len(found), page)


# Appointment --------------------------------------------------------------------------------


def _appointment(tx: Transaction, row: Appointment, clinic: Clinic) -> Resource:
    session = _session(tx)
    patient = session.execute(
        select(Patient.given_name, Patient.family_name).where(
            Patient.id == row.patient_id, Patient.clinic_id == clinic.id
        )
    ).one()
    practitioner = None
    if row.practitioner_id is not None:
        practitioner = session.execute(
            select(StaffUser.display_name).where(
                StaffUser.id == row.practitioner_id, StaffUser.clinic_id == clinic.id
            )
        ).scalar_one_or_none()
    return resources.appointment_resource(
        row, clinic, f"{patient.given_name} {patient.family_name}", practitioner
    )


def read_appointment(uow: UnitOfWork, actor: Actor, appointment_id: int, clock: Clock) -> Resource:
    return _read(
        uow, actor, "appointment.read", clock, Appointment, appointment_id, "appointment",
        _appointment, lambda row: row.patient_id,
    )  # fmt: skip


def search_appointments(
    uow: UnitOfWork,
    actor: Actor,
    filters: Filters,
    used: Sequence[str],
    clock: Clock,
    *,
    patient_id: int | None = None,
) -> Page:
    return _search(
        uow, actor, "appointment.read", clock, Appointment, filters,
        (Appointment.starts_at, Appointment.id), _appointment,
        resource_type="Appointment", used=used, patient_id=patient_id,
    )  # fmt: skip


# Device (cartridge lots) --------------------------------------------------------------------


def _lot(tx: Transaction, row: CartridgeLot, clinic: Clinic) -> Resource:
    return resources.lot_device_resource(row, clinic)


def read_lot(uow: UnitOfWork, actor: Actor, lot_id: int, clock: Clock) -> Resource:
    return _read(uow, actor, "inventory.read", clock, CartridgeLot, lot_id, "cartridge lot", _lot)


def search_lots(
    uow: UnitOfWork, actor: Actor, filters: Filters, used: Sequence[str], clock: Clock
) -> Page:
    return _search(
        uow, actor, "inventory.read", clock, CartridgeLot, filters,
        (CartridgeLot.expires_on, CartridgeLot.lot_number, CartridgeLot.id), _lot,
        resource_type="Device", used=used,
    )  # fmt: skip


# Procedure (charted sessions) ---------------------------------------------------------------


def _names(tx: Transaction, patient_id: int, staff_id: int | None) -> tuple[str, str | None]:
    session = _session(tx)
    clinic_id = tx.actor.clinic_id
    patient = session.execute(
        select(Patient.given_name, Patient.family_name).where(
            Patient.id == patient_id, Patient.clinic_id == clinic_id
        )
    ).one()
    staff = None
    if staff_id is not None:
        staff = session.execute(
            select(StaffUser.display_name).where(
                StaffUser.id == staff_id, StaffUser.clinic_id == clinic_id
            )
        ).scalar_one_or_none()
    return f"{patient.given_name} {patient.family_name}", staff


def _procedure(tx: Transaction, row: SessionChart, clinic: Clinic) -> Resource:
    session = _session(tx)
    zones = list(
        session.execute(
            select(ChartZone)
            .where(ChartZone.chart_id == row.id, ChartZone.clinic_id == clinic.id)
            .order_by(ChartZone.position)
        ).scalars()
    )
    amended_by = session.execute(
        select(SessionChart.id).where(
            SessionChart.amends_id == row.id, SessionChart.clinic_id == clinic.id
        )
    ).scalar_one_or_none()
    patient_name, practitioner_name = _names(tx, row.patient_id, row.practitioner_id)
    return clinical_resources.procedure_resource(
        row,
        zones,
        clinic,
        patient_name=patient_name,
        practitioner_name=practitioner_name,
        amended_by=amended_by,
        labels=codes.zone_codes(),
    )


def read_procedure(uow: UnitOfWork, actor: Actor, chart_id: int, clock: Clock) -> Resource:
    return _read(
        uow, actor, "chart.read", clock, SessionChart, chart_id, "charted session",
        _procedure, lambda row: row.patient_id,
    )  # fmt: skip


def current_chart_condition(zone: str) -> ColumnElement[bool]:
    """Only a session's current chart (one no amendment supersedes) is found by a search."""
    amendment = aliased(SessionChart)
    return ~exists().where(
        amendment.amends_id == SessionChart.id, amendment.clinic_id == SessionChart.clinic_id
    )


def search_procedures(
    uow: UnitOfWork,
    actor: Actor,
    filters: Filters,
    used: Sequence[str],
    clock: Clock,
    *,
    patient_id: int | None = None,
) -> Page:
    filters.conditions.append(current_chart_condition)
    return _search(
        uow, actor, "chart.list", clock, SessionChart, filters,
        (SessionChart.performed_on, SessionChart.id), _procedure,
        resource_type="Procedure", used=used, patient_id=patient_id,
    )  # fmt: skip


# Consent ------------------------------------------------------------------------------------


def _consent(tx: Transaction, row: Consent, clinic: Clinic) -> Resource:
    patient_name, _ = _names(tx, row.patient_id, None)
    return clinical_resources.consent_resource(row, clinic, patient_name=patient_name)


def read_consent(uow: UnitOfWork, actor: Actor, consent_id: int, clock: Clock) -> Resource:
    return _read(
        uow, actor, "consent.read", clock, Consent, consent_id, "consent", _consent,
        lambda row: row.patient_id,
    )  # fmt: skip


def search_consents(
    uow: UnitOfWork,
    actor: Actor,
    filters: Filters,
    used: Sequence[str],
    clock: Clock,
    *,
    patient_id: int | None = None,
) -> Page:
    return _search(
        uow, actor, "consent.read", clock, Consent, filters,
        (Consent.signed_at, Consent.id), _consent,
        resource_type="Consent", used=used, patient_id=patient_id,
    )  # fmt: skip


# Observation (outcome scores) ---------------------------------------------------------------


def _observation(tx: Transaction, row: OutcomeAssessment, clinic: Clinic) -> Resource:
    patient_name, rater = _names(tx, row.patient_id, row.rater_id)
    return clinical_resources.observation_resource(
        row, clinic, patient_name=patient_name, rater_name=rater, scales=codes.scale_codes()
    )


def read_observation(uow: UnitOfWork, actor: Actor, outcome_id: int, clock: Clock) -> Resource:
    return _read(
        uow, actor, "outcome.read", clock, OutcomeAssessment, outcome_id, "outcome",
        _observation, lambda row: row.patient_id,
    )  # fmt: skip


def search_observations(
    uow: UnitOfWork,
    actor: Actor,
    filters: Filters,
    used: Sequence[str],
    clock: Clock,
    *,
    patient_id: int | None = None,
) -> Page:
    return _search(
        uow, actor, "outcome.read", clock, OutcomeAssessment, filters,
        (OutcomeAssessment.assessed_on, OutcomeAssessment.id), _observation,
        resource_type="Observation", used=used, patient_id=patient_id,
    )  # fmt: skip


# CarePlan (treatment plans) -----------------------------------------------------------------


def _careplan(tx: Transaction, row: TreatmentPlan, clinic: Clinic) -> Resource:
    patient_name, author = _names(tx, row.patient_id, row.created_by)
    return clinical_resources.careplan_resource(
        row,
        clinic,
        patient_name=patient_name,
        author_name=author,
        labels=codes.zone_codes(),
        concerns=codes.concern_codes(),
    )


def read_careplan(uow: UnitOfWork, actor: Actor, plan_id: int, clock: Clock) -> Resource:
    return _read(
        uow, actor, "plan.read", clock, TreatmentPlan, plan_id, "treatment plan", _careplan,
        lambda row: row.patient_id,
    )  # fmt: skip


def search_careplans(
    uow: UnitOfWork,
    actor: Actor,
    filters: Filters,
    used: Sequence[str],
    clock: Clock,
    *,
    patient_id: int | None = None,
) -> Page:
    return _search(
        uow, actor, "plan.read", clock, TreatmentPlan, filters,
        (TreatmentPlan.created_at, TreatmentPlan.id), _careplan,
        resource_type="CarePlan", used=used, patient_id=patient_id,
    )  # fmt: skip


# RiskAssessment (screening results) ---------------------------------------------------------


def _risk_assessment(tx: Transaction, row: Intake, clinic: Clinic) -> Resource:
    patient_name, recorder = _names(tx, row.patient_id, row.recorded_by)
    return clinical_resources.risk_assessment_resource(
        row, clinic, patient_name=patient_name, recorder_name=recorder
    )


def read_risk_assessment(uow: UnitOfWork, actor: Actor, intake_id: int, clock: Clock) -> Resource:
    return _read(
        uow, actor, "intake.read", clock, Intake, intake_id, "screening", _risk_assessment,
        lambda row: row.patient_id,
    )  # fmt: skip


def search_risk_assessments(
    uow: UnitOfWork,
    actor: Actor,
    filters: Filters,
    used: Sequence[str],
    clock: Clock,
    *,
    patient_id: int | None = None,
) -> Page:
    return _search(
        uow, actor, "intake.read", clock, Intake, filters,
        (Intake.assessed_on, Intake.id), _risk_assessment,
        resource_type="RiskAssessment", used=used, patient_id=patient_id,
    )  # fmt: skip

"""Reading the clinic's records for FHIR: each read or search is one use case in a
:class:`~microneedling.services.access.Transaction` (the role matrix, the account's standing,
one audit entry), and every query is filtered on the actor's clinic.

One :class:`Kind` per resource type says which table, which role-matrix actions, which order
and which view (our row → the resource); :func:`read` and :func:`search` do the rest. A search
returns its page and the total of matches; another clinic's record is never found (a read
answers :class:`~microneedling.errors.NotFound`, exactly as for a missing one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.orm import Session, aliased

from microneedling.api.fhir import clinical_resources, codes, questionnaire, resources
from microneedling.api.fhir import workflow_resources as workflow
from microneedling.api.fhir.resources import Resource
from microneedling.errors import NotFound
from microneedling.services.access import ACTION_WORDS, Actor, Transaction
from microneedling.services.clock import Clock
from microneedling.store import UnitOfWork
from microneedling.store.models import (
    AdverseEvent,
    Appointment,
    AuditEntry,
    CartridgeLot,
    ChartZone,
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
from microneedling.store.patient_search import fold, like_literal
from microneedling.store.scheduling_models import PractitionerHours, Room


@dataclass(frozen=True)
class Page:
    total: int
    resources: list[Resource]


Condition = Callable[[str], ColumnElement[bool]]
View = Callable[[Transaction, Any, Clinic], Resource]


@dataclass
class Filters:
    """A search's conditions (the resource's own columns, parsed by the app) and its page."""

    #: Each gives its condition for the clinic's time zone (a day is the clinic's day).
    conditions: list[Condition] = field(default_factory=list)
    count: int = 20
    offset: int = 0


@dataclass(frozen=True)
class Kind:
    """How one FHIR resource type is read from one of our tables."""

    type: str
    model: Any
    #: How the table's row is named to the reader ("no {noun} 12 in this clinic").
    noun: str
    #: The role-matrix action of a read, and of a search (the read's unless given).
    action: str
    view: View
    order: tuple[Any, ...]
    search_action: str | None = None
    #: The patient a row is about (for the audit entry).
    patient_of: Callable[[Any], int | None] = lambda row: None
    #: Conditions every search adds (only the current version of a chart...).
    always: tuple[Condition, ...] = ()
    #: The column that says whose clinic a row is, and the one that is its id.
    clinic_column: str = "clinic_id"
    id_column: str = "id"
    #: The columns that hold when a row last changed, the later change first (``withdrawn_at``,
    #: ``signed_at``): only for rows whose every change sets one of them. Empty: not known, so
    #: no ``meta.lastUpdated`` and no ``_lastUpdated`` search.
    changed: tuple[str, ...] = ()

    def mine(self, actor: Actor) -> ColumnElement[bool]:
        column: ColumnElement[bool] = getattr(self.model, self.clinic_column) == actor.clinic_id
        return column

    def row_id(self) -> Any:
        """The column that is a row's id."""
        return getattr(self.model, self.id_column)

    def last_updated(self) -> Any:
        """When a row last changed, as a column expression (for ``_lastUpdated``)."""
        columns = [getattr(self.model, name) for name in self.changed]
        return columns[0] if len(columns) == 1 else func.coalesce(*columns)

    def resource(self, tx: Transaction, row: Any, clinic: Clinic) -> Resource:
        """The row as its resource, with ``meta.lastUpdated`` where it is known."""
        resource = self.view(tx, row, clinic)
        for name in self.changed:
            moment = getattr(row, name)
            if moment is not None:
                resource["meta"] = {"lastUpdated": resources.instant(moment)}
                break
        return resource


def _session(tx: Transaction) -> Session:
    # The reading transaction's own session (as services/billing/access.py reads it).
    return tx._work.session


def _conditions(tx: Transaction, kind: Kind, filters: Filters) -> list[ColumnElement[bool]]:
    zone = tx.records.clinic().time_zone
    return [
        kind.mine(tx.actor),
        *(condition(zone) for condition in (*kind.always, *filters.conditions)),
    ]


def _page(tx: Transaction, kind: Kind, filters: Filters) -> tuple[int, list[Any]]:
    conditions = _conditions(tx, kind, filters)
    session = _session(tx)
    total = session.execute(
        select(func.count()).select_from(kind.model).where(*conditions)
    ).scalar_one()
    rows: list[Any] = []
    if filters.count > 0 and filters.offset < total:
        query: Select[Any] = (
            select(kind.model)
            .where(*conditions)
            .order_by(*kind.order)
            .limit(filters.count)
            .offset(filters.offset)
        )
        rows = list(session.execute(query).scalars())
    return total, rows


def read(uow: UnitOfWork, actor: Actor, kind: Kind, row_id: int, clock: Clock) -> Resource:
    """One resource of the actor's clinic, audited as the JSON API's read of it."""
    with Transaction(uow, actor, kind.action, clock, reading=True) as tx:
        row = (
            _session(tx)
            .execute(select(kind.model).where(kind.row_id() == row_id, kind.mine(actor)))
            .scalar_one_or_none()
        )
        if row is None:
            raise NotFound(f"no {kind.noun} {row_id} in this clinic", field="id")
        resource = kind.resource(tx, row, tx.records.clinic())
        tx.done(
            patient_id=kind.patient_of(row),
            entity=(kind.model.__tablename__, row_id),
            details={"fhir": resource["resourceType"]},
        )
    return resource


def search(
    uow: UnitOfWork,
    actor: Actor,
    kind: Kind,
    filters: Filters,
    used: Sequence[str],
    clock: Clock,
    *,
    patient_id: int | None = None,
) -> Page:
    """A page of the actor's clinic's resources of ``kind`` that meet ``filters``, audited with
    the names of the parameters used (their values may identify a patient: never those)."""
    with Transaction(uow, actor, kind.search_action or kind.action, clock, reading=True) as tx:
        clinic = tx.records.clinic()
        total, rows = _page(tx, kind, filters)
        found = [kind.resource(tx, row, clinic) for row in rows]
        tx.done(
            patient_id=patient_id,
            details={"fhir": kind.type, "results": len(found), "filters": sorted(used)},
        )
    return Page(total, found)


def _of_patient(row: Any) -> int | None:
    patient_id: int | None = row.patient_id
    return patient_id


#: The most names one transaction remembers (an export reads a staff member's name once, not
#: once per resource; bounded so that a clinic-wide export stays small).
NAMES_REMEMBERED = 10_000


def _names(tx: Transaction, patient_id: int, staff_id: int | None) -> tuple[str, str | None]:
    """The patient's name and the staff member's, as the references' display texts (each read
    once per transaction)."""
    known: dict[tuple[str, int], str | None] = tx.__dict__.setdefault("_fhir_names", {})
    if len(known) > NAMES_REMEMBERED:
        known.clear()
    session = _session(tx)
    clinic_id = tx.actor.clinic_id
    if ("patient", patient_id) not in known:
        patient = session.execute(
            select(Patient.given_name, Patient.family_name).where(
                Patient.id == patient_id, Patient.clinic_id == clinic_id
            )
        ).one()
        known["patient", patient_id] = f"{patient.given_name} {patient.family_name}"
    staff = None
    if staff_id is not None:
        if ("staff", staff_id) not in known:
            known["staff", staff_id] = session.execute(
                select(StaffUser.display_name).where(
                    StaffUser.id == staff_id, StaffUser.clinic_id == clinic_id
                )
            ).scalar_one_or_none()
        staff = known["staff", staff_id]
    return known["patient", patient_id] or "", staff


# Search conditions that are not one column's ---------------------------------------------------


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


def practitioner_name_condition(text: str) -> list[ColumnElement[bool]]:
    words = text.split()
    return [
        func.lower(StaffUser.display_name).like(f"%{like_literal(word.lower())}%", escape="\\")
        for word in words
    ] or [StaffUser.id < 0]


def current_chart_condition(zone: str) -> ColumnElement[bool]:
    """Only a session's current chart (one no amendment supersedes) is found by a search."""
    amendment = aliased(SessionChart)
    return ~exists().where(
        amendment.amends_id == SessionChart.id, amendment.clinic_id == SessionChart.clinic_id
    )


# Views: our row as its resource -----------------------------------------------------------------


def _patient(tx: Transaction, row: Patient, clinic: Clinic) -> Resource:
    return resources.patient_resource(row, clinic)


def _practitioner(tx: Transaction, row: StaffUser, clinic: Clinic) -> Resource:
    return resources.practitioner_resource(row, clinic)


def _organization(tx: Transaction, row: Clinic, clinic: Clinic) -> Resource:
    return resources.organization_resource(row)


def _appointment(tx: Transaction, row: Appointment, clinic: Clinic) -> Resource:
    patient_name, practitioner = _names(tx, row.patient_id, row.practitioner_id)
    return resources.appointment_resource(row, clinic, patient_name, practitioner)


def _lot(tx: Transaction, row: CartridgeLot, clinic: Clinic) -> Resource:
    return resources.lot_device_resource(row, clinic)


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


def _consent(tx: Transaction, row: Consent, clinic: Clinic) -> Resource:
    patient_name, _ = _names(tx, row.patient_id, None)
    return clinical_resources.consent_resource(row, clinic, patient_name=patient_name)


def _observation(tx: Transaction, row: OutcomeAssessment, clinic: Clinic) -> Resource:
    patient_name, rater = _names(tx, row.patient_id, row.rater_id)
    return clinical_resources.observation_resource(
        row, clinic, patient_name=patient_name, rater_name=rater, scales=codes.scale_codes()
    )


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


def _risk_assessment(tx: Transaction, row: Intake, clinic: Clinic) -> Resource:
    patient_name, recorder = _names(tx, row.patient_id, row.recorded_by)
    return clinical_resources.risk_assessment_resource(
        row, clinic, patient_name=patient_name, recorder_name=recorder
    )


def _practitioner_role(tx: Transaction, row: StaffUser, clinic: Clinic) -> Resource:
    hours = (
        _session(tx)
        .execute(
            select(PractitionerHours.working_hours).where(
                PractitionerHours.staff_user_id == row.id, PractitionerHours.clinic_id == clinic.id
            )
        )
        .scalar_one_or_none()
    )
    return workflow.practitioner_role_resource(row, clinic, hours)


def _schedule(tx: Transaction, row: PractitionerHours, clinic: Clinic) -> Resource:
    name = (
        _session(tx)
        .execute(
            select(StaffUser.display_name).where(
                StaffUser.id == row.staff_user_id, StaffUser.clinic_id == clinic.id
            )
        )
        .scalar_one_or_none()
    )
    return workflow.schedule_resource(row, clinic, name)


def _location(tx: Transaction, row: Room, clinic: Clinic) -> Resource:
    return workflow.location_resource(row, clinic)


def _adverse_event(tx: Transaction, row: AdverseEvent, clinic: Clinic) -> Resource:
    lot_id = None
    if row.appointment_id is not None:
        # The cartridge lot of the session it followed (its current chart's).
        lot_id = (
            _session(tx)
            .execute(
                select(SessionChart.cartridge_lot_id)
                .where(
                    SessionChart.appointment_id == row.appointment_id,
                    SessionChart.clinic_id == clinic.id,
                )
                .order_by(SessionChart.version.desc())
                .limit(1)
            )
            .scalar_one_or_none()
        )
    patient_name, reporter = _names(tx, row.patient_id, row.reported_by)
    return workflow.adverse_event_resource(
        row, clinic, patient_name=patient_name, reporter_name=reporter, lot_id=lot_id
    )


def _media(tx: Transaction, row: Photo, clinic: Clinic) -> Resource:
    patient_name, _ = _names(tx, row.patient_id, None)
    return workflow.media_resource(
        row, clinic, patient_name=patient_name, labels=codes.zone_codes()
    )


def _audit_event(tx: Transaction, row: AuditEntry, clinic: Clinic) -> Resource:
    return workflow.audit_event_resource(
        row, clinic, words=ACTION_WORDS.get(row.action, row.action)
    )


def _questionnaire_response(tx: Transaction, row: Intake, clinic: Clinic) -> Resource:
    patient_name, recorder = _names(tx, row.patient_id, row.recorded_by)
    return questionnaire.questionnaire_response_resource(
        row, clinic, patient_name=patient_name, recorder_name=recorder
    )


#: Staff's names are on every calendar; everyone who may see the calendar may see them.
STAFF_NAMES = "calendar.read"

KINDS: dict[str, Kind] = {
    kind.type: kind
    for kind in (
        Kind(
            "Patient", Patient, "patient", "patient.read", _patient,
            (Patient.family_name, Patient.given_name, Patient.id),
            search_action="patient.search", patient_of=lambda row: row.id,
        ),
        Kind(
            "Practitioner", StaffUser, "staff member", STAFF_NAMES, _practitioner,
            (StaffUser.display_name, StaffUser.id),
        ),
        # The actor's own clinic is the one organization this server shows.
        Kind(
            "Organization", Clinic, "organization", STAFF_NAMES, _organization, (Clinic.id,),
            clinic_column="id",
        ),
        Kind(
            "Appointment", Appointment, "appointment", "appointment.read", _appointment,
            (Appointment.starts_at, Appointment.id), patient_of=_of_patient,
        ),
        Kind(
            "Device", CartridgeLot, "cartridge lot", "inventory.read", _lot,
            (CartridgeLot.expires_on, CartridgeLot.lot_number, CartridgeLot.id),
        ),
        Kind(
            "Procedure", SessionChart, "charted session", "chart.read", _procedure,
            (SessionChart.performed_on, SessionChart.id), search_action="chart.list",
            patient_of=_of_patient, always=(current_chart_condition,), changed=("signed_at",),
        ),
        Kind(
            "Consent", Consent, "consent", "consent.read", _consent,
            (Consent.signed_at, Consent.id), patient_of=_of_patient,
            changed=("withdrawn_at", "signed_at"),
        ),
        Kind(
            "Observation", OutcomeAssessment, "outcome", "outcome.read", _observation,
            (OutcomeAssessment.assessed_on, OutcomeAssessment.id), patient_of=_of_patient,
            changed=("recorded_at",),
        ),
        Kind(
            "CarePlan", TreatmentPlan, "treatment plan", "plan.read", _careplan,
            (TreatmentPlan.created_at, TreatmentPlan.id), patient_of=_of_patient,
        ),
        Kind(
            "RiskAssessment", Intake, "screening", "intake.read", _risk_assessment,
            (Intake.assessed_on, Intake.id), patient_of=_of_patient,
            changed=("acknowledged_at", "recorded_at"),
        ),
        # A staff member's role is the clinic's business: owners only (as the staff list).
        Kind(
            "PractitionerRole", StaffUser, "staff member", "staff.read", _practitioner_role,
            (StaffUser.display_name, StaffUser.id),
        ),
        Kind("Location", Room, "room", STAFF_NAMES, _location, (Room.code, Room.id)),
        Kind(
            "Schedule", PractitionerHours, "schedule", STAFF_NAMES, _schedule,
            (PractitionerHours.staff_user_id,), id_column="staff_user_id",
        ),
        Kind(
            "AdverseEvent", AdverseEvent, "adverse event", "adverse_event.read", _adverse_event,
            (AdverseEvent.onset_on, AdverseEvent.id), patient_of=_of_patient,
        ),
        Kind(
            "Media", Photo, "photo", "photo.read", _media, (Photo.taken_at, Photo.id),
            search_action="photo.list", patient_of=_of_patient,
            changed=("marketing_selected_at", "added_at"),
        ),
        Kind(
            "AuditEvent", AuditEntry, "audit entry", "audit.read", _audit_event,
            (AuditEntry.sequence,), patient_of=_of_patient, id_column="sequence",
            changed=("recorded_at",),
        ),
        Kind(
            "QuestionnaireResponse", Intake, "intake", "intake.read", _questionnaire_response,
            (Intake.recorded_at, Intake.id), patient_of=_of_patient,
            changed=("acknowledged_at", "recorded_at"),
        ),
    )
}  # fmt: skip

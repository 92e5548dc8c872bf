"""Where the queries live. Every query on a clinic's records filters by that clinic.

:class:`ClinicRecords` is bound to one clinic: ``get`` of another clinic's row returns ``None``
exactly as for a missing one, and ``add`` stamps the clinic on new rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from microneedling.store.models import (
    Appointment,
    Base,
    CartridgeLot,
    Clinic,
    Consent,
    Intake,
    Patient,
    Photo,
    SessionChart,
    StaffUser,
)

RowT = TypeVar("RowT", bound=Base)


class Clinics:
    """Clinics (not scoped: creating one, finding one by its slug)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, clinic_id: int) -> Clinic | None:
        return self._session.get(Clinic, clinic_id)

    def by_slug(self, slug: str) -> Clinic | None:
        return self._session.execute(select(Clinic).where(Clinic.slug == slug)).scalar_one_or_none()

    def add(self, clinic: Clinic) -> None:
        self._session.add(clinic)


class StaffAccounts:
    """Staff users across clinics (signing in is by e-mail, before the clinic is known)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, staff_user_id: int) -> StaffUser | None:
        return self._session.get(StaffUser, staff_user_id)

    def by_email(self, email: str) -> StaffUser | None:
        return self._session.execute(
            select(StaffUser).where(StaffUser.email == email.strip().lower())
        ).scalar_one_or_none()

    def add(self, user: StaffUser) -> None:
        self._session.add(user)


@dataclass(frozen=True)
class LotRecipient:
    """One patient who received a cartridge lot (in the current version of their charts)."""

    patient_id: int
    given_name: str
    family_name: str
    email: str | None
    phone: str | None
    sessions: int
    first_on: date
    last_on: date


class ClinicRecords:
    """The records of one clinic."""

    def __init__(self, session: Session, clinic_id: int) -> None:
        self._session = session
        self.clinic_id = clinic_id

    # Generic ---------------------------------------------------------------------------------

    def get(self, model: type[RowT], row_id: int, *, for_update: bool = False) -> RowT | None:
        """The row of this clinic with this id, or None (also when it is another clinic's)."""
        query = select(model).where(
            model.id == row_id,  # type: ignore[attr-defined]
            model.clinic_id == self.clinic_id,  # type: ignore[attr-defined]
        )
        if for_update:
            query = query.with_for_update()
        return self._session.execute(query).scalar_one_or_none()

    def add(self, row: Base) -> None:
        """Add a new row of this clinic (its ``clinic_id`` is set here)."""
        row.clinic_id = self.clinic_id  # type: ignore[attr-defined]
        self._session.add(row)

    def flush(self) -> None:
        self._session.flush()

    def clinic(self) -> Clinic:
        clinic = self._session.get(Clinic, self.clinic_id)
        assert clinic is not None
        return clinic

    def staff_member(self, staff_user_id: int) -> StaffUser | None:
        return self.get(StaffUser, staff_user_id)

    # Patients --------------------------------------------------------------------------------

    def find_patients(self, text: str, *, limit: int = 50) -> list[Patient]:
        """Patients whose family or given name starts with ``text`` (case-insensitive)."""
        pattern = text.strip().lower().replace("\\", "").replace("%", "").replace("_", "") + "%"
        query = (
            select(Patient)
            .where(
                Patient.clinic_id == self.clinic_id,
                or_(
                    func.lower(Patient.family_name).like(pattern),
                    func.lower(Patient.given_name).like(pattern),
                ),
            )
            .order_by(Patient.family_name, Patient.given_name, Patient.id)
            .limit(limit)
        )
        return list(self._session.execute(query).scalars())

    def full_record(self, patient_id: int) -> Patient | None:
        """A patient with every record about them, in a fixed number of indexed queries."""
        charts = selectinload(Patient.charts)
        query = (
            select(Patient)
            .where(Patient.id == patient_id, Patient.clinic_id == self.clinic_id)
            .options(
                selectinload(Patient.intakes),
                selectinload(Patient.consents),
                selectinload(Patient.plans),
                selectinload(Patient.appointments),
                charts.selectinload(SessionChart.zones),
                charts.selectinload(SessionChart.products),
                charts.joinedload(SessionChart.device),
                charts.joinedload(SessionChart.cartridge_lot),
                selectinload(Patient.adverse_events),
                selectinload(Patient.outcomes),
                selectinload(Patient.photos),
            )
        )
        return self._session.execute(query).scalar_one_or_none()

    # Screening and consent -------------------------------------------------------------------

    def latest_intake(self, patient_id: int) -> Intake | None:
        """The patient's latest screening: latest assessment date, then latest recorded."""
        return self._session.execute(
            select(Intake)
            .where(Intake.clinic_id == self.clinic_id, Intake.patient_id == patient_id)
            .order_by(Intake.assessed_on.desc(), Intake.id.desc())
            .limit(1)
        ).scalar_one_or_none()

    def signed_consent(self, patient_id: int, kind: str, at: datetime) -> Consent | None:
        """The latest consent of ``kind`` signed by ``at`` and not withdrawn."""
        return self._session.execute(
            select(Consent)
            .where(
                Consent.clinic_id == self.clinic_id,
                Consent.patient_id == patient_id,
                Consent.kind == kind,
                Consent.signed_at <= at,
                Consent.withdrawn_at.is_(None),
            )
            .order_by(Consent.signed_at.desc(), Consent.id.desc())
            .limit(1)
        ).scalar_one_or_none()

    # Charts ----------------------------------------------------------------------------------

    def chart_versions(self, appointment_id: int) -> list[SessionChart]:
        """Every version of a session's chart, oldest first, with zones, products, device, lot."""
        query = (
            select(SessionChart)
            .where(
                SessionChart.clinic_id == self.clinic_id,
                SessionChart.appointment_id == appointment_id,
            )
            .order_by(SessionChart.version)
            .options(
                selectinload(SessionChart.zones),
                selectinload(SessionChart.products),
                joinedload(SessionChart.device),
                joinedload(SessionChart.cartridge_lot),
            )
        )
        return list(self._session.execute(query).unique().scalars())

    def lot_by_number(self, lot_number: str, *, for_update: bool = False) -> CartridgeLot | None:
        query = select(CartridgeLot).where(
            CartridgeLot.clinic_id == self.clinic_id, CartridgeLot.lot_number == lot_number
        )
        if for_update:
            query = query.with_for_update()
        return self._session.execute(query).scalar_one_or_none()

    def patients_given_lot(self, lot_number: str) -> list[LotRecipient]:
        """Who received cartridges of this lot: one query, current chart versions only.

        A chart amended to another lot no longer counts for this one; one amended to this lot
        does.
        """
        later = aliased(SessionChart)
        is_current = ~exists().where(later.amends_id == SessionChart.id)
        query = (
            select(
                Patient.id,
                Patient.given_name,
                Patient.family_name,
                Patient.email,
                Patient.phone,
                func.count(SessionChart.id),
                func.min(SessionChart.performed_on),
                func.max(SessionChart.performed_on),
            )
            .join(CartridgeLot, CartridgeLot.id == SessionChart.cartridge_lot_id)
            .join(Patient, Patient.id == SessionChart.patient_id)
            .where(
                CartridgeLot.clinic_id == self.clinic_id,
                CartridgeLot.lot_number == lot_number,
                SessionChart.clinic_id == self.clinic_id,
                is_current,
            )
            .group_by(
                Patient.id, Patient.given_name, Patient.family_name, Patient.email, Patient.phone
            )
            .order_by(Patient.family_name, Patient.given_name, Patient.id)
        )
        return [LotRecipient(*row) for row in self._session.execute(query)]

    # Photos ----------------------------------------------------------------------------------

    def marketing_photos(self) -> list[Photo]:
        """Photos chosen for marketing whose patient's marketing-photo consent still stands."""
        consent_stands = (
            exists()
            .where(
                Consent.clinic_id == self.clinic_id,
                Consent.patient_id == Photo.patient_id,
                Consent.kind == "marketing_photos",
                Consent.withdrawn_at.is_(None),
            )
            .correlate(Photo)
        )
        query = (
            select(Photo)
            .where(
                Photo.clinic_id == self.clinic_id,
                Photo.marketing_selected_at.is_not(None),
                consent_stands,
            )
            .order_by(Photo.id)
        )
        return list(self._session.execute(query).scalars())

    # Appointments ----------------------------------------------------------------------------

    def appointments_between(self, start: datetime, end: datetime) -> list[Appointment]:
        query = (
            select(Appointment)
            .where(
                Appointment.clinic_id == self.clinic_id,
                Appointment.starts_at >= start,
                Appointment.starts_at < end,
            )
            .order_by(Appointment.starts_at, Appointment.id)
        )
        return list(self._session.execute(query).scalars())

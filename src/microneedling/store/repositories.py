"""Where the queries live. Every query on a clinic's records filters by that clinic.

:class:`ClinicRecords` is bound to one clinic: ``get`` of another clinic's row returns ``None``
exactly as for a missing one, and ``add`` stamps the clinic on new rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    bindparam,
    delete,
    exists,
    func,
    select,
)
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from microneedling.store.models import (
    AccessToken,
    AdverseEvent,
    Appointment,
    Base,
    CartridgeLot,
    ChartProduct,
    ChartZone,
    Clinic,
    Consent,
    Device,
    Intake,
    OutcomeAssessment,
    Patient,
    Photo,
    SessionChart,
    SignInFailure,
    StaffUser,
    TreatmentPlan,
)
from microneedling.store.patient_search import fold, like_literal, search_name
from microneedling.store.portal_records_models import PortalSignature

RowT = TypeVar("RowT", bound=Base)

_token, _user = AccessToken.__table__.c, StaffUser.__table__.c
_SIGN_IN_OF: Select[Any] = (
    select(
        _token.expires_at,
        _token.revoked_at,
        _token.clinic_id,
        _user.id.label("user_id"),
        _user.clinic_id.label("user_clinic_id"),
        _user.active,
        _user.role,
        _user.password_must_change,
    )
    .join_from(AccessToken.__table__, StaffUser.__table__, _user.id == _token.staff_user_id)
    .where(_token.token_sha256 == bindparam("token_sha256"))
)


_STANDING = select(
    StaffUser.active, StaffUser.clinic_id, StaffUser.role, StaffUser.password_must_change
).where(StaffUser.id == bindparam("staff_user_id"))


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

    def exist(self, slugs: Sequence[str] | None = None, *, other_than: int | None = None) -> bool:
        """Whether the database holds any clinic (with one of these slugs; but this one)."""
        query = select(Clinic.id)
        if slugs is not None:
            query = query.where(Clinic.slug.in_(list(slugs)))
        if other_than is not None:
            query = query.where(Clinic.id != other_than)
        return self._session.execute(query.limit(1)).first() is not None


class StaffAccounts:
    """Staff users across clinics (signing in is by e-mail, before the clinic is known)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, staff_user_id: int) -> StaffUser | None:
        return self._session.get(StaffUser, staff_user_id)

    def standing(self, staff_user_id: int) -> Row[bool, int, str, bool] | None:
        """``active``, ``clinic_id``, ``role`` and ``password_must_change`` of an account as stored, in one Core query on
        the session's connection (every use case checks them first: no ORM object is made)."""
        return (
            self._session.connection()
            .execute(_STANDING, {"staff_user_id": staff_user_id})
            .one_or_none()
        )

    def by_email(self, email: str) -> StaffUser | None:
        return self._session.execute(
            select(StaffUser).where(StaffUser.email == email.strip().lower())
        ).scalar_one_or_none()

    def add(self, user: StaffUser) -> None:
        self._session.add(user)


class AccessTokens:
    """Sign-ins to the API, found by the SHA-256 of their token."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, token: AccessToken) -> None:
        self._session.add(token)

    def by_hash(self, token_sha256: str) -> tuple[AccessToken, StaffUser] | None:
        """The token and its account, in one query."""
        row = self._session.execute(
            select(AccessToken, StaffUser)
            .join(StaffUser, StaffUser.id == AccessToken.staff_user_id)
            .where(AccessToken.token_sha256 == token_sha256)
        ).one_or_none()
        return None if row is None else (row[0], row[1])


def sign_in_of(connection: Connection, token_sha256: str) -> Row[Any] | None:
    """What checking a bearer token needs, in one Core query on ``connection`` (no session, no
    ORM objects: it runs before every API request): ``expires_at``, ``revoked_at``,
    ``clinic_id`` (the token's), ``user_id``, ``user_clinic_id``, ``active``, ``role`` and
    ``password_must_change`` (the account's, as it is now)."""
    return connection.execute(_SIGN_IN_OF, {"token_sha256": token_sha256}).one_or_none()


class SignInFailures:
    """Failed sign-ins, counted per e-mail (as its SHA-256) and per client address."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, failure: SignInFailure) -> None:
        self._session.add(failure)

    def recent(
        self, since: datetime, *, email_sha256: str | None = None, client: str | None = None
    ) -> list[datetime]:
        """When the failures since ``since`` happened (for one e-mail or one client), oldest first."""
        query = select(SignInFailure.at).where(SignInFailure.at >= since)
        if email_sha256 is not None:
            query = query.where(SignInFailure.email_sha256 == email_sha256)
        if client is not None:
            query = query.where(SignInFailure.client == client)
        return list(self._session.execute(query.order_by(SignInFailure.at)).scalars())

    def forget(self, *, email_sha256: str | None = None, before: datetime | None = None) -> None:
        """Remove one e-mail's failures (a successful sign-in), or every one older than ``before``."""
        query = delete(SignInFailure)
        if email_sha256 is not None:
            query = query.where(SignInFailure.email_sha256 == email_sha256)
        if before is not None:
            query = query.where(SignInFailure.at < before)
        self._session.execute(query)


class ChartRead:
    """One version of a session's chart as read for a patient's record (no ORM object): the
    ``session_chart`` row's columns as attributes, like :class:`SessionChart`, with its zones and
    products in order, its device and its cartridge lot."""

    zones: Sequence[Row[Any]]
    products: Sequence[Row[Any]]
    device: Row[Any]
    cartridge_lot: Row[Any]

    def __init__(
        self,
        row: Row[Any],
        zones: Sequence[Row[Any]],
        products: Sequence[Row[Any]],
        device: Row[Any],
        cartridge_lot: Row[Any],
    ) -> None:
        # The columns as plain attributes: the views read each of them once or twice.
        self.__dict__.update(row._mapping)
        self.zones = zones
        self.products = products
        self.device = device
        self.cartridge_lot = cartridge_lot

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...


@dataclass(frozen=True)
class FullRecord:
    """A patient's full record as rows: each list in the order of :class:`Patient`'s
    relationships (charts by session, then version)."""

    patient: Row[Any]
    intakes: Sequence[Row[Any]]
    consents: Sequence[Row[Any]]
    plans: Sequence[Row[Any]]
    appointments: Sequence[Row[Any]]
    charts: list[ChartRead]
    adverse_events: Sequence[Row[Any]]
    outcomes: Sequence[Row[Any]]
    photos: Sequence[Row[Any]]


def _of_patient(model: type[Base], *order: Any) -> Select[Any]:
    """Every column of ``model``'s rows about one patient of one clinic, in ``order``."""
    table = model.__table__.c
    return (
        select(model.__table__)
        .where(
            table.patient_id == bindparam("patient_id"), table.clinic_id == bindparam("clinic_id")
        )
        .order_by(*(table[name] for name in order))
    )


def _of_patients_charts(model: type[Base], key: str, *order: str) -> Select[Any]:
    """Every column of ``model``'s rows whose ``key`` is the id of one of the patient's charts
    (their zones and products by chart; the devices and lots the charts name)."""
    chart = SessionChart.__table__.c
    table = model.__table__.c
    charts = select(chart[key]).where(
        chart.patient_id == bindparam("patient_id"), chart.clinic_id == bindparam("clinic_id")
    )
    return (
        select(model.__table__)
        .where(
            table["chart_id" if key == "id" else "id"].in_(charts),
            table.clinic_id == bindparam("clinic_id"),
        )
        .order_by(*(table[name] for name in order))
    )


_PATIENT = select(Patient.__table__).where(
    Patient.__table__.c.id == bindparam("patient_id"),
    Patient.__table__.c.clinic_id == bindparam("clinic_id"),
)
_patient, _clinic = Patient.__table__.c, Clinic.__table__.c
#: What a patient's record shows is at these versions (migration 0010).
_RECORD_VERSION = (
    select(_patient.record_version, _clinic.inventory_version)
    .join_from(Patient.__table__, Clinic.__table__, _clinic.id == _patient.clinic_id)
    .where(_patient.id == bindparam("patient_id"), _patient.clinic_id == bindparam("clinic_id"))
)
_RECORD: dict[str, Select[Any]] = {
    "intakes": _of_patient(Intake, "id"),
    "consents": _of_patient(Consent, "id"),
    "plans": _of_patient(TreatmentPlan, "id"),
    "appointments": _of_patient(Appointment, "starts_at", "id"),
    "charts": _of_patient(SessionChart, "appointment_id", "version"),
    "zones": _of_patients_charts(ChartZone, "id", "chart_id", "position"),
    "products": _of_patients_charts(ChartProduct, "id", "chart_id", "position"),
    "devices": _of_patients_charts(Device, "device_id", "id"),
    "lots": _of_patients_charts(CartridgeLot, "cartridge_lot_id", "id"),
    "adverse_events": _of_patient(AdverseEvent, "id"),
    "outcomes": _of_patient(OutcomeAssessment, "id"),
    "photos": _of_patient(Photo, "id"),
}


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

    def staff(self) -> list[StaffUser]:
        return list(
            self._session.execute(
                select(StaffUser)
                .where(StaffUser.clinic_id == self.clinic_id)
                .order_by(StaffUser.id)
            ).scalars()
        )

    def active_owners(self) -> int:
        return self._session.execute(
            select(func.count()).where(
                StaffUser.clinic_id == self.clinic_id,
                StaffUser.role == "owner",
                StaffUser.active.is_(True),
            )
        ).scalar_one()

    def lock_active_owners(self) -> list[int]:
        """The ids of the clinic's active owners, their rows locked until the commit (in id
        order, so two changes to owners take turns and cannot leave the clinic without one)."""
        return list(
            self._session.execute(
                select(StaffUser.id)
                .where(
                    StaffUser.clinic_id == self.clinic_id,
                    StaffUser.role == "owner",
                    StaffUser.active.is_(True),
                )
                .order_by(StaffUser.id)
                .with_for_update()
            ).scalars()
        )

    def of_patient(self, model: type[RowT], patient_id: int, *order_by: Any) -> list[RowT]:
        """Every row of ``model`` about one patient (intakes, consents, plans...)."""
        query = select(model).where(
            model.clinic_id == self.clinic_id,  # type: ignore[attr-defined]
            model.patient_id == patient_id,  # type: ignore[attr-defined]
        )
        return list(
            self._session.execute(query.order_by(*(order_by or (model.id,)))).scalars()  # type: ignore[attr-defined]
        )

    def devices(self) -> list[Device]:
        return list(
            self._session.execute(
                select(Device).where(Device.clinic_id == self.clinic_id).order_by(Device.id)
            ).scalars()
        )

    def lots(self, *, recalled: bool | None = None) -> list[CartridgeLot]:
        query = select(CartridgeLot).where(CartridgeLot.clinic_id == self.clinic_id)
        if recalled is not None:
            query = query.where(
                CartridgeLot.recalled_at.is_not(None)
                if recalled
                else CartridgeLot.recalled_at.is_(None)
            )
        return list(
            self._session.execute(
                query.order_by(CartridgeLot.expires_on, CartridgeLot.id)
            ).scalars()
        )

    # Patients --------------------------------------------------------------------------------

    def find_patients(self, text: str, *, limit: int = 50) -> list[Patient]:
        """Patients with a word of their name starting with each word of ``text`` (folded:
        case and accents ignored), by name."""
        return self.list_patients(name_words=fold(text).split(), limit=limit)

    def same_name_and_birth_date(
        self, given_name: str, family_name: str, birth_date: date
    ) -> list[Patient]:
        """Patients already registered with this name (folded) and date of birth."""
        query = (
            select(Patient)
            .where(
                Patient.clinic_id == self.clinic_id,
                Patient.birth_date == birth_date,
                Patient.search_name == search_name(given_name, family_name),
            )
            .order_by(Patient.id)
            .limit(10)
        )
        return list(self._session.execute(query).scalars())

    def list_patients(
        self,
        *,
        name_words: Sequence[str] = (),
        phone_digits: str | None = None,
        email: str | None = None,
        birth_date: date | None = None,
        upcoming_from: datetime | None = None,
        has_upcoming: bool | None = None,
        session_between: tuple[datetime, datetime] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Patient]:
        """Patients found by their name (every one of ``name_words``, folded, starts a word of
        the given or family name, in any order), part of their phone number's digits, part of
        their e-mail address, their birth date, and sessions to come: ``has_upcoming`` (a
        scheduled or checked-in session from ``upcoming_from`` on) or ``session_between`` (one
        starting in that interval). Ordered by name."""
        conditions: list[ColumnElement[bool]] = [Patient.clinic_id == self.clinic_id]
        # Each "> ''" is true of every match anyway: it has the database look in that column's
        # index (clinic_id, column) alone, then read only the rows found.
        if name_words:
            conditions.append(Patient.search_name > "")
        for word in name_words:
            conditions.append(
                Patient.search_name.like(f"% {like_literal(fold(word))}%", escape="\\")
            )
        if phone_digits:
            conditions.append(Patient.phone_digits > "")
            conditions.append(
                Patient.phone_digits.like(f"%{like_literal(phone_digits)}%", escape="\\")
            )
        if email:
            # Stored in lower case (services.inputs.Email).
            conditions.append(Patient.email > "")
            conditions.append(
                Patient.email.like(f"%{like_literal(email.strip().lower())}%", escape="\\")
            )
        if birth_date is not None:
            conditions.append(Patient.birth_date == birth_date)

        def booked(start: datetime, end: datetime | None) -> ColumnElement[bool]:
            clauses = [
                Appointment.clinic_id == self.clinic_id,
                Appointment.patient_id == Patient.id,
                Appointment.status.in_(("scheduled", "checked_in")),
                Appointment.starts_at >= start,
            ]
            if end is not None:
                clauses.append(Appointment.starts_at < end)
            return exists().where(*clauses).correlate(Patient)

        if has_upcoming is not None and upcoming_from is not None:
            upcoming = booked(upcoming_from, None)
            conditions.append(upcoming if has_upcoming else ~upcoming)
        if session_between is not None:
            conditions.append(booked(*session_between))
        order: tuple[Any, ...] = (Patient.family_name, Patient.given_name, Patient.id)
        if name_words or phone_digits or email:
            # Sorted after filtering: walking the name index in order would read every row up
            # to the 25th match (seconds for a rare name among 100,000); the matches are found
            # in the search_name or phone_digits index instead, and only they are sorted.
            order = (func.lower(Patient.family_name), func.lower(Patient.given_name), Patient.id)
        query = select(Patient).where(*conditions).order_by(*order).limit(limit).offset(offset)
        return list(self._session.execute(query).scalars())

    def record_version(self, patient_id: int) -> tuple[int, int] | None:
        """The versions of everything a patient's full record shows, kept by triggers
        (migration 0010): the patient's ``record_version`` (their rows) and the clinic's
        ``inventory_version`` (devices and lots). One indexed read; None if there is no such
        patient in this clinic."""
        row = (
            self._session.connection()
            .execute(_RECORD_VERSION, {"patient_id": patient_id, "clinic_id": self.clinic_id})
            .one_or_none()
        )
        return None if row is None else (int(row[0]), int(row[1]))

    def full_record_rows(self, patient_id: int) -> FullRecord | None:
        """A patient with every record about them (intakes, consents, plans, appointments,
        charts with zones, products, device and lot, adverse events, outcomes, photos), as
        rows: one Core query per kind of record (each on an index over ``patient_id`` or
        ``chart_id``), without the ORM's per-object work (about a quarter of the time of loading
        them as ORM objects for a patient with ten sessions)."""
        connection = self._session.connection()
        where = {"patient_id": patient_id, "clinic_id": self.clinic_id}
        patient = connection.execute(_PATIENT, where).one_or_none()
        if patient is None:
            return None
        rows = {name: connection.execute(query, where).all() for name, query in _RECORD.items()}
        zones: dict[int, list[Row[Any]]] = {}
        for zone in rows["zones"]:
            zones.setdefault(zone.chart_id, []).append(zone)
        products: dict[int, list[Row[Any]]] = {}
        for product in rows["products"]:
            products.setdefault(product.chart_id, []).append(product)
        devices = {device.id: device for device in rows["devices"]}
        lots = {lot.id: lot for lot in rows["lots"]}
        return FullRecord(
            patient=patient,
            intakes=rows["intakes"],
            consents=rows["consents"],
            plans=rows["plans"],
            appointments=rows["appointments"],
            charts=[
                ChartRead(
                    chart,
                    zones.get(chart.id, []),
                    products.get(chart.id, []),
                    devices[chart.device_id],
                    lots[chart.cartridge_lot_id],
                )
                for chart in rows["charts"]
            ],
            adverse_events=rows["adverse_events"],
            outcomes=rows["outcomes"],
            photos=rows["photos"],
        )

    # Screening and consent -------------------------------------------------------------------

    def latest_intake(self, patient_id: int) -> Intake | None:
        """The patient's latest screening: latest assessment date, then latest recorded."""
        return self._session.execute(
            select(Intake)
            .where(Intake.clinic_id == self.clinic_id, Intake.patient_id == patient_id)
            .order_by(Intake.assessed_on.desc(), Intake.id.desc())
            .limit(1)
        ).scalar_one_or_none()

    def signed_consent(
        self, patient_id: int, kind: str, at: datetime
    ) -> Consent | PortalSignature | None:
        """The latest consent of ``kind`` signed by ``at`` and not withdrawn: one recorded by
        staff, or else one the patient e-signed in the portal (both keep the exact text signed)."""
        recorded = self._session.execute(
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
        if recorded is not None:
            return recorded
        return self._session.execute(
            select(PortalSignature)
            .where(
                PortalSignature.clinic_id == self.clinic_id,
                PortalSignature.patient_id == patient_id,
                PortalSignature.kind == kind,
                PortalSignature.signed_at <= at,
                PortalSignature.withdrawn_at.is_(None),
            )
            .order_by(PortalSignature.signed_at.desc(), PortalSignature.id.desc())
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

    def current_charts(
        self,
        *,
        performed_from: date | None = None,
        performed_to: date | None = None,
        practitioner_id: int | None = None,
        lot_number: str | None = None,
        patient_id: int | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[SessionChart]:
        """Charted sessions (the current version of each chart), newest first, filtered by the
        day performed (inclusive), practitioner, cartridge lot number and patient."""
        later = aliased(SessionChart)
        conditions: list[ColumnElement[bool]] = [
            SessionChart.clinic_id == self.clinic_id,
            ~exists().where(later.amends_id == SessionChart.id),
        ]
        if performed_from is not None:
            conditions.append(SessionChart.performed_on >= performed_from)
        if performed_to is not None:
            conditions.append(SessionChart.performed_on <= performed_to)
        if practitioner_id is not None:
            conditions.append(SessionChart.practitioner_id == practitioner_id)
        if patient_id is not None:
            conditions.append(SessionChart.patient_id == patient_id)
        if lot_number is not None:
            lot_ids = select(CartridgeLot.id).where(
                CartridgeLot.clinic_id == self.clinic_id, CartridgeLot.lot_number == lot_number
            )
            conditions.append(SessionChart.cartridge_lot_id.in_(lot_ids))
        query = (
            select(SessionChart)
            .where(*conditions)
            .options(joinedload(SessionChart.cartridge_lot))
            .order_by(SessionChart.performed_on.desc(), SessionChart.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(self._session.execute(query).scalars())

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

    def list_appointments(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        practitioner_id: int | None = None,
        patient_id: int | None = None,
        statuses: Sequence[str] = (),
        limit: int = 50,
        offset: int = 0,
    ) -> list[Appointment]:
        """Appointments starting in ``[start, end)``, by practitioner, patient and status."""
        conditions: list[ColumnElement[bool]] = [Appointment.clinic_id == self.clinic_id]
        if start is not None:
            conditions.append(Appointment.starts_at >= start)
        if end is not None:
            conditions.append(Appointment.starts_at < end)
        if practitioner_id is not None:
            conditions.append(Appointment.practitioner_id == practitioner_id)
        if patient_id is not None:
            conditions.append(Appointment.patient_id == patient_id)
        if statuses:
            conditions.append(Appointment.status.in_(tuple(statuses)))
        query = (
            select(Appointment)
            .where(*conditions)
            .order_by(Appointment.starts_at, Appointment.id)
            .limit(limit)
            .offset(offset)
        )
        return list(self._session.execute(query).scalars())

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

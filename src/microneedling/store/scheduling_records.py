"""The scheduling queries, bound to one clinic (like :class:`~.repositories.ClinicRecords`).

Reservations (``resource_slot``) are written here: one row per
:data:`~.scheduling_models.RESERVATION_STEP_MINUTES` step for each resource of an appointment;
the table's primary key refuses a step reserved twice, and the caller turns the integrity error
into :class:`~microneedling.errors.Conflict`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Select, and_, cast, delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from microneedling.store.models import (
    Appointment,
    Clinic,
    Device,
    Intake,
    Patient,
    StaffUser,
    TreatmentPlan,
)
from microneedling.store.scheduling_models import (
    RESERVATION_STEP_MINUTES,
    AppointmentBooking,
    BookedSeries,
    CalendarDevice,
    ClinicCalendarSettings,
    PractitionerHours,
    ResourceSlot,
    ResourceUnavailability,
    Room,
)

#: Appointments that hold their time (a cancelled or missed one does not).
HOLDING_STATUSES = ("scheduled", "checked_in", "completed")
_STEP_SECONDS = RESERVATION_STEP_MINUTES * 60
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _seconds_reader(dialect: str) -> Callable[[Any], Any]:
    """A stored moment as whole seconds since 1970 (UTC), computed by the database: SQLite keeps
    UTC text, PostgreSQL a timestamp with time zone."""
    if dialect == "sqlite":
        return lambda column: cast(func.strftime("%s", column), BigInteger)
    return lambda column: cast(func.floor(func.extract("epoch", column)), BigInteger)


def moment(seconds: int) -> datetime:
    """Whole seconds since 1970 as an aware UTC datetime."""
    return _EPOCH + timedelta(seconds=seconds)


def reservation_steps(start: datetime, end: datetime) -> list[datetime]:
    """The reservation steps that ``[start, end)`` touches (start rounded down, end up)."""
    first = math.floor((start - _EPOCH).total_seconds() / _STEP_SECONDS)
    last = math.ceil((end - _EPOCH).total_seconds() / _STEP_SECONDS)
    return [_EPOCH + timedelta(seconds=_STEP_SECONDS * n) for n in range(first, last)]


class HeldTime(NamedTuple):
    """An appointment that holds time in the calendar (plain values, for the occupancy; a
    tuple, since tens of thousands are made at a time)."""

    appointment_id: int
    patient_id: int
    starts_at: datetime
    ends_at: datetime
    free_at: datetime
    practitioner_id: int | None
    room_id: int | None
    device_id: int | None
    series_id: int | None
    session: int | None


def held_time(row: Sequence[Any]) -> HeldTime:
    """One of :meth:`SchedulingRecords.held_rows` as a :class:`HeldTime`."""
    return HeldTime(row[0], row[1], moment(row[2]), moment(row[3]), moment(row[4]), *row[5:10])


@dataclass(frozen=True, slots=True)
class Reservation:
    """The resources one appointment reserves from ``start`` to ``free_at``."""

    appointment_id: int
    start: datetime
    free_at: datetime
    practitioner_id: int
    room_id: int
    device_id: int | None


class SchedulingRecords:
    """The calendar and the booked series of one clinic."""

    def __init__(self, session: Session, clinic_id: int) -> None:
        self._session = session
        self.clinic_id = clinic_id

    # The calendar ------------------------------------------------------------------------------

    def calendar_settings(self) -> ClinicCalendarSettings | None:
        return self._session.get(ClinicCalendarSettings, self.clinic_id)

    def practitioners(self) -> list[tuple[StaffUser, PractitionerHours]]:
        """Active staff with working hours, in id order."""
        query = (
            select(StaffUser, PractitionerHours)
            .join(PractitionerHours, PractitionerHours.staff_user_id == StaffUser.id)
            .where(
                PractitionerHours.clinic_id == self.clinic_id,
                StaffUser.clinic_id == self.clinic_id,
                StaffUser.active.is_(True),
            )
            .order_by(StaffUser.id)
        )
        return [(row[0], row[1]) for row in self._session.execute(query)]

    def practitioner_hours(self, staff_user_id: int) -> PractitionerHours | None:
        row = self._session.get(PractitionerHours, staff_user_id)
        return row if row is not None and row.clinic_id == self.clinic_id else None

    def all_practitioner_hours(self) -> list[PractitionerHours]:
        return list(
            self._session.execute(
                select(PractitionerHours).where(PractitionerHours.clinic_id == self.clinic_id)
            ).scalars()
        )

    def rooms(self, *, active_only: bool = True) -> list[Room]:
        query = select(Room).where(Room.clinic_id == self.clinic_id)
        if active_only:
            query = query.where(Room.active.is_(True))
        return list(self._session.execute(query.order_by(Room.id)).scalars())

    def room_by_code(self, code: str) -> Room | None:
        return self._session.execute(
            select(Room).where(Room.clinic_id == self.clinic_id, Room.code == code)
        ).scalar_one_or_none()

    def calendar_devices(self) -> list[tuple[Device, CalendarDevice]]:
        """Devices booked with appointments (registered and in service), in id order."""
        query = (
            select(Device, CalendarDevice)
            .join(CalendarDevice, CalendarDevice.device_id == Device.id)
            .where(
                CalendarDevice.clinic_id == self.clinic_id,
                Device.clinic_id == self.clinic_id,
                Device.in_service.is_(True),
            )
            .order_by(Device.id)
        )
        return [(row[0], row[1]) for row in self._session.execute(query)]

    def all_calendar_devices(self) -> list[CalendarDevice]:
        return list(
            self._session.execute(
                select(CalendarDevice).where(CalendarDevice.clinic_id == self.clinic_id)
            ).scalars()
        )

    def device_by_serial(self, serial_number: str) -> Device | None:
        return self._session.execute(
            select(Device).where(
                Device.clinic_id == self.clinic_id, Device.serial_number == serial_number
            )
        ).scalar_one_or_none()

    def unavailability(self) -> list[ResourceUnavailability]:
        return list(
            self._session.execute(
                select(ResourceUnavailability)
                .where(ResourceUnavailability.clinic_id == self.clinic_id)
                .order_by(ResourceUnavailability.id)
            ).scalars()
        )

    def remove_unavailability(
        self,
        *,
        staff_user_ids: Iterable[int] = (),
        room_ids: Iterable[int] = (),
        device_ids: Iterable[int] = (),
    ) -> None:
        """Remove every absence of these practitioners, rooms and devices."""
        for column, ids in (
            (ResourceUnavailability.staff_user_id, list(staff_user_ids)),
            (ResourceUnavailability.room_id, list(room_ids)),
            (ResourceUnavailability.device_id, list(device_ids)),
        ):
            if ids:
                self._session.execute(
                    delete(ResourceUnavailability).where(
                        ResourceUnavailability.clinic_id == self.clinic_id, column.in_(ids)
                    )
                )

    def remove_practitioner_hours(self, staff_user_ids: Iterable[int]) -> None:
        ids = list(staff_user_ids)
        if ids:
            self._session.execute(
                delete(PractitionerHours).where(
                    PractitionerHours.clinic_id == self.clinic_id,
                    PractitionerHours.staff_user_id.in_(ids),
                )
            )

    def remove_calendar_devices(self, device_ids: Iterable[int]) -> None:
        ids = list(device_ids)
        if ids:
            self._session.execute(
                delete(CalendarDevice).where(
                    CalendarDevice.clinic_id == self.clinic_id, CalendarDevice.device_id.in_(ids)
                )
            )

    # Held time ---------------------------------------------------------------------------------

    def held_rows(self, start: datetime, end: datetime) -> list[Sequence[Any]]:
        """Appointments holding time that overlaps ``[start, end)``, as plain rows
        ``(appointment_id, patient_id, start, end, free, practitioner_id, room_id, device_id,
        series_id, session, status)`` with the three moments in whole seconds since 1970 (UTC):
        ``end`` when the procedure ends, ``free`` when its resources are free again (turnover
        included). An appointment scheduling did not book (no booking row) holds its
        practitioner for its duration.

        A year of a busy clinic is tens of thousands of rows, so the database computes the
        seconds (no datetime made per row and column)."""
        # Appointments are at most 8 hours, so those starting a day before ``start`` suffice.
        query = self._held_query().where(
            Appointment.status.in_(HOLDING_STATUSES),
            Appointment.starts_at >= start - timedelta(days=1),
            Appointment.starts_at < end,
        )
        low = int((start - _EPOCH).total_seconds())
        rows = self._session.connection().execute(query).all()
        return [row for row in rows if row[4] > low]

    def changed_rows(self, since: int) -> list[Sequence[Any]]:
        """Every appointment changed after the clinic's calendar version ``since`` (whatever
        its status or time), as :meth:`held_rows` gives them."""
        query = self._held_query().where(Appointment.calendar_version > since)
        return list(self._session.connection().execute(query).all())

    def calendar_state(self) -> tuple[int, int]:
        """The clinic's ``(calendar_version, calendar_resets)`` (kept by triggers, migration
        0004): the version moves on with every change to an appointment, the resets with every
        deletion of one."""
        row = (
            self._session.connection()
            .execute(
                select(Clinic.calendar_version, Clinic.calendar_resets).where(
                    Clinic.id == self.clinic_id
                )
            )
            .one()
        )
        return int(row[0]), int(row[1])

    def _held_query(self) -> Select[Any]:
        seconds = _seconds_reader(self._session.get_bind().dialect.name)
        starts = seconds(Appointment.starts_at)
        ends = func.coalesce(
            seconds(AppointmentBooking.ends_at), starts + Appointment.duration_minutes * 60
        )
        frees = func.coalesce(seconds(AppointmentBooking.free_at), ends)
        return (
            select(
                Appointment.id,
                Appointment.patient_id,
                starts,
                ends,
                frees,
                Appointment.practitioner_id,
                AppointmentBooking.room_id,
                AppointmentBooking.device_id,
                AppointmentBooking.series_id,
                AppointmentBooking.session,
                Appointment.status,
            )
            .outerjoin(AppointmentBooking, AppointmentBooking.appointment_id == Appointment.id)
            .where(Appointment.clinic_id == self.clinic_id)
        )

    def patient_appointments(self, patient_id: int, since: datetime) -> list[Appointment]:
        """The patient's appointments holding time from ``since`` on (a day's margin)."""
        query = (
            select(Appointment)
            .where(
                Appointment.clinic_id == self.clinic_id,
                Appointment.patient_id == patient_id,
                Appointment.status.in_(HOLDING_STATUSES),
                Appointment.starts_at >= since - timedelta(days=1),
            )
            .order_by(Appointment.starts_at)
        )
        return list(self._session.execute(query).scalars())

    # Series ------------------------------------------------------------------------------------

    def series(self, series_id: int, *, for_update: bool = False) -> BookedSeries | None:
        query = select(BookedSeries).where(
            BookedSeries.id == series_id, BookedSeries.clinic_id == self.clinic_id
        )
        if for_update:
            query = query.with_for_update()
        return self._session.execute(query).scalar_one_or_none()

    def series_of_plan(self, plan_id: int) -> list[BookedSeries]:
        return list(
            self._session.execute(
                select(BookedSeries)
                .where(BookedSeries.clinic_id == self.clinic_id, BookedSeries.plan_id == plan_id)
                .order_by(BookedSeries.series_index)
            ).scalars()
        )

    def series_of_patient(self, patient_id: int) -> list[BookedSeries]:
        return list(
            self._session.execute(
                select(BookedSeries)
                .where(
                    BookedSeries.clinic_id == self.clinic_id,
                    BookedSeries.patient_id == patient_id,
                )
                .order_by(BookedSeries.id)
            ).scalars()
        )

    def booked_sessions(
        self, series_ids: Sequence[int], *, statuses: Sequence[str] = HOLDING_STATUSES
    ) -> list[tuple[AppointmentBooking, Appointment]]:
        """The sessions of these series whose appointment has one of ``statuses``, by series,
        session and appointment id."""
        if not series_ids:
            return []
        query = (
            select(AppointmentBooking, Appointment)
            .join(Appointment, Appointment.id == AppointmentBooking.appointment_id)
            .where(
                AppointmentBooking.clinic_id == self.clinic_id,
                AppointmentBooking.series_id.in_(list(series_ids)),
                Appointment.status.in_(list(statuses)),
            )
            .order_by(AppointmentBooking.series_id, AppointmentBooking.session, Appointment.id)
        )
        return [(row[0], row[1]) for row in self._session.execute(query)]

    def practitioner_sessions(
        self, staff_user_id: int, since: datetime
    ) -> list[tuple[AppointmentBooking, Appointment]]:
        """A practitioner's sessions of booked series (not one-off appointments) holding time
        from ``since`` on."""
        query = (
            select(AppointmentBooking, Appointment)
            .join(Appointment, Appointment.id == AppointmentBooking.appointment_id)
            .where(
                Appointment.clinic_id == self.clinic_id,
                AppointmentBooking.series_id.is_not(None),
                Appointment.practitioner_id == staff_user_id,
                Appointment.status.in_(HOLDING_STATUSES),
                Appointment.starts_at >= since,
            )
            .order_by(Appointment.starts_at, Appointment.id)
        )
        return [(row[0], row[1]) for row in self._session.execute(query)]

    def series_by_ids(self, series_ids: Iterable[int]) -> dict[int, BookedSeries]:
        ids = list(series_ids)
        if not ids:
            return {}
        query = select(BookedSeries).where(
            BookedSeries.clinic_id == self.clinic_id, BookedSeries.id.in_(ids)
        )
        return {row.id: row for row in self._session.execute(query).scalars()}

    def booked_keys(self, plan_ids: Iterable[int]) -> set[tuple[int, int]]:
        """``(plan_id, series_index)`` of the booked series of these plans."""
        ids = list(plan_ids)
        if not ids:
            return set()
        query = select(BookedSeries.plan_id, BookedSeries.series_index).where(
            BookedSeries.clinic_id == self.clinic_id, BookedSeries.plan_id.in_(ids)
        )
        return {(row[0], row[1]) for row in self._session.execute(query)}

    def booking(self, appointment_id: int) -> AppointmentBooking | None:
        """What scheduling booked with the appointment: a series session, or a one-off
        (``series_id`` ``None``); ``None`` for an appointment scheduling did not book."""
        row = self._session.get(AppointmentBooking, appointment_id)
        return row if row is not None and row.clinic_id == self.clinic_id else None

    def open_plans(self) -> list[TreatmentPlan]:
        """Plans that may still be booked (proposed or accepted), oldest first."""
        return list(
            self._session.execute(
                select(TreatmentPlan)
                .where(
                    TreatmentPlan.clinic_id == self.clinic_id,
                    TreatmentPlan.status.in_(("proposed", "accepted")),
                )
                .order_by(TreatmentPlan.id)
            ).scalars()
        )

    def all_series(self) -> list[BookedSeries]:
        return list(
            self._session.execute(
                select(BookedSeries)
                .where(BookedSeries.clinic_id == self.clinic_id)
                .order_by(BookedSeries.id)
            ).scalars()
        )

    def latest_intakes(self, patient_ids: Iterable[int]) -> dict[int, Intake]:
        """Each patient's latest screening (latest assessment date, then latest recorded)."""
        ids = list(patient_ids)
        if not ids:
            return {}
        query = (
            select(Intake)
            .where(Intake.clinic_id == self.clinic_id, Intake.patient_id.in_(ids))
            .order_by(Intake.patient_id, Intake.assessed_on, Intake.id)
        )
        latest: dict[int, Intake] = {}
        for intake in self._session.execute(query).scalars():
            latest[intake.patient_id] = intake
        return latest

    # Maintenance -------------------------------------------------------------------------------

    def completed_series_patients(self) -> set[int]:
        """Patients with a booked series whose every session has been completed."""
        done = (
            select(BookedSeries.patient_id)
            .join(AppointmentBooking, AppointmentBooking.series_id == BookedSeries.id)
            .join(Appointment, Appointment.id == AppointmentBooking.appointment_id)
            .where(BookedSeries.clinic_id == self.clinic_id, Appointment.status == "completed")
            .group_by(BookedSeries.id, BookedSeries.patient_id, BookedSeries.sessions)
            .having(func.count(func.distinct(AppointmentBooking.session)) >= BookedSeries.sessions)
        )
        return set(self._session.execute(done).scalars())

    def completed_plan_patients(self) -> set[int]:
        """Patients with a plan marked completed."""
        query = select(TreatmentPlan.patient_id).where(
            TreatmentPlan.clinic_id == self.clinic_id, TreatmentPlan.status == "completed"
        )
        return set(self._session.execute(query).scalars())

    def maintenance_terms(
        self, patient_ids: Iterable[int]
    ) -> list[tuple[int, str, dict[str, Any]]]:
        """Each plan of these patients, oldest first: its patient, its status, and the two parts
        of the plan document maintenance needs (``maintenance`` and ``series``). The rest of the
        document (care timelines, some 30 times larger) is not read: decoding it was most of the
        Today page's time."""
        ids = list(patient_ids)
        if not ids:
            return []
        query = (
            select(
                TreatmentPlan.patient_id,
                TreatmentPlan.status,
                TreatmentPlan.plan["maintenance"],
                TreatmentPlan.plan["series"],
            )
            .where(TreatmentPlan.clinic_id == self.clinic_id, TreatmentPlan.patient_id.in_(ids))
            .order_by(TreatmentPlan.id)
        )
        return [
            (patient_id, status, {"maintenance": maintenance, "series": series})
            for patient_id, status, maintenance, series in self._session.execute(query)
        ]

    def last_completed(self, patient_ids: Iterable[int]) -> dict[int, datetime]:
        """Each patient's last completed session (its start)."""
        ids = list(patient_ids)
        if not ids:
            return {}
        query = (
            select(Appointment.patient_id, func.max(Appointment.starts_at))
            .where(
                Appointment.clinic_id == self.clinic_id,
                Appointment.patient_id.in_(ids),
                Appointment.status == "completed",
            )
            .group_by(Appointment.patient_id)
        )
        return {row[0]: row[1] for row in self._session.execute(query) if row[1] is not None}

    def upcoming(self, patient_ids: Iterable[int]) -> dict[int, list[datetime]]:
        """Each patient's scheduled or checked-in sessions (their starts, in order)."""
        ids = list(patient_ids)
        if not ids:
            return {}
        query = (
            select(Appointment.patient_id, Appointment.starts_at)
            .where(
                Appointment.clinic_id == self.clinic_id,
                Appointment.patient_id.in_(ids),
                Appointment.status.in_(("scheduled", "checked_in")),
            )
            .order_by(Appointment.patient_id, Appointment.starts_at)
        )
        result: dict[int, list[datetime]] = {}
        for patient_id, starts_at in self._session.execute(query):
            result.setdefault(patient_id, []).append(starts_at)
        return result

    def patients(self, patient_ids: Iterable[int]) -> dict[int, Patient]:
        ids = list(patient_ids)
        if not ids:
            return {}
        query = select(Patient).where(Patient.clinic_id == self.clinic_id, Patient.id.in_(ids))
        return {patient.id: patient for patient in self._session.execute(query).scalars()}

    # Reservations ------------------------------------------------------------------------------

    def reserve(self, reservations: Sequence[Reservation]) -> int:
        """Insert the reservation rows of these appointments (an integrity error when a step is
        taken). Rows left behind by appointments cancelled or missed since (a status change made
        outside scheduling) are released where they are in the way, when the first insert (in a
        savepoint) finds a step taken."""
        rows: list[dict[str, object]] = []
        for item in reservations:
            steps = reservation_steps(item.start, item.free_at)
            resources = [("practitioner", item.practitioner_id), ("room", item.room_id)]
            if item.device_id is not None:
                resources.append(("device", item.device_id))
            for kind, resource_id in resources:
                rows.extend(
                    {
                        "clinic_id": self.clinic_id,
                        "resource_kind": kind,
                        "resource_id": resource_id,
                        "slot_start": step,
                        "appointment_id": item.appointment_id,
                    }
                    for step in steps
                )
        if not rows:
            return 0
        statement = insert(ResourceSlot.__table__)  # type: ignore[arg-type]
        try:
            with self._session.begin_nested():
                self._session.execute(statement, rows)
        except IntegrityError:
            # A step is taken: by an appointment that no longer holds time (cancelled or missed
            # through the plain appointment commands, which leave their reservations), or by a
            # real booking (then inserting again fails, and the caller reports the conflict).
            self._release_stale(rows)
            self._session.execute(statement, rows)
        return len(rows)

    def _release_stale(self, rows: Sequence[dict[str, Any]]) -> None:
        """Delete the reservations in the way of ``rows`` that belong to appointments no longer
        holding time: one index range per resource and appointment (not a scan of the months
        between the first and the last session)."""
        spans: dict[tuple[str, int, int], list[datetime]] = {}
        for row in rows:
            key = (row["resource_kind"], row["resource_id"], row["appointment_id"])
            found = spans.setdefault(key, [row["slot_start"], row["slot_start"]])
            found[0] = min(found[0], row["slot_start"])
            found[1] = max(found[1], row["slot_start"])
        ranges = [
            and_(
                ResourceSlot.resource_kind == kind,
                ResourceSlot.resource_id == resource_id,
                ResourceSlot.slot_start >= first,
                ResourceSlot.slot_start <= last,
            )
            for (kind, resource_id, _), (first, last) in spans.items()
        ]
        not_holding = (
            select(Appointment.id)
            .where(
                Appointment.id == ResourceSlot.appointment_id,
                Appointment.status.not_in(HOLDING_STATUSES),
            )
            .exists()
        )
        self._session.execute(
            delete(ResourceSlot).where(
                ResourceSlot.clinic_id == self.clinic_id, or_(*ranges), not_holding
            )
        )

    def release(self, appointment_ids: Iterable[int]) -> None:
        """Remove every reservation of these appointments."""
        ids = list(appointment_ids)
        if ids:
            self._session.execute(
                delete(ResourceSlot).where(
                    ResourceSlot.clinic_id == self.clinic_id, ResourceSlot.appointment_id.in_(ids)
                )
            )

    def reservations_of(self, appointment_ids: Iterable[int]) -> int:
        ids = list(appointment_ids)
        if not ids:
            return 0
        return self._session.execute(
            select(func.count()).where(
                ResourceSlot.clinic_id == self.clinic_id, ResourceSlot.appointment_id.in_(ids)
            )
        ).scalar_one()

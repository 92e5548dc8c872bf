"""What one scheduling use case works in: :class:`_Context` loads the clinic calendar and the
appointments holding time (from the records, or from the process's calendar index) into an
occupancy, a working copy that what the use case books goes into. Also the helpers every use case
shares: times given by people (``_moment``: with their offset, or the clinic's wall clock, on
whole 5-minute steps), the patient's own visits as blocked time, and a session as the views show
it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any

from microneedling.errors import SchedulingError
from microneedling.scheduling.clinic_calendar import Booking
from microneedling.scheduling.series import SessionProposal
from microneedling.scheduling.slots import Occupancy
from microneedling.services.access import Transaction
from microneedling.services.calendar_index import CALENDAR_INDEX, SpanMaker
from microneedling.services.calendar_settings import (
    LoadedCalendar,
    load_calendar,
    scheduling_records,
)
from microneedling.services.inputs import FIRST_YEAR, LAST_YEAR
from microneedling.store.scheduling_models import RESERVATION_STEP_MINUTES
from microneedling.store.scheduling_records import HeldTime, SchedulingRecords, held_time, moment


def _moment(value: datetime | str, loaded: LoadedCalendar, where: str) -> datetime:
    """An instant from ISO text or a datetime; without an offset it is the clinic's wall clock."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise SchedulingError(
                f"expected a date and time such as 2027-01-05T09:00, got {value!r}", field=where
            ) from None
    if not isinstance(value, datetime):
        raise SchedulingError("expected a date and time", field=where)
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise SchedulingError(f"expected a year from {FIRST_YEAR} to {LAST_YEAR}", field=where)
    if value.tzinfo is None or value.utcoffset() is None:
        value = loaded.calendar.local_to_utc(value.date(), value.time().replace(microsecond=0))
    value = value.astimezone(UTC)
    if value.second or value.microsecond or value.minute % RESERVATION_STEP_MINUTES:
        raise SchedulingError(
            f"appointments start on whole {RESERVATION_STEP_MINUTES}-minute steps "
            f"(e.g. 09:00, 09:05), got {loaded.calendar.to_local(value):%H:%M:%S}",
            field=where,
        )
    return value


def _bookings(loaded: LoadedCalendar, held: Iterable[HeldTime]) -> list[Booking]:
    """The held times as the occupancy takes them (the hot path of loading a calendar)."""
    practitioners = {v: k for k, v in loaded.practitioner_ids.items()}
    rooms = {v: k for k, v in loaded.room_ids.items()}
    devices = {v: k for k, v in loaded.device_ids.items()}
    minute = timedelta(minutes=1)
    return [
        Booking(
            item.starts_at,
            item.free_at if item.free_at > item.starts_at else item.starts_at + minute,
            practitioners.get(item.practitioner_id),  # type: ignore[arg-type]
            rooms.get(item.room_id),  # type: ignore[arg-type]
            devices.get(item.device_id),  # type: ignore[arg-type]
            str(item.appointment_id),
            str(item.patient_id),
        )
        for item in held
    ]


def _patient_busy(
    loaded: LoadedCalendar, spans: Iterable[tuple[datetime, datetime]]
) -> list[Booking]:
    """The patient's own visits as time no practitioner can give them (the occupancy has no
    patients, so each visit blocks every practitioner in a working copy)."""
    result = []
    for start, end in spans:
        for practitioner in loaded.calendar.practitioners:
            result.append(Booking(start, end, practitioner.id, None, None))
    return result


def _day_start(loaded: LoadedCalendar, day: date) -> datetime:
    return loaded.calendar.day_start(day)


def _view(
    proposal: SessionProposal, loaded: LoadedCalendar, appointment_id: int | None = None
) -> dict[str, Any]:
    view = proposal.to_dict(loaded.calendar)
    if appointment_id is not None:
        view = {"appointment_id": appointment_id, **view}
    return view


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while tens of thousands of small objects (rows, bookings,
    datetimes; no cycles among them) are made: the collector's passes over the whole heap would
    otherwise cost more than making them. Only the thread that paused it resumes it."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


@dataclass
class _Context:
    """What one use case has loaded: the calendar, the appointments holding time (``rows``, see
    :meth:`SchedulingRecords.held_rows`), the occupancy built from them (a working copy: what
    this use case books goes into it). ``held`` and ``bookings`` are the rows as records, made
    only when a use case asks for them (proposing and booking a series never does)."""

    tx: Transaction
    records: SchedulingRecords
    loaded: LoadedCalendar
    rows: list[Sequence[Any]]
    patient_busy: list[Booking]
    occupancy: Occupancy
    released: set[int] = field(default_factory=set)

    @cached_property
    def held(self) -> list[HeldTime]:
        with _collector_paused():
            return [held_time(row) for row in self.rows]

    @cached_property
    def bookings(self) -> list[Booking]:
        """The bookings the occupancy was built from (a list the use case may add to)."""
        with _collector_paused():
            found = _bookings(
                self.loaded,
                (item for item in self.held if item.appointment_id not in self.released),
            )
        found.extend(self.patient_busy)
        return found

    def empty_occupancy(self) -> Occupancy:
        """The calendar without any booking (what is open, who works, what is in service)."""
        cached = self.__dict__.get("_empty")
        if cached is None:
            cached = self.__dict__["_empty"] = Occupancy(self.loaded.calendar)
        return cached

    def occupancy_bookings(self) -> list[Booking]:
        """The bookings the occupancy was built from (for searches that build their own)."""
        return self.bookings

    @classmethod
    def load(
        cls,
        tx: Transaction,
        until: date,
        *,
        released: Iterable[int] = (),
        patient_id: int | None = None,
        patient_spans: Iterable[tuple[datetime, datetime]] = (),
        cached: bool = False,
    ) -> _Context:
        """From the clinic's today to ``until``; ``released``: appointments whose time counts as
        free (they are about to move); ``patient_id``: whose other visits block their time;
        ``cached``: start from the process's calendar index (only before the transaction has
        written anything; see services/calendar_index.py)."""
        records = scheduling_records(tx)
        loaded = load_calendar(tx, records)
        free = set(released)
        low = _day_start(loaded, tx.today - timedelta(days=1))
        high = _day_start(loaded, until)
        make = SpanMaker(loaded)
        if cached:
            rows, occupancy = CALENDAR_INDEX.snapshot(
                tx.uow.database.url.render_as_string(hide_password=True),
                records,
                loaded,
                today=tx.today,
                low=low,
                high=high,
            )
            for row in rows:
                if row[0] in free:
                    occupancy.remove_span(make(row))
        else:
            rows = records.held_rows(low, high)
            occupancy = Occupancy(loaded.calendar, spans=make.spans(rows, free))
        spans = list(patient_spans)
        if patient_id is not None:
            spans.extend(
                (moment(row[2]), moment(row[3]))
                for row in rows
                if row[1] == patient_id and row[0] not in free
            )
        busy = _patient_busy(loaded, spans)
        for booking in busy:
            occupancy.book(booking)
        return cls(tx, records, loaded, rows, busy, occupancy, free)

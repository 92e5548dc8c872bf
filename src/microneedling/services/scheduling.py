"""Scheduling use cases: a plan's series proposed and booked against the clinic calendar, sessions
moved or cancelled with the later ones re-proposed, maintenance due, ``.ics`` calendars, and the
clinic-wide optimisation of pending series. See ``docs/scheduling.md``.

The search itself is the pure :mod:`microneedling.scheduling` package; this module loads the
calendar and the appointments holding time from the records, runs it inside the use case's
transaction, and writes the result: ``appointment`` rows (the records' own table), the
``appointment_booking`` beside each, and the ``resource_slot`` reservations whose primary key
refuses a practitioner, room or device booked twice, also when two bookings race (the loser gets
:class:`~microneedling.errors.Conflict` and nothing of its transaction is kept).

Times given by people may carry their offset (``2027-01-05T09:00+01:00``) or not, in which case
they are the clinic's wall clock. Appointments start on whole 5-minute steps.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from pydantic import Field

from microneedling.errors import Conflict, NotFound, RuleViolation, SchedulingError, UserError
from microneedling.scheduling.clinic_calendar import (
    AppointmentLength,
    Booking,
    ClinicCalendar,
    Period,
    TimeRange,
)
from microneedling.scheduling.ics import (
    DEFAULT_REMINDERS,
    Reminder,
    practitioner_feed_ics,
    reminders_from_plan,
    series_ics,
)
from microneedling.scheduling.maintenance import (
    MAINTENANCE_EVERY_MONTHS,
    MaintenanceRecord,
    maintenance_due,
    patients_due,
)
from microneedling.scheduling.optimise import (
    Assignment,
    PendingSeries,
    Progress,
    assign_greedy,
    assign_optimised,
)
from microneedling.scheduling.series import (
    OVERFLOW_DAYS,
    PRECARE_LEAD_DAYS,
    Appointment,
    IntervalWeeks,
    PatientPreferences,
    SeriesProposal,
    SeriesRequest,
    SessionProposal,
    propose_series,
    reschedule,
)
from microneedling.scheduling.slots import Occupancy, Slot, SlotRequest
from microneedling.services.access import Actor, Transaction
from microneedling.services.appointments import ONE_OFF_TAKEN, check_reason
from microneedling.services.calendar_index import CALENDAR_INDEX, SpanMaker
from microneedling.services.calendar_settings import (
    LoadedCalendar,
    load_calendar,
    patient_ics_includes_precare,
    scheduling_records,
)
from microneedling.services.clock import Clock, utc_now
from microneedling.services.inputs import FIRST_YEAR, LAST_YEAR, Input, parse
from microneedling.services.patients import require_patient
from microneedling.store import UnitOfWork
from microneedling.store.models import Appointment as AppointmentRow
from microneedling.store.models import Intake, StaffUser, TreatmentPlan
from microneedling.store.scheduling_models import (
    RESERVATION_STEP_MINUTES,
    AppointmentBooking,
    BookedSeries,
)
from microneedling.store.scheduling_records import (
    HeldTime,
    Reservation,
    SchedulingRecords,
    held_time,
    moment,
)
from microneedling.store.unit_of_work import translate_conflicts

__all__ = [
    "accept_optimised",
    "book_one_off",
    "book_plan",
    "cancel_session",
    "list_series",
    "maintenance_due_list",
    "move_session",
    "optimise_calendar",
    "patient_calendar",
    "practitioner_feed",
    "propose_plan",
    "stop_series",
]

#: Said when a reservation collides with one made at the same moment.
SLOT_TAKEN = (
    "someone else booked one of these times at the same moment; propose again and pick another"
)
#: How many days of history a practitioner's feed shows.
FEED_PAST_DAYS = 30
_FIRST_SESSION_SEARCH_DAYS = 56


# Plain helpers -------------------------------------------------------------------------------


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


def _timed_series(plan: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    """The plan's series that have sessions to book (not home use)."""
    return [
        (index, entry)
        for index, entry in enumerate(plan.get("series") or ())
        if entry.get("sessions") and entry.get("interval_weeks")
    ]


def _anaesthetic(plan: Mapping[str, Any]) -> bool:
    """False when the screening said: no topical anaesthetic (no anaesthetic time then)."""
    return not any(
        str(item.get("code", "")) == "topical_anesthetic" for item in plan.get("precautions") or ()
    )


def _first_allowed(intake: Intake | None, entry: Mapping[str, Any]) -> date:
    """The first day the series may start: the latest screening's earliest date and the plan's
    first date (which carries the surgery rule and the requested start)."""
    if intake is None:
        raise RuleViolation("the patient has no screening", field="plan_id")
    if intake.decision == "not_eligible":
        raise RuleViolation(
            f"the latest screening (intake {intake.id}) is not_eligible: nothing to book",
            field="plan_id",
        )
    if intake.decision == "caution" and intake.acknowledged_by is None:
        raise RuleViolation(
            f"the latest screening (intake {intake.id}) is caution and not acknowledged",
            field="plan_id",
        )
    if intake.decision == "defer" and intake.earliest_date is None:
        raise RuleViolation(
            f"the latest screening (intake {intake.id}) defers treatment with no known date",
            field="plan_id",
        )
    earliest = intake.earliest_date or intake.assessed_on
    dates = entry.get("dates") or ()
    planned = date.fromisoformat(str(dates[0])) if dates else earliest
    return max(earliest, planned)


def _request(entry: Mapping[str, Any], plan: Mapping[str, Any]) -> SeriesRequest:
    return SeriesRequest.from_plan(entry, anaesthetic=_anaesthetic(plan))


def _series_request(row: BookedSeries) -> SeriesRequest:
    return SeriesRequest(
        sessions=row.sessions,
        interval=IntervalWeeks(
            row.interval_min_weeks, row.interval_max_weeks, row.interval_default_weeks
        ),
        zones=tuple(str(zone) for zone in row.zones),
        anaesthetic=row.anaesthetic,
    )


class Preferences(Input):
    """A patient's wishes: weekdays (``tuesday``, ``monday-friday``), local time ranges the
    visit should fall in (``09:00-12:00``), a practitioner (their e-mail)."""

    weekdays: list[str] = Field(default_factory=list, max_length=7)
    times: list[str] = Field(default_factory=list, max_length=6)
    practitioner: str | None = Field(default=None, max_length=254)


def _preferences(
    data: Preferences | Mapping[str, Any] | None, loaded: LoadedCalendar, *, strict: bool
) -> tuple[PatientPreferences, dict[str, Any]]:
    """The preferences as the search takes them, and as stored. A practitioner the calendar does
    not have: an error when given now (``strict``), dropped when stored earlier."""
    prefs = parse(Preferences, data or {}, what="preferences")
    stored = prefs.model_dump(exclude_none=True)
    if prefs.practitioner is not None and prefs.practitioner not in loaded.practitioner_ids:
        if strict:
            raise SchedulingError(
                f"{prefs.practitioner!r} is not a practitioner of the calendar",
                field="preferences.practitioner",
            )
        stored.pop("practitioner", None)
    return PatientPreferences.parse(stored), stored


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


def _reach_days(request: SeriesRequest) -> int:
    """How many days after its first allowed day a series can reach (search and overflow)."""
    return (
        _FIRST_SESSION_SEARCH_DAYS
        + 7 * request.interval.max * (request.sessions - 1)
        + OVERFLOW_DAYS
        + 2
    )


def _view(
    proposal: SessionProposal, loaded: LoadedCalendar, appointment_id: int | None = None
) -> dict[str, Any]:
    view = proposal.to_dict(loaded.calendar)
    if appointment_id is not None:
        view = {"appointment_id": appointment_id, **view}
    return view


def _plan_row(tx: Transaction, plan_id: int) -> TreatmentPlan:
    plan = tx.records.get(TreatmentPlan, plan_id)
    if plan is None:
        raise NotFound(f"no plan {plan_id} in this clinic", field="plan_id")
    if plan.status not in ("proposed", "accepted"):
        raise RuleViolation(f"the plan is {plan.status}: nothing to book", field="plan_id")
    return plan


def _chosen_series(
    plan: TreatmentPlan, series_index: int | None
) -> list[tuple[int, Mapping[str, Any]]]:
    timed = _timed_series(plan.plan)
    if not timed:
        raise RuleViolation(
            "this plan has no sessions to book (home use as needed)", field="plan_id"
        )
    if series_index is None:
        return timed
    chosen = [item for item in timed if item[0] == series_index]
    if not chosen:
        indexes = ", ".join(str(index) for index, _ in timed)
        raise SchedulingError(
            f"the plan's series with sessions to book are {indexes}", field="series_index"
        )
    return chosen


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


# Proposing -----------------------------------------------------------------------------------


def _propose(
    context: _Context,
    plan: TreatmentPlan,
    chosen: Sequence[tuple[int, Mapping[str, Any]]],
    preferences: PatientPreferences,
) -> list[tuple[int, SeriesRequest, date, SeriesProposal]]:
    """Each chosen series proposed in turn; the earlier ones' sessions are held in the working
    occupancy (and block the patient) while the later ones are proposed."""
    intake = context.records.latest_intakes([plan.patient_id]).get(plan.patient_id)
    result = []
    for index, entry in chosen:
        request = _request(entry, plan.plan)
        first_allowed = _first_allowed(intake, entry)
        proposal = propose_series(
            request,
            context.loaded.calendar,
            context.occupancy,
            first_allowed_date=first_allowed,
            today=context.tx.today,
            preferences=preferences,
        )
        for appointment in proposal.appointments:
            context.occupancy.book(appointment.booking())
            for blocking in _patient_busy(context.loaded, [(appointment.start, appointment.end)]):
                context.occupancy.book(blocking)
        result.append((index, request, first_allowed, proposal))
    return result


def _until(tx: Transaction, plan: TreatmentPlan, chosen: Sequence[tuple[int, Any]]) -> date:
    reach = max(_reach_days(_request(entry, plan.plan)) for _, entry in chosen)
    starts = [
        date.fromisoformat(str(entry["dates"][0])) for _, entry in chosen if entry.get("dates")
    ]
    first = max([tx.today + timedelta(days=PRECARE_LEAD_DAYS), *starts])
    return first + timedelta(days=reach)


def propose_plan(
    uow: UnitOfWork,
    actor: Actor,
    plan_id: int,
    *,
    preferences: Preferences | Mapping[str, Any] | None = None,
    series_index: int | None = None,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Concrete appointments for every session of the plan's series (nothing is booked).

    The first session is no earlier than the first allowed date (the latest screening's earliest
    date and the plan's first date, which carries the surgery rule) nor than 7 days from today
    (pre-care); every later one inside its interval window; practitioners, rooms and devices free
    in the clinic calendar; the patient's preferences as far as possible.
    """
    with Transaction(uow, actor, "series.propose", clock) as tx:
        plan = _plan_row(tx, plan_id)
        chosen = _chosen_series(plan, series_index)
        context = _Context.load(
            tx, _until(tx, plan, chosen), patient_id=plan.patient_id, cached=True
        )
        prefs, _ = _preferences(preferences, context.loaded, strict=True)
        booked = {row.series_index: row.id for row in context.records.series_of_plan(plan.id)}
        proposals = _propose(
            context, plan, [item for item in chosen if item[0] not in booked], prefs
        )
        view = _proposal_view(context, plan, proposals, booked)
        tx.done(
            patient_id=plan.patient_id,
            entity=("treatment_plan", plan.id),
            details={"series": [index for index, *_ in proposals]},
        )
    return view


def _proposal_view(
    context: _Context,
    plan: TreatmentPlan,
    proposals: Sequence[tuple[int, SeriesRequest, date, SeriesProposal]],
    booked: Mapping[int, int],
) -> dict[str, Any]:
    calendar = context.loaded.calendar
    series = []
    for index, request, first_allowed, proposal in proposals:
        length = request.length(calendar)
        series.append(
            {
                "series_index": index,
                "sessions_planned": request.sessions,
                "interval_weeks": {
                    "min": request.interval.min,
                    "max": request.interval.max,
                    "default": request.interval.default,
                },
                "zones": list(request.zones),
                "minutes": {
                    "patient": length.patient_minutes,
                    "blocked": length.blocked_minutes,
                },
                "first_allowed_date": first_allowed.isoformat(),
                "complete": proposal.complete,
                "penalty": proposal.penalty,
                "sessions": [_view(item, context.loaded) for item in proposal.sessions],
            }
        )
    return {
        "plan_id": plan.id,
        "patient_id": plan.patient_id,
        "time_zone": calendar.time_zone,
        "series": series,
        "already_booked": [
            {"series_index": index, "series_id": series_id}
            for index, series_id in sorted(booked.items())
        ],
    }


# Booking -------------------------------------------------------------------------------------


class PickedSlot(Input):
    """A slot staff picked for one session: ``start`` (ISO; without an offset it is the clinic's
    wall clock), and optionally the practitioner (e-mail), room (code) and device (serial)."""

    series_index: int = Field(default=0, ge=0, le=50)
    session: int = Field(ge=1, le=52)
    start: str = Field(min_length=10, max_length=40)
    practitioner: str | None = Field(default=None, max_length=254)
    room: str | None = Field(default=None, max_length=40)
    device: str | None = Field(default=None, max_length=100)


def picked_slots(data: Any) -> list[PickedSlot]:
    """Slots from a list of ``{series_index, session, start, practitioner, room, device}``, or
    from a proposal as ``propose`` returns it (its sessions with a start, as proposed)."""
    entries: list[Mapping[str, Any]] = []
    if isinstance(data, Mapping) and "series" in data:
        for series in data["series"] or ():
            for session in series.get("sessions") or ():
                if session.get("start"):
                    entries.append(
                        {
                            "series_index": series.get("series_index", 0),
                            **{
                                key: session.get(key)
                                for key in ("session", "start", "practitioner", "room", "device")
                            },
                        }
                    )
    elif isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        entries = list(data)
    else:
        raise SchedulingError("expected a list of slots or a proposal", field="slots")
    result = []
    for number, entry in enumerate(entries):
        try:
            result.append(parse(PickedSlot, entry, what=f"slots[{number}]"))
        except UserError as error:
            raise SchedulingError(error.message, field=f"slots[{number}].{error.field}") from None
    return result


def _slot_for(
    context: _Context,
    request: SeriesRequest,
    start: datetime,
    picked: PickedSlot | None,
    where: str,
    session: int,
) -> Slot:
    """The slot at ``start`` with the picked practitioner, room and device (any free ones where
    none is named); a :class:`SchedulingError` saying why when there is none."""
    calendar = context.loaded.calendar
    length = request.length(calendar)
    practitioner = picked.practitioner if picked else None
    room = picked.room if picked else None
    device = picked.device if picked else None
    for value, known, name in (
        (practitioner, context.loaded.practitioner_ids, "practitioner"),
        (room, context.loaded.room_ids, "room"),
        (device, context.loaded.device_ids, "device"),
    ):
        if value is not None and value not in known:
            raise SchedulingError(f"the calendar has no {name} {value!r}", field=f"{where}.{name}")
    slot = context.occupancy.slot_starting(
        start,
        length,
        practitioner_id=practitioner,
        room_id=room,
        device_id=device,
        practitioners=frozenset([practitioner]) if practitioner else None,
    )
    if slot is not None and room is not None and slot.room_id != room:
        slot = None
    if slot is not None and device is not None and slot.device_id != device:
        slot = None
    if slot is None:
        local_start = f"{calendar.to_local(start):%Y-%m-%d %H:%M}"
        free_calendar = context.empty_occupancy().slot_starting(
            start,
            length,
            practitioner_id=practitioner,
            room_id=room,
            device_id=device,
            practitioners=frozenset([practitioner]) if practitioner else None,
        )
        if (
            free_calendar is not None
            and (room is None or free_calendar.room_id == room)
            and (device is None or free_calendar.device_id == device)
        ):
            raise Conflict(
                f"session {session} cannot be at {local_start}: that time is already booked "
                "(its practitioner, room or device, or the patient has another session then); "
                "propose again and pick another",
                field=f"{where}.start",
            )
        day = calendar.local_day(start)
        probe = SlotRequest(length)
        if context.occupancy.best_slot(day, probe) is None:
            why = context.occupancy.why_no_slot(day, probe)
        else:
            names = ", ".join(item for item in (practitioner, room, device) if item)
            why = "that time is outside working hours or opening hours" + (
                f" for {names}" if names else ""
            )
        raise SchedulingError(
            f"session {session} cannot be at {local_start}: {why}", field=f"{where}.start"
        )
    return slot


def _picked_sessions(
    context: _Context,
    request: SeriesRequest,
    picks: Sequence[tuple[int, PickedSlot, str]],
    *,
    series_key: str,
    first_allowed: date,
    anchor: date | None,
    first_session: int = 1,
    note: str = "picked by staff",
) -> list[SessionProposal]:
    """Check staff's slots for sessions ``first_session`` on (after a session on ``anchor``) and
    hold them in the working occupancy. Hard rules refuse (never under the minimum interval, not
    before the first allowed date, not in the past, resources free); a session past its window's
    end, or a first session without 7 days of pre-care, is flagged with the reason."""
    calendar = context.loaded.calendar
    today, now = context.tx.today, context.tx.now
    interval = request.interval
    numbers = [pick.session for _, pick, _ in picks]
    expected = list(range(first_session, request.sessions + 1))
    if sorted(numbers) != expected:
        raise SchedulingError(
            f"give one slot for each of sessions {first_session} to {request.sessions}, "
            f"got {', '.join(map(str, sorted(numbers))) or 'none'}",
            field="slots",
        )
    result = []
    for _, pick, where in sorted(picks, key=lambda item: item[1].session):
        number = pick.session
        start = _moment(pick.start, context.loaded, f"{where}.start")
        if start <= now:
            raise SchedulingError("is in the past", field=f"{where}.start")
        day = calendar.local_day(start)
        reasons: list[str] = []
        if anchor is None:
            if day < first_allowed:
                raise SchedulingError(
                    f"the first session cannot be before {first_allowed} (screening or surgery "
                    "rule)",
                    field=f"{where}.start",
                )
            if day < today + timedelta(days=PRECARE_LEAD_DAYS):
                reasons.append(
                    f"less than {PRECARE_LEAD_DAYS} days after today ({today}): the patient "
                    "cannot complete the day −7 pre-care (stop retinoids and exfoliants, avoid sun)"
                )
            low, high, target = first_allowed, None, first_allowed
        else:
            low = anchor + timedelta(weeks=interval.min)
            high = anchor + timedelta(weeks=interval.max)
            target = anchor + timedelta(weeks=interval.default)
            if day < low:
                raise SchedulingError(
                    f"session {number} cannot be on {day}: it must be at least {interval.min} "
                    f"weeks after session {number - 1} ({anchor}), so on {low} or later",
                    field=f"{where}.start",
                )
            if day > high:
                reasons.append(
                    f"{(day - anchor).days} days after session {number - 1}: outside its window "
                    f"of {interval.min}–{interval.max} weeks ({low} to {high})"
                )
        slot = _slot_for(context, request, start, pick, where, number)
        context.occupancy.book(slot)
        for blocking in _patient_busy(context.loaded, [(slot.start, slot.end)]):
            context.occupancy.book(blocking)
        result.append(
            SessionProposal(
                session=number,
                status="outside_window" if reasons and anchor is not None else "proposed",
                appointment=Appointment.from_slot(
                    slot, series_id=series_key, session=number, sessions=request.sessions
                ),
                earliest=low,
                latest=high,
                target=target,
                note=note,
                reasons=tuple(reasons),
            )
        )
        anchor = day
    return result


def _new_appointment(
    context: _Context,
    series: BookedSeries,
    proposal: SessionProposal,
) -> tuple[AppointmentRow, AppointmentBooking, Reservation]:
    tx, loaded = context.tx, context.loaded
    appointment = proposal.appointment
    assert appointment is not None
    row = AppointmentRow(
        patient_id=series.patient_id,
        plan_id=series.plan_id,
        practitioner_id=loaded.practitioner_ids[appointment.practitioner_id],
        starts_at=appointment.start,
        duration_minutes=int((appointment.end - appointment.start).total_seconds() // 60),
        status="scheduled",
        created_at=tx.now,
        created_by=tx.actor.staff_user_id,
        status_changed_at=tx.now,
    )
    tx.records.add(row)
    tx.flush()
    booking = AppointmentBooking(
        appointment_id=row.id,
        series_id=series.id,
        session=proposal.session,
        room_id=loaded.room_ids[appointment.room_id],
        device_id=loaded.device_ids[appointment.device_id] if appointment.device_id else None,
        ends_at=appointment.end,
        free_at=appointment.free_at,
        flag="; ".join(proposal.reasons) or None,
    )
    tx.records.add(booking)
    return row, booking, _reservation(row.id, appointment, loaded)


def _reservation(
    appointment_id: int, appointment: Appointment, loaded: LoadedCalendar
) -> Reservation:
    return Reservation(
        appointment_id=appointment_id,
        start=appointment.start,
        free_at=appointment.free_at,
        practitioner_id=loaded.practitioner_ids[appointment.practitioner_id],
        room_id=loaded.room_ids[appointment.room_id],
        device_id=loaded.device_ids[appointment.device_id] if appointment.device_id else None,
    )


def _reserve(
    context: _Context, reservations: Sequence[Reservation], taken: str = SLOT_TAKEN
) -> None:
    with translate_conflicts(taken):
        context.tx.flush(taken)
        context.records.reserve(reservations)


def _store_series(
    context: _Context,
    plan: TreatmentPlan,
    index: int,
    request: SeriesRequest,
    first_allowed: date,
    preferences: Mapping[str, Any],
    sessions: Sequence[SessionProposal],
) -> tuple[BookedSeries, list[tuple[SessionProposal, int]]]:
    """Write a series and its appointments, bookings and reservations."""
    unplaced = [item for item in sessions if item.appointment is None]
    if unplaced:
        raise RuleViolation(
            "cannot book the series: "
            + "; ".join(f"session {item.session}: {' '.join(item.reasons)}" for item in unplaced)
            + " (pick slots by hand)",
            field="slots",
        )
    tx = context.tx
    if any(row.series_index == index for row in context.records.series_of_plan(plan.id)):
        raise Conflict(
            f"series {index} of plan {plan.id} is already booked; move or cancel its sessions",
            field="plan_id",
        )
    series = BookedSeries(
        patient_id=plan.patient_id,
        plan_id=plan.id,
        series_index=index,
        sessions=request.sessions,
        interval_min_weeks=request.interval.min,
        interval_max_weeks=request.interval.max,
        interval_default_weeks=request.interval.default,
        zones=list(request.zones),
        anaesthetic=request.anaesthetic,
        preferences=dict(preferences),
        first_allowed=first_allowed,
        created_at=tx.now,
        created_by=tx.actor.staff_user_id,
    )
    tx.records.add(series)
    tx.flush(f"series {index} of plan {plan.id} was booked by someone else just now; reload it")
    written = []
    reservations = []
    for proposal in sessions:
        row, _, reservation = _new_appointment(context, series, proposal)
        written.append((proposal, row.id))
        reservations.append(reservation)
    _reserve(context, reservations)
    return series, written


def book_plan(
    uow: UnitOfWork,
    actor: Actor,
    plan_id: int,
    *,
    slots: Sequence[PickedSlot] | Any = None,
    preferences: Preferences | Mapping[str, Any] | None = None,
    series_index: int | None = None,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Book the plan's series in one transaction: the proposal as it stands now (no ``slots``),
    or the slots staff picked (one per session; see :class:`PickedSlot` and
    :func:`picked_slots`). Creates the appointments (status ``scheduled``), their bookings and
    reservations, and one audit entry. Sessions outside their window are booked and flagged."""
    picks: list[PickedSlot] | None = None
    if slots is not None:
        picks = list(slots) if _all_picked(slots) else picked_slots(slots)
    with Transaction(uow, actor, "series.book", clock) as tx:
        plan = _plan_row(tx, plan_id)
        if picks is not None and series_index is None:
            wanted = sorted({pick.series_index for pick in picks})
            chosen = [item for index in wanted for item in _chosen_series(plan, index)]
        else:
            chosen = _chosen_series(plan, series_index)
        context = _Context.load(
            tx, _until(tx, plan, chosen), patient_id=plan.patient_id, cached=True
        )
        prefs, stored = _preferences(preferences, context.loaded, strict=True)
        intake = context.records.latest_intakes([plan.patient_id]).get(plan.patient_id)
        plans: list[tuple[int, SeriesRequest, date, list[SessionProposal]]] = []
        if picks is None:
            proposed = _propose(context, plan, chosen, prefs)
            plans = [(i, r, f, list(p.sessions)) for i, r, f, p in proposed]
        else:
            for index, entry in chosen:
                request = _request(entry, plan.plan)
                first_allowed = _first_allowed(intake, entry)
                mine = [
                    (number, pick, f"slots[{number}]")
                    for number, pick in enumerate(picks)
                    if pick.series_index == index
                ]
                sessions = _picked_sessions(
                    context, request, mine, series_key="", first_allowed=first_allowed, anchor=None
                )
                plans.append((index, request, first_allowed, sessions))
        booked = []
        for index, request, first_allowed, sessions in plans:
            series, written = _store_series(
                context, plan, index, request, first_allowed, stored, sessions
            )
            booked.append((series, written))
        view = {
            "plan_id": plan.id,
            "patient_id": plan.patient_id,
            "time_zone": context.loaded.calendar.time_zone,
            "series": [
                {
                    "series_id": series.id,
                    "series_index": series.series_index,
                    "sessions": [
                        _view(proposal, context.loaded, appointment_id)
                        for proposal, appointment_id in written
                    ],
                }
                for series, written in booked
            ],
        }
        flagged = sum(1 for _, written in booked for proposal, _ in written if proposal.reasons)
        tx.done(
            patient_id=plan.patient_id,
            entity=("booked_series", booked[0][0].id),
            details={
                "plan": plan.id,
                "series": [series.id for series, _ in booked],
                "appointments": [a for _, written in booked for _, a in written],
                "picked": picks is not None,
                "flagged": flagged,
            },
            conflict=SLOT_TAKEN,
        )
    return view


def _all_picked(slots: Any) -> bool:
    return (
        isinstance(slots, Sequence)
        and not isinstance(slots, (str, bytes))
        and all(isinstance(item, PickedSlot) for item in slots)
    )


# One-off appointments ------------------------------------------------------------------------


def book_one_off(
    tx: Transaction,
    patient_id: int,
    *,
    starts_at: datetime,
    duration_minutes: int,
    plan_id: int | None = None,
    practitioner_id: int | None = None,
) -> AppointmentRow:
    """Book one appointment on its own (not a session of a series) inside ``tx``, through the
    same calendar and reservations as a series: never in the past, inside the opening hours and
    the practitioner's working hours, not in a closure or an absence, never over another
    booking of the practitioner, a room or a device, nor over the patient's other visits. The
    practitioner (any free one when none is given), a free room and a usable device are taken
    for ``duration_minutes`` plus the clinic's turnover. Refusals say why in the clinic's words:
    :class:`SchedulingError` for a time the calendar does not allow, :class:`Conflict` for one
    that is booked (also when someone books it at the same moment). ``tx`` must not have written
    anything yet (the calendar index is used)."""
    if starts_at <= tx.now:
        raise SchedulingError("That time has passed: choose a time after now", field="starts_at")
    records = scheduling_records(tx)
    loaded = load_calendar(tx, records)
    start = _moment(starts_at, loaded, "starts_at")
    code = None
    if practitioner_id is not None:
        code = loaded.practitioner_code(practitioner_id)
        if code is None:
            raise SchedulingError(
                f"{_staff_name(tx, practitioner_id)} has no working hours in the clinic calendar: "
                "an owner adds them (Admin → Calendar) before sessions are booked with them",
                field="practitioner_id",
            )
    calendar = loaded.calendar
    length = AppointmentLength(0, duration_minutes, calendar.lengths.turnover_minutes)
    until = calendar.local_day(start + timedelta(minutes=length.blocked_minutes))
    context = _Context.load(tx, until + timedelta(days=2), patient_id=patient_id, cached=True)
    chosen = frozenset([code]) if code else None
    slot = context.occupancy.slot_starting(
        start, length, practitioner_id=code, practitioners=chosen
    )
    if slot is None:
        raise _one_off_refusal(context, start, length, code, patient_id)
    row = AppointmentRow(
        patient_id=patient_id,
        plan_id=plan_id,
        practitioner_id=loaded.practitioner_ids[slot.practitioner_id],
        starts_at=start,
        duration_minutes=duration_minutes,
        status="scheduled",
        created_at=tx.now,
        created_by=tx.actor.staff_user_id,
        status_changed_at=tx.now,
    )
    tx.records.add(row)
    tx.flush(ONE_OFF_TAKEN)
    booking = AppointmentBooking(
        appointment_id=row.id,
        series_id=None,
        session=None,
        room_id=loaded.room_ids[slot.room_id],
        device_id=loaded.device_ids[slot.device_id] if slot.device_id else None,
        ends_at=slot.end,
        free_at=slot.free_at,
    )
    tx.records.add(booking)
    reservation = Reservation(
        appointment_id=row.id,
        start=slot.start,
        free_at=slot.free_at,
        practitioner_id=loaded.practitioner_ids[slot.practitioner_id],
        room_id=booking.room_id,
        device_id=booking.device_id,
    )
    _reserve(context, [reservation], ONE_OFF_TAKEN)
    return row


def _staff_name(tx: Transaction, staff_user_id: int) -> str:
    user = tx.records.get(StaffUser, staff_user_id)
    return user.display_name if user is not None else f"staff member {staff_user_id}"


def _say_day(day: date) -> str:
    """``Tue 8 Dec 2026``, as receptionists say a day."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def _hours(ranges: Sequence[TimeRange]) -> str:
    return ", ".join(str(item).replace("-", "–") for item in ranges)


def _fits(ranges: Sequence[TimeRange], first: int, last: int) -> bool:
    """Whether local minutes ``first`` to ``last`` of a day lie inside one of ``ranges``."""
    return any(item.start_minute <= first and last <= item.end_minute for item in ranges)


def _touches(period: Period, day: date, start: datetime, end: datetime) -> bool:
    if period.whole_days:
        return period.start <= day <= period.end
    return bool(period.start < end and start < period.end)


def _period_words(period: Period, calendar: ClinicCalendar, day: date) -> str:
    """When a closure or an absence is, and why: ``on Fri 25 Dec 2026 (Christmas)``."""
    if period.whole_days:
        when = f"on {_say_day(day)}"
    else:
        low = calendar.to_local(cast(datetime, period.start))
        high = calendar.to_local(cast(datetime, period.end))
        when = f"from {low:%H:%M} to {high:%H:%M} on {_say_day(day)}"
    return when + (f" ({period.reason})" if period.reason else "")


def _one_off_refusal(
    context: _Context,
    start: datetime,
    length: AppointmentLength,
    code: str | None,
    patient_id: int,
) -> UserError:
    """Why a one-off cannot start at ``start``: what the calendar does not allow (a
    :class:`SchedulingError`), else what is booked then (a :class:`Conflict`)."""
    chosen = frozenset([code]) if code else None
    if (
        context.empty_occupancy().slot_starting(
            start, length, practitioner_id=code, practitioners=chosen
        )
        is None
    ):
        return SchedulingError(_not_open(context, start, length, code), field="starts_at")
    return Conflict(_clash(context, start, length, code, patient_id), field="starts_at")


def _not_open(
    context: _Context, start: datetime, length: AppointmentLength, code: str | None
) -> str:
    """What in the calendar (opening hours, closures, working hours, absences, rooms and devices
    in service) leaves no room for the session at ``start``."""
    calendar = context.loaded.calendar
    end = start + timedelta(minutes=length.blocked_minutes)
    local_start, local_end = calendar.to_local(start), calendar.to_local(end)
    day = local_start.date()
    weekday = f"{day:%A}s"
    first = local_start.hour * 60 + local_start.minute
    last = local_end.hour * 60 + local_end.minute + 24 * 60 * (local_end.date() - day).days
    span = (
        f"a {length.patient_minutes}-minute session at {local_start:%H:%M} and the "
        f"{length.turnover_minutes} minutes' turnover after it (until {local_end:%H:%M})"
        if length.turnover_minutes
        else f"a {length.patient_minutes}-minute session at {local_start:%H:%M} "
        f"(until {local_end:%H:%M})"
    )
    opening = calendar.opening_hours.on(day.weekday())
    if not opening:
        return f"The clinic is closed on {weekday}"
    for period in calendar.closures:
        if _touches(period, day, start, end):
            return f"The clinic is closed {_period_words(period, calendar, day)}"
    if not _fits(opening, first, last):
        return (
            f"The clinic is open {_hours(opening)} on {weekday}: {span} do not fit; choose "
            "another time"
        )
    practitioners = (
        [calendar.practitioner(code)] if code is not None else list(calendar.practitioners)
    )
    reasons = []
    for practitioner in practitioners:
        staff_id = context.loaded.practitioner_ids[practitioner.id]
        name = _staff_name(context.tx, staff_id)
        hours = practitioner.working_hours.on(day.weekday())
        away = [p for p in practitioner.absences if _touches(p, day, start, end)]
        if away:
            reasons.append(f"{name} is away {_period_words(away[0], calendar, day)}")
        elif not hours:
            reasons.append(f"{name} does not work on {weekday}")
        elif not _fits(hours, first, last):
            reasons.append(f"{name} works {_hours(hours)} on {weekday}: {span} do not fit")
    if code is not None and reasons:
        return reasons[0]
    if reasons and len(reasons) == len(practitioners):
        return "No practitioner works then: " + "; ".join(reasons)
    return (
        f"No treatment room with a usable device is in service from {local_start:%H:%M} to "
        f"{local_end:%H:%M} on {_say_day(day)}"
    )


def _clash(
    context: _Context,
    start: datetime,
    length: AppointmentLength,
    code: str | None,
    patient_id: int,
) -> str:
    """What is booked in the way of the session at ``start``: the practitioner's other session,
    the patient's other visit, or every practitioner, room or device taken."""
    calendar = context.loaded.calendar
    turnover = length.turnover_minutes
    end = start + timedelta(minutes=length.blocked_minutes)
    visit_end = start + timedelta(minutes=length.patient_minutes)
    day = _say_day(calendar.local_day(start))
    in_the_way = sorted(
        (
            item
            for item in context.held
            if item.starts_at < end and start < max(item.free_at, item.ends_at)
        ),
        key=lambda item: item.starts_at,
    )

    def visit(item: HeldTime) -> str:
        low, high = calendar.to_local(item.starts_at), calendar.to_local(item.ends_at)
        return f"a session from {low:%H:%M} to {high:%H:%M} on {_say_day(low.date())}"

    def turnover_note(item: HeldTime, who: str) -> str:
        if item.starts_at < visit_end and start < item.ends_at:
            return ""
        if item.starts_at < start:
            free = calendar.to_local(max(item.free_at, item.ends_at))
            return (
                f" ({turnover} minutes' turnover between sessions: {who} is free from {free:%H:%M})"
            )
        latest = calendar.to_local(item.starts_at - timedelta(minutes=turnover))
        return (
            f" ({turnover} minutes' turnover between sessions: this one must end by {latest:%H:%M})"
        )

    if code is not None:
        staff_id = context.loaded.practitioner_ids[code]
        theirs = [item for item in in_the_way if item.practitioner_id == staff_id]
        if theirs:
            name = _staff_name(context.tx, staff_id)
            return f"{name} already has {visit(theirs[0])}{turnover_note(theirs[0], name)}"
    patients = [
        item
        for item in in_the_way
        if item.patient_id == patient_id and item.starts_at < visit_end and start < item.ends_at
    ]
    if patients:
        return f"The patient already has {visit(patients[0])}"
    low, high = calendar.to_local(start), calendar.to_local(end)
    when = f"from {low:%H:%M} to {high:%H:%M} on {day} (turnover included)"
    if code is None:
        return f"No practitioner is free {when}: choose another time"
    return f"No treatment room with a usable device is free {when}: choose another time"


# Moving and cancelling -----------------------------------------------------------------------


@dataclass
class _SeriesState:
    series: BookedSeries
    request: SeriesRequest
    key: str
    rows: dict[int, tuple[AppointmentRow, AppointmentBooking]]
    appointments: list[Appointment]


def _series_state(
    context: _Context,
    series: BookedSeries,
    sessions: Iterable[tuple[AppointmentBooking, AppointmentRow]] | None = None,
) -> _SeriesState:
    """The series' current session appointments (the latest holding one per session);
    ``sessions``: its booked sessions when already read."""
    loaded = context.loaded
    rows: dict[int, tuple[AppointmentRow, AppointmentBooking]] = {}
    if sessions is None:
        sessions = context.records.booked_sessions([series.id])
    for booking, appointment in sessions:
        rows[booking.session] = (appointment, booking)
    key = loaded.series_key(series.id)
    appointments = [
        _pure_appointment(loaded, key, series.sessions, appointment, booking)
        for number, (appointment, booking) in sorted(rows.items())
        if number <= series.sessions
    ]
    return _SeriesState(series, _series_request(series), key, rows, appointments)


def _pure_appointment(
    loaded: LoadedCalendar,
    key: str,
    sessions: int,
    appointment: AppointmentRow,
    booking: AppointmentBooking,
) -> Appointment:
    """A session's appointment as the pure package sees it (reference: the appointment id)."""
    return Appointment(
        series_id=key,
        session=booking.session,
        sessions=sessions,
        start=appointment.starts_at,
        end=booking.ends_at,
        free_at=booking.free_at,
        practitioner_id=loaded.practitioner_code(appointment.practitioner_id)
        or f"staff-{appointment.practitioner_id}",
        room_id=loaded.room_code(booking.room_id) or f"room-id-{booking.room_id}",
        device_id=loaded.device_code(booking.device_id),
        reference=str(appointment.id),
    )


def _apply(
    context: _Context,
    state: _SeriesState,
    proposal: SeriesProposal,
    *,
    replaced: int | None = None,
) -> dict[str, Any]:
    """Write a re-proposal: changed sessions move (same appointment rows, new reservations);
    the session of ``replaced`` (cancelled) gets a new appointment; flags follow the reasons."""
    tx, loaded = context.tx, context.loaded
    changed: list[int] = []
    created: list[int] = []
    release: list[int] = []
    reservations: list[Reservation] = []
    creations: list[SessionProposal] = []
    views: dict[int, int | None] = {}
    for item in proposal.sessions:
        current = state.rows.get(item.session)
        flag = "; ".join(item.reasons) or None
        appointment = item.appointment
        if appointment is None:
            if current is not None and current[0].id != replaced:
                current[1].flag = flag
                views[item.session] = current[0].id
            else:
                views[item.session] = None
            continue
        if current is None or current[0].id == replaced:
            creations.append(item)
            continue
        row, booking = current
        views[item.session] = row.id
        same = item.status == "kept" or (
            row.starts_at == appointment.start
            and loaded.practitioner_code(row.practitioner_id) == appointment.practitioner_id
            and loaded.room_code(booking.room_id) == appointment.room_id
            and loaded.device_code(booking.device_id) == appointment.device_id
            and booking.free_at == appointment.free_at
        )
        booking.flag = flag
        if same:
            continue
        row.starts_at = appointment.start
        row.duration_minutes = int((appointment.end - appointment.start).total_seconds() // 60)
        row.practitioner_id = loaded.practitioner_ids[appointment.practitioner_id]
        booking.room_id = loaded.room_ids[appointment.room_id]
        booking.device_id = (
            loaded.device_ids[appointment.device_id] if appointment.device_id else None
        )
        booking.ends_at, booking.free_at = appointment.end, appointment.free_at
        release.append(row.id)
        reservations.append(_reservation(row.id, appointment, loaded))
        changed.append(row.id)
    context.records.release(release)
    tx.flush()
    for item in creations:
        row, _, reservation = _new_appointment(context, state.series, item)
        reservations.append(reservation)
        created.append(row.id)
        views[item.session] = row.id
    if reservations:
        _reserve(context, reservations)
    return {
        "series_id": state.series.id,
        "patient_id": state.series.patient_id,
        "time_zone": loaded.calendar.time_zone,
        "complete": proposal.complete,
        "sessions": [_view(item, loaded, views.get(item.session)) for item in proposal.sessions],
        "moved": changed,
        "created": created,
        "flagged": [item.session for item in proposal.sessions if item.reasons],
    }


def _session_of(
    tx: Transaction, appointment_id: int, statuses: Sequence[str], verb: str
) -> tuple[AppointmentRow, AppointmentBooking, BookedSeries]:
    records = scheduling_records(tx)
    row = tx.records.get(AppointmentRow, appointment_id, for_update=True)
    if row is None:
        raise NotFound(f"no appointment {appointment_id} in this clinic", field="appointment_id")
    booking = records.booking(row.id)
    if booking is None or booking.series_id is None:
        raise RuleViolation(
            f"appointment {appointment_id} was not booked as part of a series; use the "
            "appointment commands",
            field="appointment_id",
        )
    if row.status not in statuses:
        raise RuleViolation(f"a {row.status} session cannot be {verb}", field="appointment_id")
    series = records.series(booking.series_id, for_update=True)
    assert series is not None
    return row, booking, series


def _later_done(state: _SeriesState, session: int) -> None:
    for number, (row, _) in state.rows.items():
        if number > session and row.status == "completed":
            raise RuleViolation(
                f"session {number} of this series has already taken place", field="appointment_id"
            )


def _reschedule_context(
    tx: Transaction, series: BookedSeries, extra: date | None
) -> tuple[_Context, _SeriesState]:
    records = scheduling_records(tx)
    sessions = records.booked_sessions([series.id])
    own = {appointment.id for _, appointment in sessions}
    last = max([tx.today, *(a.starts_at.date() for _, a in sessions)])
    if extra is not None:
        last = max(last, extra)
    request = _series_request(series)
    until = last + timedelta(days=7 * request.interval.max * request.sessions + 2 * OVERFLOW_DAYS)
    # The series' own appointments are left in: reschedule recognises and releases them.
    context = _Context.load(tx, until)
    spans = [
        (item.starts_at, item.ends_at)
        for item in context.held
        if item.patient_id == series.patient_id and item.appointment_id not in own
    ]
    context.bookings.extend(_patient_busy(context.loaded, spans))
    return context, _series_state(context, series, sessions)


def _re_propose(
    tx: Transaction,
    context: _Context,
    state: _SeriesState,
    series: BookedSeries,
    row: AppointmentRow,
    booking: AppointmentBooking,
    to: datetime | None,
) -> SeriesProposal:
    """The series after ``row``'s session moves to ``to`` (or is cancelled: ``None``), the later
    sessions re-proposed inside their windows; ``row`` must be the session's current one."""
    current = state.rows.get(booking.session)
    if current is None or current[0].id != row.id:
        raise RuleViolation(
            f"appointment {row.id} is not the current appointment of session {booking.session}",
            field="appointment_id",
        )
    _later_done(state, booking.session)
    prefs, _ = _preferences(series.preferences, context.loaded, strict=False)
    return reschedule(
        state.request,
        state.appointments,
        context.loaded.calendar,
        context.occupancy_bookings(),
        session=booking.session,
        to=to,
        today=tx.today,
        first_allowed_date=series.first_allowed,
        preferences=prefs,
    )


def move_session(
    uow: UnitOfWork,
    actor: Actor,
    appointment_id: int,
    to: datetime | str,
    *,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Move one session of a booked series to ``to``: with its practitioner, room and device when
    they are free then, other free ones otherwise; refused under the minimum interval after the
    session before, before the first allowed date, or when nothing is free. The later sessions
    stay where they are still inside their windows and are re-proposed (moved) where not;
    sessions that can no longer be kept in their windows are flagged with the reason."""
    with Transaction(uow, actor, "series.move", clock) as tx:
        row, booking, series = _session_of(tx, appointment_id, ("scheduled",), "moved")
        records = scheduling_records(tx)
        loaded = load_calendar(tx, records)
        target = _moment(to, loaded, "to")
        if target <= tx.now:
            raise SchedulingError("is in the past", field="to")
        context, state = _reschedule_context(tx, series, loaded.calendar.local_day(target))
        proposal = _re_propose(tx, context, state, series, row, booking, target)
        result = _apply(context, state, proposal)
        tx.done(
            patient_id=series.patient_id,
            entity=("appointment", row.id),
            details={
                "series": series.id,
                "session": booking.session,
                "moved": result["moved"],
                "flagged": result["flagged"],
            },
            conflict=SLOT_TAKEN,
        )
    return result


def _series_view(
    tx: Transaction,
    series: BookedSeries,
    cancelled: Mapping[int, int],
    reason: str,
) -> dict[str, Any]:
    """The series as it stands after sessions were cancelled: every session still holding time,
    and the cancelled ones (``cancelled``: session → appointment) left without one."""
    records = scheduling_records(tx)
    loaded = load_calendar(tx, records)
    key = loaded.series_key(series.id)
    current = {b.session: (b, a) for b, a in records.booked_sessions([series.id])}
    sessions = []
    for number in range(1, series.sessions + 1):
        found = current.get(number)
        if found is not None:
            booking, appointment = found
            pure = _pure_appointment(loaded, key, series.sessions, appointment, booking)
            item = SessionProposal(number, "kept", pure, None, None, None)
            sessions.append(_view(item, loaded, appointment.id))
        else:
            why = (
                f"cancelled ({reason}); the slot is free and the session is not booked again"
                if number in cancelled
                else "not booked"
            )
            item = SessionProposal(number, "unplaced", None, None, None, None, reasons=(why,))
            sessions.append(_view(item, loaded))
    return {
        "series_id": series.id,
        "patient_id": series.patient_id,
        "time_zone": loaded.calendar.time_zone,
        "complete": len(current) == series.sessions,
        "sessions": sessions,
        "moved": [],
        "created": [],
        "flagged": [],
        "cancelled": next(iter(cancelled.values()), None) if len(cancelled) == 1 else None,
        "cancelled_appointments": sorted(cancelled.values()),
        "reason": reason,
    }


def cancel_session(
    uow: UnitOfWork,
    actor: Actor,
    appointment_id: int,
    *,
    reason: str,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Cancel one session of a booked series, for the ``reason`` staff give: the appointment is
    marked cancelled with the reason and its time released. The slot stays free: nothing is
    booked again on its own (staff book the session again, or change the plan); the later
    sessions stay where they are."""
    text = check_reason(reason, required=True)
    assert text is not None
    with Transaction(uow, actor, "series.cancel", clock) as tx:
        row, booking, series = _session_of(
            tx, appointment_id, ("scheduled", "checked_in"), "cancelled"
        )
        before = row.status
        row.status, row.status_changed_at, row.cancellation_reason = "cancelled", tx.now, text
        scheduling_records(tx).release([row.id])
        tx.flush()
        result = _series_view(tx, series, {booking.session: row.id}, text)
        tx.done(
            patient_id=series.patient_id,
            entity=("appointment", row.id),
            details={"series": series.id, "session": booking.session, "from": before,
                     "reason_given": True},
        )  # fmt: skip
    return result


def stop_series(
    uow: UnitOfWork,
    actor: Actor,
    series_id: int,
    *,
    reason: str,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Stop a booked series: every future session still scheduled is cancelled, for one
    ``reason``, in one transaction with one audit entry; their slots are left free."""
    text = check_reason(reason, required=True)
    assert text is not None
    with Transaction(uow, actor, "series.cancel", clock) as tx:
        records = scheduling_records(tx)
        series = records.series(series_id, for_update=True)
        if series is None:
            raise NotFound(f"no booked series {series_id} in this clinic", field="series_id")
        cancelled: dict[int, int] = {}
        for booking, row in records.booked_sessions([series.id], statuses=("scheduled",)):
            if row.starts_at > tx.now:
                row.status, row.status_changed_at, row.cancellation_reason = (
                    "cancelled", tx.now, text,
                )  # fmt: skip
                cancelled[booking.session] = row.id
        if not cancelled:
            raise RuleViolation(
                "this series has no sessions still to come: nothing to cancel", field="series_id"
            )
        records.release(cancelled.values())
        tx.flush()
        result = _series_view(tx, series, cancelled, text)
        tx.done(
            patient_id=series.patient_id,
            entity=("booked_series", series.id),
            details={"cancelled": sorted(cancelled.values()), "sessions": sorted(cancelled),
                     "reason_given": True},
        )  # fmt: skip
    return result


# Calendars -----------------------------------------------------------------------------------


def _reminders(plans: Iterable[TreatmentPlan]) -> tuple[Reminder, ...]:
    """The plans' pre-care steps before day 0 (each once), or the day −7 step by default."""
    steps: dict[tuple[int, str], Reminder] = {}
    for plan in plans:
        for reminder in reminders_from_plan(plan.plan.get("precare") or ()):
            steps.setdefault((reminder.days_before, reminder.instruction), reminder)
    ordered = sorted(steps.values(), key=lambda r: (-r.days_before, r.instruction))
    return tuple(ordered) or DEFAULT_REMINDERS


def _reminders_by_series(
    tx: Transaction, loaded: LoadedCalendar, series_rows: Iterable[BookedSeries]
) -> dict[str, tuple[Reminder, ...]]:
    """Each series' own pre-care steps: those of its plan (the patient's own), by series key."""
    result: dict[str, tuple[Reminder, ...]] = {}
    plans: dict[int, TreatmentPlan | None] = {}
    for row in series_rows:
        if row.plan_id not in plans:
            plans[row.plan_id] = tx.records.get(TreatmentPlan, row.plan_id)
        plan = plans[row.plan_id]
        result[loaded.series_key(row.id)] = _reminders([plan] if plan is not None else [])
    return result


def patient_calendar(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> bytes:
    """The patient's booked series as an ``.ics`` file (RFC 5545): one event per session. No
    name and nothing clinical: the pre-care reminders of the patient's own plan (description and
    alarms) only when the clinic chose to include them (``patient_ics_includes_precare`` in the
    calendar settings; off by default)."""
    with Transaction(uow, actor, "calendar.export", clock) as tx:
        patient = require_patient(tx, patient_id)
        records = scheduling_records(tx)
        loaded = load_calendar(tx, records)
        series_rows = records.series_of_patient(patient.id)
        if not series_rows:
            raise NotFound(f"patient {patient.id} has no booked series", field="patient_id")
        by_id = {row.id: row for row in series_rows}
        latest: dict[tuple[int, int], tuple[AppointmentBooking, AppointmentRow]] = {}
        for booking, appointment in records.booked_sessions(list(by_id)):
            latest[(booking.series_id, booking.session)] = (booking, appointment)
        appointments = [
            _pure_appointment(
                loaded,
                loaded.series_key(series_id),
                by_id[series_id].sessions,
                appointment,
                booking,
            )
            for (series_id, _), (booking, appointment) in sorted(latest.items())
        ]
        precare = patient_ics_includes_precare(records)
        data = series_ics(
            appointments,
            loaded.calendar,
            dtstamp=tx.now,
            reminders=(),
            reminders_by_series=_reminders_by_series(tx, loaded, series_rows) if precare else {},
        )
        tx.done(
            patient_id=patient.id,
            details={"series": sorted(by_id), "events": len(appointments)},
        )
    return data


def practitioner_feed(
    uow: UnitOfWork,
    actor: Actor,
    practitioner: int | str,
    *,
    with_names: bool = False,
    clock: Clock = utc_now,
) -> bytes:
    """A practitioner's sessions (from 30 days ago on) as an ``.ics`` feed, with room, device and
    the pre-care steps; patients' names only ``with_names``. ``practitioner``: staff id or e-mail."""
    with Transaction(uow, actor, "calendar.export", clock) as tx:
        records = scheduling_records(tx)
        loaded = load_calendar(tx, records)
        staff_id = (
            loaded.practitioner_ids.get(practitioner.strip().lower())
            if isinstance(practitioner, str) and not practitioner.strip().isdigit()
            else int(practitioner)
        )
        code = loaded.practitioner_code(staff_id)
        if staff_id is None or code is None:
            raise NotFound(
                f"no practitioner {practitioner} in this clinic's calendar", field="practitioner"
            )
        since = _day_start(loaded, tx.today - timedelta(days=FEED_PAST_DAYS))
        rows = records.practitioner_sessions(staff_id, since)
        series_rows = records.series_by_ids({booking.series_id for booking, _ in rows})
        appointments = [
            _pure_appointment(
                loaded,
                loaded.series_key(booking.series_id),
                series_rows[booking.series_id].sessions,
                appointment,
                booking,
            )
            for booking, appointment in rows
        ]
        names: dict[str, str] = {}
        if with_names:
            people = records.patients({row.patient_id for row in series_rows.values()})
            for row in series_rows.values():
                person = people.get(row.patient_id)
                if person is not None:
                    names[loaded.series_key(row.id)] = f"{person.given_name} {person.family_name}"
        data = practitioner_feed_ics(
            appointments,
            loaded.calendar,
            practitioner_id=code,
            dtstamp=tx.now,
            reminders=DEFAULT_REMINDERS,
            reminders_by_series=_reminders_by_series(tx, loaded, series_rows.values()),
            patient_names=names,
        )
        tx.done(
            entity=("staff_user", staff_id),
            details={"events": len(appointments), "names": with_names},
        )
    return data


def list_series(
    uow: UnitOfWork, actor: Actor, patient_id: int, *, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """The patient's booked series with their current sessions (flags included)."""
    with Transaction(uow, actor, "calendar.export", clock) as tx:
        patient = require_patient(tx, patient_id)
        records = scheduling_records(tx)
        loaded = load_calendar(tx, records)
        result = []
        rows = records.series_of_patient(patient.id)
        sessions = records.booked_sessions([row.id for row in rows])
        for row in rows:
            mine = {b.session: (b, a) for b, a in sessions if b.series_id == row.id}
            result.append(
                {
                    "series_id": row.id,
                    "plan_id": row.plan_id,
                    "series_index": row.series_index,
                    "sessions_planned": row.sessions,
                    "first_allowed_date": row.first_allowed.isoformat(),
                    "preferences": row.preferences,
                    "sessions": [
                        {
                            "appointment_id": appointment.id,
                            "session": number,
                            "status": appointment.status,
                            "start": loaded.calendar.to_local(appointment.starts_at).isoformat(),
                            "end": loaded.calendar.to_local(booking.ends_at).isoformat(),
                            "practitioner": loaded.practitioner_code(appointment.practitioner_id),
                            "room": loaded.room_code(booking.room_id),
                            "device": loaded.device_code(booking.device_id),
                            "flag": booking.flag,
                        }
                        for number, (booking, appointment) in sorted(mine.items())
                    ],
                }
            )
        tx.done(patient_id=patient.id, details={"series": len(result)})
    return result


# Maintenance ---------------------------------------------------------------------------------


def _maintenance_of(plan: Mapping[str, Any]) -> tuple[int, date | None]:
    """The plan's maintenance interval, and its first date when a rule moved it later than
    the interval after the planned last session (else ``None``: due counts from the real one).
    ``plan``: the plan document, or at least its ``maintenance`` and ``series``."""
    maintenance = plan.get("maintenance") or {}
    every = int(maintenance.get("every_months") or MAINTENANCE_EVERY_MONTHS)
    first = maintenance.get("first_date")
    planned = [d for _, entry in _timed_series(plan) for d in entry.get("dates") or ()]
    if not first or not planned:
        return every, None
    first_day = date.fromisoformat(str(first))
    usual = maintenance_due(date.fromisoformat(str(max(planned))), every)
    return every, first_day if first_day > usual else None


def maintenance_due_list(
    uow: UnitOfWork, actor: Actor, *, horizon_days: int = 30, clock: Clock = utc_now
) -> list[dict[str, Any]]:
    """Patients whose maintenance session is overdue or due within ``horizon_days``: those with
    a completed series (every session completed, or the plan marked completed), due every 6
    months (the plan's interval) after their last completed session; most overdue first. A
    patient with a session booked after their last one is left out."""
    if not 0 <= horizon_days <= 366:
        raise SchedulingError("must be 0 to 366 days", field="horizon_days")
    with Transaction(uow, actor, "maintenance.list", clock) as tx:
        records = scheduling_records(tx)
        zone = tx.records.clinic().time_zone
        tz = ZoneInfo(zone)
        done = records.completed_series_patients()
        done |= records.completed_plan_patients()
        last = records.last_completed(done)
        plans: dict[int, dict[str, Any]] = {}
        for patient_id, status, terms in records.maintenance_terms(last):
            if status == "completed" or patient_id not in plans:
                plans[patient_id] = terms
        upcoming = records.upcoming(last)
        entries = []
        for patient_id, moment in last.items():
            last_day = moment.astimezone(tz).date()
            every, not_before = (
                _maintenance_of(plans[patient_id])
                if patient_id in plans
                else (MAINTENANCE_EVERY_MONTHS, None)
            )
            booked = next(
                (
                    s.astimezone(tz).date()
                    for s in upcoming.get(patient_id, ())
                    if s.astimezone(tz).date() > last_day
                ),
                None,
            )
            entries.append(MaintenanceRecord(str(patient_id), last_day, every, not_before, booked))
        due = patients_due(entries, tx.today, horizon_days=horizon_days)
        people = records.patients(int(item.patient_id) for item in due)
        result = []
        for item in due:
            person = people[int(item.patient_id)]
            result.append(
                {
                    "patient_id": person.id,
                    "name": f"{person.given_name} {person.family_name}",
                    "email": person.email,
                    "phone": person.phone,
                    "due": item.due.isoformat(),
                    "status": item.status,
                    "days_overdue": item.days_overdue,
                    "last_session": item.last_session.isoformat(),
                }
            )
        tx.done(details={"results": len(result), "horizon_days": horizon_days})
    return result


# Clinic-wide optimisation --------------------------------------------------------------------


@dataclass
class _Pending:
    """A pending series: a plan's series not booked yet, or a booked one whose sessions from
    ``first_session`` on no longer fit the calendar (an absence, a closure)."""

    key: str
    patient_id: int
    plan_id: int
    series_index: int
    series_id: int | None
    first_session: int
    item: PendingSeries
    released: list[int]
    why: str


def _invalid_from(
    loaded: LoadedCalendar, empty: Occupancy, state: _SeriesState, now: datetime
) -> int | None:
    """The first future session whose slot the calendar no longer allows (else ``None``)."""
    for appointment in state.appointments:
        row = state.rows[appointment.session][0]
        if appointment.start <= now or row.status != "scheduled":
            continue
        slot = Slot(
            appointment.start,
            appointment.end,
            appointment.free_at,
            appointment.practitioner_id,
            appointment.room_id,
            appointment.device_id,
        )
        if not empty.is_free(slot):
            return appointment.session
    return None


def _pending(context: _Context) -> tuple[list[_Pending], list[dict[str, Any]]]:
    tx, records, loaded = context.tx, context.records, context.loaded
    result: list[_Pending] = []
    skipped: list[dict[str, Any]] = []
    plans = records.open_plans()
    booked = records.booked_keys(plan.id for plan in plans)
    intakes = records.latest_intakes({plan.patient_id for plan in plans})
    for plan in plans:
        for index, entry in _timed_series(plan.plan):
            if (plan.id, index) in booked:
                continue
            key = f"plan-{plan.id}-{index}"
            try:
                first_allowed = _first_allowed(intakes.get(plan.patient_id), entry)
                request = _request(entry, plan.plan)
            except UserError as error:
                skipped.append({"key": key, "plan_id": plan.id, "reason": error.message})
                continue
            result.append(
                _Pending(
                    key,
                    plan.patient_id,
                    plan.id,
                    index,
                    None,
                    1,
                    PendingSeries(key, request, first_allowed),
                    [],
                    "not booked yet",
                )
            )
    empty = Occupancy(loaded.calendar)
    series_ids = {item.series_id for item in context.held if item.series_id is not None}
    by_series: dict[int, list[tuple[AppointmentBooking, AppointmentRow]]] = {}
    for booking, appointment in records.booked_sessions(sorted(series_ids)):
        by_series.setdefault(booking.series_id, []).append((booking, appointment))
    for series in sorted(records.series_by_ids(series_ids).values(), key=lambda row: row.id):
        state = _series_state(context, series, by_series.get(series.id, []))
        first = _invalid_from(loaded, empty, state, tx.now)
        if first is None:
            continue
        key = f"series-{series.id}"
        kept = [a for a in state.appointments if a.session < first]
        prefs, _ = _preferences(series.preferences, loaded, strict=False)
        released = [int(a.reference) for a in state.appointments if a.session >= first]
        result.append(
            _Pending(
                key,
                series.patient_id,
                series.plan_id,
                series.series_index,
                series.id,
                first,
                PendingSeries(
                    key,
                    state.request,
                    series.first_allowed,
                    prefs,
                    done=first - 1,
                    last_session=loaded.calendar.local_day(kept[-1].start) if kept else None,
                    last_practitioner=kept[-1].practitioner_id if kept else None,
                ),
                released,
                f"session {first} no longer fits the calendar",
            )
        )
    return result, skipped


def optimise_calendar(
    uow: UnitOfWork,
    actor: Actor,
    *,
    method: Literal["cp-sat", "greedy"] = "cp-sat",
    time_limit_seconds: float = 10.0,
    horizon_days: int = 182,
    workers: int = 2,
    progress: Callable[[Progress], None] | None = None,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Assign slots to every pending series together: plans' series not booked yet, and booked
    series whose later sessions no longer fit the calendar (a practitioner's absence, a
    closure). ``cp-sat``: the rolling-horizon CP-SAT optimiser (time-limited, best found; never
    worse than greedy); ``greedy``: first fit, series by series. Nothing is booked: the result
    is a proposal staff accept with :func:`accept_optimised`."""
    if method not in ("cp-sat", "greedy"):
        raise SchedulingError("expected cp-sat or greedy", field="method")
    if not 0.1 <= time_limit_seconds <= 600:
        raise SchedulingError("must be 0.1 to 600 seconds", field="time_limit")
    if not 7 <= horizon_days <= 366:
        raise SchedulingError("must be 7 to 366 days", field="horizon_days")
    with Transaction(uow, actor, "calendar.optimise", clock) as tx:
        today = tx.today
        until = today + timedelta(days=horizon_days)
        context = _Context.load(tx, until + timedelta(days=2))
        pending, skipped = _pending(context)
        released = {a for item in pending for a in item.released}
        bookings = [b for b in context.bookings if b.reference not in {str(a) for a in released}]
        occupancy = Occupancy(context.loaded.calendar, bookings)
        series = [item.item for item in pending]
        assignment: Assignment
        if method == "greedy" or not series:
            assignment = assign_greedy(
                series, context.loaded.calendar, occupancy, today=today, until=until,
                progress=progress,
            )  # fmt: skip
        else:
            assignment = assign_optimised(
                series,
                context.loaded.calendar,
                occupancy,
                today=today,
                until=until,
                time_limit_seconds=time_limit_seconds,
                workers=workers,
                progress=progress,
            )
        view = _assignment_view(context, pending, skipped, assignment, method)
        tx.done(
            details={
                "method": assignment.method,
                "pending": len(pending),
                "placed": assignment.in_window,
                "unplaced": len(assignment.unplaced),
            }
        )
    return view


def _assignment_view(
    context: _Context,
    pending: Sequence[_Pending],
    skipped: list[dict[str, Any]],
    assignment: Assignment,
    method: str,
) -> dict[str, Any]:
    calendar = context.loaded.calendar
    placed: dict[str, list[Appointment]] = {}
    for appointment in assignment.appointments:
        placed.setdefault(appointment.series_id, []).append(appointment)
    unplaced: dict[str, list[dict[str, Any]]] = {}
    for missing in assignment.unplaced:
        unplaced.setdefault(missing.series_id, []).append(
            {"session": missing.session, "reason": missing.reason}
        )
    series = []
    for item in pending:
        series.append(
            {
                "key": item.key,
                "why": item.why,
                "patient_id": item.patient_id,
                "plan_id": item.plan_id,
                "series_index": item.series_index,
                "series_id": item.series_id,
                "first_session": item.first_session,
                "sessions": [
                    {
                        "session": a.session,
                        "start": calendar.to_local(a.start).isoformat(),
                        "end": calendar.to_local(a.end).isoformat(),
                        "practitioner": a.practitioner_id,
                        "room": a.room_id,
                        "device": a.device_id,
                    }
                    for a in sorted(placed.get(item.key, ()), key=lambda a: a.session)
                ],
                "unplaced": unplaced.get(item.key, []),
            }
        )
    return {
        "method": assignment.method,
        "requested": method,
        "time_zone": calendar.time_zone,
        "summary": {
            "series": len(pending),
            "sessions": assignment.sessions,
            "reachable": assignment.reachable,
            "in_window": assignment.in_window,
            "unplaced": len(assignment.unplaced),
            "penalty": assignment.penalty,
            "utilisation": round(assignment.utilisation, 4),
            "solver_seconds": round(assignment.solver_seconds, 2),
        },
        "series": series,
        "skipped": skipped,
    }


class _AcceptedSeries(Input):
    key: str = Field(max_length=64)
    plan_id: int = Field(ge=1)
    series_index: int = Field(ge=0, le=50)
    series_id: int | None = Field(default=None, ge=1)
    first_session: int = Field(default=1, ge=1, le=52)
    sessions: list[dict[str, Any]] = Field(default_factory=list, max_length=52)
    unplaced: list[dict[str, Any]] = Field(default_factory=list, max_length=52)
    patient_id: int | None = None
    why: str | None = None


def accept_optimised(
    uow: UnitOfWork,
    actor: Actor,
    document: Mapping[str, Any],
    *,
    keys: Sequence[str] | None = None,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Book what :func:`optimise_calendar` proposed (all series, or those named in ``keys``), in
    one transaction: new series are booked, booked ones have their sessions moved. Every slot is
    checked again; one taken meanwhile refuses the whole (:class:`Conflict`: run it again). A new
    series with sessions the optimiser could not place is left out (listed with the reason)."""
    if not isinstance(document, Mapping) or not isinstance(document.get("series"), list):
        raise SchedulingError("expected the optimiser's result (with its series)", field="series")
    entries = []
    for number, raw in enumerate(document["series"]):
        try:
            entries.append(parse(_AcceptedSeries, raw, what=f"series[{number}]"))
        except UserError as error:
            raise SchedulingError(error.message, field=f"series[{number}].{error.field}") from None
    if keys is not None:
        unknown = sorted(set(keys) - {entry.key for entry in entries})
        if unknown:
            raise SchedulingError(f"no series {unknown[0]!r} in the result", field="keys")
        entries = [entry for entry in entries if entry.key in set(keys)]
    with Transaction(uow, actor, "series.book", clock) as tx:
        records = scheduling_records(tx)
        moving: dict[int, BookedSeries] = {}
        for entry in entries:
            if entry.series_id is not None:
                found = records.series(entry.series_id, for_update=True)
                if found is None:
                    raise NotFound(f"no booked series {entry.series_id}", field=entry.key)
                moving[found.id] = found
        released = {
            appointment.id
            for booking, appointment in records.booked_sessions(list(moving))
            for entry in entries
            if entry.series_id == booking.series_id
            and booking.session >= entry.first_session
            and any(s.get("session") == booking.session for s in entry.sessions)
        }
        last_reach = tx.today + timedelta(days=400)
        context = _Context.load(tx, last_reach, released=released)
        accepted, skipped, touched = [], [], []
        for entry in entries:
            if entry.series_id is None:
                if entry.unplaced:
                    skipped.append(
                        {
                            "key": entry.key,
                            "reason": "; ".join(
                                f"session {u.get('session')}: {u.get('reason')}"
                                for u in entry.unplaced
                            ),
                        }
                    )
                    continue
                plan = _plan_row(tx, entry.plan_id)
                chosen = _chosen_series(plan, entry.series_index)
                intake = records.latest_intakes([plan.patient_id]).get(plan.patient_id)
                request = _request(chosen[0][1], plan.plan)
                first_allowed = _first_allowed(intake, chosen[0][1])
                picks = [
                    (n, _pick(entry, s, n), f"{entry.key}.sessions[{n}]")
                    for n, s in enumerate(entry.sessions)
                ]
                sessions = _picked_sessions(
                    context,
                    request,
                    picks,
                    series_key="",
                    first_allowed=first_allowed,
                    anchor=None,
                    note="proposed by the optimiser",
                )
                series, written = _store_series(
                    context, plan, entry.series_index, request, first_allowed, {}, sessions
                )
                accepted.append({"key": entry.key, "series_id": series.id, "booked": len(written)})
                touched.append(plan.patient_id)
            else:
                outcome = _replace_sessions(context, moving[entry.series_id], entry)
                accepted.append({"key": entry.key, **outcome})
                touched.append(moving[entry.series_id].patient_id)
        tx.done(
            patient_id=touched[0] if len(set(touched)) == 1 else None,
            details={"accepted": [a["key"] for a in accepted], "skipped": len(skipped)},
            conflict=SLOT_TAKEN,
        )
    return {"accepted": accepted, "skipped": skipped}


def _pick(entry: _AcceptedSeries, session: Mapping[str, Any], number: int) -> PickedSlot:
    data = {
        "series_index": entry.series_index,
        **{key: session.get(key) for key in ("session", "start", "practitioner", "room", "device")},
    }
    try:
        return parse(PickedSlot, data, what=f"{entry.key}.sessions[{number}]")
    except UserError as error:
        raise SchedulingError(error.message, field=f"{entry.key}.{error.field}") from None


def _replace_sessions(
    context: _Context, series: BookedSeries, entry: _AcceptedSeries
) -> dict[str, Any]:
    """Move a booked series' sessions from ``entry.first_session`` on to the optimiser's slots;
    sessions it could not place keep their appointment and are flagged with the reason."""
    state = _series_state(context, series)
    kept = [a for a in state.appointments if a.session < entry.first_session]
    anchor = context.loaded.calendar.local_day(kept[-1].start) if kept else None
    placed = [
        (n, _pick(entry, s, n), f"{entry.key}.sessions[{n}]") for n, s in enumerate(entry.sessions)
    ]
    given = sorted(pick.session for _, pick, _ in placed)
    last = given[-1] if given else entry.first_session - 1
    request = state.request
    if given != list(range(entry.first_session, last + 1)):
        raise SchedulingError("sessions must follow each other", field=f"{entry.key}.sessions")
    short = SeriesRequest(last, request.interval, request.zones, anaesthetic=request.anaesthetic)
    sessions = (
        _picked_sessions(
            context,
            short if last >= 1 else request,
            placed,
            series_key=state.key,
            first_allowed=series.first_allowed,
            anchor=anchor,
            first_session=entry.first_session,
            note="moved by the optimiser",
        )
        if placed
        else []
    )
    reasons = {int(u.get("session", 0)): str(u.get("reason", "")) for u in entry.unplaced}
    proposal_sessions = [SessionProposal(a.session, "kept", a, None, None, None) for a in kept]
    for item in sessions:
        assert item.appointment is not None
        current = state.rows.get(item.session)
        reference = str(current[0].id) if current else ""
        proposal_sessions.append(
            SessionProposal(
                item.session,
                "moved",
                Appointment(
                    state.key,
                    item.session,
                    series.sessions,
                    item.appointment.start,
                    item.appointment.end,
                    item.appointment.free_at,
                    item.appointment.practitioner_id,
                    item.appointment.room_id,
                    item.appointment.device_id,
                    reference,
                ),
                item.earliest,
                item.latest,
                item.target,
                note=item.note,
                reasons=item.reasons,
            )
        )
    for number in range(last + 1, series.sessions + 1):
        proposal_sessions.append(
            SessionProposal(
                number,
                "unplaced",
                None,
                None,
                None,
                None,
                reasons=(reasons.get(number) or "not placed by the optimiser",),
            )
        )
    result = _apply(context, state, SeriesProposal(state.key, tuple(proposal_sessions)))
    return {"series_id": series.id, "moved": result["moved"], "flagged": result["flagged"]}

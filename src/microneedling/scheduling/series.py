"""Proposing the appointments of a treatment series, and re-proposing them when one moves.

A plan's series says "N sessions, ``min``–``max`` weeks apart, ``default`` preferred". A proposal
gives every session a concrete slot (time, practitioner, room, device):

- The first session is no earlier than the first allowed date (screening, surgery rule) nor than
  ``today`` + 7 days, so the patient can follow the day −7 pre-care (stop retinoids and exfoliants,
  avoid sun). It is looked for in the following ``search_days``; each day later costs a point.
- Every next session lies ``min``–``max`` weeks (in whole local days) after the one before; never
  under the minimum. Each day away from the default interval costs points.
- The patient's preferred weekdays, times of day and practitioner, and keeping the same
  practitioner, are soft: missing them costs points (:class:`~.slots.Weights`). The proposal with
  the fewest points wins; ties go to the earlier day, then the earlier time.
- If a session cannot be placed in its window, the earlier sessions are tried on their next-best
  days (a bounded backtracking search). If no combination keeps every session in its window, the
  sessions are placed one after another and the first that cannot be kept in its window is put on
  the first free day after it (up to ``overflow_days``), flagged ``outside_window`` with the
  reason; a session that cannot be placed at all is ``unplaced``, and so are the ones after it.

Rescheduling (:func:`reschedule`) keeps the sessions before the one that moves, places the moved
one where staff put it (or, when cancelled, re-proposes it), and walks the later ones in order:
each one still inside its window relative to the session before it stays; the others are
re-proposed inside their windows, or flagged with the reason when that is no longer possible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from microneedling.errors import SchedulingError
from microneedling.scheduling.clinic_calendar import (
    AppointmentLength,
    Booking,
    ClinicCalendar,
    TimeRange,
    weekday_numbers,
)
from microneedling.scheduling.slots import (
    DEFAULT_WEIGHTS,
    Occupancy,
    Slot,
    SlotRequest,
    Weights,
)

#: Days between today and the first session: the day −7 pre-care step (REFERENCE.md A.4).
PRECARE_LEAD_DAYS = 7
#: How many days after its earliest date the first session is looked for.
FIRST_SESSION_SEARCH_DAYS = 56
#: How far past the end of its window a session that does not fit is looked for.
OVERFLOW_DAYS = 56
#: Candidate days tried per session by the backtracking search, and its budget of day searches.
_BRANCHES = 3
_SEARCH_BUDGET = 60


@dataclass(frozen=True, slots=True)
class IntervalWeeks:
    """The interval between sessions in weeks: a range and a preferred value."""

    min: int
    max: int
    default: int

    def __post_init__(self) -> None:
        if not 1 <= self.min <= self.default <= self.max <= 52:
            raise SchedulingError(
                f"need 1 ≤ min ≤ default ≤ max ≤ 52 weeks, got min {self.min}, "
                f"default {self.default}, max {self.max}",
                field="interval_weeks",
            )


@dataclass(frozen=True, slots=True)
class SeriesRequest:
    """What is to be scheduled: a plan's series (``sessions``, ``interval``, ``zones``).

    ``anaesthetic=False`` for a patient who cannot have a topical anaesthetic (no anaesthetic time).
    """

    sessions: int
    interval: IntervalWeeks
    zones: tuple[str, ...]
    concerns: tuple[str, ...] = ()
    anaesthetic: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.sessions <= 52:
            raise SchedulingError("must be 1 to 52", field="sessions")
        if not self.zones:
            raise SchedulingError("a series needs at least one zone", field="zones")

    @classmethod
    def from_plan(cls, entry: Mapping[str, Any], *, anaesthetic: bool = True) -> SeriesRequest:
        """From one element of a plan's ``series`` (the ``plan --json`` contract)."""
        interval = entry.get("interval_weeks")
        sessions = entry.get("sessions")
        if not interval or not sessions:
            raise SchedulingError(
                "this series has no sessions to book (home use as needed)", field="series"
            )
        zones = tuple(str(z["zone"]) if isinstance(z, Mapping) else str(z) for z in entry["zones"])
        return cls(
            sessions=int(sessions),
            interval=IntervalWeeks(
                min=int(interval["min"]),
                max=int(interval["max"]),
                default=int(interval["default"]),
            ),
            zones=tuple(dict.fromkeys(zones)),
            concerns=tuple(str(c) for c in entry.get("concerns", ())),
            anaesthetic=anaesthetic,
        )

    def length(self, calendar: ClinicCalendar) -> AppointmentLength:
        return calendar.lengths.length(self.zones, anaesthetic=self.anaesthetic)


@dataclass(frozen=True, slots=True)
class PatientPreferences:
    """Soft wishes: weekdays (0 = Monday; empty: any), local time ranges the visit should fall in
    (empty: any), a practitioner."""

    weekdays: frozenset[int] = frozenset()
    times: tuple[TimeRange, ...] = ()
    practitioner_id: str | None = None

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> PatientPreferences:
        """From ``{"weekdays": ["tuesday", "thursday"], "times": ["09:00-12:00"],
        "practitioner": "anna"}`` (every key optional)."""
        weekdays: set[int] = set()
        for index, name in enumerate(data.get("weekdays") or ()):
            weekdays.update(weekday_numbers(str(name), f"preferences.weekdays[{index}]"))
        times = tuple(
            TimeRange.parse(str(text), f"preferences.times[{index}]")
            for index, text in enumerate(data.get("times") or ())
        )
        practitioner = data.get("practitioner")
        return cls(frozenset(weekdays), times, str(practitioner) if practitioner else None)


@dataclass(frozen=True, slots=True)
class Appointment:
    """One session's appointment. Times in UTC; ``end`` is when the patient leaves, ``free_at``
    when the resources are free again. ``reference`` is its id in the clinic's records."""

    series_id: str
    session: int
    sessions: int
    start: datetime
    end: datetime
    free_at: datetime
    practitioner_id: str
    room_id: str
    device_id: str | None
    reference: str = ""

    @classmethod
    def from_slot(
        cls, slot: Slot, *, series_id: str, session: int, sessions: int, reference: str = ""
    ) -> Appointment:
        return cls(
            series_id,
            session,
            sessions,
            slot.start,
            slot.end,
            slot.free_at,
            slot.practitioner_id,
            slot.room_id,
            slot.device_id,
            reference,
        )

    def booking(self, patient_id: str | None = None) -> Booking:
        return Booking(
            self.start,
            self.free_at,
            self.practitioner_id,
            self.room_id,
            self.device_id,
            self.reference,
            patient_id,
        )

    def same_booking(self, booking: Booking) -> bool:
        """Whether ``booking`` is this appointment (by reference, else by time and resources)."""
        if self.reference and booking.reference:
            return self.reference == booking.reference
        return (
            booking.start == self.start
            and booking.practitioner_id == self.practitioner_id
            and booking.room_id == self.room_id
        )


Status = Literal["proposed", "kept", "moved", "outside_window", "unplaced"]


@dataclass(frozen=True, slots=True)
class SessionProposal:
    """One session of a proposal.

    ``earliest``/``latest``: the session's window (local days; ``latest`` is ``None`` for a first
    session, which has no upper bound); ``target``: the day the default interval gives.
    ``penalty``: preference points (lower is better). ``note``: what happened, for staff;
    ``reasons``: why the session is flagged (empty when it is not).
    """

    session: int
    status: Status
    appointment: Appointment | None
    earliest: date | None
    latest: date | None
    target: date | None
    penalty: int = 0
    note: str = ""
    reasons: tuple[str, ...] = ()

    @property
    def flagged(self) -> bool:
        return bool(self.reasons)

    def to_dict(self, calendar: ClinicCalendar) -> dict[str, Any]:
        appointment = self.appointment
        result: dict[str, Any] = {"session": self.session, "status": self.status}
        if appointment is not None:
            result.update(
                {
                    "start": calendar.to_local(appointment.start).isoformat(),
                    "end": calendar.to_local(appointment.end).isoformat(),
                    "start_utc": appointment.start.isoformat().replace("+00:00", "Z"),
                    "end_utc": appointment.end.isoformat().replace("+00:00", "Z"),
                    "practitioner": appointment.practitioner_id,
                    "room": appointment.room_id,
                    "device": appointment.device_id,
                }
            )
        result["window"] = {
            "earliest": self.earliest.isoformat() if self.earliest else None,
            "latest": self.latest.isoformat() if self.latest else None,
            "target": self.target.isoformat() if self.target else None,
        }
        result["penalty"] = self.penalty
        result["note"] = self.note
        result["reasons"] = list(self.reasons)
        return result


@dataclass(frozen=True, slots=True)
class SeriesProposal:
    """The proposed (or re-proposed) appointments of a series, one entry per session."""

    series_id: str
    sessions: tuple[SessionProposal, ...]

    @property
    def appointments(self) -> tuple[Appointment, ...]:
        return tuple(s.appointment for s in self.sessions if s.appointment is not None)

    @property
    def flagged(self) -> tuple[SessionProposal, ...]:
        return tuple(s for s in self.sessions if s.flagged)

    @property
    def complete(self) -> bool:
        """Every session placed inside its window."""
        return not self.flagged and all(s.appointment is not None for s in self.sessions)

    @property
    def penalty(self) -> int:
        return sum(s.penalty for s in self.sessions)

    def to_dict(self, calendar: ClinicCalendar) -> dict[str, Any]:
        return {
            "series_id": self.series_id,
            "time_zone": calendar.time_zone,
            "complete": self.complete,
            "penalty": self.penalty,
            "sessions": [s.to_dict(calendar) for s in self.sessions],
        }


@dataclass(frozen=True, slots=True)
class _Candidate:
    penalty: int
    day: date
    slot: Slot


@dataclass
class _Planner:
    """The search shared by proposing and rescheduling one series."""

    occupancy: Occupancy
    slot_request: SlotRequest
    preferences: PatientPreferences
    weights: Weights
    _cache: dict[tuple[date, str | None], tuple[int, Slot] | None] = field(default_factory=dict)
    searches: int = 0

    def day_penalty(self, day: date) -> int:
        weekdays = self.preferences.weekdays
        return self.weights.weekday if weekdays and day.weekday() not in weekdays else 0

    def best_on(self, day: date, previous: str | None) -> tuple[int, Slot] | None:
        key = (day, previous)
        if key not in self._cache:
            self._cache[key] = self.occupancy.best_slot(
                day, self.slot_request, previous_practitioner=previous, weights=self.weights
            )
        return self._cache[key]

    def ranked(
        self,
        first: date,
        last: date,
        distance: Callable[[date], int],
        previous: str | None,
        limit: int,
    ) -> list[_Candidate]:
        """Up to ``limit`` best candidates between ``first`` and ``last`` (both included).

        Days are visited by increasing distance and weekday penalty, so the search stops as soon
        as those alone cannot beat the worst candidate kept.
        """
        self.searches += 1
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        bounds = sorted((distance(d) + self.day_penalty(d), d) for d in days)
        found: list[_Candidate] = []
        for base, day in bounds:
            if len(found) >= limit and base >= found[-1].penalty:
                break
            best = self.best_on(day, previous)
            if best is None:
                continue
            penalty = base + best[0]
            found.append(_Candidate(penalty, day, best[1]))
            found.sort(key=lambda c: (c.penalty, c.day, c.slot.start))
            del found[limit:]
        return found

    def explain(self, first: date, last: date) -> str:
        """Why no day between ``first`` and ``last`` has a slot, grouped by reason."""
        by_reason: dict[str, list[date]] = {}
        day = first
        while day <= last:
            reason = self.occupancy.why_no_slot(day, self.slot_request)
            by_reason.setdefault(reason, []).append(day)
            day += timedelta(days=1)
        parts = [f"{reason}: {_day_runs(days)}" for reason, days in by_reason.items()]
        return "; ".join(parts)


def _day_runs(days: Sequence[date]) -> str:
    runs: list[list[date]] = []
    for day in days:
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(
        run[0].isoformat() if len(run) == 1 else f"{run[0].isoformat()} to {run[-1].isoformat()}"
        for run in runs
    )


def _occupancy(calendar: ClinicCalendar, bookings: Iterable[Booking] | Occupancy) -> Occupancy:
    if isinstance(bookings, Occupancy):
        if bookings.calendar is not calendar and bookings.calendar != calendar:
            raise SchedulingError("the occupancy belongs to another calendar", field="bookings")
        return bookings
    return Occupancy(calendar, bookings)


def _slot_request(
    request: SeriesRequest, calendar: ClinicCalendar, preferences: PatientPreferences
) -> SlotRequest:
    if preferences.practitioner_id is not None:
        calendar.practitioner(preferences.practitioner_id)  # unknown: a SchedulingError
    return SlotRequest(
        length=request.length(calendar),
        preferred_times=preferences.times,
        preferred_practitioner=preferences.practitioner_id,
    )


def propose_series(
    request: SeriesRequest,
    calendar: ClinicCalendar,
    bookings: Iterable[Booking] | Occupancy = (),
    *,
    first_allowed_date: date,
    today: date,
    preferences: PatientPreferences | None = None,
    series_id: str = "",
    weights: Weights = DEFAULT_WEIGHTS,
    search_days: int = FIRST_SESSION_SEARCH_DAYS,
    overflow_days: int = OVERFLOW_DAYS,
) -> SeriesProposal:
    """Concrete appointments for every session of ``request`` (rules in the module docstring).

    ``bookings`` are the clinic's existing appointments (or a prebuilt :class:`Occupancy`, which is
    not changed). Nothing is booked: the result is a proposal for staff to accept.
    """
    if search_days < 1 or overflow_days < 0:
        raise SchedulingError("search_days ≥ 1 and overflow_days ≥ 0", field="search_days")
    preferences = preferences or PatientPreferences()
    planner = _Planner(
        _occupancy(calendar, bookings),
        _slot_request(request, calendar, preferences),
        preferences,
        weights,
    )
    earliest = max(first_allowed_date, today + timedelta(days=PRECARE_LEAD_DAYS))
    interval = request.interval
    count = request.sessions
    failed: set[tuple[int, date, str | None]] = set()

    def first_distance(day: date) -> int:
        return (day - earliest).days * weights.per_day_first_delay

    def search(session: int, anchor: date | None, previous: str | None) -> list[_Candidate] | None:
        if session > count:
            return []
        if anchor is None:
            candidates = planner.ranked(
                earliest,
                earliest + timedelta(days=search_days - 1),
                first_distance,
                None,
                _BRANCHES,
            )
        else:
            key = (session, anchor, previous)
            if key in failed or planner.searches >= _SEARCH_BUDGET:
                return None
            target = anchor + timedelta(weeks=interval.default)
            candidates = planner.ranked(
                anchor + timedelta(weeks=interval.min),
                anchor + timedelta(weeks=interval.max),
                lambda d: abs((d - target).days) * weights.per_day_off_default,
                previous,
                _BRANCHES,
            )
        for candidate in candidates:
            rest = search(session + 1, candidate.day, candidate.slot.practitioner_id)
            if rest is not None:
                return [candidate, *rest]
            if planner.searches >= _SEARCH_BUDGET:
                break
        if anchor is not None:
            failed.add((session, anchor, previous))
        return None

    chosen = search(1, None, None)
    sessions: list[SessionProposal] = []
    if chosen is not None:
        anchor: date | None = None
        for number, candidate in enumerate(chosen, start=1):
            sessions.append(
                _proposal(
                    number,
                    candidate,
                    anchor,
                    earliest,
                    interval,
                    series_id,
                    count,
                    status="proposed",
                )
            )
            anchor = candidate.day
        return SeriesProposal(series_id, tuple(sessions))

    # No combination keeps every session in its window: one after another, with overflow.
    anchor = None
    previous: str | None = None
    for number in range(1, count + 1):
        if sessions and sessions[-1].appointment is None:
            sessions.append(_unplaced(number, f"session {number - 1} could not be placed"))
            continue
        if anchor is None:
            first, last = earliest, earliest + timedelta(days=search_days - 1)
            found = planner.ranked(first, last, first_distance, None, 1)
            if not found:
                reason = f"no free slot from {first} to {last} ({planner.explain(first, last)})"
                sessions.append(_unplaced(number, reason, earliest=first))
                continue
            sessions.append(
                _proposal(
                    number, found[0], None, earliest, interval, series_id, count, status="proposed"
                )
            )
        else:
            sessions.append(
                _place_later(
                    planner,
                    number,
                    anchor,
                    previous,
                    interval,
                    series_id,
                    count,
                    overflow_days,
                    not_before=None,
                    status="proposed",
                )
            )
        placed = sessions[-1].appointment
        if placed is not None:
            anchor = calendar.local_day(placed.start)
            previous = placed.practitioner_id
    return SeriesProposal(series_id, tuple(sessions))


def _window(anchor: date, interval: IntervalWeeks) -> tuple[date, date, date]:
    return (
        anchor + timedelta(weeks=interval.min),
        anchor + timedelta(weeks=interval.max),
        anchor + timedelta(weeks=interval.default),
    )


def _proposal(
    number: int,
    candidate: _Candidate,
    anchor: date | None,
    earliest: date,
    interval: IntervalWeeks,
    series_id: str,
    count: int,
    *,
    status: Status,
    note: str = "",
) -> SessionProposal:
    if anchor is None:
        low, high, target = earliest, None, earliest
    else:
        low, high, target = _window(anchor, interval)
    return SessionProposal(
        session=number,
        status=status,
        appointment=Appointment.from_slot(
            candidate.slot, series_id=series_id, session=number, sessions=count
        ),
        earliest=low,
        latest=high,
        target=target,
        penalty=candidate.penalty,
        note=note,
    )


def _unplaced(number: int, reason: str, *, earliest: date | None = None) -> SessionProposal:
    return SessionProposal(
        session=number,
        status="unplaced",
        appointment=None,
        earliest=earliest,
        latest=None,
        target=None,
        reasons=(reason,),
    )


def _weeks_and_days(days: int) -> str:
    weeks, rest = divmod(days, 7)
    text = f"{weeks} week{'s' if weeks != 1 else ''}"
    return text + (f" {rest} day{'s' if rest != 1 else ''}" if rest else "")


def _place_later(
    planner: _Planner,
    number: int,
    anchor: date,
    previous: str | None,
    interval: IntervalWeeks,
    series_id: str,
    count: int,
    overflow_days: int,
    *,
    not_before: date | None,
    status: Status,
    note: str = "",
) -> SessionProposal:
    """Session ``number`` in its window after ``anchor``, or flagged after it."""
    low, high, target = _window(anchor, interval)
    weights = planner.weights
    first = max(low, not_before) if not_before else low

    def distance(day: date) -> int:
        return abs((day - target).days) * weights.per_day_off_default

    found = planner.ranked(first, high, distance, previous, 1) if first <= high else []
    if found:
        return _proposal(
            number, found[0], anchor, low, interval, series_id, count, status=status, note=note
        )
    window = (
        f"{interval.min}–{interval.max} weeks after session {number - 1} ({anchor}): "
        f"{low} to {high}"
    )
    if first > high:
        why = f"its window ended on {high}"
        search_from = first
    else:
        why = f"no free slot in its window ({planner.explain(first, high)})"
        search_from = high + timedelta(days=1)
    later = planner.ranked(
        search_from,
        search_from + timedelta(days=overflow_days - 1),
        lambda d: (d - search_from).days,
        previous,
        1,
    )
    if not later:
        return SessionProposal(
            session=number,
            status="unplaced",
            appointment=None,
            earliest=low,
            latest=high,
            target=target,
            reasons=(
                f"cannot be kept in its window, {window}: {why}; nothing "
                f"free in the {overflow_days} days after either",
            ),
        )
    candidate = later[0]
    gap = (candidate.day - anchor).days
    return SessionProposal(
        session=number,
        status="outside_window",
        appointment=Appointment.from_slot(
            candidate.slot, series_id=series_id, session=number, sessions=count
        ),
        earliest=low,
        latest=high,
        target=target,
        penalty=candidate.penalty,
        note=note,
        reasons=(
            f"cannot be kept in its window, {window}: {why}; proposed {candidate.day}, "
            f"{_weeks_and_days(gap)} after session {number - 1}",
        ),
    )


def reschedule(
    request: SeriesRequest,
    appointments: Sequence[Appointment],
    calendar: ClinicCalendar,
    bookings: Iterable[Booking] = (),
    *,
    session: int,
    to: datetime | None,
    today: date,
    first_allowed_date: date | None = None,
    preferences: PatientPreferences | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
    overflow_days: int = OVERFLOW_DAYS,
) -> SeriesProposal:
    """The series after session ``session`` moves to ``to`` (or is cancelled, ``to=None``).

    ``appointments``: the series' current appointments (held and booked), at most one per session;
    ``bookings``: the clinic's bookings, which may include this series' own (they are recognised
    by reference, else by time and resources, and released where the series changes).

    - Sessions before ``session`` are kept (flagged if one already lies outside its window).
    - Moved: placed at ``to`` with its practitioner, room and device when they are free there,
      other free ones otherwise (a :class:`SchedulingError` when nothing is free, or when ``to``
      is under the minimum interval after the previous session or before the first allowed date).
      Later than the window: flagged. A first session less than 7 days from ``today``: flagged
      (the pre-care needs them).
    - Cancelled: the appointment is released and the session re-proposed in its window, from
      the day after ``today`` (a cancelled session still has to take place; dropping it is a plan
      change).
    - Later sessions: each one still inside its window after the (possibly new) session before it
      stays; the others are re-proposed inside their windows, or flagged with the reason.
    """
    preferences = preferences or PatientPreferences()
    count = request.sessions
    interval = request.interval
    if not 1 <= session <= count:
        raise SchedulingError(f"the series has sessions 1 to {count}", field="session")
    current: dict[int, Appointment] = {}
    for appointment in appointments:
        if not 1 <= appointment.session <= count or appointment.session in current:
            raise SchedulingError(
                f"session {appointment.session} is not a session of this series, or is given twice",
                field="appointments",
            )
        current[appointment.session] = appointment
    if session not in current:
        raise SchedulingError(f"session {session} has no appointment to move", field="session")
    for number in range(1, session):
        if number not in current:
            raise SchedulingError(
                f"session {number} has no appointment: sessions before the one that moves must "
                "be booked",
                field="appointments",
            )
    series_id = current[session].series_id
    released = [a for n, a in current.items() if n >= session]
    occupancy = Occupancy(
        calendar, (b for b in bookings if not any(a.same_booking(b) for a in released))
    )
    planner = _Planner(
        occupancy, _slot_request(request, calendar, preferences), preferences, weights
    )
    result: list[SessionProposal] = []
    anchor: date | None = None
    previous: str | None = None
    for number in range(1, session):
        appointment = current[number]
        day = calendar.local_day(appointment.start)
        if anchor is None:
            result.append(SessionProposal(number, "kept", appointment, None, None, None))
        else:
            low, high, target = _window(anchor, interval)
            reasons = _outside(number, anchor, day, interval)
            result.append(
                SessionProposal(number, "kept", appointment, low, high, target, reasons=reasons)
            )
        anchor, previous = day, appointment.practitioner_id

    moved = current[session]
    if to is not None:
        result.append(
            _move(calendar, occupancy, request, moved, to, anchor, today, first_allowed_date)
        )
    else:
        not_before = today + timedelta(days=1)  # not again on the day it was cancelled
        if anchor is None:
            first = max(first_allowed_date or today, today + timedelta(days=PRECARE_LEAD_DAYS))
            found = planner.ranked(
                first,
                first + timedelta(days=FIRST_SESSION_SEARCH_DAYS - 1),
                lambda d: (d - first).days * weights.per_day_first_delay,
                None,
                1,
            )
            if found:
                result.append(
                    _proposal(
                        1,
                        found[0],
                        None,
                        first,
                        interval,
                        series_id,
                        count,
                        status="moved",
                        note="cancelled; re-proposed",
                    )
                )
            else:
                last = first + timedelta(days=FIRST_SESSION_SEARCH_DAYS - 1)
                result.append(
                    _unplaced(
                        1,
                        f"no free slot from {first} to {last} ({planner.explain(first, last)})",
                        earliest=first,
                    )
                )
        else:
            result.append(
                _place_later(
                    planner,
                    session,
                    anchor,
                    previous,
                    interval,
                    series_id,
                    count,
                    overflow_days,
                    not_before=not_before,
                    status="moved",
                    note="cancelled; re-proposed",
                )
            )
    placed = result[-1].appointment
    if placed is not None:
        occupancy.book(placed.booking())
        anchor, previous = calendar.local_day(placed.start), placed.practitioner_id

    for number in range(session + 1, count + 1):
        before = result[-1].appointment
        if before is None:
            result.append(_unplaced(number, f"session {number - 1} has no date"))
            continue
        assert anchor is not None
        low, high, target = _window(anchor, interval)
        existing = current.get(number)
        if existing is not None:
            day = calendar.local_day(existing.start)
            slot = Slot(
                existing.start,
                existing.end,
                existing.free_at,
                existing.practitioner_id,
                existing.room_id,
                existing.device_id,
            )
            if low <= day <= high and occupancy.is_free(slot):
                result.append(SessionProposal(number, "kept", existing, low, high, target))
                occupancy.book(existing.booking())
                anchor, previous = day, existing.practitioner_id
                continue
            note = (
                f"was {day}, {_weeks_and_days((day - anchor).days)} after session {number - 1}; "
                f"re-proposed"
            )
        else:
            note = "re-proposed"
        proposal = _place_later(
            planner,
            number,
            anchor,
            previous,
            interval,
            series_id,
            count,
            overflow_days,
            not_before=today,
            status="moved",
            note=note,
        )
        if existing is not None and proposal.appointment is not None:
            proposal = _with_reference(proposal, existing.reference)
        result.append(proposal)
        if proposal.appointment is not None:
            occupancy.book(proposal.appointment.booking())
            anchor = calendar.local_day(proposal.appointment.start)
            previous = proposal.appointment.practitioner_id
    return SeriesProposal(series_id, tuple(result))


def _outside(number: int, anchor: date, day: date, interval: IntervalWeeks) -> tuple[str, ...]:
    """The reason a session on ``day`` is outside its window after ``anchor`` (none if inside)."""
    low, high, _ = _window(anchor, interval)
    if low <= day <= high:
        return ()
    return (
        f"{_weeks_and_days((day - anchor).days)} after session {number - 1}: outside its window "
        f"of {interval.min}–{interval.max} weeks ({low} to {high})",
    )


def _with_reference(proposal: SessionProposal, reference: str) -> SessionProposal:
    appointment = proposal.appointment
    assert appointment is not None
    return SessionProposal(
        proposal.session,
        proposal.status,
        Appointment(
            appointment.series_id,
            appointment.session,
            appointment.sessions,
            appointment.start,
            appointment.end,
            appointment.free_at,
            appointment.practitioner_id,
            appointment.room_id,
            appointment.device_id,
            reference,
        ),
        proposal.earliest,
        proposal.latest,
        proposal.target,
        proposal.penalty,
        proposal.note,
        proposal.reasons,
    )


def _move(
    calendar: ClinicCalendar,
    occupancy: Occupancy,
    request: SeriesRequest,
    moved: Appointment,
    to: datetime,
    anchor: date | None,
    today: date,
    first_allowed_date: date | None,
) -> SessionProposal:
    if to.tzinfo is None:
        raise SchedulingError("the new start needs a time zone (UTC offset)", field="to")
    interval = request.interval
    number = moved.session
    day = calendar.local_day(to)
    local = calendar.to_local(to)
    reasons: list[str] = []
    if anchor is not None:
        low, high, target = _window(anchor, interval)
        if day < low:
            raise SchedulingError(
                f"session {number} cannot be on {day}: it must be at least {interval.min} weeks "
                f"after session {number - 1} ({anchor}), so on {low} or later",
                field="to",
            )
        reasons.extend(_outside(number, anchor, day, interval))
        earliest: date | None = low
        latest: date | None = high
    else:
        if first_allowed_date is not None and day < first_allowed_date:
            raise SchedulingError(
                f"the first session cannot be before {first_allowed_date} (screening or surgery "
                "rule)",
                field="to",
            )
        if day < today + timedelta(days=PRECARE_LEAD_DAYS):
            reasons.append(
                f"less than {PRECARE_LEAD_DAYS} days after today ({today}): the patient cannot "
                "complete the day −7 pre-care (stop retinoids and exfoliants, avoid sun)"
            )
        earliest, latest, target = first_allowed_date, None, None
    slot = occupancy.slot_starting(
        to,
        request.length(calendar),
        practitioner_id=moved.practitioner_id,
        room_id=moved.room_id,
        device_id=moved.device_id,
    )
    if slot is None:
        probe = SlotRequest(request.length(calendar))
        raise SchedulingError(
            f"nothing is free for session {number} at {local:%H:%M} on {day} "
            f"({occupancy.why_no_slot(day, probe)}, or not free at that time)",
            field="to",
        )
    appointment = Appointment.from_slot(
        slot,
        series_id=moved.series_id,
        session=number,
        sessions=request.sessions,
        reference=moved.reference,
    )
    old_day = calendar.local_day(moved.start)
    return SessionProposal(
        session=number,
        status="outside_window" if anchor is not None and reasons else "moved",
        appointment=appointment,
        earliest=earliest,
        latest=latest,
        target=target,
        note=f"moved from {old_day} by staff",
        reasons=tuple(reasons),
    )

"""The front desk's calendar: a day or a week of the clinic's appointments laid out per
practitioner or per room, with each one's free and closed time from the clinic calendar.

One use case, :func:`calendar_grid`. It reads appointments with their patients' names, so it is
a read of patient data like the day sheet (:func:`microneedling.services.overview.day_sheet`):
the role is checked (``appointment.read``, every staff role) and one audit entry says what was
listed and how many appointments, never who.

What is free and what is closed comes from the scheduling package's own occupancy
(:class:`~microneedling.scheduling.slots.Occupancy`): opening hours, the practitioner's working
hours (or the room), closures, absences and downtime, minus the time appointments hold
(turnover included). Times in the answer are minutes after the local midnight (the clinic's
wall clock), which is what a grid shows; on a daylight-saving change day the hour that does not
exist has no minutes and the hour that happens twice is drawn once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from microneedling.errors import RuleViolation, UserError
from microneedling.scheduling.clinic_calendar import (
    MINUTES_PER_DAY,
    ClinicCalendar,
    Period,
    TimeRange,
)
from microneedling.scheduling.slots import (
    DayFrame,
    Occupancy,
    from_minute,
    to_minute,
    to_minute_ceil,
)
from microneedling.services.access import Actor, Transaction
from microneedling.services.calendar_index import SpanMaker
from microneedling.services.calendar_settings import (
    LoadedCalendar,
    load_calendar,
    scheduling_records,
)
from microneedling.services.clock import Clock, local_days, utc_now
from microneedling.services.inputs import check_day
from microneedling.store import UnitOfWork
from microneedling.store.models import Appointment
from microneedling.store.scheduling_models import AppointmentBooking

#: What the columns are.
BY = ("practitioner", "room")
#: Most days in one answer (a week).
MAX_DAYS = 7
#: How far from the clinic's today the calendar may be looked at (about ten years each way).
MAX_DAYS_AWAY = 3653
#: The hours shown when nothing else says (no calendar, no appointment).
DEFAULT_HOURS = (8 * 60, 18 * 60)
#: Overlapping appointments in one column are drawn side by side, in at most this many lanes.
MAX_LANES = 4


def calendar_grid(
    uow: UnitOfWork,
    actor: Actor,
    first: date,
    last: date | None = None,
    *,
    by: str = "practitioner",
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """The days ``first`` to ``last`` (both included, at most :data:`MAX_DAYS`; one day by
    default) per practitioner or per room (``by``).

    The answer: ``days`` (ISO dates), ``today``, ``time_zone``, ``configured`` (whether the
    clinic calendar is set up; without it the appointments are shown without hours), ``hours``
    (``first``/``last``: the minutes after midnight a grid needs to show, whole hours) and
    ``columns``: one per practitioner (or room) of the calendar, in its order, then any other
    practitioner (or room) with an appointment in those days and ``None`` ("none assigned") when
    an appointment has none. Each column has ``days``, each with ``segments`` (``kind``:
    ``free`` or ``closed``, with the reason), ``blocks`` (the appointments: patient, times, kind,
    zones, status; ``lane``/``lanes`` when they overlap), ``free_minutes`` and ``closed`` (the
    reason when nothing of the day is available).
    """
    if by not in BY:
        raise UserError("expected practitioner or room", field="by")
    check_day(first, "day")
    last = first if last is None else check_day(last, "day")
    if last < first:
        raise UserError("the last day is before the first", field="day")
    if (last - first).days + 1 > MAX_DAYS:
        raise UserError(f"at most {MAX_DAYS} days at a time", field="day")
    with Transaction(uow, actor, "appointment.read", clock) as tx:
        today = tx.today
        if abs((first - today).days) > MAX_DAYS_AWAY:
            raise UserError("expected a day within ten years of today", field="day")
        clinic = tx.records.clinic()
        records = scheduling_records(tx)
        try:
            loaded: LoadedCalendar | None = load_calendar(tx, records)
        except RuleViolation:
            loaded = None
        start, end = local_days(first, last, clinic.time_zone)
        rows = tx.records.appointments_between(start, end)
        bookings = _bookings(tx, [row.id for row in rows])
        series = records.series_by_ids({booking.series_id for booking in bookings.values()})
        patients = records.patients({row.patient_id for row in rows})
        staff = {user.id: user.display_name for user in tx.records.staff()}
        rooms = {room.id: room.name or room.code for room in records.rooms(active_only=False)}
        held = records.held_rows(start, end) if loaded is not None else []
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        layout = _Layout(loaded, by, held, staff, rooms, clinic.time_zone)
        for row in rows:
            booking = bookings.get(row.id)
            booked = series.get(booking.series_id) if booking is not None else None
            patient = patients.get(row.patient_id)
            layout.add(
                row,
                booking,
                name=f"{patient.given_name} {patient.family_name}" if patient else "",
                kind=(
                    f"Session {booking.session} of {booked.sessions}"
                    if booking is not None and booked is not None
                    else "Appointment"
                ),
                zones=[str(zone) for zone in booked.zones] if booked is not None else [],
            )
        # The columns first: the hours a grid needs follow from what they hold.
        columns = [layout.column(key, days) for key in layout.ordered_keys()]
        result = {
            "by": by,
            "days": [day.isoformat() for day in days],
            "first": first.isoformat(),
            "last": last.isoformat(),
            "today": today.isoformat(),
            "time_zone": clinic.time_zone,
            "configured": loaded is not None,
            "columns": columns,
            "hours": layout.hours(),
            "count": len(rows),
        }
        tx.done(details={"listed": "calendar", "days": len(days), "results": len(rows)})
    return result


def _bookings(tx: Transaction, appointment_ids: Sequence[int]) -> dict[int, AppointmentBooking]:
    """What scheduling knows of these appointments (room, series, session), by appointment."""
    if not appointment_ids:
        return {}
    # TODO(store): belongs in SchedulingRecords as bookings_of(appointment_ids).
    found = tx.uow.session.execute(
        select(AppointmentBooking).where(
            AppointmentBooking.clinic_id == tx.actor.clinic_id,
            AppointmentBooking.appointment_id.in_(list(appointment_ids)),
        )
    ).scalars()
    return {row.appointment_id: row for row in found}


@dataclass(frozen=True)
class _Column:
    key: str
    resource_id: int | None
    name: str
    note: str | None
    #: The resource's index in the calendar (practitioners or rooms), ``None`` when not in it.
    index: int | None


class _Layout:
    """The columns of one answer and the appointments placed in them."""

    def __init__(
        self,
        loaded: LoadedCalendar | None,
        by: str,
        held: Iterable[Sequence[Any]],
        staff: dict[int, str],
        rooms: dict[int, str],
        time_zone: str,
    ) -> None:
        self.loaded = loaded
        self.by = by
        self.staff = staff
        self.rooms = rooms
        self.zone = ZoneInfo(time_zone)
        self.columns: dict[str, _Column] = {}
        self.blocks: dict[tuple[str, date], list[dict[str, Any]]] = {}
        self.latest = 0
        self.earliest = MINUTES_PER_DAY
        self.busy: Occupancy | None = None
        self.empty: Occupancy | None = None
        if loaded is not None:
            calendar = loaded.calendar
            self.busy = Occupancy(calendar, spans=SpanMaker(loaded).spans(held, set()))
            self.empty = Occupancy(calendar)
            if by == "practitioner":
                for index, practitioner in enumerate(calendar.practitioners):
                    number = loaded.practitioner_ids.get(practitioner.id)
                    name = staff.get(number or 0) or practitioner.name or practitioner.id
                    self._add_column(number, name, None, index)
            else:
                for index, room in enumerate(calendar.rooms):
                    number = loaded.room_ids.get(room.id)
                    self._add_column(number, room.name or room.id, None, index)

    @property
    def calendar(self) -> ClinicCalendar | None:
        return self.loaded.calendar if self.loaded is not None else None

    def _key(self, resource_id: int | None) -> str:
        return f"{self.by}-{resource_id}" if resource_id is not None else f"{self.by}-none"

    def _add_column(
        self, resource_id: int | None, name: str, note: str | None, index: int | None
    ) -> str:
        key = self._key(resource_id)
        if key not in self.columns:
            self.columns[key] = _Column(key, resource_id, name, note, index)
        return key

    def ordered_keys(self) -> list[str]:
        """Calendar resources first (their order), then others by name, "none" last."""
        listed = [key for key, column in self.columns.items() if column.index is not None]
        others = sorted(
            (c for c in self.columns.values() if c.index is None and c.resource_id is not None),
            key=lambda c: (c.name, c.resource_id or 0),
        )
        last = [key for key, c in self.columns.items() if c.resource_id is None]
        return [*listed, *(c.key for c in others), *last]

    def add(
        self,
        row: Appointment,
        booking: AppointmentBooking | None,
        *,
        name: str,
        kind: str,
        zones: list[str],
    ) -> None:
        practitioner = self.staff.get(row.practitioner_id or 0)
        room = self.rooms.get(booking.room_id) if booking is not None else None
        if self.by == "practitioner":
            resource_id = row.practitioner_id
            label = practitioner or "No practitioner assigned"
            note = "no hours in the calendar" if self.loaded is not None else None
        else:
            resource_id = booking.room_id if booking is not None else None
            label = room or "No room assigned"
            note = "not in the calendar" if self.loaded is not None else None
        key = self._key(resource_id)
        if key not in self.columns:
            self._add_column(resource_id, label, note if resource_id is not None else None, None)
        local = row.starts_at.astimezone(self.zone)
        begins = local.hour * 60 + local.minute
        ends = min(begins + row.duration_minutes, MINUTES_PER_DAY)
        self.earliest = min(self.earliest, begins)
        self.latest = max(self.latest, ends)
        self.blocks.setdefault((key, local.date()), []).append(
            {
                "appointment_id": row.id,
                "patient_id": row.patient_id,
                "patient_name": name,
                "starts_at": row.starts_at.isoformat(),
                "start_minute": begins,
                "end_minute": ends,
                "start": _clock(begins),
                "end": _clock(ends),
                "duration_minutes": row.duration_minutes,
                "status": row.status,
                "kind": kind,
                "zones": zones,
                "practitioner": practitioner,
                "room": room,
                "flag": booking.flag if booking is not None else None,
            }
        )

    def column(self, key: str, days: Sequence[date]) -> dict[str, Any]:
        column = self.columns[key]
        return {
            "key": column.key,
            "id": column.resource_id,
            "name": column.name,
            "note": column.note,
            "in_calendar": column.index is not None,
            "days": [self._day(column, day) for day in days],
        }

    def _day(self, column: _Column, day: date) -> dict[str, Any]:
        blocks = sorted(
            self.blocks.get((column.key, day), []),
            key=lambda b: (b["start_minute"], b["end_minute"], b["appointment_id"]),
        )
        _lanes(blocks)
        segments: list[dict[str, Any]] = []
        closed = None
        free_minutes = 0
        if column.index is not None and self.busy is not None and self.empty is not None:
            segments, free_minutes, closed = self._segments(column.index, day)
        return {
            "day": day.isoformat(),
            "weekday": day.weekday(),
            "segments": segments,
            "blocks": blocks,
            "free_minutes": free_minutes,
            "closed": closed,
        }

    def _segments(self, index: int, day: date) -> tuple[list[dict[str, Any]], int, str | None]:
        """The day's free and closed stretches of resource ``index`` (local minutes)."""
        assert self.busy is not None and self.empty is not None and self.calendar is not None
        calendar = self.calendar
        frame = self.empty.frame(day)
        whole = (1 << frame.length) - 1
        opening = self.empty.preferred_mask(day, calendar.opening_hours.on(day.weekday()))
        periods: Sequence[Period]
        if self.by == "practitioner":
            practitioner = calendar.practitioners[index]
            available = self.empty.practitioner_free(index, frame)
            free = self.busy.practitioner_free(index, self.busy.frame(day))
            periods, absent = practitioner.absences, "Absent"
            hours: Sequence[TimeRange] = practitioner.working_hours.on(day.weekday())
            working = self.empty.preferred_mask(day, hours)
        else:
            room = calendar.rooms[index]
            available = self.empty.room_free(index, frame)
            free = self.busy.room_free(index, self.busy.frame(day))
            periods, absent = room.unavailable, "Unavailable"
            working = whole
        reasons: list[tuple[int, str]] = [
            (_period_mask(calendar, frame, period), _reason("Closed", period.reason))
            for period in frame.closures
        ]
        reasons += [
            (_period_mask(calendar, frame, period), _reason(absent, period.reason))
            for period in periods
        ]
        reasons += [(whole & ~opening, "Closed"), (whole & ~working, "Not working")]
        found: list[dict[str, Any]] = []
        remaining = whole & ~available
        for mask, label in reasons:
            part = remaining & mask
            remaining &= ~part
            found += [self._segment(frame, "closed", label, run) for run in _runs(part)]
        found += [self._segment(frame, "closed", "Closed", run) for run in _runs(remaining)]
        found += [self._segment(frame, "free", "Free", run) for run in _runs(free)]
        found = [item for item in found if item["end_minute"] > item["start_minute"]]
        found.sort(key=lambda item: (item["start_minute"], item["kind"]))
        merged = _merge(found)
        for item in merged:
            if item["kind"] == "free":
                self.earliest = min(self.earliest, item["start_minute"])
                self.latest = max(self.latest, item["end_minute"])
        closed = None
        if not available:
            # Why nothing of the day is available: a closure, an absence, the clinic's hours,
            # then the practitioner's.
            named = [label for mask, label in reasons[:-2] if mask]
            closed = named[0] if named else "Closed" if not opening else "Not working"
        return merged, free.bit_count(), closed

    def _segment(
        self, frame: DayFrame, kind: str, label: str, run: tuple[int, int]
    ) -> dict[str, Any]:
        begins = self._local_minute(frame, run[0])
        ends = self._local_minute(frame, run[1])
        return {
            "kind": kind,
            "label": label,
            "start_minute": begins,
            "end_minute": max(ends, begins),
            "start": _clock(begins),
            "end": _clock(max(ends, begins)),
        }

    def _local_minute(self, frame: DayFrame, offset: int) -> int:
        """A real minute of the day (after its first instant) on the local wall clock."""
        if offset <= 0:
            return 0
        if offset >= frame.length:
            return MINUTES_PER_DAY
        if frame.length == MINUTES_PER_DAY:
            return offset
        assert self.calendar is not None
        local = from_minute(frame.start + offset).astimezone(self.calendar.zone)
        return local.hour * 60 + local.minute

    def hours(self) -> dict[str, int]:
        """The whole hours a grid shows: the clinic's opening hours on any weekday, every free
        stretch and every appointment."""
        first, last = self.earliest, self.latest
        calendar = self.calendar
        if calendar is not None:
            for ranges in calendar.opening_hours.days:
                for item in ranges:
                    first = min(first, item.start_minute)
                    last = max(last, item.end_minute)
        if first >= last:
            first, last = DEFAULT_HOURS
        return {"first": first - first % 60, "last": min(-(-last // 60) * 60, MINUTES_PER_DAY)}


def _reason(word: str, reason: str) -> str:
    return f"{word}: {reason}" if reason else word


def _period_mask(calendar: ClinicCalendar, frame: DayFrame, period: Period) -> int:
    """The minutes of ``period`` within the day of ``frame``, as a mask of its real minutes."""
    if period.whole_days:
        low = to_minute(calendar.day_start(period.start))
        high = to_minute(calendar.day_start(period.end + timedelta(days=1)))
    else:
        assert isinstance(period.start, datetime) and isinstance(period.end, datetime)
        low, high = to_minute(period.start), to_minute_ceil(period.end)
    low, high = max(low - frame.start, 0), min(high - frame.start, frame.length)
    return ((1 << high) - 1) & ~((1 << low) - 1) if high > low else 0


def _runs(mask: int) -> list[tuple[int, int]]:
    """The stretches of set bits of ``mask`` as ``(first, end)`` (end excluded)."""
    found = []
    offset = 0
    while mask:
        skip = (mask & -mask).bit_length() - 1
        mask >>= skip
        offset += skip
        ones = (mask ^ (mask + 1)).bit_length() - 1
        found.append((offset, offset + ones))
        mask >>= ones
        offset += ones
    return found


def _merge(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Touching stretches of the same kind and label as one."""
    merged: list[dict[str, Any]] = []
    for item in items:
        before = merged[-1] if merged else None
        if (
            before is not None
            and before["kind"] == item["kind"]
            and before["label"] == item["label"]
            and before["end_minute"] == item["start_minute"]
        ):
            before["end_minute"], before["end"] = item["end_minute"], item["end"]
        else:
            merged.append(dict(item))
    return merged


def _lanes(blocks: list[dict[str, Any]]) -> None:
    """Give overlapping blocks (sorted by start) lanes side by side: ``lane`` (0 first) and
    ``lanes`` (how many lanes its group of overlapping blocks uses)."""
    group: list[dict[str, Any]] = []
    ends: list[int] = []  # per lane: where its last block ends
    group_end = -1

    def close() -> None:
        for member in group:
            member["lanes"] = min(len(ends), MAX_LANES)

    for block in blocks:
        if block["start_minute"] >= group_end and group:
            close()
            group, ends = [], []
        lane = next((n for n, end in enumerate(ends) if end <= block["start_minute"]), None)
        if lane is None:
            lane = len(ends)
            ends.append(block["end_minute"])
        else:
            ends[lane] = block["end_minute"]
        block["lane"] = min(lane, MAX_LANES - 1)
        group.append(block)
        group_end = max(group_end, block["end_minute"])
    if group:
        close()


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"

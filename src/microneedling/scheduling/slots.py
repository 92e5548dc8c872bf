"""Free time: who and what is booked when, and the free slots on a day.

:class:`Occupancy` keeps, for every practitioner, room and device, its booked time and its
unavailable time (absences, servicing) as sorted lists of whole UTC minutes, plus the clinic's
closures. A local day is looked at as a bitmask of its real minutes (1,380, 1,440 or 1,500 of them,
daylight-saving changes included): bit ``i`` is minute ``i`` after the day's first instant. A
resource's free minutes that day are its working hours ∩ the opening hours minus closures,
unavailability and bookings, found by bisecting the sorted lists, so a year of bookings costs a
logarithm, not a scan. "Free for ``k`` consecutive minutes from here" is a handful of shift-and
operations on that mask, and appointments start on the clinic's local slot grid.

An occupancy is a working copy: :meth:`Occupancy.book` adds a slot (the optimiser books as it
goes); :meth:`Occupancy.copy` gives an independent one.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from operator import sub

from microneedling.scheduling.clinic_calendar import (
    MINUTES_PER_DAY,
    WEEKDAYS,
    AppointmentLength,
    Booking,
    ClinicCalendar,
    Period,
    TimeRange,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_minute(instant: datetime) -> int:
    """Whole minutes since 1970-01-01 UTC, rounded down."""
    return math.floor(instant.timestamp() / 60)


def to_minute_ceil(instant: datetime) -> int:
    """Whole minutes since 1970-01-01 UTC, rounded up."""
    return math.ceil(instant.timestamp() / 60)


def from_minute(minute: int) -> datetime:
    return EPOCH + timedelta(minutes=minute)


def run_starts(mask: int, length: int) -> int:
    """Bits ``i`` of ``mask`` where bits ``i .. i+length-1`` are all set."""
    result = mask
    span = 1
    while span < length and result:
        step = min(span, length - span)
        result &= result >> step
        span += step
    return result


def _bits(low: int, high: int) -> int:
    """Bits ``low .. high-1`` set."""
    return ((1 << (high - low)) - 1) << low if high > low else 0


def _overlaps(interval: tuple[int, int], low: int, high: int) -> bool:
    return interval[0] < high and interval[1] > low


def _lowest_bit(mask: int) -> int:
    return (mask & -mask).bit_length() - 1


class _Timeline:
    """Sorted, possibly touching intervals ``[start, end)`` of epoch minutes."""

    __slots__ = ("ends", "longest", "starts")

    def __init__(self, pairs: Iterable[tuple[int, int]] = ()) -> None:
        ordered = sorted(pairs)
        self.starts = [s for s, _ in ordered]
        self.ends = [e for _, e in ordered]
        self.longest = max(map(sub, self.ends, self.starts), default=0)

    def copy(self) -> _Timeline:
        twin = _Timeline()
        twin.starts, twin.ends, twin.longest = list(self.starts), list(self.ends), self.longest
        return twin

    def add(self, start: int, end: int) -> None:
        index = bisect_left(self.starts, start)
        self.starts.insert(index, start)
        self.ends.insert(index, end)
        self.longest = max(self.longest, end - start)

    def remove(self, start: int, end: int) -> bool:
        """Take out one interval ``[start, end)``; whether there was one (``longest`` stays an
        upper bound)."""
        starts, ends = self.starts, self.ends
        index = bisect_left(starts, start)
        while index < len(starts) and starts[index] == start:
            if ends[index] == end:
                del starts[index], ends[index]
                return True
            index += 1
        return False

    def mask(self, low: int, high: int) -> int:
        """The busy minutes of ``[low, high)`` as bits relative to ``low``."""
        starts, ends = self.starts, self.ends
        index = bisect_left(starts, low - self.longest)
        count = len(starts)
        result = 0
        while index < count:
            start = starts[index]
            if start >= high:
                break
            end = ends[index]
            if end > low:
                lo = start - low if start > low else 0
                hi = (end if end < high else high) - low
                result |= ((1 << (hi - lo)) - 1) << lo
            index += 1
        return result


@dataclass(frozen=True, slots=True)
class Weights:
    """Penalty points for what a patient or the clinic would rather not have (lower is better).

    ``per_day_off_default``: each day a session lies away from the default interval;
    ``per_day_first_delay``: each day the first session lies after its earliest date; ``weekday`` /
    ``time_of_day`` / ``practitioner``: outside the patient's preferred weekdays, times, practitioner;
    ``continuity``: a different practitioner than at the previous session (when none is preferred).
    """

    per_day_off_default: int = 2
    per_day_first_delay: int = 1
    weekday: int = 10
    time_of_day: int = 6
    practitioner: int = 8
    continuity: int = 3


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True, slots=True)
class SlotRequest:
    """What one appointment needs, and what would be nice.

    ``practitioners``: only these may do it (a hard rule, e.g. a trained subset); ``None``: anyone.
    ``preferred_times``: local ranges the whole visit (without turnover) should fall in.
    """

    length: AppointmentLength
    preferred_times: tuple[TimeRange, ...] = ()
    preferred_practitioner: str | None = None
    practitioners: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Slot:
    """A concrete time with a practitioner, a room and (when the clinic lists devices) a device.

    ``end`` is when the patient leaves; ``free_at`` when the resources are free again.
    """

    start: datetime
    end: datetime
    free_at: datetime
    practitioner_id: str
    room_id: str
    device_id: str | None

    def booking(self, reference: str = "", patient_id: str | None = None) -> Booking:
        return Booking(
            self.start,
            self.free_at,
            self.practitioner_id,
            self.room_id,
            self.device_id,
            reference,
            patient_id,
        )


@dataclass(frozen=True, slots=True)
class DayFrame:
    """A local day as real minutes: where it starts, how long it is, when the clinic is open."""

    day: date
    start: int  # epoch minute of the day's first instant
    length: int  # 1440, or 1380/1500 on a daylight-saving change
    open: int  # opening hours minus closures
    grid: int  # allowed start minutes (the local slot grid) within the opening hours
    closures: tuple[Period, ...]  # closures touching the day


class _DayFree:
    """Cached free masks of one day, per practitioner, room and device (``None``: not yet)."""

    __slots__ = ("devices", "practitioners", "rooms", "starts")

    def __init__(self, practitioners: int, rooms: int, devices: int) -> None:
        self.practitioners: list[int | None] = [None] * practitioners
        self.rooms: list[int | None] = [None] * rooms
        self.devices: list[int | None] = [None] * devices
        self.starts: dict[int, int] = {}  # room-and-device start mask per blocked length


#: Booked time given as whole epoch minutes ``(start, end, practitioner_id, room_id,
#: device_id)``, end exclusive (what a database load gives without making a :class:`Booking`).
Span = tuple[int, int, str | None, str | None, str | None]


class Occupancy:
    """Booked and unavailable time of every resource of ``calendar``: ``bookings``, and
    ``spans`` (the same as plain minutes, unchecked; the end must lie after the start).

    Bookings of practitioners, rooms or devices the calendar does not list are ignored (they
    cannot be scheduled anyway); a booking without a practitioner only blocks its room and device.
    """

    def __init__(
        self,
        calendar: ClinicCalendar,
        bookings: Iterable[Booking] = (),
        *,
        spans: Iterable[Span] = (),
    ) -> None:
        self.calendar = calendar
        self._practitioner_ids = tuple(p.id for p in calendar.practitioners)
        self._room_ids = tuple(r.id for r in calendar.rooms)
        self._device_ids = tuple(d.id for d in calendar.devices)
        p_index = {pid: i for i, pid in enumerate(self._practitioner_ids)}
        r_index = {rid: i for i, rid in enumerate(self._room_ids)}
        d_index = {did: i for i, did in enumerate(self._device_ids)}
        self._index = (p_index, r_index, d_index)
        p_pairs: list[list[tuple[int, int]]] = [[] for _ in p_index]
        r_pairs: list[list[tuple[int, int]]] = [[] for _ in r_index]
        d_pairs: list[list[tuple[int, int]]] = [[] for _ in d_index]
        p_get, r_get, d_get = p_index.get, r_index.get, d_index.get
        for booking in bookings:
            # Whole minutes: the start rounded down, the end up.
            span = (int(booking.start.timestamp() // 60), -int(-booking.end.timestamp() // 60))
            i = p_get(booking.practitioner_id or "")
            if i is not None:
                p_pairs[i].append(span)
            i = r_get(booking.room_id or "")
            if i is not None:
                r_pairs[i].append(span)
            i = d_get(booking.device_id or "")
            if i is not None:
                d_pairs[i].append(span)
        for start, end, practitioner, room, device in spans:
            span = (start, end)
            i = p_get(practitioner or "")
            if i is not None:
                p_pairs[i].append(span)
            i = r_get(room or "")
            if i is not None:
                r_pairs[i].append(span)
            i = d_get(device or "")
            if i is not None:
                d_pairs[i].append(span)
        self._booked = (
            [_Timeline(items) for items in p_pairs],
            [_Timeline(items) for items in r_pairs],
            [_Timeline(items) for items in d_pairs],
        )
        self._unavailable = (
            [self._timeline(p.absences) for p in calendar.practitioners],
            [self._timeline(r.unavailable) for r in calendar.rooms],
            [self._timeline(d.unavailable) for d in calendar.devices],
        )
        self._closures = [(self._period_minutes(p), p) for p in calendar.closures]
        self._closed = _Timeline(span for span, _ in self._closures)
        # Devices usable in each room (room limits only), and whether any device is limited to
        # some practitioners (then the room-and-device mask is per practitioner).
        self._room_devices = tuple(
            tuple(
                i
                for i, device in enumerate(calendar.devices)
                if device.rooms is None or room.id in device.rooms
            )
            for room in calendar.rooms
        )
        self._per_practitioner = any(d.practitioners is not None for d in calendar.devices)
        self._frames: dict[int, DayFrame] = {}
        self._hours: dict[tuple[int, int], int] = {}
        self._free: dict[int, _DayFree] = {}
        # Free time cached per day may be shared with copies (see ``copy``): ``_lent`` once this
        # occupancy's own days are shared (from then on they are dropped, never changed in
        # place); ``_shared``: the days of the occupancy this one was copied from, good for
        # every day not in ``_dirty`` (the days this one has changed since).
        self._lent = False
        self._shared: dict[int, _DayFree] | None = None
        self._dirty: set[int] = set()

    def _timeline(self, periods: Sequence[Period]) -> _Timeline:
        return _Timeline(self._period_minutes(p) for p in periods)

    def _period_minutes(self, period: Period) -> tuple[int, int]:
        if period.whole_days:
            return (
                to_minute(self.calendar.day_start(period.start)),
                to_minute(self.calendar.day_start(period.end + timedelta(days=1))),
            )
        assert isinstance(period.start, datetime) and isinstance(period.end, datetime)
        return to_minute(period.start), to_minute_ceil(period.end)

    def copy(self) -> Occupancy:
        """An independent working copy (bookings added to it do not touch this one).

        The copy starts from this one's cached free time: a day's masks are computed once for
        both, until either changes that day (it then computes its own; a day's cache that is
        shared is only ever filled in, never changed)."""
        twin = Occupancy.__new__(Occupancy)
        twin.__dict__.update(self.__dict__)
        practitioners, rooms, devices = self._booked
        twin._booked = (
            [line.copy() for line in practitioners],
            [line.copy() for line in rooms],
            [line.copy() for line in devices],
        )
        if self._shared is None:
            self._lent = True
            twin._shared = self._free
            twin._dirty = set()
        else:
            twin._dirty = set(self._dirty)
        twin._free = {}
        twin._lent = False
        return twin

    def _forget_days(
        self, first: int, last: int, touched: Sequence[tuple[int, int]] | None = None
    ) -> None:
        """Cached free time of days ``first``..``last`` (ordinals) is out of date: of the
        ``touched`` (kind, index) resources, or all."""
        self._dirty.update(range(first, last + 1))
        if self._lent:
            self._free = {day: c for day, c in self._free.items() if not first <= day <= last}
            return
        for ordinal in range(first, last + 1):
            cache = self._free.get(ordinal)
            if cache is None:
                continue
            if touched is None:
                del self._free[ordinal]
                continue
            for kind, index in touched:
                (cache.practitioners, cache.rooms, cache.devices)[kind][index] = None
            cache.starts.clear()

    # -- days ---------------------------------------------------------------------------------

    def frame(self, day: date) -> DayFrame:
        ordinal = day.toordinal()
        frame = self._frames.get(ordinal)
        if frame is None:
            frame = self._build_frame(day)
            self._frames[ordinal] = frame
        return frame

    def _build_frame(self, day: date) -> DayFrame:
        calendar = self.calendar
        start = to_minute(calendar.day_start(day))
        length = to_minute(calendar.day_start(day + timedelta(days=1))) - start
        hours = self._local_mask(day, start, length, calendar.opening_hours.on(day.weekday()))
        open_mask = hours & ~self._closed.mask(start, start + length)
        step = calendar.slot_minutes
        if length == MINUTES_PER_DAY:
            grid = _grid(step)
        else:
            # A daylight-saving day: the grid follows the local wall clock.
            grid = 0
            zone = calendar.zone
            for offset in range(0, length, 5):
                local = from_minute(start + offset).astimezone(zone)
                if (local.hour * 60 + local.minute) % step == 0:
                    grid |= 1 << offset
        closures = tuple(
            period for span, period in self._closures if _overlaps(span, start, start + length)
        )
        return DayFrame(day, start, length, open_mask, grid & open_mask, closures)

    def _local_mask(self, day: date, start: int, length: int, ranges: Sequence[TimeRange]) -> int:
        """Local wall-clock ranges on ``day`` as a mask of the day's real minutes."""
        mask = 0
        uniform = length == MINUTES_PER_DAY
        for item in ranges:
            if uniform:
                low, high = item.start_minute, item.end_minute
            else:
                low = self._offset(day, start, length, item.start_minute)
                high = self._offset(day, start, length, item.end_minute)
            mask |= _bits(max(low, 0), min(high, length))
        return mask

    def _offset(self, day: date, start: int, length: int, local_minute: int) -> int:
        if local_minute >= MINUTES_PER_DAY:
            return length
        at = time(local_minute // 60, local_minute % 60)
        return to_minute(self.calendar.local_to_utc(day, at)) - start

    def preferred_mask(self, day: date, ranges: Sequence[TimeRange]) -> int:
        """Local ``ranges`` on ``day`` as a mask of its real minutes."""
        frame = self.frame(day)
        return self._local_mask(day, frame.start, frame.length, ranges)

    # -- free time ----------------------------------------------------------------------------

    def _day_free(self, frame: DayFrame) -> _DayFree:
        ordinal = frame.day.toordinal()
        cache = self._free.get(ordinal)
        if cache is None:
            shared = self._shared
            if shared is not None and ordinal not in self._dirty:
                cache = shared.get(ordinal)
                if cache is None:
                    cache = shared.setdefault(ordinal, self._new_day_free())
                return cache
            cache = self._new_day_free()
            self._free[ordinal] = cache
        return cache

    def _new_day_free(self) -> _DayFree:
        return _DayFree(len(self._practitioner_ids), len(self._room_ids), len(self._device_ids))

    def _working(self, index: int, frame: DayFrame) -> int:
        """Practitioner ``index``'s working minutes on the day: hours ∩ open, minus absences."""
        key = (index, frame.day.toordinal())
        mask = self._hours.get(key)
        if mask is None:
            practitioner = self.calendar.practitioners[index]
            weekday = frame.day.weekday()
            ranges = practitioner.working_hours.on(weekday)
            if frame.length == MINUTES_PER_DAY:
                weekly = self._hours.get((index, -1 - weekday))
                if weekly is None:
                    weekly = self._local_mask(frame.day, frame.start, frame.length, ranges)
                    self._hours[(index, -1 - weekday)] = weekly
                mask = weekly & frame.open
            else:
                mask = self._local_mask(frame.day, frame.start, frame.length, ranges) & frame.open
            if mask:
                mask &= ~self._unavailable[0][index].mask(frame.start, frame.start + frame.length)
            self._hours[key] = mask
        return mask

    def practitioner_free(self, index: int, frame: DayFrame) -> int:
        cache = self._day_free(frame)
        mask = cache.practitioners[index]
        if mask is None:
            mask = self._working(index, frame)
            if mask:
                mask &= ~self._booked[0][index].mask(frame.start, frame.start + frame.length)
            cache.practitioners[index] = mask
        return mask

    def room_free(self, index: int, frame: DayFrame) -> int:
        cache = self._day_free(frame)
        mask = cache.rooms[index]
        if mask is None:
            mask = self._resource_free(1, index, frame)
            cache.rooms[index] = mask
        return mask

    def device_free(self, index: int, frame: DayFrame) -> int:
        cache = self._day_free(frame)
        mask = cache.devices[index]
        if mask is None:
            mask = self._resource_free(2, index, frame)
            cache.devices[index] = mask
        return mask

    def _resource_free(self, kind: int, index: int, frame: DayFrame) -> int:
        mask = frame.open
        if mask:
            low, high = frame.start, frame.start + frame.length
            mask &= ~self._booked[kind][index].mask(low, high)
            mask &= ~self._unavailable[kind][index].mask(low, high)
        return mask

    def working_minutes(self, day: date) -> dict[str, int]:
        """Each practitioner's working minutes on ``day`` (open, not absent), bookings ignored."""
        frame = self.frame(day)
        return {
            pid: self._working(index, frame).bit_count()
            for index, pid in enumerate(self._practitioner_ids)
        }

    def free_minutes(self, day: date) -> dict[str, int]:
        """Free minutes on ``day`` per practitioner, room and device (keys ``p:``/``r:``/``d:``)."""
        frame = self.frame(day)
        result = {
            f"p:{pid}": self.practitioner_free(index, frame).bit_count()
            for index, pid in enumerate(self._practitioner_ids)
        }
        for index, rid in enumerate(self._room_ids):
            result[f"r:{rid}"] = self.room_free(index, frame).bit_count()
        for index, did in enumerate(self._device_ids):
            result[f"d:{did}"] = self.device_free(index, frame).bit_count()
        return result

    # -- searching ----------------------------------------------------------------------------

    def _device_starts(self, frame: DayFrame, blocked: int) -> list[int]:
        return [
            run_starts(self.device_free(i, frame), blocked) for i in range(len(self._device_ids))
        ]

    def _room_starts(self, frame: DayFrame, blocked: int) -> list[int]:
        return [run_starts(self.room_free(i, frame), blocked) for i in range(len(self._room_ids))]

    def _shared_starts(self, frame: DayFrame, blocked: int) -> int | None:
        """Starts with a room and a usable device free for ``blocked`` minutes, when that does
        not depend on the practitioner (``None`` when it does)."""
        if self._per_practitioner:
            return None
        cache = self._day_free(frame)
        mask = cache.starts.get(blocked)
        if mask is None:
            rooms = self._room_starts(frame, blocked)
            mask = 0
            if not self._device_ids:
                for room_mask in rooms:
                    mask |= room_mask
            else:
                devices = self._device_starts(frame, blocked)
                for room_mask, usable in zip(rooms, self._room_devices, strict=True):
                    if room_mask:
                        device_mask = 0
                        for i in usable:
                            device_mask |= devices[i]
                        mask |= room_mask & device_mask
            cache.starts[blocked] = mask
        return mask

    def _practitioner_starts(self, practitioner_id: str, frame: DayFrame, blocked: int) -> int:
        """Starts with a room and a device ``practitioner_id`` may use, free for ``blocked``."""
        shared = self._shared_starts(frame, blocked)
        if shared is not None:
            return shared
        rooms = self._room_starts(frame, blocked)
        devices = self._device_starts(frame, blocked)
        mask = 0
        for room_index, room_mask in enumerate(rooms):
            if not room_mask:
                continue
            device_mask = 0
            for i in self._room_devices[room_index]:
                if self.calendar.devices[i].usable(practitioner_id, self._room_ids[room_index]):
                    device_mask |= devices[i]
            mask |= room_mask & device_mask
        return mask

    def best_slot(
        self,
        day: date,
        request: SlotRequest,
        *,
        previous_practitioner: str | None = None,
        weights: Weights = DEFAULT_WEIGHTS,
    ) -> tuple[int, Slot] | None:
        """The best free slot on ``day`` and its penalty, or ``None`` when nothing is free.

        Best: fewest penalty points (outside the preferred times, not the preferred practitioner,
        a change of practitioner), then the earliest start, then the practitioner listed first.
        """
        frame = self.frame(day)
        if not frame.grid:
            return None
        blocked = request.length.blocked_minutes
        shared = self._shared_starts(frame, blocked)
        if shared == 0:
            return None
        preferred = None
        if request.preferred_times:
            preferred = run_starts(
                self.preferred_mask(day, request.preferred_times), request.length.patient_minutes
            )
        best: tuple[int, int, int] | None = None
        grid = frame.grid
        for index, pid in enumerate(self._practitioner_ids):
            if request.practitioners is not None and pid not in request.practitioners:
                continue
            free = self.practitioner_free(index, frame)
            if not free:
                continue
            starts = run_starts(free, blocked) & grid
            if not starts:
                continue
            starts &= (
                shared if shared is not None else self._practitioner_starts(pid, frame, blocked)
            )
            if not starts:
                continue
            penalty = 0
            if request.preferred_practitioner is not None:
                if pid != request.preferred_practitioner:
                    penalty += weights.practitioner
            elif previous_practitioner is not None and pid != previous_practitioner:
                penalty += weights.continuity
            if preferred is not None:
                inside = starts & preferred
                if inside:
                    starts = inside
                else:
                    penalty += weights.time_of_day
            candidate = (penalty, _lowest_bit(starts), index)
            if best is None or candidate < best:
                best = candidate
                if candidate[0] == 0 and candidate[1] == _lowest_bit(grid):
                    break
        if best is None:
            return None
        penalty, offset, index = best
        return penalty, self._slot_at(frame, offset, index, request.length)

    def _slot_at(
        self,
        frame: DayFrame,
        offset: int,
        practitioner_index: int,
        length: AppointmentLength,
        prefer_room: str | None = None,
        prefer_device: str | None = None,
    ) -> Slot:
        pid = self._practitioner_ids[practitioner_index]
        blocked = length.blocked_minutes
        bit = 1 << offset
        devices = self.calendar.devices
        rooms = sorted(range(len(self._room_ids)), key=lambda i: self._room_ids[i] != prefer_room)
        for room_index in rooms:
            if not run_starts(self.room_free(room_index, frame), blocked) & bit:
                continue
            room_id = self._room_ids[room_index]
            device_id: str | None = None
            if devices:
                usable = [
                    self._device_ids[i]
                    for i in self._room_devices[room_index]
                    if devices[i].usable(pid, room_id)
                    and run_starts(self.device_free(i, frame), blocked) & bit
                ]
                if not usable:
                    continue
                device_id = prefer_device if prefer_device in usable else usable[0]
            start = frame.start + offset
            return Slot(
                start=from_minute(start),
                end=from_minute(start + length.patient_minutes),
                free_at=from_minute(start + blocked),
                practitioner_id=pid,
                room_id=room_id,
                device_id=device_id,
            )
        raise AssertionError("a start in the combined mask has a room and a device")

    def slot_starting(
        self,
        start: datetime,
        length: AppointmentLength,
        *,
        practitioner_id: str | None = None,
        room_id: str | None = None,
        device_id: str | None = None,
        practitioners: frozenset[str] | None = None,
    ) -> Slot | None:
        """A slot starting exactly at ``start`` (off the grid allowed), or ``None``.

        The given practitioner, room and device are preferred when they are free; otherwise any
        free ones (among ``practitioners`` when given).
        """
        day = self.calendar.local_day(start)
        frame = self.frame(day)
        offset = to_minute(start) - frame.start
        blocked = length.blocked_minutes
        if not 0 <= offset < frame.length:
            return None
        bit = 1 << offset
        order = sorted(
            range(len(self._practitioner_ids)),
            key=lambda i: self._practitioner_ids[i] != practitioner_id,
        )
        for index in order:
            pid = self._practitioner_ids[index]
            if practitioners is not None and pid not in practitioners:
                continue
            if not run_starts(self.practitioner_free(index, frame), blocked) & bit:
                continue
            if self._practitioner_starts(pid, frame, blocked) & bit:
                return self._slot_at(frame, offset, index, length, room_id, device_id)
        return None

    def free_slots(
        self, day: date, length: AppointmentLength, *, practitioner_id: str | None = None
    ) -> list[Slot]:
        """Every free grid start on ``day`` (per practitioner, with the first free room/device)."""
        frame = self.frame(day)
        blocked = length.blocked_minutes
        result = []
        for index, pid in enumerate(self._practitioner_ids):
            if practitioner_id is not None and pid != practitioner_id:
                continue
            starts = run_starts(self.practitioner_free(index, frame), blocked) & frame.grid
            starts &= self._practitioner_starts(pid, frame, blocked)
            while starts:
                offset = _lowest_bit(starts)
                starts &= starts - 1
                result.append(self._slot_at(frame, offset, index, length))
        order = {pid: i for i, pid in enumerate(self._practitioner_ids)}
        result.sort(key=lambda s: (s.start, order[s.practitioner_id]))
        return result

    def why_no_slot(self, day: date, request: SlotRequest) -> str:
        """Why ``day`` has no slot for ``request``, in the clinic's words."""
        frame = self.frame(day)
        weekday = WEEKDAYS[day.weekday()]
        if not self.calendar.opening_hours.on(day.weekday()):
            return f"the clinic is not open on {weekday}s"
        if not frame.open:
            reasons = ", ".join(dict.fromkeys(p.reason for p in frame.closures if p.reason))
            return "the clinic is closed" + (f" ({reasons})" if reasons else "")
        allowed = [
            (index, pid)
            for index, pid in enumerate(self._practitioner_ids)
            if request.practitioners is None or pid in request.practitioners
        ]
        working = [(i, pid) for i, pid in allowed if self._working(i, frame)]
        if not working:
            absent = [
                pid
                for _, pid in allowed
                if self.calendar.practitioner(pid).working_hours.on(day.weekday())
            ]
            if absent:
                return "no practitioner is available (absent: " + ", ".join(absent) + ")"
            return f"no practitioner works on {weekday}s"
        blocked = request.length.blocked_minutes
        if not any(
            run_starts(self.practitioner_free(i, frame), blocked) & frame.grid for i, _ in working
        ):
            return f"fully booked (no practitioner has {blocked} free minutes)"
        if not any(self._room_starts(frame, blocked)):
            return f"fully booked (no room is free for {blocked} minutes)"
        if self._device_ids and not any(self._device_starts(frame, blocked)):
            return f"fully booked (no device is free for {blocked} minutes)"
        return "fully booked (no practitioner, room and device free at the same time)"

    # -- booking ------------------------------------------------------------------------------

    def book(self, booking: Booking | Slot) -> None:
        """Add ``booking`` to this working copy."""
        if isinstance(booking, Slot):
            booking = booking.booking()
        start, end = to_minute(booking.start), to_minute_ceil(booking.end)
        first = self.calendar.local_day(booking.start).toordinal()
        last = self.calendar.local_day(booking.end - timedelta(microseconds=1)).toordinal()
        touched: list[tuple[int, int]] = []
        for kind, key in enumerate((booking.practitioner_id, booking.room_id, booking.device_id)):
            index = self._index[kind].get(key or "")
            if index is not None:
                self._booked[kind][index].add(start, end)
                touched.append((kind, index))
        self._forget_days(first, last, touched)

    def add_span(self, span: Span) -> None:
        """Add booked time given as a :data:`Span`."""
        self._change_span(span, add=True)

    def remove_span(self, span: Span) -> bool:
        """Take out booked time added as this very :data:`Span`; whether it was there for every
        resource it names."""
        return self._change_span(span, add=False)

    def _change_span(self, span: Span, *, add: bool) -> bool:
        start, end = span[0], span[1]
        found = True
        for kind, key in enumerate(span[2:]):
            index = self._index[kind].get(key or "")
            if index is None:
                continue
            timeline = self._booked[kind][index]
            if add:
                timeline.add(start, end)
            else:
                found = timeline.remove(start, end) and found
        self._forget_days(
            self.calendar.local_day(from_minute(start)).toordinal(),
            self.calendar.local_day(from_minute(max(start, end - 1))).toordinal(),
        )
        return found

    def is_free(self, slot: Slot) -> bool:
        """Whether ``slot`` could still be booked as it is (same practitioner, room, device)."""
        frame = self.frame(self.calendar.local_day(slot.start))
        offset = to_minute(slot.start) - frame.start
        blocked = to_minute_ceil(slot.free_at) - to_minute(slot.start)
        if not 0 <= offset < frame.length:
            return False
        bit = 1 << offset
        p_index, r_index, d_index = self._index
        practitioner = p_index.get(slot.practitioner_id)
        room = r_index.get(slot.room_id)
        if practitioner is None or room is None:
            return False
        ok = bool(run_starts(self.practitioner_free(practitioner, frame), blocked) & bit)
        ok = ok and bool(run_starts(self.room_free(room, frame), blocked) & bit)
        if slot.device_id is not None:
            device = d_index.get(slot.device_id)
            ok = ok and device is not None
            ok = ok and bool(run_starts(self.device_free(device or 0, frame), blocked) & bit)
        return ok


@cache
def _grid(step: int) -> int:
    mask = 0
    for offset in range(0, MINUTES_PER_DAY, step):
        mask |= 1 << offset
    return mask

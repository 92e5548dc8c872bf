"""The clinic calendar's booked time, kept in memory between requests.

Proposing or booking a series searches the calendar of the months ahead, so it needs every
appointment holding time there: tens of thousands of rows in a busy clinic's year, whose reading
costs more than the search itself. A :class:`CalendarIndex` keeps, per database and clinic, those
rows and the :class:`~microneedling.scheduling.slots.Occupancy` built from them, and brings both up
to date from the clinic's calendar version (kept by triggers, migration 0004): only the
appointments changed since the version it holds are read again. It starts afresh when an
appointment was deleted, the calendar settings changed, the clinic's day moved on, or a use case
looks further ahead than it holds. Every use case gets a working copy of the occupancy of its own.

Only a use case that has written nothing yet in its transaction may use it (what it reads becomes
what every later request starts from); the booking itself is still checked by the reservations'
primary key, so an index that were ever behind could propose a taken slot, never book one.
After restoring a backup into the database a running server uses, restart the server.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from microneedling.scheduling.clinic_calendar import ClinicCalendar
from microneedling.scheduling.slots import Occupancy, Span
from microneedling.services.calendar_settings import LoadedCalendar
from microneedling.store.scheduling_records import HOLDING_STATUSES, SchedulingRecords

#: How far ahead of the clinic's day an index holds (a 6-session series 6 weeks apart, with its
#: search and overflow days, reaches about 330 days).
HORIZON_DAYS = 550
#: Clinics kept (least recently used first out).
MAX_CLINICS = 32

Row = Sequence[Any]


class SpanMaker:
    """A held row (:meth:`SchedulingRecords.held_rows`) as the occupancy's minute span, in the
    calendar's resource ids."""

    def __init__(self, loaded: LoadedCalendar) -> None:
        self.practitioner = {v: k for k, v in loaded.practitioner_ids.items()}.get
        self.room = {v: k for k, v in loaded.room_ids.items()}.get
        self.device = {v: k for k, v in loaded.device_ids.items()}.get

    def __call__(self, row: Row) -> Span:
        start, until = row[2], row[4]
        if until <= start:
            until = start + 60
        return (
            start // 60,
            -(-until // 60),
            self.practitioner(row[5]),
            self.room(row[6]),
            self.device(row[7]),
        )

    def spans(self, rows: Iterable[Row], skip: set[int]) -> list[Span]:
        return [self(row) for row in rows if row[0] not in skip]


@dataclass
class _Entry:
    version: int
    resets: int
    today: date
    low: int  # seconds since 1970: rows whose time ends after this
    high: int  # ... and that start before this
    calendar: ClinicCalendar
    ids: tuple[dict[str, int], dict[str, int], dict[str, int]]
    rows: dict[int, Row]  # by appointment id
    occupancy: Occupancy

    def fits(self, loaded: LoadedCalendar, today: date, resets: int, high: int) -> bool:
        return (
            self.today == today
            and self.resets == resets
            and high <= self.high
            and self.ids == _ids(loaded)
            and self.calendar == loaded.calendar
        )

    def holds(self, row: Row) -> bool:
        return (
            row[10] in HOLDING_STATUSES
            and row[4] > self.low
            and self.low - 86_400 <= row[2] < self.high
        )


def _ids(loaded: LoadedCalendar) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    return (loaded.practitioner_ids, loaded.room_ids, loaded.device_ids)


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


class CalendarIndex:
    """Per database and clinic: the rows holding time and their occupancy (see the module)."""

    def __init__(self, max_clinics: int = MAX_CLINICS) -> None:
        self._entries: OrderedDict[tuple[str, int], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_clinics
        #: How the last call was answered: "built", "updated" or "unchanged" (for tests).
        self.last = ""

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def snapshot(
        self,
        database: str,
        records: SchedulingRecords,
        loaded: LoadedCalendar,
        *,
        today: date,
        low: datetime,
        high: datetime,
    ) -> tuple[list[Row], Occupancy]:
        """The rows holding time from ``low`` to at least ``high`` (possibly further: the index
        looks :data:`HORIZON_DAYS` ahead) and a working copy of the occupancy built from them,
        as the database has them now."""
        key = (database, records.clinic_id)
        with self._lock:
            version, resets = records.calendar_state()
            entry = self._entries.get(key)
            if entry is None or not entry.fits(loaded, today, resets, _seconds(high)):
                entry = self._build(records, loaded, version, resets, today, low, high)
                self._entries[key] = entry
                while len(self._entries) > self._max:
                    self._entries.popitem(last=False)
                self.last = "built"
            elif version != entry.version:
                self._update(entry, records, loaded, version)
                self.last = "updated"
            else:
                self.last = "unchanged"
            self._entries.move_to_end(key)
            occupancy = entry.occupancy.copy()
            rows = list(entry.rows.values())
        return rows, occupancy

    def _build(
        self,
        records: SchedulingRecords,
        loaded: LoadedCalendar,
        version: int,
        resets: int,
        today: date,
        low: datetime,
        high: datetime,
    ) -> _Entry:
        until = max(high, loaded.calendar.day_start(today + timedelta(days=HORIZON_DAYS)))
        rows = records.held_rows(low, until)
        return _Entry(
            version=version,
            resets=resets,
            today=today,
            low=_seconds(low),
            high=_seconds(until),
            calendar=loaded.calendar,
            ids=_ids(loaded),
            rows={row[0]: row for row in rows},
            occupancy=Occupancy(loaded.calendar, spans=SpanMaker(loaded).spans(rows, set())),
        )

    def _update(
        self, entry: _Entry, records: SchedulingRecords, loaded: LoadedCalendar, version: int
    ) -> None:
        # The entry fits ``loaded`` (same resource ids), so a row's span is made again the same.
        make = SpanMaker(loaded)
        for row in records.changed_rows(entry.version):
            old = entry.rows.pop(row[0], None)
            if old is not None:
                entry.occupancy.remove_span(make(old))
            if entry.holds(row):
                entry.rows[row[0]] = row
                entry.occupancy.add_span(make(row))
        entry.version = version


#: The index of this process.
CALENDAR_INDEX = CalendarIndex()

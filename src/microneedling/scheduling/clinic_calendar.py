"""The clinic's calendar as frozen values, and local ↔ UTC conversion.

A :class:`ClinicCalendar` holds the clinic's time zone (an IANA name such as ``Europe/Berlin``),
its opening hours per weekday (several intervals a day allowed), closures and holidays, the
practitioners with their working hours and absences, the rooms, the devices (optionally limited to
some rooms or practitioners), the appointment-length rules and the slot granularity. Existing
appointments are :class:`Booking` records: start and end in UTC, practitioner, room, device.

Times of day (opening hours, working hours, a patient's preferred times) are the clinic's local wall
clock; instants are aware ``datetime`` values, normalised to UTC. Converting a local time on a given
day to an instant follows RFC 5545 (section 3.3.5), which is also what Python's ``fold=0`` does:

- a local time that does not exist (the spring-forward gap, e.g. 02:30 on the last Sunday of March
  in Berlin) is read with the UTC offset from before the gap, so it lands after the gap by the gap's
  length (02:30 becomes 03:30 summer time);
- a local time that occurs twice (the autumn fall-back hour) means its first occurrence.

Because every day is converted on its own, a 09:00 opening stays 09:00 local across a change, and a
day with a change is 23 or 25 hours long.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from microneedling.errors import SchedulingError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MINUTES_PER_DAY = 24 * 60

AreaSize = Literal["small", "medium", "large"]

#: Procedure minutes per treated-area size (REFERENCE.md A.4: "procedure 20–30 minutes").
DEFAULT_PROCEDURE_MINUTES: Mapping[str, int] = MappingProxyType(
    {"small": 20, "medium": 25, "large": 30}
)
#: Area size of each zone (the same sizes as the demo price list).
DEFAULT_ZONE_AREAS: Mapping[str, str] = MappingProxyType(
    {
        "forehead": "small",
        "glabella": "small",
        "periorbital": "small",
        "nose": "small",
        "perioral": "small",
        "chin": "small",
        "jawline": "small",
        "hands": "small",
        "cheeks": "medium",
        "neck": "medium",
        "decolletage": "medium",
        "scalp": "large",
        "arms": "large",
        "abdomen": "large",
        "back": "large",
        "buttocks": "large",
        "thighs": "large",
    }
)


_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_RANGE_SEPARATORS = re.compile(r"\s*[-–]\s*")


def _parse_time(text: str, where: str) -> time:
    match = _TIME.match(text)
    if match is None:
        raise SchedulingError(f"expected a time as HH:MM, got {text!r}", field=where)
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour == 24 and minute == 0:
        return time(0)  # midnight at the end of the day (only meaningful as an end)
    if hour > 23 or minute > 59:
        raise SchedulingError(f"{text!r} is not a time of day", field=where)
    return time(hour, minute)


def _minute_of(at: time) -> int:
    return at.hour * 60 + at.minute


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A stretch of local wall-clock time within one day, ``[start, end)``.

    An ``end`` of 00:00 means midnight at the end of the day. Times are whole minutes.
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        for value in (self.start, self.end):
            if value.tzinfo is not None or value.second or value.microsecond:
                raise SchedulingError(
                    f"times of day are local whole minutes without a time zone, got {value}"
                )
        if self.start_minute >= self.end_minute:
            raise SchedulingError(
                f"a time range must end after it starts ({self.start:%H:%M}–{self.end:%H:%M})"
            )

    @property
    def start_minute(self) -> int:
        """Minutes after local midnight."""
        return _minute_of(self.start)

    @property
    def end_minute(self) -> int:
        """Minutes after local midnight (1440 for an end at midnight)."""
        return _minute_of(self.end) or MINUTES_PER_DAY

    @classmethod
    def parse(cls, text: str, where: str = "time range") -> TimeRange:
        """``"09:00-17:30"`` (a hyphen or an en dash; ``24:00`` for midnight at the end)."""
        parts = _RANGE_SEPARATORS.split(text.strip())
        if len(parts) != 2:
            raise SchedulingError(f"expected HH:MM-HH:MM, got {text!r}", field=where)
        start, end = _parse_time(parts[0], where), _parse_time(parts[1], where)
        try:
            return cls(start, end)
        except SchedulingError as error:
            raise SchedulingError(error.message, field=where) from None

    def __str__(self) -> str:
        end = "24:00" if self.end_minute == MINUTES_PER_DAY else f"{self.end:%H:%M}"
        return f"{self.start:%H:%M}-{end}"


def weekday_numbers(text: str, where: str = "weekday") -> list[int]:
    """Weekday numbers (0 = Monday) of ``monday``, ``mon``, or a run such as ``monday-friday``."""
    parts = _RANGE_SEPARATORS.split(text.strip().lower())

    def index(name: str) -> int:
        for number, weekday in enumerate(WEEKDAYS):
            if name == weekday or (len(name) >= 3 and weekday.startswith(name)):
                return number
        raise SchedulingError(f"unknown weekday {name!r}", field=where)

    if len(parts) == 1:
        return [index(parts[0])]
    if len(parts) == 2:
        first, last = index(parts[0]), index(parts[1])
        if last < first:
            raise SchedulingError(f"weekday run {text!r} goes backwards", field=where)
        return list(range(first, last + 1))
    raise SchedulingError(f"expected a weekday or a run of weekdays, got {text!r}", field=where)


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Time ranges per weekday, Monday first; an empty tuple is a day off.

    Ranges within a day are sorted and do not overlap (touching ranges are merged).
    """

    days: tuple[tuple[TimeRange, ...], ...]

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise SchedulingError("weekly hours need exactly seven days, Monday first")
        merged: list[tuple[TimeRange, ...]] = []
        for number, ranges in enumerate(self.days):
            ordered = sorted(ranges, key=lambda r: r.start_minute)
            day: list[TimeRange] = []
            for item in ordered:
                if day and item.start_minute < day[-1].end_minute:
                    raise SchedulingError(
                        f"overlapping hours on {WEEKDAYS[number]}: {day[-1]} and {item}"
                    )
                if day and item.start_minute == day[-1].end_minute:
                    day[-1] = TimeRange(day[-1].start, item.end)
                else:
                    day.append(item)
            merged.append(tuple(day))
        object.__setattr__(self, "days", tuple(merged))

    def on(self, weekday: int) -> tuple[TimeRange, ...]:
        """The ranges on ``weekday`` (0 = Monday)."""
        return self.days[weekday]

    @classmethod
    def parse(cls, data: Mapping[str, str | Sequence[str]], where: str = "hours") -> WeeklyHours:
        """From ``{"monday-friday": "09:00-13:00, 14:00-18:00", "saturday": ["09:00-13:00"]}``.

        Weekdays not named are days off; a weekday named twice is an error.
        """
        if not isinstance(data, Mapping):
            raise SchedulingError("expected weekdays mapped to time ranges", field=where)
        days: list[list[TimeRange]] = [[] for _ in WEEKDAYS]
        seen: set[int] = set()
        for key, value in data.items():
            place = f"{where}.{key}"
            numbers = weekday_numbers(str(key), place)
            if seen & set(numbers):
                raise SchedulingError("a weekday is given twice", field=place)
            seen.update(numbers)
            texts = value.split(",") if isinstance(value, str) else list(value)
            ranges = [TimeRange.parse(str(text), place) for text in texts if str(text).strip()]
            for number in numbers:
                days[number].extend(ranges)
        try:
            return cls(tuple(tuple(day) for day in days))
        except SchedulingError as error:
            raise SchedulingError(error.message, field=where) from None

    @classmethod
    def every(cls, weekdays: Iterable[int], *ranges: str) -> WeeklyHours:
        """The same ranges (``"09:00-17:00"``) on each of ``weekdays`` (0 = Monday)."""
        chosen = set(weekdays)
        parsed = tuple(TimeRange.parse(text) for text in ranges)
        return cls(tuple(parsed if number in chosen else () for number in range(7)))


@dataclass(frozen=True, slots=True)
class Period:
    """A closure, holiday, absence or downtime.

    Either whole local days, ``start`` and ``end`` being dates (both included), or an exact span of
    time, both being aware datetimes (``end`` excluded). ``reason`` is shown to staff when the
    period is why a session cannot be booked.
    """

    start: date
    end: date
    reason: str = ""

    def __post_init__(self) -> None:
        start_is_instant = isinstance(self.start, datetime)
        if start_is_instant != isinstance(self.end, datetime):
            raise SchedulingError("a period is either two dates or two datetimes, not a mix")
        if start_is_instant:
            start, end = cast(datetime, self.start), cast(datetime, self.end)
            if start.tzinfo is None or end.tzinfo is None:
                raise SchedulingError("a period given in datetimes needs a time zone (UTC offset)")
            object.__setattr__(self, "start", start.astimezone(UTC))
            object.__setattr__(self, "end", end.astimezone(UTC))
            if end <= start:
                raise SchedulingError("a period must end after it starts")
        elif self.end < self.start:
            raise SchedulingError(
                f"a period's last day ({self.end}) is before its first ({self.start})"
            )

    @property
    def whole_days(self) -> bool:
        return not isinstance(self.start, datetime)

    @classmethod
    def days(cls, first: date, last: date | None = None, reason: str = "") -> Period:
        """Whole local days from ``first`` to ``last`` (both included; one day by default)."""
        return cls(first, last if last is not None else first, reason)


@dataclass(frozen=True, slots=True)
class Practitioner:
    """Who needles. ``working_hours`` are local; ``absences`` are days off, training, illness."""

    id: str
    working_hours: WeeklyHours
    absences: tuple[Period, ...] = ()
    name: str = ""


@dataclass(frozen=True, slots=True)
class Room:
    id: str
    name: str = ""
    unavailable: tuple[Period, ...] = ()


@dataclass(frozen=True, slots=True)
class Device:
    """A microneedling device. ``rooms`` / ``practitioners``: where and by whom it may be used
    (``None``: anywhere, anyone). ``unavailable``: servicing and repairs."""

    id: str
    name: str = ""
    rooms: frozenset[str] | None = None
    practitioners: frozenset[str] | None = None
    unavailable: tuple[Period, ...] = ()

    def usable(self, practitioner_id: str, room_id: str) -> bool:
        return (self.rooms is None or room_id in self.rooms) and (
            self.practitioners is None or practitioner_id in self.practitioners
        )


@dataclass(frozen=True, slots=True)
class AppointmentLength:
    """How long one session takes; the turnover blocks the resources but not the patient."""

    anaesthetic_minutes: int
    procedure_minutes: int
    turnover_minutes: int

    @property
    def patient_minutes(self) -> int:
        """From arrival (topical anaesthetic) to the end of the procedure."""
        return self.anaesthetic_minutes + self.procedure_minutes

    @property
    def blocked_minutes(self) -> int:
        """How long practitioner, room and device are taken, turnover included."""
        return self.patient_minutes + self.turnover_minutes


@dataclass(frozen=True, slots=True)
class AppointmentLengths:
    """The clinic's rules for an appointment's length (all configurable).

    Anaesthetic time (30 minutes by default, none when the patient cannot have a topical
    anaesthetic) + procedure time + turnover (10 minutes by default). The procedure takes the
    minutes of the largest treated area (20/25/30 for small/medium/large) plus
    ``additional_zone_minutes`` for each further zone, at most ``max_procedure_minutes``. A zone
    missing from ``zone_areas`` counts as ``default_area``.
    """

    anaesthetic_minutes: int = 30
    procedure_minutes: Mapping[str, int] = field(
        default_factory=lambda: DEFAULT_PROCEDURE_MINUTES, hash=False
    )
    zone_areas: Mapping[str, str] = field(default_factory=lambda: DEFAULT_ZONE_AREAS, hash=False)
    additional_zone_minutes: int = 5
    max_procedure_minutes: int = 60
    turnover_minutes: int = 10
    default_area: str = "medium"

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "procedure_minutes", MappingProxyType(dict(self.procedure_minutes))
        )
        object.__setattr__(self, "zone_areas", MappingProxyType(dict(self.zone_areas)))
        for name in ("anaesthetic_minutes", "additional_zone_minutes", "turnover_minutes"):
            value = getattr(self, name)
            if not 0 <= value <= 240:
                raise SchedulingError(f"must be 0 to 240 minutes, got {value}", field=name)
        for area, minutes in self.procedure_minutes.items():
            if not 1 <= minutes <= 480:
                raise SchedulingError(
                    f"must be 1 to 480 minutes, got {minutes}", field=f"procedure_minutes.{area}"
                )
        if self.default_area not in self.procedure_minutes:
            raise SchedulingError(
                f"no procedure minutes for the default area {self.default_area!r}",
                field="default_area",
            )
        for zone, area in self.zone_areas.items():
            if area not in self.procedure_minutes:
                raise SchedulingError(
                    f"no procedure minutes for area {area!r}", field=f"zone_areas.{zone}"
                )
        if self.max_procedure_minutes < max(self.procedure_minutes.values()):
            raise SchedulingError(
                "is shorter than the longest single-area procedure", field="max_procedure_minutes"
            )

    def length(self, zones: Iterable[str], *, anaesthetic: bool = True) -> AppointmentLength:
        """The length of a session treating ``zones``."""
        minutes = sorted(
            (
                self.procedure_minutes[self.zone_areas.get(zone, self.default_area)]
                for zone in dict.fromkeys(zones)
            ),
            reverse=True,
        )
        if not minutes:
            raise SchedulingError("a session needs at least one zone", field="zones")
        procedure = min(
            minutes[0] + self.additional_zone_minutes * (len(minutes) - 1),
            self.max_procedure_minutes,
        )
        return AppointmentLength(
            anaesthetic_minutes=self.anaesthetic_minutes if anaesthetic else 0,
            procedure_minutes=procedure,
            turnover_minutes=self.turnover_minutes,
        )


def _aware_utc(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise SchedulingError(f"{what} must be a datetime with a time zone", field=what)
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Booking:
    """An existing appointment (or any other booked time) as a plain record.

    ``start`` and ``end`` are normalised to UTC; ``end`` is when the resources are free again
    (turnover included). ``reference`` identifies the appointment in the clinic's records.
    """

    start: datetime
    end: datetime
    practitioner_id: str | None
    room_id: str | None
    device_id: str | None = None
    reference: str = ""
    patient_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _aware_utc(self.start, "start"))
        object.__setattr__(self, "end", _aware_utc(self.end, "end"))
        if self.end <= self.start:
            raise SchedulingError("a booking must end after it starts", field="end")


_SLOT_MINUTES = (5, 10, 15, 20, 30, 60)


@dataclass(frozen=True, slots=True)
class ClinicCalendar:
    """Everything about the clinic that decides when a session can take place.

    ``slot_minutes``: appointments start on this local grid (from midnight). ``devices`` may be
    empty, in which case no device is booked.
    """

    time_zone: str
    opening_hours: WeeklyHours
    practitioners: tuple[Practitioner, ...]
    rooms: tuple[Room, ...]
    devices: tuple[Device, ...] = ()
    closures: tuple[Period, ...] = ()
    lengths: AppointmentLengths = field(default_factory=AppointmentLengths)
    slot_minutes: int = 15
    name: str = ""
    _zone: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
    _practitioner_index: Mapping[str, int] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if not isinstance(self.time_zone, str) or not self.time_zone:
            raise SchedulingError("expected an IANA time zone name", field="time_zone")
        try:
            zone = ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SchedulingError(
                f"unknown time zone {self.time_zone!r} (expected an IANA name such as "
                "Europe/Berlin)",
                field="time_zone",
            ) from None
        object.__setattr__(self, "_zone", zone)
        for name in ("practitioners", "rooms", "devices", "closures"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.slot_minutes not in _SLOT_MINUTES:
            raise SchedulingError(
                f"must be one of {', '.join(map(str, _SLOT_MINUTES))}", field="slot_minutes"
            )
        for kind, items in (
            ("practitioners", self.practitioners),
            ("rooms", self.rooms),
            ("devices", self.devices),
        ):
            ids = [item.id for item in items]
            for index, identifier in enumerate(ids):
                if not identifier:
                    raise SchedulingError("an id is required", field=f"{kind}[{index}].id")
                if identifier in ids[:index]:
                    raise SchedulingError(
                        f"duplicate id {identifier!r}", field=f"{kind}[{index}].id"
                    )
        room_ids = {room.id for room in self.rooms}
        practitioner_ids = {p.id for p in self.practitioners}
        for index, device in enumerate(self.devices):
            unknown_rooms = sorted((device.rooms or frozenset()) - room_ids)
            if unknown_rooms:
                raise SchedulingError(
                    f"unknown rooms {', '.join(unknown_rooms)}", field=f"devices[{index}].rooms"
                )
            unknown = sorted((device.practitioners or frozenset()) - practitioner_ids)
            if unknown:
                raise SchedulingError(
                    f"unknown practitioners {', '.join(unknown)}",
                    field=f"devices[{index}].practitioners",
                )
        object.__setattr__(
            self,
            "_practitioner_index",
            MappingProxyType({p.id: i for i, p in enumerate(self.practitioners)}),
        )

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def practitioner(self, practitioner_id: str) -> Practitioner:
        index = self._practitioner_index.get(practitioner_id)
        if index is None:
            raise SchedulingError(f"unknown practitioner {practitioner_id!r}", field="practitioner")
        return self.practitioners[index]

    def local_to_utc(self, day: date, at: time) -> datetime:
        """The instant of local wall-clock ``at`` on ``day``, in UTC (RFC 5545 rules above)."""
        return datetime.combine(day, at, tzinfo=self._zone).astimezone(UTC)

    def to_local(self, instant: datetime) -> datetime:
        """``instant`` on the clinic's wall clock."""
        return _aware_utc(instant, "instant").astimezone(self._zone)

    def local_day(self, instant: datetime) -> date:
        """The clinic's calendar day at ``instant``."""
        return self.to_local(instant).date()

    def day_start(self, day: date) -> datetime:
        """The first instant of local ``day`` (its midnight, or the end of a gap at midnight)."""
        return self.local_to_utc(day, time(0))

    def day_length(self, day: date) -> timedelta:
        """24 hours, or 23/25 on a daylight-saving change."""
        return self.day_start(day + timedelta(days=1)) - self.day_start(day)


def parse_calendar(data: Mapping[str, Any]) -> ClinicCalendar:
    """A calendar from JSON/YAML data (the shape a clinic's settings file uses)::

        {"time_zone": "Europe/Berlin", "slot_minutes": 15,
         "opening_hours": {"monday-friday": "08:00-19:00", "saturday": "09:00-14:00"},
         "closures": [{"from": "2026-12-24", "to": "2026-12-26", "reason": "Christmas"}],
         "practitioners": [{"id": "anna", "hours": {"monday-thursday": "08:00-16:30"},
                            "absences": [{"from": "2027-02-01", "to": "2027-02-05"}]}],
         "rooms": [{"id": "room-1"}],
         "devices": [{"id": "pen-1", "rooms": ["room-1"]}],
         "lengths": {"anaesthetic_minutes": 30, "turnover_minutes": 10}}

    Periods take ``from``/``to`` as dates (whole days, both included) or as datetimes with an
    offset (``to`` excluded). Errors name the field.
    """
    if not isinstance(data, Mapping):
        raise SchedulingError("a clinic calendar must be an object", field="calendar")
    known = {
        "time_zone",
        "opening_hours",
        "closures",
        "practitioners",
        "rooms",
        "devices",
        "lengths",
        "slot_minutes",
        "name",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise SchedulingError("is not a known field", field=unknown[0])

    def periods(items: Any, where: str) -> tuple[Period, ...]:
        result = []
        for index, item in enumerate(_list(items, where)):
            place = f"{where}[{index}]"
            if not isinstance(item, Mapping) or "from" not in item:
                raise SchedulingError("expected {from, to, reason}", field=place)
            first = _date_or_datetime(item["from"], f"{place}.from")
            last = _date_or_datetime(item.get("to", item["from"]), f"{place}.to")
            try:
                result.append(Period(first, last, str(item.get("reason", ""))))
            except SchedulingError as error:
                raise SchedulingError(error.message, field=place) from None
        return tuple(result)

    practitioners = []
    for index, item in enumerate(_list(data.get("practitioners"), "practitioners")):
        place = f"practitioners[{index}]"
        _require(item, ("id", "hours"), place)
        practitioners.append(
            Practitioner(
                id=str(item["id"]),
                name=str(item.get("name", "")),
                working_hours=WeeklyHours.parse(item["hours"], f"{place}.hours"),
                absences=periods(item.get("absences"), f"{place}.absences"),
            )
        )
    rooms = []
    for index, item in enumerate(_list(data.get("rooms"), "rooms")):
        place = f"rooms[{index}]"
        _require(item, ("id",), place)
        rooms.append(
            Room(
                id=str(item["id"]),
                name=str(item.get("name", "")),
                unavailable=periods(item.get("unavailable"), f"{place}.unavailable"),
            )
        )
    devices = []
    for index, item in enumerate(_list(data.get("devices"), "devices")):
        place = f"devices[{index}]"
        _require(item, ("id",), place)
        devices.append(
            Device(
                id=str(item["id"]),
                name=str(item.get("name", "")),
                rooms=frozenset(map(str, item["rooms"])) if item.get("rooms") else None,
                practitioners=frozenset(map(str, item["practitioners"]))
                if item.get("practitioners")
                else None,
                unavailable=periods(item.get("unavailable"), f"{place}.unavailable"),
            )
        )
    lengths_data = data.get("lengths") or {}
    if not isinstance(lengths_data, Mapping):
        raise SchedulingError("expected an object", field="lengths")
    known_lengths = set(AppointmentLengths.__dataclass_fields__)
    for key, value in lengths_data.items():
        if key not in known_lengths:
            raise SchedulingError("is not a known field", field=f"lengths.{key}")
        minutes = value.values() if isinstance(value, Mapping) else [value]
        if key not in ("zone_areas", "default_area") and not all(
            isinstance(m, int) and not isinstance(m, bool) for m in minutes
        ):
            raise SchedulingError("expected whole minutes", field=f"lengths.{key}")
    lengths = AppointmentLengths(**dict(lengths_data))
    if "opening_hours" not in data:
        raise SchedulingError("is required", field="opening_hours")
    slot_minutes = data.get("slot_minutes", 15)
    if not isinstance(slot_minutes, int) or isinstance(slot_minutes, bool):
        raise SchedulingError("expected whole minutes", field="slot_minutes")
    return ClinicCalendar(
        time_zone=str(data.get("time_zone", "")),
        opening_hours=WeeklyHours.parse(data["opening_hours"], "opening_hours"),
        practitioners=tuple(practitioners),
        rooms=tuple(rooms),
        devices=tuple(devices),
        closures=periods(data.get("closures"), "closures"),
        lengths=lengths,
        slot_minutes=slot_minutes,
        name=str(data.get("name", "")),
    )


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise SchedulingError("expected a list", field=where)
    return list(value)


def _require(item: Any, keys: Sequence[str], where: str) -> None:
    if not isinstance(item, Mapping):
        raise SchedulingError("expected an object", field=where)
    for key in keys:
        if key not in item:
            raise SchedulingError("is required", field=f"{where}.{key}")


def _date_or_datetime(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    text = str(value)
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        raise SchedulingError(
            f"expected YYYY-MM-DD or an ISO datetime with offset, got {text!r}", field=where
        ) from None

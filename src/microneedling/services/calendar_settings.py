"""The clinic calendar in the records: configuring it (owners), reading it, and loading it as a
:class:`~microneedling.scheduling.clinic_calendar.ClinicCalendar` for the scheduling use cases.

The settings file (YAML or JSON) has the shape :func:`~microneedling.scheduling.clinic_calendar.
parse_calendar` reads, with the clinic's own names for things::

    opening_hours: {monday-friday: "08:00-19:00", saturday: "09:00-14:00"}
    closures: [{from: 2026-12-24, to: 2026-12-26, reason: Christmas}]
    lengths: {anaesthetic_minutes: 30, turnover_minutes: 10}
    slot_minutes: 15
    practitioners:            # staff e-mails (clinicians, or owners who treat patients)
      - {id: clinician@demo.example, hours: {monday-thursday: "08:00-16:30"},
         absences: [{from: 2027-02-01, to: 2027-02-05, reason: training}]}
    rooms: [{id: room-1, name: Treatment room 1}]
    devices:                  # serial numbers of registered devices
      - {id: MP-1001, rooms: [room-1]}

The time zone is the clinic's. ``opening_hours``, ``closures``, ``lengths``, ``slot_minutes`` and
``name`` are replaced as a whole; ``practitioners``, ``rooms`` and ``devices`` replace the current
ones when present and are left as they are when not. Everything is checked together before
anything is written.

The scheduling actions (``calendar.*``, ``series.*``, ``maintenance.list``) are in the one role matrix, :data:`microneedling.services.access.PERMISSIONS`.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from microneedling.errors import NotFound, RuleViolation, SchedulingError
from microneedling.scheduling.clinic_calendar import (
    ClinicCalendar,
    Period,
    WeeklyHours,
    parse_calendar,
)
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.store import UnitOfWork
from microneedling.store.models import StaffUser
from microneedling.store.scheduling_models import (
    CalendarDevice,
    ClinicCalendarSettings,
    PractitionerHours,
    ResourceUnavailability,
    Room,
)
from microneedling.store.scheduling_records import SchedulingRecords

#: Roles whose members may be practitioners in the calendar.
PRACTITIONER_ROLES = ("clinician", "owner")
#: The clinic's choices about what its calendar files say (not part of the calendar itself):
#: ``patient_ics_includes_precare``: a patient's ``.ics`` carries the pre-care reminders of
#: their own plan (off by default: nothing clinical in a file that ends up on a phone).
CLINIC_CHOICES = ("patient_ics_includes_precare",)
SETTINGS_KEYS = ("opening_hours", "closures", "lengths", "slot_minutes", "name", *CLINIC_CHOICES)
KNOWN_KEYS = (*SETTINGS_KEYS, "time_zone", "practitioners", "rooms", "devices")


@dataclass(frozen=True)
class LoadedCalendar:
    """A clinic's calendar and the names it uses for the records' ids.

    In the calendar a practitioner is their e-mail, a room its code, a device its serial number.
    """

    calendar: ClinicCalendar
    clinic_slug: str
    practitioner_ids: dict[str, int]
    room_ids: dict[str, int]
    device_ids: dict[str, int]

    def practitioner_code(self, staff_user_id: int | None) -> str | None:
        return self._codes("p").get(staff_user_id) if staff_user_id is not None else None

    def room_code(self, room_id: int | None) -> str | None:
        return self._codes("r").get(room_id) if room_id is not None else None

    def device_code(self, device_id: int | None) -> str | None:
        return self._codes("d").get(device_id) if device_id is not None else None

    def _codes(self, kind: str) -> dict[int, str]:
        cache = self.__dict__.setdefault("_reverse", {})
        if kind not in cache:
            source = {"p": self.practitioner_ids, "r": self.room_ids, "d": self.device_ids}[kind]
            cache[kind] = {number: code for code, number in source.items()}
        codes: dict[int, str] = cache[kind]
        return codes

    def series_key(self, series_id: int) -> str:
        """The series' name in ``.ics`` UIDs: unique across clinics, stable when sessions move."""
        return f"{self.clinic_slug}-series-{series_id}"


def _jsonable(value: Any) -> Any:
    """Dates and datetimes (as YAML gives them) as ISO text; everything else as it is."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value


def _period(row: ResourceUnavailability) -> dict[str, str]:
    if row.first_day is not None and row.last_day is not None:
        first: str = row.first_day.isoformat()
        last: str = row.last_day.isoformat()
    else:
        assert row.starts_at is not None and row.ends_at is not None
        first, last = row.starts_at.isoformat(), row.ends_at.isoformat()
    return {"from": first, "to": last, "reason": row.reason}


def calendar_data(tx: Transaction, records: SchedulingRecords) -> dict[str, Any] | None:
    """The clinic's calendar as a settings document (``None`` when it was never configured)."""
    found = _calendar_parts(tx, records)
    return found[0] if found is not None else None


def _calendar_parts(
    tx: Transaction, records: SchedulingRecords
) -> tuple[dict[str, Any], dict[str, int], dict[str, int], dict[str, int]] | None:
    """The settings document, and the ids of its practitioners, rooms and devices by name."""
    settings = records.calendar_settings()
    if settings is None:
        return None
    clinic = tx.records.clinic()
    by_staff: dict[int, list[dict[str, str]]] = {}
    by_room: dict[int, list[dict[str, str]]] = {}
    by_device: dict[int, list[dict[str, str]]] = {}
    for row in records.unavailability():
        if row.staff_user_id is not None:
            by_staff.setdefault(row.staff_user_id, []).append(_period(row))
        elif row.room_id is not None:
            by_room.setdefault(row.room_id, []).append(_period(row))
        elif row.device_id is not None:
            by_device.setdefault(row.device_id, []).append(_period(row))
    staff = records.practitioners()
    practitioners = [
        {
            "id": user.email,
            "name": user.display_name,
            "hours": hours.working_hours,
            "absences": by_staff.get(user.id, []),
        }
        for user, hours in staff
    ]
    rooms = records.rooms()
    room_codes = {room.code for room in rooms}
    emails = {item["id"] for item in practitioners}
    devices = []
    device_ids = {}
    for device, placement in records.calendar_devices():
        entry: dict[str, Any] = {
            "id": device.serial_number,
            "name": f"{device.manufacturer} {device.model}",
            "unavailable": by_device.get(device.id, []),
        }
        for key, known in (("rooms", room_codes), ("practitioners", emails)):
            limited = getattr(placement, key)
            if limited:
                kept = [item for item in limited if item in known]
                if not kept:
                    break  # limited to rooms or practitioners the calendar no longer has
                entry[key] = kept
        else:
            devices.append(entry)
            device_ids[device.serial_number] = device.id
    document = {
        **settings.settings,
        "time_zone": clinic.time_zone,
        "practitioners": practitioners,
        "rooms": [
            {"id": room.code, "name": room.name, "unavailable": by_room.get(room.id, [])}
            for room in rooms
        ],
        "devices": devices,
    }
    return (
        document,
        {user.email: user.id for user, _ in staff},
        {room.code: room.id for room in rooms},
        device_ids,
    )


#: Calendars parsed lately, by their settings document (a calendar is immutable; parsing a
#: clinic's weekly hours and closures costs more than reading them).
_PARSED: OrderedDict[str, ClinicCalendar] = OrderedDict()
_PARSED_MAX = 64
_PARSED_LOCK = threading.Lock()


def _calendar_only(data: Mapping[str, Any]) -> dict[str, Any]:
    """The settings document without the clinic's choices (what ``parse_calendar`` reads)."""
    return {key: value for key, value in data.items() if key not in CLINIC_CHOICES}


def _check_choices(data: Mapping[str, Any]) -> None:
    for key in CLINIC_CHOICES:
        if key in data and not isinstance(data[key], bool):
            raise SchedulingError("expected true or false", field=key)


def patient_ics_includes_precare(records: SchedulingRecords) -> bool:
    """Whether the clinic chose to put pre-care reminders in a patient's ``.ics`` file."""
    settings = records.calendar_settings()
    return settings is not None and settings.settings.get("patient_ics_includes_precare") is True


def _parsed(data: Mapping[str, Any]) -> ClinicCalendar:
    data = _calendar_only(data)
    key = json.dumps(data, sort_keys=True, default=str)
    with _PARSED_LOCK:
        found = _PARSED.get(key)
        if found is not None:
            _PARSED.move_to_end(key)
            return found
    calendar = parse_calendar(data)
    with _PARSED_LOCK:
        _PARSED[key] = calendar
        while len(_PARSED) > _PARSED_MAX:
            _PARSED.popitem(last=False)
    return calendar


def load_calendar(tx: Transaction, records: SchedulingRecords) -> LoadedCalendar:
    """The clinic's calendar, checked; a :class:`RuleViolation` when it is not configured."""
    found = _calendar_parts(tx, records)
    if found is None:
        raise RuleViolation(
            "the clinic calendar is not configured yet: an owner sets it up first "
            "(Admin → Calendar in the web pages, or `microneedling calendar configure FILE`)",
            field="calendar",
        )
    data, practitioner_ids, room_ids, device_ids = found
    return LoadedCalendar(
        calendar=_parsed(data),
        clinic_slug=tx.records.clinic().slug,
        practitioner_ids=practitioner_ids,
        room_ids=room_ids,
        device_ids=device_ids,
    )


def scheduling_records(tx: Transaction) -> SchedulingRecords:
    return SchedulingRecords(tx.uow.session, tx.actor.clinic_id)


def read_calendar(uow: UnitOfWork, actor: Actor, *, clock: Clock = utc_now) -> dict[str, Any]:
    """The clinic's calendar as a settings document (what ``configure`` takes)."""
    with Transaction(uow, actor, "calendar.read", clock) as tx:
        data = calendar_data(tx, scheduling_records(tx))
        if data is None:
            raise NotFound("the clinic calendar is not configured yet", field="calendar")
        tx.done(entity=("clinic", actor.clinic_id))
    return data


def _practitioner(tx: Transaction, email: str, where: str) -> StaffUser:
    user = tx.uow.staff.by_email(email)
    if user is None or user.clinic_id != tx.actor.clinic_id or not user.active:
        raise SchedulingError(f"no active staff member {email!r} in this clinic", field=where)
    if user.role not in PRACTITIONER_ROLES:
        raise SchedulingError(
            f"{email} is front desk; practitioners are clinicians or owners", field=where
        )
    return user


def configure_calendar(
    uow: UnitOfWork, actor: Actor, data: Mapping[str, Any], *, clock: Clock = utc_now
) -> dict[str, Any]:
    """Set the clinic's calendar from a settings document (module docstring); returns it."""
    if not isinstance(data, Mapping):
        raise SchedulingError("a calendar must be an object", field="calendar")
    unknown = sorted(set(data) - set(KNOWN_KEYS))
    if unknown:
        raise SchedulingError("is not a known field", field=unknown[0])
    given = _jsonable(data)
    with Transaction(uow, actor, "calendar.configure", clock) as tx:
        records = scheduling_records(tx)
        clinic = tx.records.clinic()
        if "time_zone" in given and given["time_zone"] != clinic.time_zone:
            raise SchedulingError(
                f"is the clinic's ({clinic.time_zone}); it is not changed here", field="time_zone"
            )
        current = calendar_data(tx, records) or {}
        merged = {
            **{k: v for k, v in current.items() if k not in SETTINGS_KEYS},
            **{k: given[k] for k in SETTINGS_KEYS if k in given},
            **{k: given[k] for k in ("practitioners", "rooms", "devices") if k in given},
            "time_zone": clinic.time_zone,
        }
        _check_choices(merged)
        calendar = parse_calendar(_calendar_only(merged))  # checked together, fields named
        staff = {
            index: _practitioner(tx, p.id, f"practitioners[{index}].id")
            for index, p in enumerate(calendar.practitioners)
        }
        devices = {}
        for index, device in enumerate(calendar.devices):
            found = records.device_by_serial(device.id)
            if found is None or not found.in_service:
                raise SchedulingError(
                    f"no device in service with serial number {device.id!r} (register it first)",
                    field=f"devices[{index}].id",
                )
            devices[index] = found
        now = tx.now
        settings = records.calendar_settings()
        values = {k: merged[k] for k in SETTINGS_KEYS if k in merged}
        if settings is None:
            tx.uow.session.add(
                ClinicCalendarSettings(
                    clinic_id=actor.clinic_id,
                    settings=values,
                    updated_at=now,
                    updated_by=actor.staff_user_id,
                )
            )
        else:
            settings.settings = values
            settings.updated_at, settings.updated_by = now, actor.staff_user_id
        if "practitioners" in given:
            _replace_practitioners(tx, records, calendar, staff, given["practitioners"])
        if "rooms" in given:
            _replace_rooms(tx, records, calendar)
        if "devices" in given:
            _replace_devices(tx, records, calendar, devices)
        tx.flush()
        result = calendar_data(tx, records)
        assert result is not None
        tx.done(
            entity=("clinic", actor.clinic_id),
            details={
                "practitioners": len(calendar.practitioners),
                "rooms": len(calendar.rooms),
                "devices": len(calendar.devices),
                "closures": len(calendar.closures),
            },
        )
    return result


def _add_period(
    tx: Transaction, period: Period, *, staff: int | None, room: int | None, device: int | None
) -> None:
    row = ResourceUnavailability(
        staff_user_id=staff,
        room_id=room,
        device_id=device,
        reason=period.reason[:200],
        created_at=tx.now,
        created_by=tx.actor.staff_user_id,
    )
    if period.whole_days:
        row.first_day, row.last_day = period.start, period.end
    else:
        assert isinstance(period.start, datetime) and isinstance(period.end, datetime)
        row.starts_at, row.ends_at = period.start, period.end
    tx.records.add(row)


def _replace_practitioners(
    tx: Transaction,
    records: SchedulingRecords,
    calendar: ClinicCalendar,
    staff: dict[int, StaffUser],
    raw: list[Any],
) -> None:
    listed = {user.id for user in staff.values()}
    previous = {row.staff_user_id for row in records.all_practitioner_hours()}
    records.remove_practitioner_hours(previous - listed)
    records.remove_unavailability(staff_user_ids=previous | listed)
    for index, entry in enumerate(calendar.practitioners):
        user = staff[index]
        hours = raw[index]["hours"]
        row = records.practitioner_hours(user.id)
        if row is None:
            tx.records.add(
                PractitionerHours(
                    staff_user_id=user.id,
                    working_hours=hours,
                    updated_at=tx.now,
                    updated_by=tx.actor.staff_user_id,
                )
            )
        else:
            row.working_hours = hours
            row.updated_at, row.updated_by = tx.now, tx.actor.staff_user_id
        for period in entry.absences:
            _add_period(tx, period, staff=user.id, room=None, device=None)


def _replace_rooms(tx: Transaction, records: SchedulingRecords, calendar: ClinicCalendar) -> None:
    existing = {room.code: room for room in records.rooms(active_only=False)}
    records.remove_unavailability(room_ids=[room.id for room in existing.values()])
    listed = {room.id for room in calendar.rooms}
    for code, room in existing.items():
        if code not in listed:
            room.active = False
    for item in calendar.rooms:
        row = existing.get(item.id)
        if row is None:
            row = Room(code=item.id, name=item.name or item.id, active=True, created_at=tx.now)
            tx.records.add(row)
            tx.flush()
        else:
            row.name, row.active = item.name or item.id, True
        for period in item.unavailable:
            _add_period(tx, period, staff=None, room=row.id, device=None)


def _replace_devices(
    tx: Transaction,
    records: SchedulingRecords,
    calendar: ClinicCalendar,
    devices: dict[int, Any],
) -> None:
    previous = [row.device_id for row in records.all_calendar_devices()]
    records.remove_calendar_devices(previous)
    records.remove_unavailability(device_ids=[*previous, *(d.id for d in devices.values())])
    tx.flush()
    for index, item in enumerate(calendar.devices):
        device = devices[index]
        tx.records.add(
            CalendarDevice(
                device_id=device.id,
                rooms=sorted(item.rooms) if item.rooms is not None else None,
                practitioners=sorted(item.practitioners)
                if item.practitioners is not None
                else None,
            )
        )
        for period in item.unavailable:
            _add_period(tx, period, staff=None, room=None, device=device.id)


def set_practitioner_hours(
    uow: UnitOfWork,
    actor: Actor,
    practitioner: str,
    hours: Mapping[str, Any],
    *,
    clock: Clock = utc_now,
) -> None:
    """Make a clinician (by e-mail) a practitioner of the calendar with these weekly hours, or
    change their hours."""
    WeeklyHours.parse(_jsonable(hours), "hours")
    with Transaction(uow, actor, "calendar.configure", clock) as tx:
        records = scheduling_records(tx)
        user = _practitioner(tx, practitioner, "practitioner")
        row = records.practitioner_hours(user.id)
        if row is None:
            tx.records.add(
                PractitionerHours(
                    staff_user_id=user.id,
                    working_hours=_jsonable(hours),
                    updated_at=tx.now,
                    updated_by=actor.staff_user_id,
                )
            )
        else:
            row.working_hours = _jsonable(hours)
            row.updated_at, row.updated_by = tx.now, actor.staff_user_id
        tx.done(entity=("staff_user", user.id), details={"hours": True})


def add_room(
    uow: UnitOfWork, actor: Actor, code: str, name: str = "", *, clock: Clock = utc_now
) -> int:
    """A new treatment room (or one taken out of use, back in use); returns its id."""
    code = code.strip()
    if not code or len(code) > 40:
        raise SchedulingError("a room code has 1 to 40 characters", field="code")
    with Transaction(uow, actor, "calendar.configure", clock) as tx:
        records = scheduling_records(tx)
        row = records.room_by_code(code)
        if row is None:
            row = Room(code=code, name=(name or code)[:100], active=True, created_at=tx.now)
            tx.records.add(row)
            tx.flush()
        else:
            row.active, row.name = True, (name or row.name)[:100]
        tx.done(entity=("room", row.id))
    return row.id


def add_absence(
    uow: UnitOfWork,
    actor: Actor,
    *,
    first: date | datetime,
    last: date | datetime,
    reason: str,
    practitioner: str | None = None,
    room: str | None = None,
    device: str | None = None,
    clock: Clock = utc_now,
) -> int:
    """A practitioner's absence (by e-mail), or a room's (code) or device's (serial number)
    downtime: whole days ``first`` to ``last`` (dates, both included) or an exact span
    (datetimes with their time zone, ``last`` excluded). Returns its id."""
    if sum(item is not None for item in (practitioner, room, device)) != 1:
        raise SchedulingError("name one practitioner, room or device", field="resource")
    Period(first, last, reason)  # checks the span
    with Transaction(uow, actor, "calendar.configure", clock) as tx:
        records = scheduling_records(tx)
        staff_id = room_id = device_id = None
        if practitioner is not None:
            staff_id = _practitioner(tx, practitioner, "practitioner").id
        elif room is not None:
            found_room = records.room_by_code(room)
            if found_room is None:
                raise NotFound(f"no room {room!r} in this clinic", field="room")
            room_id = found_room.id
        else:
            assert device is not None
            found_device = records.device_by_serial(device)
            if found_device is None:
                raise NotFound(f"no device {device!r} in this clinic", field="device")
            device_id = found_device.id
        row = ResourceUnavailability(
            staff_user_id=staff_id,
            room_id=room_id,
            device_id=device_id,
            reason=reason.strip()[:200],
            created_at=tx.now,
            created_by=actor.staff_user_id,
        )
        if isinstance(first, datetime) and isinstance(last, datetime):
            row.starts_at, row.ends_at = first, last
        else:
            row.first_day, row.last_day = first, last
        tx.records.add(row)
        tx.flush()
        tx.done(entity=("resource_unavailability", row.id))
    return row.id

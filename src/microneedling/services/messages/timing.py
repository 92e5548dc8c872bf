"""When each message about an appointment goes, in the clinic's time zone (pure: no database, no
clock; ``now`` comes in).

- Confirmation, moved and cancelled notices: at once (``now``).
- Reminders: 48 hours and 2 hours before the start (elapsed hours, so across a daylight-saving
  change the 48-hour reminder lands 47 or 49 wall-clock hours earlier, at the start's local
  minute).
- Pre-care: on day −7 and day −1 before the session day, at :data:`CARE_HOUR` local time.
- Aftercare: day 0 one hour after the session ends; days 1, 3 and 7 at :data:`CARE_HOUR` local.

A message whose time has already passed when the appointment is booked or moved is not queued
(booked tomorrow: no day −7 pre-care). Quiet hours (``QuietHours``, local wall-clock times,
DST-correct through :mod:`zoneinfo`) then move a send time out of the quiet window: a reminder
is brought *forward* to the last minute before the window (a reminder that arrives after the
session is useless), every other message is held until the window ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

#: The local hour pre-care and later aftercare messages go at.
CARE_HOUR = time(10, 0)
#: Messages that go at once when the change is made.
IMMEDIATE_KINDS = ("confirmation", "moved", "cancelled")


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily quiet window in local wall-clock time, ``start`` up to (not including) ``end``;
    it crosses midnight when ``end <= start`` (``21:00``–``08:00``). Equal times: no quiet."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """``"21:00-08:00"`` → the window; ``""`` or ``"none"`` → no quiet hours."""
        cleaned = text.strip().lower()
        if cleaned in ("", "none", "off"):
            return None
        try:
            first, last = (part.strip() for part in cleaned.split("-"))
            return cls(time.fromisoformat(first), time.fromisoformat(last))
        except ValueError:
            raise ValueError(f"quiet hours {text!r} are not two times like 21:00-08:00") from None

    def contains(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone)


def _at_local(day: datetime, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC moment of ``clock`` on ``day``'s local date (a time that does not exist on a
    spring-forward day is read as the moment after the gap, through ``fold``)."""
    naive = datetime.combine(day.date(), clock)
    moment = naive.replace(tzinfo=zone)
    # Round-trip: a wall time inside the DST gap is normalised to a real instant.
    return moment.astimezone(UTC).astimezone(zone).astimezone(UTC)


def out_of_quiet(moment: datetime, kind: str, quiet: QuietHours | None, time_zone: str) -> datetime:
    """``moment`` moved out of the quiet window (see the module docstring); UTC."""
    if quiet is None:
        return moment.astimezone(UTC)
    zone = ZoneInfo(time_zone)
    local = _local(moment, zone)
    if not quiet.contains(local.time().replace(tzinfo=None)):
        return moment.astimezone(UTC)
    if kind.startswith("reminder"):
        # The last minute before the window began.
        start_day = local if local.time() >= quiet.start else local - timedelta(days=1)
        return _at_local(start_day, quiet.start, zone) - timedelta(minutes=1)
    end_day = local if local.time() < quiet.end else local + timedelta(days=1)
    return _at_local(end_day, quiet.end, zone)


#: The default timings: reminders in hours before the start, pre-care in days before the session
#: day, later aftercare in days after it (a clinic sets its own: clinic_settings.py).
DEFAULT_OFFSETS: dict[str, int | None] = {
    "reminder_48h": 48, "reminder_2h": 2, "precare_7d": 7, "precare_1d": 1,
    "aftercare_1d": 1, "aftercare_3d": 3, "aftercare_7d": 7,
}  # fmt: skip


def appointment_schedule(
    starts_at: datetime,
    ends_at: datetime,
    *,
    now: datetime,
    time_zone: str,
    quiet: QuietHours | None,
    timings: Mapping[str, int | None] | None = None,
) -> list[tuple[str, datetime]]:
    """The scheduled messages of an appointment (kind, UTC send time), in time order, without
    those whose time has passed at ``now``. The immediate notices are not included. ``timings``
    (:data:`DEFAULT_OFFSETS` where not given): a kind set to None is not sent."""
    offsets = {**DEFAULT_OFFSETS, **(timings or {})}
    zone = ZoneInfo(time_zone)
    start_local = _local(starts_at, zone)
    # Elapsed hours are counted in UTC (aware arithmetic in one zone is wall-clock arithmetic).
    starts_at, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    planned: list[tuple[str, datetime]] = [("aftercare_0d", ends_at + timedelta(hours=1))]
    for kind, offset in offsets.items():
        if offset is None:
            continue
        if kind.startswith("reminder"):
            planned.append((kind, starts_at - timedelta(hours=offset)))
        elif kind.startswith("precare"):
            planned.append((kind, _at_local(start_local - timedelta(days=offset), CARE_HOUR, zone)))
        elif kind.startswith("aftercare"):
            planned.append((kind, _at_local(start_local + timedelta(days=offset), CARE_HOUR, zone)))
    result = []
    for kind, moment in planned:
        if moment <= now:
            continue
        moved = out_of_quiet(moment, kind, quiet, time_zone)
        if kind.startswith("reminder") and moved <= now:
            continue
        result.append((kind, moved))
    return sorted(result, key=lambda item: item[1])


def immediate(now: datetime, kind: str, quiet: QuietHours | None, time_zone: str) -> datetime:
    """When a notice made at ``now`` goes: at once, or when the quiet window ends."""
    return out_of_quiet(now, kind, quiet, time_zone)

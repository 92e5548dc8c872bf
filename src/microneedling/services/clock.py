"""Time at the services boundary: a clock is passed in; nothing below reads the real one.

Use cases take ``clock`` (the real UTC clock by default); tests and the demo pass a fixed or
simulated one. A clinic's "today" is the date on its own wall clock.
"""

from __future__ import annotations

import time as time_module
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


def fixed_clock(moment: datetime) -> Clock:
    """A clock that always says ``moment`` (which must carry a time zone)."""
    if moment.tzinfo is None:
        raise ValueError("a clock's time needs a time zone")
    return lambda: moment


def running_from(moment: datetime) -> Clock:
    """A clock that says ``moment`` when made and then runs on at the real pace.

    ``microneedling web --today`` runs on one: the product behaves as on that day (demo, Today,
    check-in), while sessions still time out and audit entries still follow each other.
    """
    if moment.tzinfo is None:
        raise ValueError("a clock's time needs a time zone")
    started = time_module.monotonic()
    return lambda: moment + timedelta(seconds=time_module.monotonic() - started)


def local_date(moment: datetime, time_zone: str) -> date:
    """The date on the clinic's wall clock at ``moment``."""
    return moment.astimezone(ZoneInfo(time_zone)).date()


def local_day_start(day: date, time_zone: str) -> datetime:
    """The moment (UTC) a day begins on the clinic's wall clock."""
    return datetime.combine(day, time(0), ZoneInfo(time_zone)).astimezone(UTC)


def local_days(first: date, last: date, time_zone: str) -> tuple[datetime, datetime]:
    """The moments (UTC) from the start of ``first`` to the end of ``last``, clinic days."""
    return local_day_start(first, time_zone), local_day_start(last + timedelta(days=1), time_zone)

"""What every report shares: its period (first and last day, the clinic's days), the money of
the clinic, and the one audited read (``report.read``, owners)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, cast, func
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from microneedling.errors import UserError
from microneedling.services.access import Actor, Transaction
from microneedling.services.billing.money import from_minor, plain
from microneedling.services.clock import Clock, local_days, utc_now
from microneedling.store import UnitOfWork

#: The longest period a report covers.
MAX_DAYS = 3660


@dataclass(frozen=True)
class ReportPeriod:
    """The clinic days a report covers, both included, and their moments (UTC)."""

    first: date
    last: date
    time_zone: str

    @property
    def moments(self) -> tuple[datetime, datetime]:
        return local_days(self.first, self.last, self.time_zone)

    def view(self) -> dict[str, str]:
        return {"first": self.first.isoformat(), "last": self.last.isoformat()}


def parse_day(value: object, field: str) -> date:
    if isinstance(value, datetime):
        raise UserError("give a day such as 2026-01-31", field=field)
    if isinstance(value, date):
        day = value
    elif isinstance(value, str) and len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise UserError("give a day such as 2026-01-31", field=field) from None
    else:
        raise UserError("give a day such as 2026-01-31", field=field)
    if not 2000 <= day.year <= 2100:
        raise UserError("give a day from the year 2000 to 2100", field=field)
    return day


def parse_period(first: object, last: object) -> tuple[date, date]:
    """The period asked for; UserError names the field when it is not a period."""
    start, end = parse_day(first, "first"), parse_day(last, "last")
    if end < start:
        raise UserError("the last day is before the first", field="last")
    if (end - start).days > MAX_DAYS:
        raise UserError(f"a report covers at most {MAX_DAYS} days", field="last")
    return start, end


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_between(first: date, last: date) -> list[str]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def utc_day(session: Session, column: Any) -> ColumnElement[Any]:
    """The UTC day of a stored moment, in SQL, on SQLite and PostgreSQL alike."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def as_day(value: Any) -> date:
    """A day as the database gives it back (SQLite: text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def money(minor: int | None, currency: str) -> str:
    return plain(from_minor(int(minor or 0), currency), currency)


def decimal(minor: int | None, currency: str) -> Decimal:
    return from_minor(int(minor or 0), currency)


#: A report's query: the session, the clinic's id and the period → the report's content.
Builder = Callable[[Session, int, ReportPeriod], dict[str, Any]]


def read_report(
    uow: UnitOfWork,
    actor: Actor,
    name: str,
    build: Builder,
    first: object,
    last: object,
    *,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Run one report for the actor's clinic (owners), audited as ``report.read``."""
    start, end = parse_period(first, last)
    with Transaction(uow, actor, "report.read", clock, reading=True) as tx:
        period = ReportPeriod(start, end, tx.records.clinic().time_zone)
        content = build(tx._work.session, actor.clinic_id, period)
        tx.done(
            entity=("clinic", actor.clinic_id),
            details={"report": name, "first": start.isoformat(), "last": end.isoformat()},
        )
    return {"report": name, **period.view(), **content}

"""What a plan asks to book, as the search takes it: the plan's series with sessions to book (not
home use), each as a :class:`~microneedling.scheduling.series.SeriesRequest`, the first day it
may start (the latest screening and the plan's first date), how far ahead it can reach, and the
patient's preferences (:class:`Preferences`) as given and as stored with a booked series.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import Field

from microneedling.errors import NotFound, RuleViolation, SchedulingError
from microneedling.scheduling.series import (
    OVERFLOW_DAYS,
    IntervalWeeks,
    PatientPreferences,
    SeriesRequest,
)
from microneedling.services.access import Transaction
from microneedling.services.calendar_settings import LoadedCalendar
from microneedling.services.inputs import Input, parse
from microneedling.store.models import Intake, TreatmentPlan
from microneedling.store.scheduling_models import BookedSeries

_FIRST_SESSION_SEARCH_DAYS = 56


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
        "topical_anesthetic" in {str(item.get("code", "")), *map(str, item.get("codes") or ())}
        for item in plan.get("precautions") or ()
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


def _reach_days(request: SeriesRequest) -> int:
    """How many days after its first allowed day a series can reach (search and overflow)."""
    return (
        _FIRST_SESSION_SEARCH_DAYS
        + 7 * request.interval.max * (request.sessions - 1)
        + OVERFLOW_DAYS
        + 2
    )


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

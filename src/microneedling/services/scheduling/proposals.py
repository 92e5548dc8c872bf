"""Proposing a plan's series: concrete appointments for every session (:func:`propose_plan`),
nothing booked. Each chosen series is proposed in turn, the earlier ones' sessions held in the
working occupancy while the later ones are proposed (:func:`_propose`, also what booking without
picked slots books).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from microneedling.scheduling.series import (
    PRECARE_LEAD_DAYS,
    PatientPreferences,
    SeriesProposal,
    SeriesRequest,
    propose_series,
)
from microneedling.services.access import Actor, Transaction
from microneedling.services.clock import Clock, utc_now
from microneedling.services.scheduling.context import _Context, _patient_busy, _view
from microneedling.services.scheduling.plan_series import (
    Preferences,
    _chosen_series,
    _first_allowed,
    _plan_row,
    _preferences,
    _reach_days,
    _request,
)
from microneedling.store import UnitOfWork
from microneedling.store.models import TreatmentPlan


def _propose(
    context: _Context,
    plan: TreatmentPlan,
    chosen: Sequence[tuple[int, Mapping[str, Any]]],
    preferences: PatientPreferences,
) -> list[tuple[int, SeriesRequest, date, SeriesProposal]]:
    """Each chosen series proposed in turn; the earlier ones' sessions are held in the working
    occupancy (and block the patient) while the later ones are proposed."""
    intake = context.records.latest_intakes([plan.patient_id]).get(plan.patient_id)
    result = []
    for index, entry in chosen:
        request = _request(entry, plan.plan)
        first_allowed = _first_allowed(intake, entry)
        proposal = propose_series(
            request,
            context.loaded.calendar,
            context.occupancy,
            first_allowed_date=first_allowed,
            today=context.tx.today,
            preferences=preferences,
        )
        for appointment in proposal.appointments:
            context.occupancy.book(appointment.booking())
            for blocking in _patient_busy(context.loaded, [(appointment.start, appointment.end)]):
                context.occupancy.book(blocking)
        result.append((index, request, first_allowed, proposal))
    return result


def _until(tx: Transaction, plan: TreatmentPlan, chosen: Sequence[tuple[int, Any]]) -> date:
    reach = max(_reach_days(_request(entry, plan.plan)) for _, entry in chosen)
    starts = [
        date.fromisoformat(str(entry["dates"][0])) for _, entry in chosen if entry.get("dates")
    ]
    first = max([tx.today + timedelta(days=PRECARE_LEAD_DAYS), *starts])
    return first + timedelta(days=reach)


def propose_plan(
    uow: UnitOfWork,
    actor: Actor,
    plan_id: int,
    *,
    preferences: Preferences | Mapping[str, Any] | None = None,
    series_index: int | None = None,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Concrete appointments for every session of the plan's series (nothing is booked).

    The first session is no earlier than the first allowed date (the latest screening's earliest
    date and the plan's first date, which carries the surgery rule) nor than 7 days from today
    (pre-care); every later one inside its interval window; practitioners, rooms and devices free
    in the clinic calendar; the patient's preferences as far as possible.
    """
    with Transaction(uow, actor, "series.propose", clock) as tx:
        plan = _plan_row(tx, plan_id)
        chosen = _chosen_series(plan, series_index)
        context = _Context.load(
            tx, _until(tx, plan, chosen), patient_id=plan.patient_id, cached=True
        )
        prefs, _ = _preferences(preferences, context.loaded, strict=True)
        booked = {row.series_index: row.id for row in context.records.series_of_plan(plan.id)}
        proposals = _propose(
            context, plan, [item for item in chosen if item[0] not in booked], prefs
        )
        view = _proposal_view(context, plan, proposals, booked)
        tx.done(
            patient_id=plan.patient_id,
            entity=("treatment_plan", plan.id),
            details={"series": [index for index, *_ in proposals]},
        )
    return view


def _proposal_view(
    context: _Context,
    plan: TreatmentPlan,
    proposals: Sequence[tuple[int, SeriesRequest, date, SeriesProposal]],
    booked: Mapping[int, int],
) -> dict[str, Any]:
    calendar = context.loaded.calendar
    series = []
    for index, request, first_allowed, proposal in proposals:
        length = request.length(calendar)
        series.append(
            {
                "series_index": index,
                "sessions_planned": request.sessions,
                "interval_weeks": {
                    "min": request.interval.min,
                    "max": request.interval.max,
                    "default": request.interval.default,
                },
                "zones": list(request.zones),
                "minutes": {
                    "patient": length.patient_minutes,
                    "blocked": length.blocked_minutes,
                },
                "first_allowed_date": first_allowed.isoformat(),
                "complete": proposal.complete,
                "penalty": proposal.penalty,
                "sessions": [_view(item, context.loaded) for item in proposal.sessions],
            }
        )
    return {
        "plan_id": plan.id,
        "patient_id": plan.patient_id,
        "time_zone": calendar.time_zone,
        "series": series,
        "already_booked": [
            {"series_index": index, "series_id": series_id}
            for index, series_id in sorted(booked.items())
        ],
    }

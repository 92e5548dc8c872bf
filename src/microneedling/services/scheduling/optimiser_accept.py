"""Accepting what :func:`~microneedling.services.scheduling.optimiser.optimise_calendar` proposed
(:func:`accept_optimised`) in one transaction: new series are booked through the picked-slot
checks, booked ones have their sessions moved (those the optimiser could not place are flagged).
Every slot is checked again; one taken meanwhile refuses the whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from pydantic import Field

from microneedling.errors import NotFound, SchedulingError, UserError
from microneedling.scheduling.series import (
    Appointment,
    SeriesProposal,
    SeriesRequest,
    SessionProposal,
)
from microneedling.services.access import Actor, Transaction
from microneedling.services.calendar_settings import scheduling_records
from microneedling.services.clock import Clock, utc_now
from microneedling.services.inputs import Input, parse
from microneedling.services.scheduling.booking import SLOT_TAKEN, _store_series
from microneedling.services.scheduling.context import _Context
from microneedling.services.scheduling.picks import PickedSlot, _picked_sessions
from microneedling.services.scheduling.plan_series import (
    _chosen_series,
    _first_allowed,
    _plan_row,
    _request,
)
from microneedling.services.scheduling.series_state import _apply, _series_state
from microneedling.store import UnitOfWork
from microneedling.store.scheduling_models import BookedSeries


class _AcceptedSeries(Input):
    key: str = Field(max_length=64)
    plan_id: int = Field(ge=1)
    series_index: int = Field(ge=0, le=50)
    series_id: int | None = Field(default=None, ge=1)
    first_session: int = Field(default=1, ge=1, le=52)
    sessions: list[dict[str, Any]] = Field(default_factory=list, max_length=52)
    unplaced: list[dict[str, Any]] = Field(default_factory=list, max_length=52)
    patient_id: int | None = None
    why: str | None = None


def accept_optimised(
    uow: UnitOfWork,
    actor: Actor,
    document: Mapping[str, Any],
    *,
    keys: Sequence[str] | None = None,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Book what :func:`optimise_calendar` proposed (all series, or those named in ``keys``), in
    one transaction: new series are booked, booked ones have their sessions moved. Every slot is
    checked again; one taken meanwhile refuses the whole (:class:`Conflict`: run it again). A new
    series with sessions the optimiser could not place is left out (listed with the reason)."""
    if not isinstance(document, Mapping) or not isinstance(document.get("series"), list):
        raise SchedulingError("expected the optimiser's result (with its series)", field="series")
    entries = []
    for number, raw in enumerate(document["series"]):
        try:
            entries.append(parse(_AcceptedSeries, raw, what=f"series[{number}]"))
        except UserError as error:
            raise SchedulingError(error.message, field=f"series[{number}].{error.field}") from None
    if keys is not None:
        unknown = sorted(set(keys) - {entry.key for entry in entries})
        if unknown:
            raise SchedulingError(f"no series {unknown[0]!r} in the result", field="keys")
        entries = [entry for entry in entries if entry.key in set(keys)]
    with Transaction(uow, actor, "series.book", clock) as tx:
        records = scheduling_records(tx)
        moving: dict[int, BookedSeries] = {}
        for entry in entries:
            if entry.series_id is not None:
                found = records.series(entry.series_id, for_update=True)
                if found is None:
                    raise NotFound(f"no booked series {entry.series_id}", field=entry.key)
                moving[found.id] = found
        released = {
            appointment.id
            for booking, appointment in records.booked_sessions(list(moving))
            for entry in entries
            if entry.series_id == booking.series_id
            and booking.session >= entry.first_session
            and any(s.get("session") == booking.session for s in entry.sessions)
        }
        last_reach = tx.today + timedelta(days=400)
        context = _Context.load(tx, last_reach, released=released)
        accepted, skipped, touched = [], [], []
        for entry in entries:
            if entry.series_id is None:
                if entry.unplaced:
                    skipped.append(
                        {
                            "key": entry.key,
                            "reason": "; ".join(
                                f"session {u.get('session')}: {u.get('reason')}"
                                for u in entry.unplaced
                            ),
                        }
                    )
                    continue
                plan = _plan_row(tx, entry.plan_id)
                chosen = _chosen_series(plan, entry.series_index)
                intake = records.latest_intakes([plan.patient_id]).get(plan.patient_id)
                request = _request(chosen[0][1], plan.plan)
                first_allowed = _first_allowed(intake, chosen[0][1])
                picks = [
                    (n, _pick(entry, s, n), f"{entry.key}.sessions[{n}]")
                    for n, s in enumerate(entry.sessions)
                ]
                sessions = _picked_sessions(
                    context,
                    request,
                    picks,
                    series_key="",
                    first_allowed=first_allowed,
                    anchor=None,
                    note="proposed by the optimiser",
                )
                series, written = _store_series(
                    context, plan, entry.series_index, request, first_allowed, {}, sessions
                )
                accepted.append({"key": entry.key, "series_id": series.id, "booked": len(written)})
                touched.append(plan.patient_id)
            else:
                outcome = _replace_sessions(context, moving[entry.series_id], entry)
                accepted.append({"key": entry.key, **outcome})
                touched.append(moving[entry.series_id].patient_id)
        tx.done(
            patient_id=touched[0] if len(set(touched)) == 1 else None,
            details={"accepted": [a["key"] for a in accepted], "skipped": len(skipped)},
            conflict=SLOT_TAKEN,
        )
    return {"accepted": accepted, "skipped": skipped}


def _pick(entry: _AcceptedSeries, session: Mapping[str, Any], number: int) -> PickedSlot:
    data = {
        "series_index": entry.series_index,
        **{key: session.get(key) for key in ("session", "start", "practitioner", "room", "device")},
    }
    try:
        return parse(PickedSlot, data, what=f"{entry.key}.sessions[{number}]")
    except UserError as error:
        raise SchedulingError(error.message, field=f"{entry.key}.{error.field}") from None


def _replace_sessions(
    context: _Context, series: BookedSeries, entry: _AcceptedSeries
) -> dict[str, Any]:
    """Move a booked series' sessions from ``entry.first_session`` on to the optimiser's slots;
    sessions it could not place keep their appointment and are flagged with the reason."""
    state = _series_state(context, series)
    kept = [a for a in state.appointments if a.session < entry.first_session]
    anchor = context.loaded.calendar.local_day(kept[-1].start) if kept else None
    placed = [
        (n, _pick(entry, s, n), f"{entry.key}.sessions[{n}]") for n, s in enumerate(entry.sessions)
    ]
    given = sorted(pick.session for _, pick, _ in placed)
    last = given[-1] if given else entry.first_session - 1
    request = state.request
    if given != list(range(entry.first_session, last + 1)):
        raise SchedulingError("sessions must follow each other", field=f"{entry.key}.sessions")
    short = SeriesRequest(last, request.interval, request.zones, anaesthetic=request.anaesthetic)
    sessions = (
        _picked_sessions(
            context,
            short if last >= 1 else request,
            placed,
            series_key=state.key,
            first_allowed=series.first_allowed,
            anchor=anchor,
            first_session=entry.first_session,
            note="moved by the optimiser",
        )
        if placed
        else []
    )
    reasons = {int(u.get("session", 0)): str(u.get("reason", "")) for u in entry.unplaced}
    proposal_sessions = [SessionProposal(a.session, "kept", a, None, None, None) for a in kept]
    for item in sessions:
        assert item.appointment is not None
        current = state.rows.get(item.session)
        reference = str(current[0].id) if current else ""
        proposal_sessions.append(
            SessionProposal(
                item.session,
                "moved",
                Appointment(
                    state.key,
                    item.session,
                    series.sessions,
                    item.appointment.start,
                    item.appointment.end,
                    item.appointment.free_at,
                    item.appointment.practitioner_id,
                    item.appointment.room_id,
                    item.appointment.device_id,
                    reference,
                ),
                item.earliest,
                item.latest,
                item.target,
                note=item.note,
                reasons=item.reasons,
            )
        )
    for number in range(last + 1, series.sessions + 1):
        proposal_sessions.append(
            SessionProposal(
                number,
                "unplaced",
                None,
                None,
                None,
                None,
                reasons=(reasons.get(number) or "not placed by the optimiser",),
            )
        )
    result = _apply(context, state, SeriesProposal(state.key, tuple(proposal_sessions)))
    return {"series_id": series.id, "moved": result["moved"], "flagged": result["flagged"]}

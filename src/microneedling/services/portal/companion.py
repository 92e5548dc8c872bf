"""The care companion: pre-care before each session (with a countdown) and aftercare after it
(today's instructions, what is normal, when to call), and "Can I use this?".

Everything comes from the patient's plan as stored (its care timelines, ``clinical/care.py``) with
its dates moved to the booked sessions (:func:`~microneedling.services.plans.booked_plan`, as the
handout prints them), and the clinic's product-check settings and approved products (policy A.4,
A.7). Hours are counted from the end of the session (its start plus its length). Texts are the
patient's (:func:`~microneedling.documents.handout.patient_words`: no staff remarks); the sources
are kept for a "why?".

The pure functions (``precare_countdown``, ``aftercare_now``, ``product_answer``) take dates and
moments as arguments (no clock); the use cases read the records as the patient
(:class:`~microneedling.services.portal.actor.PatientTransaction`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from microneedling.clinical.products import check_product
from microneedling.documents.handout import long_date, patient_words
from microneedling.errors import NotFound, UserError
from microneedling.knowledge import KnowledgeBase, shipped_knowledge_base
from microneedling.knowledge.overrides import apply_overrides, approved_products
from microneedling.services.clock import Clock, utc_now
from microneedling.services.computations import policy_of
from microneedling.services.plans import booked_plan, clinic_contact
from microneedling.services.portal.actor import PatientActor, PatientTransaction, register_actions
from microneedling.store import UnitOfWork
from microneedling.store.models import Appointment, TreatmentPlan
from microneedling.store.scheduling_records import SchedulingRecords

register_actions(
    {
        "portal.care_read": "see your care before and after a session",
        "portal.product_check": "check a product",
    }
)

#: The restricted classes of the product check, in the patient's words.
CLASS_WORDS = {
    "retinoid": "a retinoid (vitamin A, such as retinol)",
    "aha": "an exfoliating acid (AHA, such as glycolic or lactic acid)",
    "bha": "an exfoliating acid (BHA, such as salicylic acid)",
    "vitamin_c": "vitamin C",
    "fragrance": "fragrance (perfume)",
    "benzoyl_peroxide": "benzoyl peroxide",
    "exfoliant": "a scrub or exfoliant",
    "make_up": "make-up",
}
#: What each kind of aftercare step is, as the companion groups them.
KIND_GROUPS = {"instruction": "do", "expected": "normal", "contact_clinic": "call"}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class Session:
    """One session of the plan: its number, its day, and its moments when booked."""

    number: int
    day: date
    starts_at: datetime | None = None
    ends_at: datetime | None = None


def when_words(day: date, today: date) -> str:
    """``today``, ``tomorrow``, ``in 3 days``, ``yesterday``, ``3 days ago``."""
    days = (day - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {days} days" if days > 0 else f"{-days} days ago"


def short_day(day: date, today: date) -> str:
    """``Tuesday 8 December``, or just ``Tuesday`` within the coming week."""
    if 0 < (day - today).days < 7:
        return _WEEKDAYS[day.weekday()]
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {long_date(day).split()[2]}"


def _moment_words(moment: datetime, zone: str, today: date, *, dated: bool = False) -> str:
    """``today at 14:00``, ``tomorrow at 09:30``, ``Tuesday at 11:00``; with ``dated``, a day
    after tomorrow always has its date (``Monday 14 December at 12:00``), where a bare weekday
    could be read as the session's own."""
    local = moment.astimezone(ZoneInfo(zone))
    days = (local.date() - today).days
    if days == 0:
        day = "today"
    elif days == 1:
        day = "tomorrow"
    elif dated:
        day = f"{_WEEKDAYS[local.weekday()]} {local.day} {long_date(local.date()).split()[2]}"
    else:
        day = short_day(local.date(), today)
    return f"{day} at {local:%H:%M}"


def precare_countdown(
    precare: Sequence[Mapping[str, Any]], sessions: Sequence[Session], today: date
) -> dict[str, Any] | None:
    """The pre-care of the next session on or after ``today``: each step with its date, its
    countdown (``in 3 days``, ``today``), whether it has started, and its sources; ``None`` when
    no session is to come."""
    coming = [s for s in sessions if s.day >= today]
    if not coming:
        return None
    session = coming[0]
    steps: list[dict[str, Any]] = []
    for step in precare:
        if step.get("session") != session.number or not step.get("date"):
            continue
        day = date.fromisoformat(str(step["date"])[:10])
        on_the_day = int(step.get("day") or 0) == 0
        steps.append(
            {
                "date": day,
                "long_date": long_date(day),
                "weekday": short_day(day, today),
                "countdown": when_words(day, today),
                "started": day <= today,
                "on_the_day": on_the_day,
                "text": patient_words(str(step.get("instruction") or "")),
                "sources": list(step.get("sources") or []),
            }
        )
    steps.sort(key=lambda s: s["date"])
    return {
        "session": session.number,
        "day": session.day,
        "long_date": long_date(session.day),
        "time": session.starts_at,
        "countdown": when_words(session.day, today),
        "days_to_go": (session.day - today).days,
        "steps": steps,
    }


def last_session(sessions: Sequence[Session], now: datetime, zone: str) -> Session | None:
    """The latest session that has ended by ``now`` (a session without a time: by its day)."""
    today = now.astimezone(ZoneInfo(zone)).date()
    done = [
        s
        for s in sessions
        if (s.ends_at is not None and s.ends_at <= now) or (s.ends_at is None and s.day < today)
    ]
    return done[-1] if done else None


def hours_since(session: Session, now: datetime, zone: str) -> float:
    """Hours from the end of ``session`` to ``now`` (from the start of its day, when no time)."""
    end = session.ends_at or datetime.combine(session.day, datetime.min.time(), ZoneInfo(zone))
    # In UTC: between two moments of one zone, Python subtracts wall-clock times.
    return max(0.0, (now.astimezone(UTC) - end.astimezone(UTC)).total_seconds() / 3600)


def _window(step: Mapping[str, Any]) -> tuple[str, int, int | None]:
    if isinstance(step.get("hours"), Mapping):
        return "hours", int(step["hours"].get("from") or 0), step["hours"].get("to")
    window = step.get("day")
    if not isinstance(window, Mapping):
        window = {}
    return "day", int(window.get("from") or 0), window.get("to")


def aftercare_now(
    aftercare: Sequence[Mapping[str, Any]],
    session: Session,
    now: datetime,
    zone: str,
    *,
    days_shown: int = 7,
) -> dict[str, Any]:
    """Aftercare ``now`` after ``session``: the hours and the day since it, the steps in force
    grouped as ``do`` / ``normal`` / ``call`` (each with when it ends), the steps still to come
    (``next``: when each starts), and a day-by-day ``timeline`` (day 0 hour by hour: each
    hour-window step with the time it ends)."""
    hours = hours_since(session, now, zone)
    tz = ZoneInfo(zone)
    end = (session.ends_at or datetime.combine(session.day, datetime.min.time(), tz)).astimezone(
        UTC
    )  # hours added in UTC are real hours, across a change of the clocks
    today = now.astimezone(tz).date()
    day = (today - session.day).days
    groups: dict[str, list[dict[str, Any]]] = {"do": [], "normal": [], "call": []}
    coming: list[dict[str, Any]] = []
    timeline: list[dict[str, Any]] = [
        {"day": n, "date": session.day + timedelta(days=n), "steps": []}
        for n in range(days_shown + 1)
    ]
    for step in aftercare:
        if step.get("session") != session.number:
            continue
        unit, low, high = _window(step)
        text = patient_words(str(step.get("instruction") or ""))
        group = KIND_GROUPS.get(str(step.get("kind")), "do")
        entry: dict[str, Any] = {"text": text, "sources": list(step.get("sources") or [])}
        if unit == "hours":
            starts = end + timedelta(hours=low)
            ends = end + timedelta(hours=high) if high is not None else None
            active = low <= hours and (high is None or hours < high)
            entry["until"] = _moment_words(ends, zone, today) if ends is not None else None
            entry["from"] = _moment_words(starts, zone, today)
            first_day = (starts.astimezone(tz).date() - session.day).days
            last_day = None
            if ends is not None:
                last_moment = ends.astimezone(tz) - timedelta(microseconds=1)
                last_day = (last_moment.date() - session.day).days
        else:
            active = low <= day and (high is None or day <= high)
            ends_day = session.day + timedelta(days=high) if high is not None else None
            entry["until"] = (
                f"{short_day(ends_day, today)} (day {high})" if ends_day is not None else None
            )
            entry["from"] = short_day(session.day + timedelta(days=low), today)
            first_day, last_day = low, high
        if active:
            groups[group].append(entry)
        elif (unit == "hours" and hours < low) or (unit == "day" and day < low):
            coming.append(dict(entry, group=group))
        for slot in timeline:
            if slot["day"] >= first_day and (last_day is None or slot["day"] <= last_day):
                slot["steps"].append({"group": group, "text": text, "until": entry["until"]})
    for slot in timeline:
        slot["is_today"] = slot["day"] == day
        slot["long_date"] = long_date(slot["date"])
    return {
        "session": session.number,
        "session_day": session.day,
        "session_long_date": long_date(session.day),
        "hours": hours,
        "hours_whole": int(hours),
        "day": day,
        "groups": groups,
        "next": coming,
        "timeline": timeline,
    }


def product_answer(
    result: Mapping[str, Any], *, session_end: datetime | None, zone: str, today: date
) -> dict[str, Any]:
    """A product check's result in the patient's words: ``yes`` / ``not yet`` / ``ask``, what
    in it says so (plain class words, ingredients not recognised), and from when it may be used.
    The check's own messages and sources stay for "why?"."""
    allowed = result.get("verdict") == "allowed"
    classes = [
        {
            "what": CLASS_WORDS.get(str(c.get("class")), str(c.get("class")).replace("_", " ")),
            "ingredients": list(c.get("ingredients") or []),
        }
        for c in result.get("classes_found") or []
    ]
    unknown = list(result.get("unknown_ingredients") or [])
    product = result.get("product") or {}
    from_hours = result.get("allowed_from_hours")
    when = None
    if not allowed and isinstance(from_hours, int | float) and session_end is not None:
        moment = session_end.astimezone(UTC) + timedelta(hours=float(from_hours))
        when = _moment_words(moment, zone, today, dated=True)
    if allowed:
        answer, headline = "yes", "Yes, you can use it now."
    elif when is not None:
        answer, headline = "not_yet", f"Not yet: you can use it from {when}."
    else:
        answer, headline = "ask", "Not for now: please ask the clinic before using it."
    approval = result.get("approval") or None
    notes: list[str] = []
    if approval and approval.get("passes"):
        notes.append(f"The clinic approved {approval.get('name')} for use after your session.")
    elif approval:
        notes.append(f"The clinic approved {approval.get('name')}, but not this early.")
    if not allowed and any(r.get("code") == "not_sterile" for r in result.get("reasons") or []):
        notes.append(
            "In the first day after a session, only sterile products made for use after a "
            "treatment (the clinic gives you these) may go on your skin."
        )
    if product.get("mineral_sunscreen"):
        notes.append("It is a mineral sunscreen (zinc oxide or titanium dioxide): not make-up.")
    if unknown and not allowed:
        notes.append(
            "We could not recognise some ingredients, so we cannot say they are safe yet: "
            + ", ".join(unknown[:12])
            + ("…" if len(unknown) > 12 else "")
            + "."
        )
    return {
        "answer": answer,
        "headline": headline,
        "contains": classes,
        "unknown": unknown,
        "notes": notes,
        "hours": result.get("hours_since_session"),
        "why": [r.get("message") for r in result.get("reasons") or []]
        + [w.get("message") for w in result.get("warnings") or []],
        "sources": list(result.get("sources") or []),
    }


# Use cases ------------------------------------------------------------------------------------


def _current_plan(tx: PatientTransaction, patient_id: int) -> TreatmentPlan | None:
    """The patient's latest plan that is not cancelled (accepted before proposed)."""
    plans = [p for p in tx.records.of_patient(TreatmentPlan, patient_id) if p.status != "cancelled"]
    plans.sort(key=lambda p: (p.status in ("accepted", "completed"), p.created_at, p.id))
    return plans[-1] if plans else None


def _plan_and_sessions(
    tx: PatientTransaction, plan_row: TreatmentPlan, zone: str
) -> tuple[dict[str, Any], list[Session]]:
    """The plan with its booked days (as the handout prints it) and its sessions' moments."""
    records = SchedulingRecords(tx.session, tx.actor.clinic_id)
    series_rows = [r for r in records.series_of_patient(plan_row.patient_id)
                   if r.plan_id == plan_row.id]  # fmt: skip
    index_of = {r.id: r.series_index for r in series_rows}
    booked: dict[int, dict[int, str]] = {}
    moments: dict[date, Appointment] = {}
    tz = ZoneInfo(zone)
    for booking, appointment in records.booked_sessions(list(index_of)):
        local = appointment.starts_at.astimezone(tz)
        booked.setdefault(index_of[booking.series_id], {})[booking.session] = local.strftime(
            "%Y-%m-%dT%H:%M"
        )
        moments[local.date()] = appointment
    plan = booked_plan(plan_row.plan, booked) if booked else dict(plan_row.plan)
    days = sorted({date.fromisoformat(d) for s in plan.get("series", []) for d in s["dates"]})
    sessions = []
    for number, day in enumerate(days, start=1):
        found = moments.get(day)
        if found is None:
            sessions.append(Session(number, day))
        else:
            ends = found.starts_at + timedelta(minutes=found.duration_minutes)
            sessions.append(Session(number, day, found.starts_at, ends))
    return plan, sessions


def care_overview(
    uow: UnitOfWork, actor: PatientActor, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """The patient's care now: the next session's pre-care countdown and the last session's
    aftercare (each ``None`` when there is none), the sessions, the clinic's time zone."""
    with PatientTransaction(uow, actor, "portal.care_read", clock) as tx:
        patient = tx.patient()
        clinic = tx.records.clinic()
        zone = clinic.time_zone
        plan_row = _current_plan(tx, patient.id)
        result: dict[str, Any] = {
            "has_plan": plan_row is not None,
            "time_zone": zone,
            "today": tx.today,
            "sessions": [],
            "precare": None,
            "aftercare": None,
            "clinic": clinic_contact(clinic),
        }
        if plan_row is not None:
            plan, sessions = _plan_and_sessions(tx, plan_row, zone)
            result["sessions"] = sessions
            result["booked"] = any(s.starts_at is not None for s in sessions)
            result["precare"] = precare_countdown(plan.get("precare", []), sessions, tx.today)
            last = last_session(sessions, tx.now, zone)
            if last is not None:
                result["aftercare"] = aftercare_now(plan.get("aftercare", []), last, tx.now, zone)
                result["last_session"] = last
        tx.done(
            entity=("treatment_plan", plan_row.id) if plan_row is not None else None,
            details={"sessions": len(result["sessions"])},
        )
    return result


def approved_product_names(uow: UnitOfWork, actor: PatientActor) -> list[str]:
    """The names of the products the patient's clinic approved (to pick one), read without
    an audit entry: they are the clinic's settings, nothing of the patient's."""
    with uow:
        clinic = uow.records(actor.clinic_id).clinic()
        overrides = policy_of(clinic.policy_overrides)
    return [product.name for product in approved_products(overrides)]


def can_i_use(
    uow: UnitOfWork,
    actor: PatientActor,
    *,
    ingredients: str = "",
    approved_name: str = "",
    kb: KnowledgeBase | None = None,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """ "Can I use this?": the product check with the hours since the patient's last session and
    the clinic's settings, for a label's ingredients or a product the clinic approved (by name),
    in the patient's words (:func:`product_answer`). Refused when there is no session yet, or
    neither (or both) is given."""
    text = ingredients.strip() if isinstance(ingredients, str) else ""
    name = approved_name.strip() if isinstance(approved_name, str) else ""
    if not text and not name:
        raise UserError(
            "type or paste the ingredients from the label, or choose a product the clinic approved",
            field="ingredients",
        )
    if text and name:
        raise UserError(
            "either type the ingredients or choose an approved product, not both",
            field="ingredients",
        )
    with PatientTransaction(uow, actor, "portal.product_check", clock) as tx:
        patient = tx.patient()
        clinic = tx.records.clinic()
        zone = clinic.time_zone
        overrides = policy_of(clinic.policy_overrides)
        approvals = approved_products(overrides)
        if name:
            chosen = next((p for p in approvals if p.name == name), None)
            if chosen is None:
                raise NotFound("the clinic has not approved a product of that name",
                               field="approved_name")  # fmt: skip
            text = chosen.ingredients
        plan_row = _current_plan(tx, patient.id)
        if plan_row is None:
            raise UserError("you have no treatment plan yet: there is nothing to check against")
        _plan, sessions = _plan_and_sessions(tx, plan_row, zone)
        last = last_session(sessions, tx.now, zone)
        if last is None:
            raise UserError(
                "you have not had a session yet: the check counts the hours since your session"
            )
        hours = hours_since(last, tx.now, zone)
        base = apply_overrides(kb or shipped_knowledge_base(), overrides)
        result = check_product(
            text,
            math.floor(hours * 10) / 10,
            base,
            make_up_window_hours=overrides.make_up_window_hours,
            unknown_block_hours=overrides.unknown_block_hours,
            approved_products=approvals,
            product_name=name or None,
        ).to_dict()
        end = last.ends_at or datetime.combine(last.day, datetime.min.time(), ZoneInfo(zone))
        answer = product_answer(result, session_end=end, zone=zone, today=tx.today)
        answer["product_name"] = name or None
        answer["session_long_date"] = long_date(last.day)
        tx.done(
            entity=("treatment_plan", plan_row.id),
            details={"verdict": result["verdict"], "approved": bool(name)},
        )
    return answer

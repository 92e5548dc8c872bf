"""Charting a session, amending a signed chart, and reading a chart with its history.

A session is charted once, signed by the clinician who charts it, and locked from then on (the
database refuses UPDATE and DELETE on charts). A correction is an amendment: a new version with
the reason, its author and time, pointing at the version it corrects; reading a chart shows the
current version, the original, and what each amendment changed.

Charting is refused (:class:`RuleViolation`, every reason listed) when:

- the patient has no signed treatment consent (or withdrew it);
- the cartridge lot is expired (``expires_on`` before the clinic's today) or recalled;
- the patient's latest screening is missing, ``not_eligible``, deferred past today (or with no
  known date), older than 90 days (``screening_valid_days``, a clinic may change it), or
  ``caution`` without a clinician's acknowledgement.

Per zone (clinical policy A.6), a depth above the zone's cap, or one the device used cannot be set
to (its lowest and highest setting and its step), is refused. A zone the appointment's plan does
not treat, or a depth outside the plan's range for that zone, needs the clinician's reason: the
chart keeps it flagged (``outside_plan``) with the reason, and the audit entry carries both.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

from pydantic import Field

from microneedling.errors import Conflict, NotFound, RuleViolation, UserError
from microneedling.knowledge import KnowledgeBase, shipped_knowledge_base
from microneedling.knowledge.schema_planning import PlanningFile
from microneedling.services.access import Actor, Role, Transaction
from microneedling.services.clock import Clock, local_date, utc_now
from microneedling.services.computations import policy_of
from microneedling.services.inputs import (
    Code,
    Input,
    LongText,
    RecordId,
    Text,
    check_day,
    check_page,
    parse,
)
from microneedling.services.views import (
    CHART_FIELDS,
    chart_entry,
    chart_history_view,
    chart_summary_view,
    page,
)
from microneedling.store import UnitOfWork
from microneedling.store.models import (
    Appointment,
    CartridgeLot,
    ChartProduct,
    ChartZone,
    Device,
    SessionChart,
    StaffUser,
    TreatmentPlan,
)

#: A screening older than this many days no longer allows charting.
SCREENING_VALID_DAYS = 90

ALREADY_CHARTED = "this session is already charted; amend the chart to correct it"
CHARTED_MEANWHILE = "someone else charted this session at the same time; open it to see their chart"
AMENDED_MEANWHILE = "someone else amended this chart at the same time; reload it and try again"


#: The clinical endpoints a zone's chart may record (A.3 "Technique", A.6).
ENDPOINTS = ("even_erythema", "pinpoint_bleeding", "not_reached")


class ZoneTreated(Input):
    zone: Code
    depth_mm: float = Field(gt=0, le=3.0, allow_inf_nan=False)
    passes: int = Field(ge=1, le=20)
    #: The clinical endpoint reached (``None``: not recorded).
    endpoint: Literal["even_erythema", "pinpoint_bleeding", "not_reached"] | None = None
    #: Why the zone, or its depth, is outside the plan (needed exactly then).
    reason: LongText | None = None


class ProductApplied(Input):
    product: Text
    lot_number: str | None = Field(default=None, min_length=1, max_length=64)
    purpose: Literal["glide", "serum", "post_procedure", "other"]


class ChartEntry(Input):
    """What the clinician records about a session."""

    device_id: RecordId
    #: The lot number printed on the cartridge packaging.
    cartridge_lot: str = Field(min_length=1, max_length=64)
    needle_count: int = Field(ge=1, le=1000)
    zones: list[ZoneTreated] = Field(min_length=1, max_length=40)
    anaesthetic: Text | None = None
    products: list[ProductApplied] = Field(default_factory=list, max_length=30)
    clinical_endpoint: Text
    #: The glide medium used (A.3: a sterile hyaluronic acid gel labelled for the procedure).
    glide_medium: Text | None = None
    #: The skin area numbed before the session, in cm².
    numbed_area_cm2: float | None = Field(default=None, gt=0, le=10000, allow_inf_nan=False)
    duration_minutes: int = Field(ge=1, le=480)
    #: Who performed it (default: the clinician charting).
    practitioner_id: RecordId | None = None
    notes: LongText | None = None


def _check_zones(entry: ChartEntry, kb: KnowledgeBase) -> None:
    seen: set[str] = set()
    for index, item in enumerate(entry.zones):
        if item.zone not in kb.zones:
            raise UserError(f"unknown zone {item.zone!r}", field=f"zones[{index}].zone")
        if item.zone in seen:
            raise UserError(f"{item.zone} is listed twice", field=f"zones[{index}].zone")
        seen.add(item.zone)


def _mm(value: float) -> str:
    return f"{value:g}"


def _settable(device: Device, depth: float) -> bool:
    steps = (depth - device.lowest_mm) / device.step_mm
    return (
        device.lowest_mm - 1e-9 <= depth <= device.highest_mm + 1e-9
        and abs(steps - round(steps)) < 1e-6
    )


def _device_settings(device: Device, depth: float) -> str:
    lowest, highest = device.lowest_mm, device.highest_mm
    if depth < lowest or depth > highest:
        return f"it is set from {_mm(lowest)} to {_mm(highest)} mm"
    below = lowest + int((depth - lowest) / device.step_mm + 1e-9) * device.step_mm
    above = min(below + device.step_mm, highest)
    return (
        f"it is set in {_mm(device.step_mm)} mm steps (nearest settings "
        f"{_mm(round(below, 4))} and {_mm(round(above, 4))} mm)"
    )


def _plan_ranges(plan: TreatmentPlan | None) -> dict[str, tuple[float, float]] | None:
    """Each zone the plan treats with its depth range (widest over its concerns), or ``None``."""
    if plan is None:
        return None
    ranges: dict[str, tuple[float, float]] = {}
    body = plan.plan if isinstance(plan.plan, dict) else {}
    for series in body.get("series") or ():
        for item in series.get("zones") or () if isinstance(series, dict) else ():
            depth = item.get("depth_mm") if isinstance(item, dict) else None
            if not isinstance(depth, dict):
                continue
            zone, low, high = item.get("zone"), depth.get("min"), depth.get("max")
            if not isinstance(zone, str) or not isinstance(low, int | float):
                continue
            if not isinstance(high, int | float):
                continue
            if zone in ranges:
                low, high = min(low, ranges[zone][0]), max(high, ranges[zone][1])
            ranges[zone] = (float(low), float(high))
    return ranges


def check_zone_depths(
    entry: ChartEntry,
    kb: KnowledgeBase,
    device: Device,
    plan: TreatmentPlan | None,
) -> list[dict[str, Any]]:
    """Refuse depths above a zone's cap or that the device cannot make; return the zones outside
    the plan (each with why and the clinician's reason), refusing any that has no reason."""
    caps = kb.section("planning.yaml", PlanningFile).zones
    ranges = _plan_ranges(plan)
    refusals: list[tuple[str, str]] = []
    flagged: list[dict[str, Any]] = []
    for index, item in enumerate(entry.zones):
        where = f"zones[{index}]"
        depth = item.depth_mm
        cap = caps[item.zone].cap if item.zone in caps else None
        if cap is not None and depth > cap + 1e-9:
            refusals.append(
                (
                    f"{where}.depth_mm",
                    f"{item.zone}: {_mm(depth)} mm is above the zone's cap of {_mm(cap)} mm",
                )
            )
        if not _settable(device, depth):
            refusals.append(
                (
                    f"{where}.depth_mm",
                    f"{item.zone}: the device used ({device.manufacturer} {device.model}) cannot "
                    f"be set to {_mm(depth)} mm; {_device_settings(device, depth)}",
                )
            )
        why = None
        if ranges is not None:
            if item.zone not in ranges:
                why = f"the plan does not treat the {item.zone}"
            else:
                low, high = ranges[item.zone]
                if depth < low - 1e-9 or depth > high + 1e-9:
                    why = (
                        f"{_mm(depth)} mm is outside the plan's {_mm(low)}–{_mm(high)} mm "
                        f"for the {item.zone}"
                    )
        if why is None:  # inside the plan: a reason given is not needed and not kept
            continue
        if item.reason is None:
            refusals.append((f"{where}.reason", f"{why}: say why (your reason is recorded)"))
        else:
            flagged.append(
                {"zone": item.zone, "depth_mm": depth, "outside_plan": why, "reason": item.reason}
            )
    if refusals:
        field, message = refusals[0]
        more = f" (and {len(refusals) - 1} more reasons)" if len(refusals) > 1 else ""
        raise RuleViolation(f"cannot chart this: {message}{more}", field=field, fields=refusals)
    return flagged


def charting_refusals(
    tx: Transaction,
    patient_id: int,
    lot: CartridgeLot,
    today: date,
    *,
    screening_valid_days: int = SCREENING_VALID_DAYS,
) -> list[tuple[str, str]]:
    """Every rule that refuses charting this patient with this lot today, as (field, reason)."""
    refusals: list[tuple[str, str]] = []
    if tx.records.signed_consent(patient_id, "treatment", tx.now) is None:
        refusals.append(("consent", "the patient has no signed treatment consent (or withdrew it)"))
    if lot.recalled_at is not None:
        refusals.append(
            (
                "cartridge_lot",
                f"lot {lot.lot_number} was recalled on {lot.recalled_at.date().isoformat()}",
            )
        )
    if lot.expires_on < today:
        refusals.append(
            ("cartridge_lot", f"lot {lot.lot_number} expired on {lot.expires_on.isoformat()}")
        )
    intake = tx.records.latest_intake(patient_id)
    if intake is None:
        refusals.append(("screening", "the patient has not been screened: record an intake"))
        return refusals
    on = intake.assessed_on.isoformat()
    age = (today - intake.assessed_on).days
    if age > screening_valid_days:
        refusals.append(
            (
                "screening",
                f"the latest screening ({on}) is {age} days old, more than "
                f"{screening_valid_days}: screen again",
            )
        )
    if intake.decision == "not_eligible":
        refusals.append(("screening", f"the latest screening ({on}) is not_eligible"))
    elif intake.decision == "defer":
        if intake.earliest_date is None:
            refusals.append(
                (
                    "screening",
                    f"the latest screening ({on}) is deferred with no known date: screen again "
                    "once the condition has resolved",
                )
            )
        elif intake.earliest_date > today:
            refusals.append(
                (
                    "screening",
                    f"the latest screening ({on}) defers treatment until "
                    f"{intake.earliest_date.isoformat()}",
                )
            )
    elif intake.decision == "caution" and intake.acknowledged_by is None:
        refusals.append(
            (
                "screening",
                f"the latest screening ({on}) is caution and no clinician has acknowledged it "
                f"(intake {intake.id})",
            )
        )
    return refusals


def _lot(tx: Transaction, lot_number: str) -> CartridgeLot:
    lot = tx.records.lot_by_number(lot_number)
    if lot is None:
        raise UserError(f"no lot {lot_number!r} in the inventory", field="cartridge_lot")
    return lot


def _device(tx: Transaction, device_id: int) -> Device:
    device = tx.records.get(Device, device_id)
    if device is None:
        raise UserError(f"no device {device_id} in the inventory", field="device_id")
    return device


def _plan(tx: Transaction, appointment: Appointment) -> TreatmentPlan | None:
    if appointment.plan_id is None:
        return None
    return tx.records.get(TreatmentPlan, appointment.plan_id)


def _practitioner(tx: Transaction, entry: ChartEntry) -> int:
    if entry.practitioner_id is None:
        return tx.actor.staff_user_id
    staff = tx.records.get(StaffUser, entry.practitioner_id)
    if staff is None or staff.role not in (Role.CLINICIAN, Role.OWNER):
        raise UserError(
            f"no clinician {entry.practitioner_id} in this clinic", field="practitioner_id"
        )
    return staff.id


def _write_version(
    tx: Transaction,
    appointment: Appointment,
    entry: ChartEntry,
    *,
    lot: CartridgeLot,
    performed_on: date,
    practitioner_id: int,
    version: int,
    amends: SessionChart | None,
    reason: str | None,
    flagged: list[dict[str, Any]],
) -> SessionChart:
    chart = SessionChart(
        patient_id=appointment.patient_id,
        appointment_id=appointment.id,
        version=version,
        amends_id=amends.id if amends is not None else None,
        amendment_reason=reason,
        performed_on=performed_on,
        device_id=entry.device_id,
        cartridge_lot_id=lot.id,
        needle_count=entry.needle_count,
        anaesthetic=entry.anaesthetic,
        clinical_endpoint=entry.clinical_endpoint,
        duration_minutes=entry.duration_minutes,
        practitioner_id=practitioner_id,
        notes=entry.notes,
        signed_by=tx.actor.staff_user_id,
        signed_at=tx.now,
        glide_medium=entry.glide_medium,
        numbed_area_cm2=entry.numbed_area_cm2,
    )
    tx.records.add(chart)
    tx.flush(CHARTED_MEANWHILE if amends is None else AMENDED_MEANWHILE)
    outside = {item["zone"]: item["outside_plan"] for item in flagged}
    for position, zone in enumerate(entry.zones):
        tx.records.add(
            ChartZone(
                chart_id=chart.id,
                position=position,
                zone=zone.zone,
                depth_mm=zone.depth_mm,
                passes=zone.passes,
                endpoint=zone.endpoint,
                outside_plan=outside.get(zone.zone),
                reason=zone.reason if zone.zone in outside else None,
            )
        )
    for position, product in enumerate(entry.products):
        tx.records.add(
            ChartProduct(
                chart_id=chart.id,
                position=position,
                product=product.product,
                lot_number=product.lot_number,
                purpose=product.purpose,
            )
        )
    return chart


def chart_session(
    uow: UnitOfWork,
    actor: Actor,
    appointment_id: int,
    entry: ChartEntry | dict[str, Any],
    *,
    kb: KnowledgeBase | None = None,
    screening_valid_days: int | None = None,
    clock: Clock = utc_now,
) -> int:
    """Chart and sign a session; the appointment becomes ``completed``. Returns the chart id.

    ``screening_valid_days``: how old the latest screening may be (A.7: 7 to 180 days); by
    default the clinic's own value (its policy overrides), else 90."""
    if screening_valid_days is not None and not 7 <= screening_valid_days <= 180:
        raise ValueError("screening_valid_days must be 7 to 180 days (A.7)")
    chart_data = parse(ChartEntry, entry, what="chart")
    kb = kb or shipped_knowledge_base()
    _check_zones(chart_data, kb)
    with Transaction(uow, actor, "chart.create", clock) as tx:
        # Locking the appointment makes a second person charting it wait, then see it charted.
        appointment = tx.records.get(Appointment, appointment_id, for_update=True)
        if appointment is None:
            raise NotFound(
                f"no appointment {appointment_id} in this clinic", field="appointment_id"
            )
        if appointment.status == "completed" or tx.records.chart_versions(appointment.id):
            raise Conflict(ALREADY_CHARTED, field="appointment_id")
        if appointment.status in ("cancelled", "no_show"):
            raise RuleViolation(
                f"the appointment is {appointment.status}; it cannot be charted",
                field="appointment_id",
            )
        today = tx.today
        session_day = local_date(appointment.starts_at, tx.records.clinic().time_zone)
        if session_day > today:
            raise RuleViolation(
                f"the session is on {session_day.isoformat()}; chart it on or after that day",
                field="appointment_id",
            )
        lot = _lot(tx, chart_data.cartridge_lot)
        if screening_valid_days is None:
            clinics_own = policy_of(tx.records.clinic().policy_overrides).screening_valid_days
            screening_valid_days = clinics_own or SCREENING_VALID_DAYS
        refusals = charting_refusals(
            tx, appointment.patient_id, lot, today, screening_valid_days=screening_valid_days
        )
        if refusals:
            field, message = refusals[0]
            more = f" (and {len(refusals) - 1} more reasons)" if len(refusals) > 1 else ""
            raise RuleViolation(
                f"cannot chart this session: {message}{more}", field=field, fields=refusals
            )
        device = _device(tx, chart_data.device_id)
        if not device.in_service:
            raise RuleViolation("this device is out of service", field="device_id")
        flagged = check_zone_depths(chart_data, kb, device, _plan(tx, appointment))
        chart = _write_version(
            tx,
            appointment,
            chart_data,
            lot=lot,
            performed_on=session_day,
            practitioner_id=_practitioner(tx, chart_data),
            version=1,
            amends=None,
            reason=None,
            flagged=flagged,
        )
        appointment.status = "completed"
        appointment.status_changed_at = tx.now
        from microneedling.services.billing import packages  # billing imports the services

        covered = packages.has_active_package(
            tx.uow.session, actor.clinic_id, appointment.patient_id
        )
        tx.done(
            patient_id=appointment.patient_id,
            entity=("session_chart", chart.id),
            details={
                "appointment": appointment.id,
                "version": 1,
                "cartridge_lot": lot.id,
                **({"outside_plan": flagged} if flagged else {}),
            },
            conflict=CHARTED_MEANWHILE,
        )
    # The charted session redeems one session of the patient's package, if one covers it (its
    # own transaction and audit entry; an amendment never redeems again).
    if covered:
        packages.redeem_for_appointment(uow, actor, appointment_id, on_charting=True, clock=clock)
    return chart.id


def amend_chart(
    uow: UnitOfWork,
    actor: Actor,
    appointment_id: int,
    *,
    changes: Mapping[str, Any],
    reason: str,
    expected_version: int | None = None,
    kb: KnowledgeBase | None = None,
    clock: Clock = utc_now,
) -> int:
    """Correct a signed chart: a new version with ``changes`` applied; the original stays.

    ``changes`` has any of the chart's fields (:data:`CHART_FIELDS`) with their corrected value.
    ``expected_version`` (the version the clinician was looking at) turns a lost update into a
    Conflict. The correction records what happened, so it is not re-checked against the session
    rules (an expired lot that was in fact used is charted as such); its zones are held to the
    zone rules (cap, device settings, reason outside the plan).
    """
    reason = reason.strip()
    if not reason or len(reason) > 2000:
        raise UserError("say why the chart is amended (1 to 2000 characters)", field="reason")
    if not isinstance(changes, Mapping) or not changes:
        raise UserError("give at least one field to correct", field="changes")
    for name in changes:
        if name not in CHART_FIELDS:
            raise UserError(
                f"is not a chart field (fields: {', '.join(CHART_FIELDS)})", field=f"changes.{name}"
            )
    with Transaction(uow, actor, "chart.amend", clock) as tx:
        versions = tx.records.chart_versions(appointment_id)
        if not versions:
            raise NotFound(
                f"no charted session {appointment_id} in this clinic", field="appointment_id"
            )
        current = versions[-1]
        if expected_version is not None and expected_version != current.version:
            raise Conflict(
                f"the chart is at version {current.version}, not {expected_version}: "
                "someone amended it meanwhile; reload it",
                field="expected_version",
            )
        before = chart_entry(current)
        corrected = parse(ChartEntry, {**before, **changes}, what="chart")
        kb = kb or shipped_knowledge_base()
        _check_zones(corrected, kb)
        if corrected.model_dump(mode="json") == parse(ChartEntry, before, what="chart").model_dump(
            mode="json"
        ):
            raise UserError("the amendment changes nothing", field="changes")
        lot = _lot(tx, corrected.cartridge_lot)
        device = _device(tx, corrected.device_id)
        appointment = tx.records.get(Appointment, appointment_id)
        assert appointment is not None
        flagged = check_zone_depths(corrected, kb, device, _plan(tx, appointment))
        chart = _write_version(
            tx,
            appointment,
            corrected,
            lot=lot,
            performed_on=current.performed_on,
            practitioner_id=_practitioner(tx, corrected),
            version=current.version + 1,
            amends=current,
            reason=reason,
            flagged=flagged,
        )
        changed = sorted(name for name in CHART_FIELDS if name in changes)
        tx.done(
            patient_id=appointment.patient_id,
            entity=("session_chart", chart.id),
            details={
                "appointment": appointment_id,
                "version": chart.version,
                "fields": changed,
                **({"outside_plan": flagged} if flagged else {}),
            },
            conflict=AMENDED_MEANWHILE,
        )
    return chart.id


def read_chart(
    uow: UnitOfWork, actor: Actor, appointment_id: int, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """A session's chart: the current version, the original, and every amendment."""
    with Transaction(uow, actor, "chart.read", clock, reading=True) as tx:
        versions = tx.records.chart_versions(appointment_id)
        if not versions:
            raise NotFound(
                f"no charted session {appointment_id} in this clinic", field="appointment_id"
            )
        view = chart_history_view(versions)
        tx.done(patient_id=versions[0].patient_id, entity=("session_chart", versions[-1].id))
    return view


def list_sessions(
    uow: UnitOfWork,
    actor: Actor,
    *,
    from_day: date | None = None,
    to_day: date | None = None,
    practitioner_id: int | None = None,
    lot_number: str | None = None,
    patient_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """A page of charted sessions, newest first (each chart's current version): performed from
    ``from_day`` to ``to_day`` (both included), by practitioner, cartridge lot and patient."""
    check_page(limit, offset)
    for value, name in ((from_day, "from"), (to_day, "to")):
        if value is not None:
            check_day(value, name)
    if from_day is not None and to_day is not None and to_day < from_day:
        raise UserError("is before `from`", field="to")
    if lot_number is not None and not 1 <= len(lot_number) <= 64:
        raise UserError("a lot number has 1 to 64 characters", field="lot")
    with Transaction(uow, actor, "chart.list", clock, reading=True) as tx:
        rows = tx.records.current_charts(
            performed_from=from_day,
            performed_to=to_day,
            practitioner_id=practitioner_id,
            lot_number=lot_number,
            patient_id=patient_id,
            limit=limit + 1,
            offset=offset,
        )
        result = page(rows, chart_summary_view, limit=limit, offset=offset)
        tx.done(patient_id=patient_id, details={"results": len(result["items"])})
    return result

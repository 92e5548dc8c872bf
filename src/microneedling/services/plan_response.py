"""What a treatment plan does to collagen: from a plan's JSON to Model 3's inputs and back.

A plan (as printed by ``microneedling plan --json``) lists ``series``, each with its session
``dates`` and its ``zones`` (each with ``depth_mm``: a number or ``{"min", "max", "start"}``). The
simulation knows nothing of plans (DESIGN.md); this module turns a plan into plain inputs:

- **session days**: every date of every series, merged, as days from the first (day 0);
- **one dose per session**: the largest dose among the zones treated that day, each from its
  starting depth and that zone's epidermis (Model 1's layer table; cheek layers for a zone the
  table does not know), with the reference assumptions of the collagen module for the rest (250
  punctures/cm², channel radius 35.35 µm, penetration efficiency 0.5);

and the simulation's result into a JSON-ready report. Everything else in a plan (maintenance,
care, prices) is ignored. Malformed input raises a :class:`~microneedling.errors.UserError` that
names the field.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from microneedling.errors import InputFileError, UserError
from microneedling.simulation import params as param_table
from microneedling.simulation.collagen import (
    DAYS_12_MONTHS,
    CollagenParams,
    CollagenSeries,
    needle_dose,
    simulate_series,
)
from microneedling.simulation.inflammation import DebrisKillReading
from microneedling.simulation.skin import layer_stack

#: Largest plan file read (bytes).
MAX_PLAN_BYTES = 5 * 1024 * 1024
#: Longest horizon and latest session day accepted (days, about 10 years).
MAX_DAYS = 3650
#: Needle lengths accepted (mm).
MAX_DEPTH_MM = 5.0
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

#: Assumed or fitted values behind every projection, with what each one stands for.
WARNED_PARAMS: dict[str, str] = {
    "collagen.vref_eta": "penetration efficiency applied to every session's needle depth",
    "collagen.vref_density_per_cm2": "puncture density assumed for every session",
    "collagen.vref_t_ve_um": "viable epidermis of the reference dose (a 1.5 mm roller on the cheek)",
    "collagen.tau_f_days": "fibroblast activation time, fixed from timing (day-11 shortfall)",
    "collagen.tau_m_days": "collagen III to I maturation, fixed so collagen I peaks 7 weeks "
    "after the last session",
    "collagen.tau_t_days": "collagen I turnover, set on the durability bound (results last months)",
    "collagen.synthesis_gain": "synthesis gain fitted to one study (Lotfi 2013, +53.2 % at 8 "
    "weeks)",
    "cooper.E": "estrogen not modelled",
    "cooper.C": "cortisol not modelled",
}


@dataclass(frozen=True, slots=True)
class PlanSession:
    """One session of a plan: its date, day from the first session, depth and dose."""

    date: date
    day: int
    depth_mm: float
    dose: float
    zones: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlanSimulationInput:
    """A plan reduced to what Model 3 needs."""

    first_date: date
    sessions: tuple[PlanSession, ...]

    @property
    def session_days(self) -> list[int]:
        return [s.day for s in self.sessions]

    @property
    def doses(self) -> list[float]:
        return [s.dose for s in self.sessions]

    @property
    def last_day(self) -> int:
        return self.sessions[-1].day


# --- Reading and validating -----------------------------------------------------------------------


def read_plan_file(path: Path) -> Any:
    """The parsed JSON of a plan file; :class:`InputFileError` if missing, too large or not JSON."""
    name = str(path)
    if not path.exists():
        raise InputFileError(f"file {name!r} does not exist", field="plan")
    if not path.is_file():
        raise InputFileError(f"{name!r} is not a file", field="plan")
    size = path.stat().st_size
    if size > MAX_PLAN_BYTES:
        raise InputFileError(
            f"file {name!r} is {size / 1024 / 1024:.1f} MB; plans larger than 5 MB are refused",
            field="plan",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputFileError(f"cannot read {name!r}: {error}", field="plan") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputFileError(
            f"{name!r} is not JSON (line {error.lineno}, column {error.colno}: {error.msg})",
            field="plan",
        ) from None


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UserError(f"expected a number, got {json.dumps(value)[:40]}", field=field)
    return float(value)


def _zone_depth(zone: Any, field: str) -> tuple[str, float]:
    if not isinstance(zone, dict):
        raise UserError("expected an object with 'zone' and 'depth_mm'", field=field)
    name = zone.get("zone", "")
    if not isinstance(name, str):
        raise UserError("expected a zone name (text)", field=f"{field}.zone")
    if "depth_mm" not in zone:
        raise UserError("missing; expected the needle depth in mm", field=f"{field}.depth_mm")
    depth = zone["depth_mm"]
    if isinstance(depth, dict):
        key = "start" if "start" in depth else "max" if "max" in depth else None
        if key is None:
            raise UserError(
                "expected a number or an object with 'start'", field=f"{field}.depth_mm"
            )
        value = _number(depth[key], f"{field}.depth_mm.{key}")
        depth_field = f"{field}.depth_mm.{key}"
    else:
        value = _number(depth, f"{field}.depth_mm")
        depth_field = f"{field}.depth_mm"
    if not 0.0 <= value <= MAX_DEPTH_MM:
        raise UserError(f"{value:g} mm is outside 0–{MAX_DEPTH_MM:g} mm", field=depth_field)
    return name, value


def _parse_date(value: Any, field: str) -> date:
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise UserError(f"expected a date as YYYY-MM-DD, got {json.dumps(value)[:40]}", field=field)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{value!r} is not a calendar date", field=field) from None


def plan_simulation_input(plan: Any) -> PlanSimulationInput:
    """Session days and doses of a plan (see the module docstring); validates the shape."""
    if not isinstance(plan, dict):
        raise UserError("not a treatment plan: expected a JSON object with 'series'", field="plan")
    if "series" not in plan:
        raise UserError("not a treatment plan: no 'series' list", field="series")
    series = plan["series"]
    if not isinstance(series, list) or not series:
        raise UserError("expected a non-empty list of treatment series", field="series")
    depth_on: dict[date, float] = {}
    dose_on: dict[date, float] = {}
    zones_on: dict[date, list[str]] = {}
    for i, item in enumerate(series):
        where = f"series[{i}]"
        if not isinstance(item, dict):
            raise UserError("expected an object with 'dates' and 'zones'", field=where)
        zones = item.get("zones")
        if not isinstance(zones, list) or not zones:
            raise UserError("expected a non-empty list of zones", field=f"{where}.zones")
        depths = [_zone_depth(z, f"{where}.zones[{k}]") for k, z in enumerate(zones)]
        deepest = max(d for _, d in depths)
        strongest = max(_zone_dose(name, depth) for name, depth in depths)
        dates = item.get("dates")
        if not isinstance(dates, list) or not dates:
            raise UserError("expected a non-empty list of session dates", field=f"{where}.dates")
        for k, raw in enumerate(dates):
            when = _parse_date(raw, f"{where}.dates[{k}]")
            depth_on[when] = max(depth_on.get(when, 0.0), deepest)
            dose_on[when] = max(dose_on.get(when, 0.0), strongest)
            zones_on.setdefault(when, []).extend(n for n, _ in depths if n)
    ordered = sorted(depth_on)
    first = ordered[0]
    span = (ordered[-1] - first).days
    if span > MAX_DAYS:
        raise UserError(
            f"sessions span {span} days; at most {MAX_DAYS} days (about 10 years) are simulated",
            field="series",
        )
    sessions = tuple(
        PlanSession(
            date=when,
            day=(when - first).days,
            depth_mm=depth_on[when],
            dose=dose_on[when],
            zones=tuple(dict.fromkeys(zones_on[when])),
        )
        for when in ordered
    )
    return PlanSimulationInput(first_date=first, sessions=sessions)


def _zone_dose(zone: str, depth_mm: float) -> float:
    """Session dose of ``depth_mm`` on ``zone``: that zone's epidermis, reference device otherwise."""
    try:
        stack = layer_stack(zone)
    except UserError:
        return needle_dose(depth_mm)
    return needle_dose(
        depth_mm,
        stratum_corneum_um=stack.stratum_corneum.point_um,
        viable_epidermis_um=stack.viable_epidermis.point_um,
    )


def check_horizon(days: int, *, field: str = "days") -> int:
    """A horizon in whole days within 1..3650."""
    if days < 1:
        raise UserError(f"expected a positive number of days, got {days}", field=field)
    if days > MAX_DAYS:
        raise UserError(f"at most {MAX_DAYS} days (about 10 years), got {days}", field=field)
    return days


def default_horizon(plan_input: PlanSimulationInput) -> int:
    """A year after the last session, and at least a year (capped at 3650 days)."""
    return min(MAX_DAYS, max(DAYS_12_MONTHS, plan_input.last_day + DAYS_12_MONTHS))


# --- Reports --------------------------------------------------------------------------------------


def assumption_warnings() -> list[str]:
    """One line per assumed or fitted value behind a projection (MODELS.md §1.2)."""
    lines = []
    for name, meaning in WARNED_PARAMS.items():
        record = param_table.get(name)
        unit = "" if record.unit == "1" else f" {record.unit}"
        lines.append(f"{name} = {record.value:g}{unit} ({record.status}): {meaning}")
    lines.append(
        "each zone's epidermis comes from Model 1's layer table (many values assumed; see "
        "docs/science/geometry.md); a zone it does not know uses the cheek's"
    )
    return lines


#: How a unit of the parameter table reads to staff (others are not shown with the value).
_UNIT_WORDS = {"1": "", "d": " days", "µm": " µm", "1/cm²": " per cm²"}
_STATUS_WORDS = {"assumption": "assumed", "fitted": "fitted to published data"}
#: A reference to a file of the repository, as a clause ("; see docs/x.md") or in brackets.
_SEE_FILE = re.compile(r"[:;,]?\s*see\s+[\w./-]+\.md(?:\s*§\s*[\d.]+)?")
_FILE_IN_BRACKETS = re.compile(r"\s*\((?:see\s+)?[\w./-]+\.md(?:\s*§\s*[\d.]+)?\)")


def staff_words(text: str) -> str:
    """A note without references to the repository's files (``docs/…``, ``MODELS.md §3.4``)."""
    return _FILE_IN_BRACKETS.sub("", _SEE_FILE.sub("", text)).strip()


def assumption_notes() -> list[str]:
    """The assumed or fitted values behind a projection, in plain sentences for staff (what
    :func:`assumption_warnings` says, without parameter names or file paths)."""
    lines = []
    for name, meaning in WARNED_PARAMS.items():
        record = param_table.get(name)
        status = _STATUS_WORDS.get(record.status, record.status)
        unit = _UNIT_WORDS.get(record.unit)
        value = f": {record.value:g}{unit}" if unit is not None and record.value else ""
        lines.append(f"{meaning[:1].upper()}{meaning[1:]}{value} ({status}).")
    lines.append(
        "Each zone's skin layers come from a table of typical thicknesses (many values "
        "assumed); a zone not in the table uses the cheek's."
    )
    return lines


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(float(value), digits)


def _date_of(first: date, day: int) -> str:
    return (first + timedelta(days=int(day))).isoformat()


@dataclass(frozen=True, slots=True)
class PlanProjection:
    """A plan, its simulation inputs and its series."""

    label: str
    plan_input: PlanSimulationInput
    series: CollagenSeries
    reading: DebrisKillReading


def project_plan(
    plan: Any,
    *,
    label: str = "plan",
    horizon_days: int | None = None,
    reading: DebrisKillReading | str = DebrisKillReading.ESTROGEN,
    collagen: CollagenParams | None = None,
) -> PlanProjection:
    """Model 3's series for a plan (fast path when valid, else the reference solver)."""
    plan_input = plan_simulation_input(plan)
    horizon = default_horizon(plan_input) if horizon_days is None else check_horizon(horizon_days)
    if plan_input.last_day > horizon:
        raise UserError(
            f"the last session is on day {plan_input.last_day}, after the horizon of {horizon} "
            "days",
            field="days",
        )
    series = simulate_series(
        plan_input.session_days,
        plan_input.doses,
        horizon,
        collagen=collagen,
        reading=reading,
    )
    return PlanProjection(label, plan_input, series, DebrisKillReading(reading))


def project_plans(
    plans: Sequence[tuple[str, Any]],
    *,
    horizon_days: int | None = None,
    reading: DebrisKillReading | str = DebrisKillReading.ESTROGEN,
) -> list[PlanProjection]:
    """Several plans over one horizon (the longest default unless given); each label names one."""
    if not plans:
        raise UserError("expected at least one plan", field="plans")
    inputs = []
    for label, plan in plans:
        try:
            inputs.append(plan_simulation_input(plan))
        except UserError as error:
            raise UserError(f"{label}: {error.message}", field=error.field) from None
    horizon = (
        max(default_horizon(pi) for pi in inputs)
        if horizon_days is None
        else check_horizon(horizon_days)
    )
    return [
        project_plan(plan, label=label, horizon_days=horizon, reading=reading)
        for label, plan in plans
    ]


def response_report(projection: PlanProjection) -> dict[str, Any]:
    """The JSON-ready collagen projection of one plan (``simulate response``)."""
    plan_input, series = projection.plan_input, projection.series
    first = plan_input.first_date
    collagen = CollagenParams.from_table()
    return {
        "first_session_date": first.isoformat(),
        "horizon_days": int(series.day[-1]),
        "day": [int(d) for d in series.day],
        "collagen_pct_change": [round(float(v), 3) for v in series.collagen_pct_change],
        "collagen_1_pct": [round(float(v), 3) for v in series.collagen_1_pct],
        "collagen_3_pct": [round(float(v), 3) for v in series.collagen_3_pct],
        "inflammatory_signal": [round(float(v), 6) for v in series.inflammatory_signal],
        "peak_day": series.peak_day,
        "peak_date": _date_of(first, series.peak_day),
        "peak_pct": _r(series.peak_pct),
        "pct_at_6_months": _r(series.pct_at_6_months),
        "pct_at_12_months": _r(series.pct_at_12_months),
        "months_measured_from": "first session (6 months = day 182, 12 months = day 365)",
        "sessions": [
            {
                "index": marker.index,
                "day": session.day,
                "date": session.date.isoformat(),
                "depth_mm": session.depth_mm,
                "dose": round(session.dose, 4),
                "zones": list(session.zones),
                "collagen_pct_change": _r(marker.collagen_pct_change),
            }
            for marker, session in zip(series.sessions, plan_input.sessions, strict=True)
        ],
        "method": series.method,
        "model": {
            "debris_kill_reading": projection.reading.value,
            "tau_f_days": collagen.tau_f_days,
            "tau_m_days": collagen.tau_m_days,
            "tau_t_days": collagen.tau_t_days,
            "synthesis_gain": collagen.synthesis_gain,
        },
        "warnings": assumption_warnings(),
    }


def compare_report(projections: Sequence[PlanProjection]) -> dict[str, Any]:
    """Plans side by side (``simulate compare``); each plan's day 0 is its own first session."""
    horizon = max(int(p.series.day[-1]) for p in projections)
    rows = []
    for projection in projections:
        plan_input, series = projection.plan_input, projection.series
        first = plan_input.first_date
        rows.append(
            {
                "label": projection.label,
                "first_session_date": first.isoformat(),
                "sessions": len(plan_input.sessions),
                "session_days": plan_input.session_days,
                "doses": [round(u, 4) for u in plan_input.doses],
                "peak_day": series.peak_day,
                "peak_date": _date_of(first, series.peak_day),
                "peak_pct": _r(series.peak_pct),
                "pct_at_6_months": _r(series.pct_at_6_months),
                "pct_at_12_months": _r(series.pct_at_12_months),
                "collagen_pct_change": [round(float(v), 3) for v in series.collagen_pct_change],
                "method": series.method,
            }
        )
    return {
        "horizon_days": horizon,
        "day": list(range(horizon + 1)),
        "months_measured_from": "each plan's first session (6 months = day 182, 12 = day 365)",
        "plans": rows,
        "warnings": assumption_warnings(),
    }

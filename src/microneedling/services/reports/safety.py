"""Safety signals: adverse events per 100 sessions by cartridge lot, device and depth band,
each set against the clinic's own rate over the period, with an exact Poisson test.

Sessions are the charted sessions of the period (first versions); an adverse event counts
against the session it is recorded for. A group's events ``k`` over its ``n`` sessions are
compared with ``n × baseline`` (the clinic's events per session over all groups of the period):
the one-sided p-value is ``P(X ≥ k)`` for ``X ~ Poisson(n × baseline)`` (scipy.stats.poisson),
and a group is **flagged** when it is below 0.05 divided by the number of groups compared (a
Bonferroni correction) and at least 2 events. A flagged lot links to its recall."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from microneedling.services.reports.common import ReportPeriod
from microneedling.services.reports.outcomes import depth_band
from microneedling.store.models import AdverseEvent, CartridgeLot, ChartZone, Device, SessionChart

ALPHA = 0.05


def poisson_p_value(events: int, expected: float) -> float:
    """P(X ≥ events) for X ~ Poisson(expected): the exact one-sided test."""
    if events <= 0:
        return 1.0
    if expected <= 0:
        return 0.0
    # SciPy is loaded when a safety report is made, not when the web application starts.
    from scipy.stats import poisson

    return float(poisson.sf(events - 1, expected))


def _rows(
    counts: dict[Any, list[int]], names: dict[Any, str], baseline: float, tests: int
) -> list[dict[str, Any]]:
    found = []
    for key, (sessions, events) in counts.items():
        expected = sessions * baseline
        p_value = poisson_p_value(events, expected)
        found.append(
            {
                "id": key,
                "name": names.get(key, str(key)),
                "sessions": sessions,
                "events": events,
                "per_100_sessions": round(100 * events / sessions, 2) if sessions else None,
                "expected_events": round(expected, 2),
                "p_value": round(p_value, 6),
                "flagged": events >= 2 and p_value < ALPHA / max(tests, 1),
            }
        )
    found.sort(key=lambda row: (not row["flagged"], row["p_value"], str(row["name"])))
    return found


def build(session: Session, clinic_id: int, period: ReportPeriod) -> dict[str, Any]:
    events = (
        select(AdverseEvent.appointment_id, func.count().label("events"))
        .where(AdverseEvent.clinic_id == clinic_id, AdverseEvent.appointment_id.is_not(None))
        .group_by(AdverseEvent.appointment_id)
        .subquery()
    )
    deepest = (
        select(ChartZone.chart_id, func.max(ChartZone.depth_mm).label("depth"))
        .where(ChartZone.clinic_id == clinic_id)
        .group_by(ChartZone.chart_id)
        .subquery()
    )
    grouped = session.execute(
        select(
            SessionChart.cartridge_lot_id,
            SessionChart.device_id,
            deepest.c.depth,
            func.count(),
            func.coalesce(func.sum(events.c.events), 0),
        )
        .outerjoin(events, events.c.appointment_id == SessionChart.appointment_id)
        .outerjoin(deepest, deepest.c.chart_id == SessionChart.id)
        .where(
            SessionChart.clinic_id == clinic_id,
            SessionChart.version == 1,
            SessionChart.performed_on >= period.first,
            SessionChart.performed_on <= period.last,
        )
        .group_by(SessionChart.cartridge_lot_id, SessionChart.device_id, deepest.c.depth)
    ).all()
    lots: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    devices: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    bands: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    total_sessions = total_events = 0
    for lot_id, device_id, depth, sessions, count in grouped:
        sessions, count = int(sessions), int(count)
        band = depth_band(float(depth)) if depth is not None else "not recorded"
        for table, key in ((lots, lot_id), (devices, device_id), (bands, band)):
            table[key][0] += sessions
            table[key][1] += count
        total_sessions += sessions
        total_events += count
    baseline = total_events / total_sessions if total_sessions else 0.0
    lot_rows = session.execute(
        select(CartridgeLot.id, CartridgeLot.lot_number, CartridgeLot.recalled_at).where(
            CartridgeLot.clinic_id == clinic_id, CartridgeLot.id.in_(list(lots) or [0])
        )
    ).all()
    lot_names = {row.id: row.lot_number for row in lot_rows}
    recalled = {row.id for row in lot_rows if row.recalled_at is not None}
    device_names = {
        row.id: f"{row.manufacturer} {row.model} ({row.serial_number})"
        for row in session.execute(
            select(Device).where(Device.clinic_id == clinic_id, Device.id.in_(list(devices) or [0]))
        ).scalars()
    }
    by_lot = _rows(lots, lot_names, baseline, len(lots))
    for row in by_lot:
        row["recalled"] = row["id"] in recalled
    return {
        "sessions": total_sessions,
        "events": total_events,
        "baseline_per_100_sessions": round(100 * baseline, 2),
        "test": "exact one-sided Poisson test against the clinic's rate, Bonferroni-corrected",
        "by_lot": by_lot,
        "by_device": _rows(devices, device_names, baseline, len(devices)),
        "by_depth_band": _rows(bands, {}, baseline, len(bands)),
    }

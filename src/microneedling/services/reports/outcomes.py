"""Outcomes by protocol: for each scale and each concern, zone and depth band of the plans
assessed, how the score changed from a plan's first assessment to its last (plans assessed at
least twice), and the mean of the latest scores (all plans assessed).

A plan's protocol is read from its stored plan: each series zone's concern, zone and starting
depth (bands: up to 0.5 mm, up to 1.0 mm, up to 1.5 mm, deeper). Scales scored in parts (POSAS)
are left out: their total is not one number. Assessments in the period count."""

from __future__ import annotations

from collections import defaultdict
from statistics import mean
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microneedling.services.reports.common import ReportPeriod
from microneedling.store.models import OutcomeAssessment, TreatmentPlan

DEPTH_BANDS = ((0.5, "up to 0.5 mm"), (1.0, "0.5–1.0 mm"), (1.5, "1.0–1.5 mm"))


def depth_band(depth_mm: float) -> str:
    for limit, name in DEPTH_BANDS:
        if depth_mm <= limit:
            return name
    return "over 1.5 mm"


def protocols(plan: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(concern, zone, depth band) of each zone of the plan's series."""
    found = set()
    for series in plan.get("series") or []:
        for zone in series.get("zones") or []:
            depth = (zone.get("depth_mm") or {}).get("start")
            if isinstance(depth, int | float) and zone.get("concern") and zone.get("zone"):
                found.add((str(zone["concern"]), str(zone["zone"]), depth_band(float(depth))))
    return found


def build(session: Session, clinic_id: int, period: ReportPeriod) -> dict[str, Any]:
    rows = session.execute(
        select(
            OutcomeAssessment.plan_id,
            OutcomeAssessment.scale,
            OutcomeAssessment.score,
            OutcomeAssessment.assessed_on,
            OutcomeAssessment.id,
        )
        .where(
            OutcomeAssessment.clinic_id == clinic_id,
            OutcomeAssessment.plan_id.is_not(None),
            OutcomeAssessment.assessed_on >= period.first,
            OutcomeAssessment.assessed_on <= period.last,
        )
        .order_by(OutcomeAssessment.plan_id, OutcomeAssessment.assessed_on, OutcomeAssessment.id)
    ).all()
    series: dict[tuple[int, str], list[float]] = defaultdict(list)
    for plan_id, scale, score, _, _ in rows:
        total = (score or {}).get("total")
        if isinstance(total, int | float) and not isinstance(total, bool):
            series[(plan_id, scale)].append(float(total))
    plan_ids = sorted({plan_id for plan_id, _ in series})
    plans: dict[int, dict[str, Any]] = {}
    for start in range(0, len(plan_ids), 500):
        chunk = plan_ids[start : start + 500]
        plans.update(
            session.execute(
                select(TreatmentPlan.id, TreatmentPlan.plan).where(
                    TreatmentPlan.clinic_id == clinic_id, TreatmentPlan.id.in_(chunk)
                )
            ).all()
        )
    groups: dict[tuple[str, str, str, str], dict[str, list[float]]] = defaultdict(
        lambda: {"latest": [], "change": []}
    )
    for (plan_id, scale), scores in series.items():
        for concern, zone, band in protocols(plans.get(plan_id) or {}):
            group = groups[(scale, concern, zone, band)]
            group["latest"].append(scores[-1])
            if len(scores) > 1:
                group["change"].append(scores[-1] - scores[0])
    return {
        "groups": [
            {
                "scale": scale,
                "concern": concern,
                "zone": zone,
                "depth_band": band,
                "plans": len(values["latest"]),
                "mean_latest": round(mean(values["latest"]), 2),
                "plans_with_change": len(values["change"]),
                "mean_change": round(mean(values["change"]), 2) if values["change"] else None,
            }
            for (scale, concern, zone, band), values in sorted(groups.items())
        ]
    }

"""The science of a plan: what it does to the skin, in the plan's own terms.

For each zone of a plan, Model 1 (channel density, injured area, effective depth and the layer it
reaches at the starting depth); for the plan, Model 2's absorption window (how long topicals still
reach viable tissue after a session, which is why the product check allows only sterile
post-procedure products at first) and Model 3's predicted collagen trajectory. The simulation knows
nothing of plans (DESIGN.md): this module does the translation.
"""

from __future__ import annotations

from typing import Any

from microneedling.errors import UserError
from microneedling.simulation import params as param_table

# The models (simulation.geometry, .resealing, and the collagen model behind plan_response) pull
# in NumPy and SciPy: they are imported in the functions that run them, so that importing this
# module (the web pages do) costs nothing until a plan's science is asked for.

#: Which density and channel size the plan is assumed to be delivered with (Model 1's records).
DENSITY_PARAM = "geometry.target_density_min_per_cm2"
CHANNEL_RADIUS_PARAM = "geometry.channel_radius_um"
ETA_PARAM = "geometry.eta_default"


def _zones(plan: dict[str, Any], sex: str | None) -> list[dict[str, Any]]:
    from microneedling.simulation.geometry import (
        effective_depth_um,
        injured_area_fraction,
        mean_spacing_poisson_um,
    )
    from microneedling.simulation.skin import layer_reached, layer_stack

    density = param_table.value(DENSITY_PARAM)
    radius = param_table.value(CHANNEL_RADIUS_PARAM)
    eta = param_table.value(ETA_PARAM)
    result = []
    seen: set[tuple[str, float]] = set()
    for series in plan.get("series", []):
        for entry in series.get("zones", []):
            zone, start = entry["zone"], float(entry["depth_mm"]["start"])
            if (zone, start) in seen:
                continue
            seen.add((zone, start))
            depth = effective_depth_um(start, eta)
            reach = layer_reached(depth, layer_stack(zone, sex))
            result.append(
                {
                    "zone": zone,
                    "concern": entry["concern"],
                    "start_mm": start,
                    "punctures_per_cm2": round(density, 3),
                    "injured_area_fraction": round(injured_area_fraction(density, radius), 6),
                    "mean_spacing_um": round(mean_spacing_poisson_um(density), 1),
                    "effective_depth_mm": round(depth / 1000, 4),
                    "layer": reach.at_point,
                    "layer_at_lower_bound": reach.at_lower_bound,
                    "layer_at_upper_bound": reach.at_upper_bound,
                    "beyond_dermis": reach.beyond_dermis,
                }
            )
    return result


def _absorption() -> dict[str, Any]:
    from microneedling.simulation.resealing import absorption_window

    open_skin = absorption_window(occluded=False)
    covered = absorption_window(occluded=True)
    return {
        "not_occluded": {
            "solute_h": round(open_skin.solute_h, 2),
            "particle_h": round(open_skin.particle_h, 2),
            "safety_h": round(open_skin.safety_h, 2),
        },
        "occluded": {
            "solute_h": round(covered.solute_h, 2),
            "particle_h": round(covered.particle_h, 2),
            "safety_h": round(covered.safety_h, 2),
        },
        "note": (
            "Hours after a session during which topicals still reach viable tissue (MODELS.md "
            "§3.4); the product check allows only sterile post-procedure products for the first "
            "24 h, the floor while the pore-closure clock is unsourced."
        ),
    }


#: What each collagen figure is, so that no reader takes the early total-collagen peak for the
#: full effect (issue 15): the date told to a patient is the mature collagen (type I) peak.
FULL_EFFECT_LABEL = "Full effect: mature collagen (type I) peak (model)"
TOTAL_PEAK_LABEL = (
    "Total collagen (types I and III) peak (model): new, still immature collagen soon after the "
    "sessions; not the full effect"
)


def _full_effect(projection: Any, report: dict[str, Any]) -> dict[str, Any]:
    """The full-effect date (collagen I peak) and the total-collagen peak, each labelled."""
    from datetime import date, timedelta

    series = projection.series
    first = date.fromisoformat(report["first_session_date"])
    last_day = projection.plan_input.last_day
    c1_day = series.c1_peak_day
    after = c1_day - last_day
    return {
        "peak_label": TOTAL_PEAK_LABEL,
        "total_collagen_peak": {
            "label": TOTAL_PEAK_LABEL,
            "day": report["peak_day"],
            "date": report["peak_date"],
            "pct": report["peak_pct"],
            "days_after_last_session": int(report["peak_day"]) - last_day,
        },
        "full_effect": {
            "label": FULL_EFFECT_LABEL,
            "day": c1_day,
            "date": (first + timedelta(days=c1_day)).isoformat(),
            "days_after_last_session": after,
            "weeks_after_last_session": round(after / 7, 1),
            "collagen_1_pct": round(float(series.collagen_1_pct[c1_day]), 3),
            "total_collagen_pct": round(float(series.collagen_pct_change[c1_day]), 3),
        },
    }


def plan_science(
    plan: dict[str, Any], *, sex: str | None = None, include_series: bool = True
) -> dict[str, Any]:
    """Model 1 per zone, Model 2's absorption window and Model 3's collagen projection."""
    if not isinstance(plan, dict) or not isinstance(plan.get("series"), list):
        raise UserError("not a treatment plan: no 'series' list", field="series")
    timed = [s for s in plan["series"] if s.get("dates")]
    collagen: dict[str, Any] | None = None
    if timed:
        from microneedling.services.plan_response import project_plan, response_report

        projection = project_plan({"series": timed})
        report = response_report(projection)
        keys = ["first_session_date", "peak_day", "peak_date", "peak_pct", "pct_at_6_months",
                "pct_at_12_months", "months_measured_from", "sessions"]  # fmt: skip
        if include_series:
            keys += ["day", "collagen_pct_change", "collagen_1_pct"]
        collagen = {key: report[key] for key in keys}
        collagen.update(_full_effect(projection, report))
        collagen["warnings"] = report["warnings"]
    density = param_table.get(DENSITY_PARAM)
    return {
        "zones": _zones(plan, sex),
        "absorption_window": _absorption(),
        "collagen": collagen,
        "assumptions": [
            f"{density.value:g} punctures/cm² ({density.source}), channel radius "
            f"{param_table.value(CHANNEL_RADIUS_PARAM):g} µm, penetration efficiency "
            f"{param_table.value(ETA_PARAM):g} (assumption): see docs/science.md"
        ],
    }

"""Figures for the transport model (MODELS.md §5): resealing curves and cumulative uptake.

Each function returns a :class:`matplotlib.figure.Figure` built without pyplot, so no display or
global backend is involved; callers save it as SVG or PNG with ``figure.savefig``. Labels carry units, and values resting on assumptions or
on numbers still to verify are flagged in the titles or legends.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from microneedling.simulation.resealing import ResealingReport, resealing_report
from microneedling.simulation.uptake import UptakeReport

_BARRIER = "#1f77b4"
_PORE = "#d62728"


def resealing_figure(
    reports: list[ResealingReport] | None = None, group: str | None = None
) -> Figure:
    """Open fraction ``A(t)/A0`` of both clocks, occluded and not (solid / dashed)."""
    if reports is None:
        reports = [resealing_report(True, group), resealing_report(False, group)]
    figure = Figure(figsize=(7.5, 4.5))
    axes = figure.add_subplot()
    hours = np.linspace(0.0, max(float(r.hours[-1]) for r in reports), 241)
    for report in reports:
        style = "-" if report.occluded else "--"
        label = "occluded" if report.occluded else "not occluded"
        axes.plot(
            hours,
            report.barrier.open_fraction(hours),
            style,
            color=_BARRIER,
            linewidth=3.0,
            alpha=0.6,
            label=f"barrier k_b, {label} (t½ {report.barrier.half_life_h:.2g} h)",
        )
        axes.plot(
            hours,
            report.pore.open_fraction(hours),
            style,
            color=_PORE,
            linewidth=1.2,
            label=f"pore k_p, {label} (t½ {report.pore.half_life_h:.2g} h; to verify)",
        )
    theta = reports[0].theta
    axes.axhline(theta, color="grey", linewidth=0.8, linestyle=":")
    axes.annotate(
        f"θ = {theta:.2f} (assumption): counted as closed",
        (0.99, theta),
        xycoords=("axes fraction", "data"),
        ha="right",
        va="bottom",
        fontsize=8,
        color="grey",
    )
    groups = {r.group for r in reports if r.occluded}
    occluded_basis = next((r.barrier.basis for r in reports if r.occluded), "")
    axes.set_xlabel("time after treatment (h)")
    axes.set_ylabel("open fraction A(t)/A0 (1)")
    axes.set_ylim(0.0, 1.02)
    axes.set_xlim(0.0, float(hours[-1]))
    title = "Microchannel resealing: barrier (solutes) and pore (particles) clocks"
    if groups:
        title += f"\noccluded: {occluded_basis}"
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=7, loc="upper right")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def uptake_figure(report: UptakeReport) -> Figure:
    """Cumulative uptake ``Q(t)``, microneedled vs intact, for one :class:`UptakeReport`."""
    figure = Figure(figsize=(7.5, 4.5))
    axes = figure.add_subplot()
    inputs = report.inputs
    axes.plot(
        report.hours,
        report.cumulative_curve_ug_per_cm2,
        color=_BARRIER,
        label=f"microneedled ({inputs['punctures_per_cm2']:g}/cm², "
        f"d_eff {inputs['channel_depth_um']:g} µm)",
    )
    axes.plot(report.hours, report.intact_curve_ug_per_cm2, color="black", label="intact skin")
    rate = float(str(inputs["closure_rate_per_h"]))
    closure = f"closing, k_b {rate:.3g} /h" if rate > 0 else "channels kept open (in vitro)"
    ratio = report.enhancement_ratio
    ratio_text = f"{ratio:.3g}x" if ratio != float("inf") else "unbounded"
    axes.set_title(
        f"{inputs['compound_name']}, donor {inputs['effective_donor_mg_per_ml']:g} mg/mL; "
        f"{closure}\nenhancement at {inputs['hours']:g} h: {ratio_text}; "
        f"{len(report.warnings)} assumption/to-verify flags (see report)",
        fontsize=9,
    )
    axes.set_xlabel("time after application (h)")
    axes.set_ylabel("cumulative uptake Q (µg/cm²)")
    axes.set_xlim(0.0, report.hours[-1])
    axes.set_ylim(bottom=0.0)
    axes.legend(fontsize=8, loc="upper left")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure

"""Figures for Model 3 (matplotlib, no pyplot; save as SVG or PNG with :func:`save_figure`).

Every figure states its units and carries a footer with the assumptions it rests on.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from microneedling.simulation.collagen import (
    DAYS_6_MONTHS,
    DAYS_12_MONTHS,
    CollagenParams,
    CollagenSeries,
)
from microneedling.simulation.inflammation import InflammationSeries

_COLLAGEN_FOOTNOTE = (
    "Assumptions: collagen module is a project extension (MODELS.md §4.2); τ_F, τ_m fixed from "
    "timing; g, τ_t fitted to one study (Lotfi 2013, +53.2 % at 8 wk) with τ_t on the "
    "durability bound; dose = injured dermal volume vs a 1.5 mm roller on the cheek (η = 0.5)."
)


def _new_figure(width_in: float, height_in: float) -> Figure:
    """A Figure on the Agg canvas (no pyplot, no global backend switch)."""
    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _footnote(fig: Figure, text: str) -> None:
    """Assumption flags under the plot (as a super-label, so the layout leaves room for it)."""
    wrapped = "\n".join(textwrap.wrap(text, width=150))
    fig.supxlabel(wrapped, fontsize=6.5, color="0.35", x=0.01, ha="left", multialignment="left")


def plot_inflammation(series: InflammationSeries) -> Figure:
    """Neutrophils and macrophages (top) and pathogen and debris (bottom, log scale) vs day."""
    fig = _new_figure(7.5, 6.0)
    top, bottom = fig.subplots(2, 1, sharex=True)
    peaks = series.peaks
    top.plot(series.day, series.neutrophils, label="neutrophils N", color="tab:orange")
    top.plot(series.day, series.macrophages, label="macrophages M", color="tab:blue")
    top.plot(
        series.day,
        series.active_macrophages,
        label="active macrophage signal fi2",
        color="tab:blue",
        linestyle="--",
        linewidth=1.0,
    )
    top.plot(
        [peaks.neutrophil_peak_day],
        [peaks.neutrophil_peak],
        marker="v",
        color="tab:orange",
        linestyle="none",
    )
    top.annotate(
        f"N peak {peaks.neutrophil_peak:.3f} at day {peaks.neutrophil_peak_day:.2f}",
        (peaks.neutrophil_peak_day, peaks.neutrophil_peak),
        textcoords="offset points",
        xytext=(8, 4),
        fontsize=8,
    )
    top.plot(
        [peaks.macrophage_peak_day],
        [peaks.macrophage_peak],
        marker="v",
        color="tab:blue",
        linestyle="none",
    )
    top.annotate(
        f"M peak {peaks.macrophage_peak:.3f} at day {peaks.macrophage_peak_day:.2f}",
        (peaks.macrophage_peak_day, peaks.macrophage_peak),
        textcoords="offset points",
        xytext=(8, 4),
        fontsize=8,
    )
    if peaks.macrophages_resolved_day is not None:
        top.axvline(peaks.macrophages_resolved_day, color="0.6", linestyle=":", linewidth=1.0)
        top.annotate(
            f"M < 10 % of peak: day {peaks.macrophages_resolved_day:.1f}",
            (peaks.macrophages_resolved_day, 0.0),
            textcoords="offset points",
            xytext=(4, 40),
            fontsize=8,
            color="0.4",
        )
    top.set_ylim(top=max(peaks.macrophage_peak, peaks.neutrophil_peak) * 1.2)
    top.set_ylabel("cells (model units)")
    top.set_title(
        "Inflammatory response to one session pulse (Cooper et al. 2015), "
        f"dose u = {series.dose:g}, reading (1 + ken·{series.reading.value})",
        fontsize=9,
    )
    top.legend(fontsize=8)
    floor = 1e-8
    bottom.semilogy(
        series.day, series.pathogen.clip(min=floor), label="pathogen P", color="tab:red"
    )
    bottom.semilogy(series.day, series.debris.clip(min=floor), label="debris Pt", color="tab:brown")
    bottom.set_ylim(floor, None)
    bottom.set_xlabel("days after the session")
    bottom.set_ylabel("model units (log)")
    bottom.legend(fontsize=8)
    _footnote(
        fig,
        "Assumptions: estrogen E = 0 and cortisol C = 0 (not modelled); parameters from the "
        "BioModels export BIOMD0000000855; the debris-by-neutrophil reading is open (MODELS.md "
        "§4.1).",
    )
    return fig


def _session_marks(ax: Axes, series: CollagenSeries) -> None:
    for i, marker in enumerate(series.sessions):
        ax.axvline(marker.day, color="0.75", linewidth=0.8, zorder=0)
        ax.plot(
            [marker.day],
            [0.0],
            marker="^",
            color="black",
            markersize=6,
            linestyle="none",
            label="session" if i == 0 else None,
            clip_on=False,
        )


def plot_collagen(
    series: CollagenSeries, *, title: str | None = None, collagen: CollagenParams | None = None
) -> Figure:
    """S, C1 and C3 (% over baseline) vs day, sessions marked; fi2 in a small panel below."""
    fig = _new_figure(8.0, 6.0)
    main, signal = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    main.plot(series.day, series.collagen_pct_change, label="S = C3 + C1", color="black")
    main.plot(series.day, series.collagen_1_pct, label="collagen I (C1)", color="tab:green")
    main.plot(series.day, series.collagen_3_pct, label="collagen III (C3)", color="tab:purple")
    _session_marks(main, series)
    main.plot([series.peak_day], [series.peak_pct], marker="o", color="tab:red", linestyle="none")
    main.annotate(
        f"peak +{series.peak_pct:.1f} % on day {series.peak_day}",
        (series.peak_day, series.peak_pct),
        textcoords="offset points",
        xytext=(6, 6),
        fontsize=8,
    )
    for label, day, value in (
        ("6 mo", DAYS_6_MONTHS, series.pct_at_6_months),
        ("12 mo", DAYS_12_MONTHS, series.pct_at_12_months),
    ):
        if value is not None:
            main.plot([day], [value], marker="s", color="tab:gray", linestyle="none")
            main.annotate(
                f"{label}: +{value:.1f} %",
                (day, value),
                textcoords="offset points",
                xytext=(8, 6),
                fontsize=8,
            )
    main.set_ylim(top=max(series.peak_pct, 1.0) * 1.15)
    main.set_ylabel("papillary collagen over baseline (%)")
    main.set_title(title or "Collagen response over the treatment series (model 3)", fontsize=10)
    main.legend(fontsize=8, loc="upper right")
    signal.plot(series.day, series.inflammatory_signal, color="tab:blue", linewidth=1.0)
    signal.set_ylabel("fi2 (model units)", fontsize=8)
    signal.set_xlabel("days from the first session (day 0)")
    note = _COLLAGEN_FOOTNOTE
    if collagen is not None:
        note += (
            f" τ_F = {collagen.tau_f_days:g} d, τ_m = {collagen.tau_m_days:g} d, "
            f"τ_t = {collagen.tau_t_days:g} d, g = {collagen.synthesis_gain:.4g}."
        )
    _footnote(fig, note)
    return fig


def plot_comparison(series_list: Sequence[CollagenSeries], labels: Sequence[str]) -> Figure:
    """Several plans' S overlaid, with peak, 6- and 12-month values in the legend."""
    if len(series_list) != len(labels):
        raise ValueError("one label per series")
    fig = _new_figure(8.0, 5.0)
    ax = fig.subplots()
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]
    for k, (series, label) in enumerate(zip(series_list, labels, strict=True)):
        color = colors[k % len(colors)]
        values = [f"peak +{series.peak_pct:.1f} % (day {series.peak_day})"]
        if series.pct_at_6_months is not None:
            values.append(f"6 mo +{series.pct_at_6_months:.1f} %")
        if series.pct_at_12_months is not None:
            values.append(f"12 mo +{series.pct_at_12_months:.1f} %")
        ax.plot(
            series.day,
            series.collagen_pct_change,
            color=color,
            label=f"{label}: " + ", ".join(values),
        )
        ax.plot([series.peak_day], [series.peak_pct], marker="o", color=color, linestyle="none")
        for marker in series.sessions:
            ax.plot([marker.day], [0.0], marker="^", color=color, linestyle="none", clip_on=False)
        for day, value in (
            (DAYS_6_MONTHS, series.pct_at_6_months),
            (DAYS_12_MONTHS, series.pct_at_12_months),
        ):
            if value is not None:
                ax.plot([day], [value], marker="s", color=color, linestyle="none")
    for day in (DAYS_6_MONTHS, DAYS_12_MONTHS):
        if any(s.day.size > day for s in series_list):
            ax.axvline(day, color="0.8", linestyle=":", linewidth=1.0, zorder=0)
    ax.set_ylim(top=max(max(s.peak_pct for s in series_list), 1.0) * 1.3)
    ax.set_xlabel("days from each plan's first session (day 0); ▲ sessions")
    ax.set_ylabel("papillary collagen over baseline S (%)")
    ax.set_title("Treatment plans compared (model 3)", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    _footnote(fig, _COLLAGEN_FOOTNOTE)
    return fig

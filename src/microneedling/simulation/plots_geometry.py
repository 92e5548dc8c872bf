"""Plots for Model 1: layer stacks with the depth a needle reaches, and puncture maps.

Figures are built on the Agg canvas without pyplot (no global state, safe in a server) and
returned; :func:`save_figure` writes SVG or PNG, SVG without a date so reruns give the same file.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import EllipseCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullLocator

from microneedling.simulation.geometry import (
    UM_PER_MM,
    GeometryReport,
    Points,
    effective_depth_um,
    eta_band,
    nearest_neighbour_distances_um,
    place_punctures_poisson,
    placement_injured_area_fraction,
)
from microneedling.simulation.skin import LayerStack, layer_stack

LAYER_COLOURS = {
    "stratum_corneum": "#c8a27a",
    "viable_epidermis": "#e8c4a0",
    "papillary_dermis": "#f2a5a5",
    "reticular_dermis": "#d9727a",
}
LAYER_LABELS = {
    "stratum_corneum": "stratum corneum",
    "viable_epidermis": "viable epidermis",
    "papillary_dermis": "papillary dermis (0.2 of dermis, assumed)",
    "reticular_dermis": "reticular dermis",
}
ETA_STYLES = ("dotted", "solid", "dashed")
DEPTH_TICKS_UM = (0, 20, 50, 100, 200, 300, 500, 1000, 1500, 2000, 3000, 5000)


def _new_figure(width_in: float, height_in: float) -> Figure:
    figure = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _stack_assumed(stack: LayerStack) -> bool:
    return any(
        layer.assumed for layer in (stack.stratum_corneum, stack.viable_epidermis, stack.dermis)
    )


def _draw_layer_stacks(
    axes: Axes,
    stacks: Sequence[LayerStack],
    needle_length_mm: float | None,
    extra_eta: float | None = None,
) -> None:
    positions = np.arange(len(stacks), dtype=float)
    for position, stack in zip(positions, stacks, strict=True):
        top = 0.0
        for layer, bottom in zip(LAYER_COLOURS, stack.layer_bottoms_um("point"), strict=True):
            axes.bar(
                position,
                bottom - top,
                bottom=top,
                width=0.6,
                color=LAYER_COLOURS[layer],
                edgecolor="white",
                linewidth=0.5,
            )
            top = bottom
        # Bounds: where the epidermis and the dermis end, thinnest to thickest stack.
        for index in (1, 3):
            low = stack.layer_bottoms_um("lower")[index]
            high = stack.layer_bottoms_um("upper")[index]
            axes.plot([position + 0.36] * 2, [low, high], color="black", linewidth=1.2)
            axes.plot([position + 0.33, position + 0.39], [low, low], color="black", lw=1.2)
            axes.plot([position + 0.33, position + 0.39], [high, high], color="black", lw=1.2)
    if needle_length_mm is not None:
        etas = list(zip(eta_band(), ETA_STYLES, strict=True))
        if extra_eta is not None and extra_eta not in eta_band():
            etas.append((extra_eta, "dashdot"))
        for eta, style in etas:
            depth = effective_depth_um(needle_length_mm, eta)
            assumed = " (default, assumed)" if style == "solid" else ""
            axes.axhline(
                depth,
                color="#1f3b73",
                linestyle=style,
                linewidth=1.3,
                label=f"d_eff at η = {eta:g}: {depth:.0f} µm{assumed}",
            )
    labels = [
        stack.zone.replace("_", " ") + ("*" if _stack_assumed(stack) else "") for stack in stacks
    ]
    axes.set_xticks(positions, labels, rotation=45, ha="right")
    deepest = max(stack.layer_bottoms_um("upper")[3] for stack in stacks)
    if needle_length_mm is not None:
        deepest = max(deepest, effective_depth_um(needle_length_mm, max(eta_band())))
    axes.set_yscale("symlog", linthresh=100.0, linscale=1.0)
    axes.set_ylim(0, deepest * 1.15)
    ticks = [t for t in DEPTH_TICKS_UM if t <= deepest * 1.15]
    axes.yaxis.set_major_locator(FixedLocator(ticks))
    axes.yaxis.set_minor_locator(NullLocator())
    axes.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    axes.invert_yaxis()
    axes.set_ylabel("depth below the skin surface (µm; linear to 100, then log)")
    handles = [
        Patch(color=LAYER_COLOURS[layer], label=LAYER_LABELS[layer]) for layer in LAYER_LABELS
    ]
    line_handles, _ = axes.get_legend_handles_labels()
    axes.legend(
        handles=[*handles, *line_handles],
        fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
    )


def plot_layer_stacks(
    zones: Sequence[str], needle_length_mm: float | None = None, sex: str | None = None
) -> Figure:
    """Layer stack per zone at the point values, with bars for the lower-to-upper range of the
    epidermis and dermis bottoms, and ``d_eff`` at the low, default and high ``eta``."""
    stacks = [layer_stack(zone, sex) for zone in zones]
    figure = _new_figure(max(7.0, 0.55 * len(stacks) + 4.5), 5.5)
    axes = figure.add_subplot()
    _draw_layer_stacks(axes, stacks, needle_length_mm)
    needle = f", needle {needle_length_mm:g} mm" if needle_length_mm is not None else ""
    axes.set_title(f"Skin layers by zone ({sex or 'sex unknown'}){needle}", fontsize=10)
    figure.supxlabel(
        "* some layer values are defaults (assumptions). Black bars: lower to upper bound of the "
        "epidermis and dermis bottoms.",
        fontsize=7,
    )
    return figure


def _draw_puncture_map(
    axes: Axes,
    points_mm: Points,
    width_mm: float,
    height_mm: float,
    channel_radius_um: float,
) -> None:
    diameter_mm = 2 * channel_radius_um / UM_PER_MM
    discs = EllipseCollection(
        widths=np.full(len(points_mm), diameter_mm),
        heights=np.full(len(points_mm), diameter_mm),
        angles=np.zeros(len(points_mm)),
        units="xy",
        offsets=points_mm,
        offset_transform=axes.transData,
        facecolors="#b0303a",
        edgecolors="none",
    )
    axes.add_collection(discs)
    axes.set_xlim(0, width_mm)
    axes.set_ylim(0, height_mm)
    axes.set_aspect("equal")
    axes.set_xlabel("mm")
    axes.set_ylabel("mm")


def plot_puncture_map(
    points_mm: Points,
    width_mm: float,
    height_mm: float,
    channel_radius_um: float,
    title: str = "",
) -> Figure:
    """Punctures on a patch, each drawn as its channel mouth to scale."""
    figure = _new_figure(5.5, 5.5)
    axes = figure.add_subplot()
    _draw_puncture_map(axes, points_mm, width_mm, height_mm, channel_radius_um)
    fraction = placement_injured_area_fraction(points_mm, width_mm, height_mm, channel_radius_um)
    density = len(points_mm) / (width_mm * height_mm) * 100.0
    axes.set_title(
        title
        or f"{len(points_mm)} punctures ({density:.0f} /cm²), channels r = {channel_radius_um:g} µm,"
        f" injured {100 * fraction:.2f} %",
        fontsize=9,
    )
    return figure


def plot_geometry_report(report: GeometryReport) -> Figure:
    """Two panels for one report: the zone's layer stack with d_eff, and the seeded placement."""
    figure = _new_figure(12.0, 5.5)
    stack_axes, map_axes = figure.subplots(1, 2, width_ratios=(1, 1.6))
    _draw_layer_stacks(stack_axes, [report.stack], report.needle_length_mm, report.eta)
    reach = report.depth.reach
    stack_axes.set_title(
        f"{report.stack.zone} ({report.stack.sex or 'sex unknown'}), needle "
        f"{report.needle_length_mm:g} mm\nlayer at η = {report.eta:g}: {reach.description}"
        + ("  ⚠ beyond dermis" if reach.beyond_dermis else ""),
        fontsize=9,
    )
    sample = report.placement
    points = place_punctures_poisson(
        report.density_per_cm2, sample.width_mm, sample.height_mm, sample.seed
    )
    _draw_puncture_map(
        map_axes, points, sample.width_mm, sample.height_mm, report.channel_radius_um
    )
    spacing = (
        ""
        if len(points) < 2
        else f", mean spacing "
        f"{nearest_neighbour_distances_um(points, sample.width_mm, sample.height_mm).mean():.0f} µm"
    )
    map_axes.set_title(
        f"{report.device.kind}, {report.passes} pass(es): {report.density_per_cm2:.0f} /cm², "
        f"injured {100 * report.injured_area_fraction:.2f} % (r = {report.channel_radius_um:g} µm"
        f"{', assumed' if 'geometry.channel_radius_um' in report.params_used else ''})\n"
        f"Poisson placement, seed {sample.seed}: {sample.punctures} punctures{spacing}",
        fontsize=9,
    )
    if report.warnings:
        figure.supxlabel(
            f"{len(report.warnings)} assumed or unverified parameters; see the report's warnings.",
            fontsize=7,
        )
    return figure

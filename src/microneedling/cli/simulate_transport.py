"""`microneedling simulate resealing|uptake`: channel closure and topical uptake (Model 2)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from microneedling.cli.common import (
    PlotOption,
    check_plot_path,
    fail,
    options_named,
    print_json,
    save_plot,
    user_errors,
)
from microneedling.simulation.compounds import compound_keys
from microneedling.simulation.params import value
from microneedling.simulation.resealing import (
    OGUNJIMI_GROUPS,
    Modifiers,
    ResealingReport,
    barrier_clock,
    resealing_report,
    warnings_for,
)
from microneedling.simulation.uptake import UptakeReport, run_uptake

#: Longest uptake horizon the command accepts (one week).
MAX_HOURS = 168.0
#: Longest needle the command accepts, mm (clinical rollers and pens stop at 2.5-3 mm).
MAX_NEEDLE_MM = 3.0
DEVICES = ("pen", "roller")

#: Model field names and the options that set them, so errors name what the user typed.
OPTION_FOR_FIELD = {
    "group": "--group",
    "compound": "--compound",
    "hours": "--hours",
    "donor": "--donor-mg-per-ml",
    "donor_mg_per_ml": "--donor-mg-per-ml",
    "needle_mm": "--needle-mm",
    "channel_depth_um": "--needle-mm",
    "punctures_per_cm2": "--density",
    "channel_radius_um": "--channel-radius-um",
    "sink_um": "--sink-um",
    "sink_depth_um": "--sink-um",
    "anti_inflammatory": "--anti-inflammatory-factor",
    "age": "--age-factor",
}


def _hours(number: float) -> str:
    return f"{number:.3g} h" if number < 48 else f"{number:.0f} h ({number / 24:.1f} d)"


# --- resealing -----------------------------------------------------------------------------------


def resealing_command(
    occluded: Annotated[
        bool,
        typer.Option(
            "--occluded/--not-occluded", help="Skin kept covered (patch, film) after treatment."
        ),
    ] = False,
    group: Annotated[
        str | None,
        typer.Option(
            "--group",
            help=f"Ogunjimi 2020 group for occluded skin: {', '.join(OGUNJIMI_GROUPS)} "
            "(default: the slowest, Black).",
            show_default=False,
        ),
    ] = None,
    anti_inflammatory_factor: Annotated[
        float,
        typer.Option(
            "--anti-inflammatory-factor",
            help="Half-life factor >= 1 for topical anti-inflammatories (uncalibrated).",
        ),
    ] = 1.0,
    age_factor: Annotated[
        float,
        typer.Option("--age-factor", help="Half-life factor >= 1 for older skin (uncalibrated)."),
    ] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Also write a figure (.svg or .png) of both clocks, occluded and not.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """How fast microchannels reseal, and the absorption window for topicals.

    Exit 2 on bad input.
    """
    if plot is not None:
        check_plot_path(plot)
    with user_errors(), options_named(OPTION_FOR_FIELD):
        modifiers = Modifiers(anti_inflammatory=anti_inflammatory_factor, age=age_factor)
        report = resealing_report(occluded, group, modifiers)
        if plot is not None:
            from microneedling.simulation.plots_transport import resealing_figure

            other = resealing_report(not occluded, group, modifiers)
            pair = [report, other] if occluded else [other, report]
            save_plot(resealing_figure(pair), plot)
    if as_json:
        print_json(report.to_dict())
    else:
        _print_resealing(report)


def _print_resealing(report: ResealingReport) -> None:
    console = Console()
    condition = "occluded" if report.occluded else "not occluded"
    console.print(f"[bold]Resealing[/], {condition} (θ = {report.theta:.3f})")
    table = Table(title="Closure clocks", title_justify="left")
    for column in ("clock", "half-life", "closed after", "basis"):
        table.add_column(column)
    for clock in (report.barrier, report.pore):
        table.add_row(
            "barrier (solutes)" if clock.clock == "barrier" else "pore (particles)",
            _hours(clock.half_life_h),
            _hours(clock.lifetime_h(report.theta)),
            clock.basis,
        )
    console.print(table)
    window = report.window
    console.print(
        f"Absorption window: solutes {_hours(window.solute_h)}, particles "
        f"{_hours(window.particle_h)} (floor {window.particle_floor_h:g} h); "
        f"[bold]use {_hours(window.safety_h)}[/] for product safety."
    )
    for line in report.warnings:
        console.print(f"[yellow]warning:[/] {line}")


# --- uptake --------------------------------------------------------------------------------------


def uptake_command(
    device: Annotated[
        str | None, typer.Option("--device", help="pen or roller.", show_default=False)
    ] = None,
    needle_mm: Annotated[
        float | None,
        typer.Option("--needle-mm", help="Nominal needle length, mm.", show_default=False),
    ] = None,
    compound_name: Annotated[
        str | None,
        typer.Option(
            "--compound", help=f"One of: {', '.join(compound_keys())}.", show_default=False
        ),
    ] = None,
    hours: Annotated[
        float, typer.Option("--hours", help=f"Time after application, h (up to {MAX_HOURS:g}).")
    ] = 6.0,
    density: Annotated[
        float | None,
        typer.Option(
            "--density",
            help="Punctures per cm² (default 250 for either device).",
            show_default=False,
        ),
    ] = None,
    eta: Annotated[
        float | None,
        typer.Option(
            "--eta", help="Penetration efficiency d_eff / L (default 0.5).", show_default=False
        ),
    ] = None,
    channel_radius_um: Annotated[
        float | None,
        typer.Option(
            "--channel-radius-um",
            help="Channel radius, µm (default 35.35, Kalluri 2011).",
            show_default=False,
        ),
    ] = None,
    donor_mg_per_ml: Annotated[
        float | None,
        typer.Option(
            "--donor-mg-per-ml",
            help="Concentration applied (default: the compound's typical product).",
            show_default=False,
        ),
    ] = None,
    sink_um: Annotated[
        float | None,
        typer.Option(
            "--sink-um",
            help="Depth of the absorbing sink, µm (default: fitted).",
            show_default=False,
        ),
    ] = None,
    occluded: Annotated[
        bool,
        typer.Option("--occluded/--not-occluded", help="Product kept under occlusion."),
    ] = False,
    group: Annotated[
        str | None,
        typer.Option("--group", help="Ogunjimi 2020 group (occluded only).", show_default=False),
    ] = None,
    in_vitro: Annotated[
        bool,
        typer.Option("--in-vitro", help="Excised skin: channels never close (k_b = 0)."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    plot: PlotOption = None,
) -> None:
    """Cumulative uptake of a topical through microneedled vs intact skin.

    Exit 2 on bad input.
    """
    if device is None:
        fail("--device: give pen or roller")
    if device.strip().lower() not in DEVICES:
        fail(f"--device: expected pen or roller, got {device!r}")
    if needle_mm is None:
        fail("--needle-mm: give the needle length in mm")
    if not (math.isfinite(needle_mm) and 0 < needle_mm <= MAX_NEEDLE_MM):
        fail(
            f"--needle-mm: expected a length above 0 and up to {MAX_NEEDLE_MM:g} mm, got {needle_mm}"
        )
    if compound_name is None:
        fail(f"--compound: give one of {', '.join(compound_keys())}")
    if not (math.isfinite(hours) and 0 < hours <= MAX_HOURS):
        fail(f"--hours: expected a time above 0 and up to {MAX_HOURS:g} h, got {hours}")
    if eta is not None and not (math.isfinite(eta) and 0 < eta <= 1):
        fail(f"--eta: expected a penetration efficiency in (0, 1], got {eta}")
    if plot is not None:
        check_plot_path(plot)
    kind = device.strip().lower()
    with user_errors(), options_named(OPTION_FOR_FIELD):
        report, extra_inputs, notes = _uptake(
            kind,
            needle_mm,
            compound_name,
            hours,
            density=density,
            eta=eta,
            channel_radius_um=channel_radius_um,
            donor_mg_per_ml=donor_mg_per_ml,
            sink_um=sink_um,
            occluded=occluded,
            group=group,
            in_vitro=in_vitro,
        )
        if plot is not None:
            from microneedling.simulation.plots_transport import uptake_figure

            save_plot(uptake_figure(report), plot)
    data = report.to_dict()
    data["inputs"] = {**extra_inputs, **report.inputs}
    data["warnings"] = [*notes, *report.warnings]
    if as_json:
        print_json(data)
    else:
        _print_uptake(report, data)


def _uptake(
    kind: str,
    needle_mm: float,
    compound_name: str,
    hours: float,
    *,
    density: float | None,
    eta: float | None,
    channel_radius_um: float | None,
    donor_mg_per_ml: float | None,
    sink_um: float | None,
    occluded: bool,
    group: str | None,
    in_vitro: bool,
) -> tuple[UptakeReport, dict[str, object], list[str]]:
    density_name = f"uptake.{kind}.density_per_cm2"
    names: list[str] = []
    if density is None:
        density = value(density_name)
        names.append(density_name)
    if eta is None:
        eta = value("uptake.eta_default")
        names.append("uptake.eta_default")
    if channel_radius_um is None:
        channel_radius_um = value("uptake.channel_radius_um")
        names.append("uptake.channel_radius_um")
    if in_vitro:
        rate, basis = 0.0, "in vitro: channels stay open (k_b = 0)"
    else:
        clock = barrier_clock(occluded, group)
        rate, basis = clock.rate_per_h, clock.basis
        names.extend(clock.param_names)
    depth_um = eta * needle_mm * 1e3
    report = run_uptake(
        compound_name,
        punctures_per_cm2=density,
        channel_radius_um=channel_radius_um,
        channel_depth_um=depth_um,
        hours=hours,
        closure_rate_per_h=rate,
        donor_mg_per_ml=donor_mg_per_ml,
        sink_depth_um=sink_um,
    )
    notes = warnings_for(names)
    if not in_vitro and not occluded and group is not None:
        notes.append("--group applies to occluded skin only (Ogunjimi 2020); ignored")
    if density_name not in names:
        density_basis = "given"
    elif kind == "pen":
        density_basis = f"{density_name} (Freier & Pachten 2015 band)"
    else:
        density_basis = f"{density_name} (Doddaballapur 2009, 15 passes)"
    inputs: dict[str, object] = {
        "device": kind,
        "needle_mm": needle_mm,
        "eta": eta,
        "setting": "in vitro" if in_vitro else ("occluded" if occluded else "not occluded"),
        "closure_basis": basis,
        "density_basis": density_basis,
    }
    return report, inputs, notes


def _print_uptake(report: UptakeReport, data: dict[str, object]) -> None:
    console = Console()
    inputs = data["inputs"]
    assert isinstance(inputs, dict)
    console.print(
        f"[bold]{inputs['compound_name']}[/], {inputs['device']} {inputs['needle_mm']:g} mm "
        f"(d_eff {inputs['channel_depth_um']:.0f} µm, {inputs['punctures_per_cm2']:g} /cm², "
        f"r_c {inputs['channel_radius_um']:g} µm), {inputs['setting']}, "
        f"donor {inputs['effective_donor_mg_per_ml']:g} mg/mL"
    )
    table = Table(title=f"Uptake over {inputs['hours']:g} h", title_justify="left")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    ratio = report.enhancement_ratio
    table.add_row("microneedled", f"{report.cumulative_ug_per_cm2:.4g} µg/cm²")
    table.add_row("intact skin", f"{report.intact_cumulative_ug_per_cm2:.4g} µg/cm²")
    table.add_row("enhancement", f"{ratio:.3g}x" if math.isfinite(ratio) else "unbounded")
    table.add_row("open-channel lag", f"{report.lag_min:.3g} min")
    table.add_row("open-channel steady flux", f"{report.steady_flux_ug_per_cm2_h:.4g} µg/cm²/h")
    table.add_row("closure", str(inputs["closure_basis"]))
    console.print(table)
    warnings = data["warnings"]
    assert isinstance(warnings, list)
    for line in warnings:
        console.print(f"[yellow]warning:[/] {line}")

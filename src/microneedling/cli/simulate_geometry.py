"""`microneedling simulate geometry`: what a roller or pen does to the skin (Model 1)."""

from __future__ import annotations

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
from microneedling.simulation.geometry import (
    GeometryReport,
    device_from_settings,
    geometry_report,
)
from microneedling.simulation.skin import ZONES

LAYER_STYLE = {
    "stratum_corneum": "yellow",
    "viable_epidermis": "yellow",
    "papillary_dermis": "green",
    "reticular_dermis": "green",
    "below_dermis": "bold red",
}


def geometry_command(
    device: Annotated[
        str | None,
        typer.Option("--device", help="roller or pen.", show_default=False),
    ] = None,
    needle_mm: Annotated[
        float | None,
        typer.Option("--needle-mm", help="Nominal needle length, mm.", show_default=False),
    ] = None,
    needles: Annotated[
        int | None,
        typer.Option(
            "--needles",
            help="Needles on the drum or in the cartridge (default: roller 192, pen 11).",
            show_default=False,
        ),
    ] = None,
    passes: Annotated[
        int | None,
        typer.Option(
            "--passes",
            help="Passes over the same skin (default: the fewest reaching 250 /cm²).",
            show_default=False,
        ),
    ] = None,
    frequency_hz: Annotated[
        float | None,
        typer.Option(
            "--frequency-hz", help="Pen: stamps per second (default 90).", show_default=False
        ),
    ] = None,
    speed_mm_s: Annotated[
        float | None,
        typer.Option("--speed-mm-s", help="Pen: glide speed, mm/s (required).", show_default=False),
    ] = None,
    width_mm: Annotated[
        float | None,
        typer.Option(
            "--width-mm",
            help="Pen: width swept by one stamp, mm (default 5, an assumption).",
            show_default=False,
        ),
    ] = None,
    drum_diameter_mm: Annotated[
        float | None,
        typer.Option(
            "--drum-diameter-mm",
            help="Roller: drum diameter, mm (default 18.33, i.e. 57.6 mm around).",
            show_default=False,
        ),
    ] = None,
    drum_width_mm: Annotated[
        float | None,
        typer.Option(
            "--drum-width-mm", help="Roller: drum width, mm (default 20).", show_default=False
        ),
    ] = None,
    zone: Annotated[
        str,
        typer.Option("--zone", help=f"Treatment zone: {', '.join(ZONES)}."),
    ] = "cheeks",
    sex: Annotated[
        str | None,
        typer.Option(
            "--sex",
            help="female or male (default: unknown, the thinner value).",
            show_default=False,
        ),
    ] = None,
    eta: Annotated[
        float | None,
        typer.Option(
            "--eta",
            help="Penetration efficiency d_eff / L (default 0.5, an assumption).",
            show_default=False,
        ),
    ] = None,
    channel_radius_um: Annotated[
        float | None,
        typer.Option(
            "--channel-radius-um",
            help="Channel radius at the surface, µm (default 35.35, Kalluri).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sample placement.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    plot: PlotOption = None,
) -> None:
    """Puncture density, injured area, spacing, depth and layer reached for a roller or pen.

    Exit 2 on bad input.
    """
    if device is None:
        fail("--device: give roller or pen")
    if needle_mm is None:
        fail("--needle-mm: give the needle length in mm")
    if plot is not None:
        check_plot_path(plot)
    with user_errors(), options_named(OPTION_FOR_FIELD):
        report = geometry_report(
            device_from_settings(
                device,
                needles=needles,
                drum_diameter_mm=drum_diameter_mm,
                drum_width_mm=drum_width_mm,
                frequency_hz=frequency_hz,
                speed_mm_s=speed_mm_s,
                width_mm=width_mm,
            ),
            needle_mm,
            passes=passes,
            zone=zone,
            sex=sex,
            eta=eta,
            channel_radius_um=channel_radius_um,
            seed=seed,
        )
    if plot is not None:
        # Imported here: matplotlib is slow to load and only needed for --plot.
        from microneedling.simulation.plots_geometry import plot_geometry_report

        save_plot(plot_geometry_report(report), plot)
    if as_json:
        print_json(report.to_dict())
    else:
        print_report(report)


#: Model field names and the options that set them, so errors name what the user typed.
OPTION_FOR_FIELD = {
    "device": "--device",
    "needle_mm": "--needle-mm",
    "needles": "--needles",
    "passes": "--passes",
    "frequency_hz": "--frequency-hz",
    "speed_mm_s": "--speed-mm-s",
    "width_mm": "--width-mm",
    "drum_diameter_mm": "--drum-diameter-mm",
    "drum_width_mm": "--drum-width-mm",
    "zone": "--zone",
    "sex": "--sex",
    "eta": "--eta",
    "channel_radius_um": "--channel-radius-um",
}


def print_report(report: GeometryReport) -> None:
    """A readable summary for staff."""
    data = report.to_dict()
    console = Console()
    settings = ", ".join(f"{key} {value:g}" for key, value in report.device.settings().items())
    passes_note = " (fewest reaching 250 /cm²)" if report.passes_chosen_for_target else ""
    console.print(f"[bold]{report.device.kind.title()}[/] ({settings})")
    console.print(
        f"Needle {report.needle_length_mm:g} mm, {report.passes} pass(es){passes_note}, "
        f"zone {report.stack.zone} ({report.stack.sex or 'sex unknown'})"
    )

    coverage = Table(title="Density and coverage", title_justify="left")
    coverage.add_column("quantity")
    coverage.add_column("value", justify="right")
    coverage.add_row("punctures per pass", f"{report.density_per_pass_per_cm2:.1f} /cm²")
    coverage.add_row("punctures", f"{report.density_per_cm2:.1f} /cm²")
    coverage.add_row(
        "injured area",
        f"{100 * report.injured_area_fraction:.2f} % (r = {report.channel_radius_um:g} µm)",
    )
    coverage.add_row("mean spacing (random)", f"{report.mean_spacing_um:.0f} µm")
    coverage.add_row("spacing (square lattice)", f"{report.lattice_spacing_um:.0f} µm")
    coverage.add_row("unit-cell radius", f"{report.unit_cell_radius_um:.0f} µm")
    coverage.add_row(
        "injured dermis (session dose)", f"{report.injured_dermal_volume_mm3_per_cm2:.3g} mm³/cm²"
    )
    target = report.target
    in_band = "in" if target.in_band_after_passes_needed else "above"
    coverage.add_row(
        f"passes to reach {target.min_per_cm2:g} /cm²",
        f"{target.passes_needed} → {target.density_after_passes_needed_per_cm2:.0f} /cm² "
        f"({in_band} the {target.min_per_cm2:g}-{target.max_per_cm2:g} band)",
    )
    if target.pen_speed_range_mm_s is not None:
        slow, fast = target.pen_speed_range_mm_s
        coverage.add_row(
            f"glide speed for the band in {report.passes} pass(es)",
            f"{slow:.1f}-{fast:.1f} mm/s",
        )
    console.print(coverage)

    depth = Table(title="Depth and layer reached", title_justify="left")
    for column in ("eta", "d_eff", "layer (point)", "thinnest skin", "thickest skin"):
        depth.add_column(column)
    for row in data["eta_band"]:
        marker = " (used)" if row["eta"] == report.eta else ""
        depth.add_row(
            f"{row['eta']:g}{marker}",
            f"{row['effective_depth_mm']:.3g} mm",
            *(
                f"[{LAYER_STYLE[row[key]]}]{row[key].replace('_', ' ')}[/]"
                for key in ("layer", "layer_at_lower_bound", "layer_at_upper_bound")
            ),
        )
    console.print(depth)
    if report.depth.reach.beyond_dermis:
        console.print(
            "[bold red]Warning:[/] at eta "
            f"{report.eta:g} the needle may pass the dermis of this zone "
            f"({report.depth.reach.description.replace('_', ' ')})."
        )

    layers = Table(title="Layers of the zone (µm)", title_justify="left")
    for column in ("layer", "point", "lower", "upper", "sources", "assumed"):
        layers.add_column(column)
    for name, layer in data["layers"].items():
        if name == "papillary_share":
            continue
        layers.add_row(
            name.replace("_", " "),
            f"{layer['point_um']:g}",
            f"{layer['lower_um']:g}",
            f"{layer['upper_um']:g}",
            ", ".join(layer["sources"]),
            "yes" if layer["assumed"] else "",
        )
    console.print(layers)
    sample = report.placement
    console.print(
        f"Sample placement (seed {sample.seed}, {sample.width_mm:g} x {sample.height_mm:g} mm "
        f"periodic patch): {sample.punctures} punctures, injured "
        f"{100 * sample.injured_area_fraction:.2f} %"
        + (
            f", mean spacing {sample.mean_spacing_um:.0f} µm"
            if sample.mean_spacing_um is not None
            else ""
        )
    )
    if report.warnings:
        console.print("[yellow]Rests on assumed or unverified values:[/]")
        for line in report.warnings:
            console.print(f"  [yellow]•[/] {line}", highlight=False)

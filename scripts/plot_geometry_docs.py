"""Regenerate docs/science/geometry.svg and print the Model 1 validation table.

    .venv/bin/python scripts/plot_geometry_docs.py

The SVG is byte-stable across runs (no date, fixed hash salt), so a diff means the figure changed.
"""

from __future__ import annotations

import math
from pathlib import Path

from microneedling.simulation.geometry import (
    Roller,
    density_after_passes_per_cm2,
    effective_depth_um,
    injured_area_fraction,
    lattice_spacing_um,
    mean_spacing_poisson_um,
    pen_area_rate_cm2_per_s,
    unit_cell_radius_um,
)
from microneedling.simulation.params_geometry import PARAMS
from microneedling.simulation.plots_geometry import plot_layer_stacks
from microneedling.simulation.plotting import save_figure
from microneedling.simulation.skin import ZONES, LayerThickness, layer_stack

ROOT = Path(__file__).resolve().parents[1]
FIGURE = ROOT / "docs" / "science" / "geometry.svg"
NEEDLE_MM = 1.5


def validation_rows() -> list[tuple[str, str, str]]:
    """(check, target, computed) for the MODELS.md §2.4 acceptance checks."""
    radius_um = 70.7 / 2
    roller = density_after_passes_per_cm2(Roller().density_per_pass_per_cm2(), 15)
    return [
        ("Doddaballapur roller, 192 needles, 15 passes", "250 ± 1 /cm²", f"{roller:.3f} /cm²"),
        (
            "Dermapen 11 × 90 Hz at 250 /cm², one pass",
            "3.96 ± 0.005 cm²/s",
            f"{pen_area_rate_cm2_per_s(11, 90.0, 250.0):.3f} cm²/s",
        ),
        (
            "Kalluri: η 0.198, 770 µm needle, depth",
            "152.5 ± 9.6 µm",
            f"{effective_depth_um(0.770, 0.198):.2f} µm",
        ),
        ("Kalluri: channel width 2r", "70.7 ± 9.9 µm", f"{2 * radius_um:.2f} µm"),
        (
            "Donnelly: η 0.77, 600 µm needle",
            "≈ 460 µm (± 5)",
            f"{effective_depth_um(0.6, 0.77):.0f} µm",
        ),
        (
            "φ at λ 250, r 35.35 µm",
            "0.98 ± 0.005 %",
            f"{100 * injured_area_fraction(250.0, radius_um):.3f} %",
        ),
        ("d_nn, Poisson", "316 ± 0.5 µm", f"{mean_spacing_poisson_um(250.0):.1f} µm"),
        ("lattice spacing", "632 ± 0.5 µm", f"{lattice_spacing_um(250.0):.1f} µm"),
        ("unit-cell radius R", "357 ± 0.5 µm", f"{unit_cell_radius_um(250.0):.1f} µm"),
        ("π r² at r 35.35 µm", "3.93×10⁻⁵ cm²", f"{math.pi * (radius_um / 1e4) ** 2:.3e} cm²"),
    ]


def _thickness(layer: LayerThickness) -> str:
    flag = " A" if layer.assumed else ""
    return f"{layer.point_um:.4g} ({layer.lower_um:.4g}–{layer.upper_um:.4g}){flag}"


def main() -> None:
    save_figure(plot_layer_stacks(ZONES, NEEDLE_MM), FIGURE)
    print(f"wrote {FIGURE.relative_to(ROOT)}\n")
    print("| Check | Target | Computed |\n|---|---|---|")
    for check, target, computed in validation_rows():
        print(f"| {check} | {target} | {computed} |")
    print("\n| Zone | Sites | t_SC | t_VE | Dermis | Sources |\n|---|---|---|---|---|---|")
    for zone in ZONES:
        stack = layer_stack(zone)
        layers = (stack.stratum_corneum, stack.viable_epidermis, stack.dermis)
        print(
            f"| {zone} | {', '.join(stack.sites)} | "
            + " | ".join(_thickness(layer) for layer in layers)
            + f" | {', '.join(stack.sources)} |"
        )
    print("\n| Name | Value | Unit | Source | Status | Note |\n|---|---|---|---|---|---|")
    for record in PARAMS:
        print(
            f"| `{record.name}` | {record.value:.6g} | {record.unit} | {record.source} | "
            f"{record.status} | {record.note} |"
        )


if __name__ == "__main__":
    main()

"""Regenerate the transport model's figures in ``docs/science`` (resealing.svg, uptake.svg).

Run: ``.venv/bin/python scripts/plot_transport_docs.py``. The SVGs are written without a date and
with a fixed id salt, so re-running on the same library versions gives the same files.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

from microneedling.simulation.params import value
from microneedling.simulation.plots_transport import resealing_figure, uptake_figure
from microneedling.simulation.resealing import resealing_report
from microneedling.simulation.uptake import run_uptake

DOCS = Path(__file__).resolve().parents[1] / "docs" / "science"


def main() -> int:
    matplotlib.rcParams["svg.hashsalt"] = "microneedling-transport"
    DOCS.mkdir(parents=True, exist_ok=True)

    reports = [resealing_report(True, "White"), resealing_report(False)]
    resealing_figure(reports).savefig(DOCS / "resealing.svg", metadata={"Date": None})

    # the calibration case: naloxone HCl, 500 µm pen needles for 1 min, porcine skin in vitro
    needle_um = value("uptake.naloxone.needle_um")
    report = run_uptake(
        "naloxone_hcl",
        punctures_per_cm2=value("uptake.naloxone.density_1min_per_cm2"),
        channel_radius_um=value("uptake.channel_radius_um"),
        channel_depth_um=value("uptake.eta_default") * needle_um,
        hours=value("uptake.naloxone.horizon_h"),
    )
    uptake_figure(report).savefig(DOCS / "uptake.svg", metadata={"Date": None})
    print(f"wrote {DOCS / 'resealing.svg'} and {DOCS / 'uptake.svg'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Regenerate the Model 3 figures of docs/science/healing.md.

    .venv/bin/python scripts/plot_healing_docs.py

Writes ``docs/science/inflammation.svg`` (one session's inflammatory response, reference solver)
and ``docs/science/collagen.svg`` (the Lotfi 2013 protocol: 5 monthly 1.5 mm sessions, followed
for a year after the last one). The output is byte-for-byte reproducible.
"""

from __future__ import annotations

import sys
from pathlib import Path

from microneedling.simulation.collagen import CollagenParams, LotfiProtocol, simulate_series
from microneedling.simulation.inflammation import simulate_inflammation
from microneedling.simulation.plots_healing import plot_collagen, plot_inflammation
from microneedling.simulation.plotting import save_figure

DOCS = Path(__file__).resolve().parents[1] / "docs" / "science"


def main() -> int:
    DOCS.mkdir(parents=True, exist_ok=True)
    inflammation = simulate_inflammation(21.0, step_days=0.02)
    save_figure(plot_inflammation(inflammation), DOCS / "inflammation.svg")
    protocol = LotfiProtocol.from_table()
    series = simulate_series(
        protocol.session_days, 1.0, protocol.last_day + 365, method="reference"
    )
    figure = plot_collagen(
        series,
        title="Lotfi 2013 protocol: 5 monthly 1.5 mm roller sessions (u = 1), reference solver",
        collagen=CollagenParams.from_table(),
    )
    save_figure(figure, DOCS / "collagen.svg")
    print(f"wrote {DOCS / 'inflammation.svg'} and {DOCS / 'collagen.svg'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

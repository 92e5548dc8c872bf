"""Fit the transport model's calibrated parameters and write them to the package data file.

Reproducible: ``.venv/bin/python scripts/fit_transport.py`` re-runs the naloxone HCl calibration
(Int J Pharm 2021: passive 8.25 µg/cm² at 6 h, 56x enhancement after 500 µm needles, lag about
8 min) and writes ``src/microneedling/simulation/data/transport_fitted.json``. With ``--check`` it
only compares a fresh fit with the stored file and exits 1 if they differ.

What is fitted and why (three numbers, three unknowns; the dermal diffusivity comes from Kretsos
2008 and is not fitted):

- ``uptake.invitro.sink_depth_um``: depth of the receptor sink (the skin's effective thickness);
  fixed by the lag time, which does not depend on the other two.
- ``uptake.naloxone.kp_cm_per_h``: intact-skin permeability; with the channel route fixed by the
  sink depth, the enhancement ``1 + J_channel / J_intact`` fixes it.
- ``uptake.naloxone.effective_donor_ug_per_ml``: ``K * C_donor`` at the channel wall; the passive
  amount ``~ kp * C_donor * t`` fixes it once ``kp`` is known.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from microneedling.simulation.uptake import fit_naloxone, fitted_file_content

OUTPUT = (
    Path(__file__).resolve().parents[1]
    / "src"
    / "microneedling"
    / "simulation"
    / "data"
    / "transport_fitted.json"
)


def render() -> str:
    """The file's text for a fresh fit."""
    return json.dumps(fitted_file_content(fit_naloxone()), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the stored file only")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        stored = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if stored != text:
            print(f"{OUTPUT} differs from a fresh fit", file=sys.stderr)
            return 1
        print(f"{OUTPUT} matches a fresh fit")
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(text, end="")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

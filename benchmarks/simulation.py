"""Simulation benchmarks (MODELS.md §6), each against a plain baseline run in the same process.

1. Healing and collagen (Model 3): one 12-month, 6-session projection (target < 20 ms) and 10,000
   alternative plans (target < 10 s on 2 cores), against per-plan ``solve_ivp``.
2. Unit-cell uptake (Model 2): within 1 % of a refined reference in < 1 s, against FiPy on the
   same mesh.

``--quick``: both at a small scale (a few seconds; the figures are not the targets').

    .venv/bin/python benchmarks/simulation.py [--quick]
"""

from __future__ import annotations

import argparse

import _simulation_healing
import _simulation_uptake
from _common import QUICK_HELP


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP)
    args = parser.parse_args()
    code = _simulation_healing.main(["--quick"] if args.quick else [])
    code |= _simulation_uptake.main(quick=args.quick)
    return code


if __name__ == "__main__":
    raise SystemExit(main())

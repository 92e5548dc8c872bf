"""Simulation benchmarks (MODELS.md §6), each against a plain baseline run in the same process.

1. Healing and collagen (Model 3): one 12-month, 6-session projection (target < 20 ms) and 10,000
   alternative plans (target < 10 s on 2 cores), against per-plan ``solve_ivp``.
2. Unit-cell uptake (Model 2): within 1 % of a refined reference in < 1 s, against FiPy on the
   same mesh.

    .venv/bin/python benchmarks/simulation.py
"""

from __future__ import annotations

import _simulation_healing
import _simulation_uptake


def main() -> int:
    code = _simulation_healing.main([])
    code |= _simulation_uptake.main()
    return code


if __name__ == "__main__":
    raise SystemExit(main())

"""Fit the collagen module (MODELS.md §4.2) and write ``simulation/data/collagen_fitted.json``.

    .venv/bin/python scripts/fit_collagen.py          # fit and write
    .venv/bin/python scripts/fit_collagen.py --check  # fit and compare with the stored file

tau_m is fixed from timing (C1 peak 7 weeks after the last Lotfi session); g and tau_t are fitted
to Lotfi 2013 (+53.2 % papillary collagen 8 weeks after the last of 5 monthly 1.5 mm sessions) with
tau_t on the durability bound. The procedure is deterministic; see
:func:`microneedling.simulation.collagen.fit_collagen`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from microneedling.simulation.collagen import CollagenFit, LotfiProtocol, fit_collagen
from microneedling.simulation.params_healing import FITTED_FILE, load_fitted

DATA_FILE = (
    Path(__file__).resolve().parents[1]
    / "src"
    / "microneedling"
    / "simulation"
    / "data"
    / FITTED_FILE
)
STORED_KEYS = ("tau_m_days", "tau_t_days", "synthesis_gain")


def fitted_document(fit: CollagenFit, protocol: LotfiProtocol) -> dict[str, Any]:
    """The JSON document: the fitted values first, then how they were obtained."""
    return {
        "tau_m_days": fit.tau_m_days,
        "tau_t_days": fit.tau_t_days,
        "synthesis_gain": fit.synthesis_gain,
        "inputs": {
            "tau_f_days": fit.tau_f_days,
            "lotfi_session_days": list(protocol.session_days),
            "dose": 1.0,
            "lotfi_days_after_last": protocol.days_after_last,
            "lotfi_gain_fraction": protocol.gain_fraction,
            "c1_peak_target_days_after_last": protocol.c1_peak_target_days_after_last,
            "durability_days_after_last": protocol.durability_days_after_last,
            "durability_min_ratio": protocol.durability_min_ratio,
        },
        "achieved": {
            "pct_at_biopsy": round(fit.metrics.pct_at_biopsy, 4),
            "durability_ratio": round(fit.metrics.durability_ratio, 5),
            "c1_peak_days_after_last": round(fit.metrics.c1_peak_days_after_last, 3),
        },
        "method": (
            "tau_m: C1 peak at the target for the jointly solved tau_t, rounded to 0.1 d; "
            "tau_t: durability ratio = minimum (the bound), re-solved with the rounded tau_m and "
            "rounded up to 0.1 d; g: S at the biopsy = Lotfi's gain (6 significant digits). "
            "Fast path (MODELS.md §6), Cooper core with the (1 + ken*E) reading, E = C = 0."
        ),
        "written_by": "scripts/fit_collagen.py",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the stored file")
    args = parser.parse_args(argv)
    protocol = LotfiProtocol.from_table()
    fit = fit_collagen(protocol=protocol)
    document = fitted_document(fit, protocol)
    if args.check:
        stored = load_fitted()
        differ = [k for k in STORED_KEYS if stored.get(k) != document[k]]
        if differ:
            print(f"stored values differ from a fresh fit: {differ}", file=sys.stderr)
            return 1
        print("stored collagen fit is reproduced")
        return 0
    DATA_FILE.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {DATA_FILE}")
    print(json.dumps({k: document[k] for k in STORED_KEYS} | document["achieved"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Tabulate the Cooper core's pulse response over doses: ``simulation/data/core_dose_table.*``.

    .venv/bin/python scripts/tabulate_core.py          # integrate every grid dose and write
    .venv/bin/python scripts/tabulate_core.py --check  # integrate and compare with the stored table

For each dose of :func:`~microneedling.simulation.inflammation.dose_table_grid` (0, then 0.00005 to
5.99 in even steps of ``z = log(1 + u / 1e-4)``, with u = 1 on a node) the core is integrated from
``u * x0`` with its variational equations (LSODA, rtol 1e-10: the same integration as the on-demand
fallback). A row holds the daily state and sensitivity over the 365-day window and the
active-macrophage signal with its gradient on the 0.02-day grid over the first 20 days. The fast
path interpolates the rows in dose instead of integrating the core for each new dose (MODELS.md
§6). Default parameters and the default (1 + ken*E) reading; any other set is integrated on demand.

Writes ``core_dose_table.npy`` (float32 rows, about 1.7 MB) and ``core_dose_table.json`` (doses,
parameters, layout). Run it again whenever a ``cooper.*`` value or a layout constant changes: the
fast path ignores a table made for other values, and a unit test fails until it is regenerated.
Deterministic; takes a few seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from microneedling.simulation.inflammation import (
    DOSE_TABLE_FILE,
    DOSE_TABLE_META_FILE,
    dose_table_grid,
    read_dose_table_data,
    tabulate_pulses,
)

DATA_DIR = Path(__file__).resolve().parents[1] / "src" / "microneedling" / "simulation" / "data"
#: Tolerance of --check, relative to the largest value of each row (the rows are float32).
CHECK_RTOL = 1e-6


def table_differences(
    stored: tuple[dict[str, Any], np.ndarray], fresh: tuple[dict[str, Any], np.ndarray]
) -> list[str]:
    """What differs between two tables: description keys, or rows beyond CHECK_RTOL."""
    (meta_a, rows_a), (meta_b, rows_b) = stored, fresh
    out = [key for key in sorted(set(meta_a) | set(meta_b)) if meta_a.get(key) != meta_b.get(key)]
    if rows_a.shape != rows_b.shape:
        return [*out, "rows (shape)"]
    scale = np.max(np.abs(rows_b), axis=1, keepdims=True)
    bad = np.any(np.abs(rows_a - rows_b) > CHECK_RTOL * scale, axis=1)
    out += [f"row {k} (dose {meta_b['doses'][k]:g})" for k in np.nonzero(bad)[0]]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the stored table")
    args = parser.parse_args(argv)
    doses = dose_table_grid()
    start = time.perf_counter()
    meta, rows = tabulate_pulses(doses)
    seconds = time.perf_counter() - start
    if args.check:
        stored = read_dose_table_data()
        if stored is None:
            print(f"no stored table in {DATA_DIR}", file=sys.stderr)
            return 1
        differ = table_differences(stored, (meta, rows))
        if differ:
            print(f"stored table differs from a fresh one: {differ}", file=sys.stderr)
            return 1
        print(f"stored core dose table is reproduced ({doses.size} doses)")
        return 0
    rows_file = DATA_DIR / DOSE_TABLE_FILE
    np.save(rows_file, rows)
    (DATA_DIR / DOSE_TABLE_META_FILE).write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(
        f"wrote {rows_file} ({rows_file.stat().st_size / 1e6:.2f} MB) and {DOSE_TABLE_META_FILE}: "
        f"{doses.size} doses, 0 and {doses[1]:g} to {doses[-1]:g}; integrated in {seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
